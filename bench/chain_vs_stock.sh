#!/usr/bin/env bash
# The ex chain against the stock build of the same (richest) command, from
# overlay/start's BenchmarkStockBuild and each BenchmarkExPipeline case,
# printed side by side by one test binary, in rounds so a shared machine's
# noise shows. Prints per case the median ns/op, B/op and allocs/op and their
# ratio to the stock build's. The issue's target: chain <= 2x.
# Usage: bench/chain_vs_stock.sh [count] [benchtime]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-6}"
benchtime="${2:-1s}"
out="$(mktemp)"
bin="$(mktemp)"
trap 'rm -f "$out" "$bin"' EXIT
go test -c -o "$bin" ./overlay/start/
# One run of every case per round, rounds one after another: a shared
# machine's slow minutes then fall on the stock build and the chain alike.
for ((i = 1; i <= count; i++)); do
	(cd overlay/start && "$bin" -test.run '^$' -test.bench '^(BenchmarkStockBuild|BenchmarkExPipeline)$' -test.benchtime "$benchtime" -test.benchmem) | tee -a "$out"
done
echo
awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	n[name]++; t[name, n[name]] = $3; b[name, n[name]] = $5; a[name, n[name]] = $7
	if (!(name in seen)) { seen[name] = 1; order[++k] = name }
}
function median(arr, name, m,    i, j, v, tmp) {
	for (i = 1; i <= m; i++) v[i] = arr[name, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
	return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
END {
	st = median(t, "StockBuild", n["StockBuild"]); sa = median(a, "StockBuild", n["StockBuild"]); sb = median(b, "StockBuild", n["StockBuild"])
	printf "%-36s %11s %9s %9s %8s %8s\n", "case (median of runs)", "ns/op", "B/op", "allocs", "time/st", "allocs/st"
	for (i = 1; i <= k; i++) {
		nm = order[i]; m = n[nm]
		mt = median(t, nm, m); mb = median(b, nm, m); ma = median(a, nm, m)
		printf "%-36s %11d %9d %9d %7.2fx %7.2fx\n", nm, mt, mb, ma, mt / st, ma / sa
	}
}' "$out"
