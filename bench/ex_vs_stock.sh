#!/usr/bin/env bash
# Compares strata-agent's /ex/vm/start with the stock /vm/start
# (e2e/bench_test.go), then prints a table:
#   - one start of the same command on test:///default (ns/op each);
#   - 8 distinct VMs started at once on qemu:///system (wall time of the
#     batch): the stock start holds a process-wide lock, the ex one per-VM locks.
# The libvirtd rows need root and a running libvirtd (scripts/host-setup.sh
# --libvirtd); without one they are skipped. The machine may be shared:
# repeat and compare, never trust one run.
# Usage: bench/ex_vs_stock.sh [starts on test:///default] [batches on libvirtd]
set -euo pipefail
cd "$(dirname "$0")/.."
td_runs="${1:-50}"
lv_runs="${2:-3}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
export STRATA_E2E_COMPOSITION=strata-agent
go test -count=1 -run '^$' -bench '^BenchmarkStartOnTestDriver$' -benchtime "${td_runs}x" ./e2e/ | tee "$out"
go test -count=1 -run '^$' -bench '^BenchmarkConcurrentStart8OnLibvirtd$' -benchtime "${lv_runs}x" ./e2e/ | tee -a "$out"
echo
awk -v td="$td_runs" -v lv="$lv_runs" '
/^Benchmark(StartOnTestDriver|ConcurrentStart8OnLibvirtd)\// {
	split($1, p, "/"); side = p[2]; sub(/-[0-9]+$/, "", side)
	if (p[1] == "BenchmarkStartOnTestDriver") td_v[side] = $3
	else lv_v[side] = $5
}
END {
	printf "%-62s %14s %14s %9s\n", "measure", "stock", "ex", "ex/stock"
	row("one start, test:///default (ns/op, " td " runs)", td_v)
	row("8 concurrent starts, qemu:///system (ms/batch, " lv " batches)", lv_v)
}
function row(name, v) {
	if (!("stock" in v) || !("ex" in v)) { printf "%-62s %14s %14s %9s\n", name, "skipped", "skipped", "-"; return }
	printf "%-62s %14d %14d %9.2f\n", name, v["stock"], v["ex"], v["ex"] / v["stock"]
}' "$out"
