#!/usr/bin/env bash
# The whole test suite: installs the Debian packages it needs when missing,
# starts libvirtd (qemu:///system) for the end-to-end tests, then runs
# gofmt, go vet, go test over every package, the release-merge tool's
# `strata verify` (upstream/ is the recorded release) and `strata check`
# (the overlay against its lock), and the fuzz targets briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/host-setup.sh --libvirtd
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-clean:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 20m "$@" ./...
go run ./cmd/strata verify
go run ./cmd/strata check
# Fuzz targets, briefly, under a memory limit: any input must give a domain or
# a clear error, never a panic or a runaway allocation; and the fast paths
# against their references (the typed provenance walk, which recording layers
# share, against the XML diff; the ex blocks decoded together against one by
# one). Budgets are counts of inputs (about 10-15 s each here), not durations:
# Go 1.26's fuzz coordinator can fail a duration run at its deadline with
# "context deadline exceeded" and no failing input (go.dev/issue/75804, fixed
# in Go 1.27). Longer runs: FUZZTIME overrides every budget (FUZZTIME=10m
# ./scripts/test.sh; a duration risks that false failure).
for target in \
  "FuzzStartVmCmd ./upstream/vmplugin/ 20000x" \
  "FuzzEnvelope ./upstream/kvmagent/ 40000x" \
  "FuzzStartVmExCmd ./overlay/ 15000x" \
  "FuzzTypedMatchesXML ./overlay/provenance/ 500x" \
  "FuzzDecodeTogether ./overlay/layer/ 20000x"; do
  set -- $target
  GOMEMLIMIT=1GiB go test -run '^$' -fuzz "^$1\$" -fuzztime "${FUZZTIME:-$3}" -fuzzminimizetime 5s -parallel 1 "$2"
done
