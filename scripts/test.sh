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
# a clear error, never a panic or a runaway allocation. Longer runs: raise
# FUZZTIME (e.g. FUZZTIME=10m ./scripts/test.sh).
fuzztime=${FUZZTIME:-15s}
for target in "FuzzStartVmCmd ./upstream/vmplugin/" "FuzzEnvelope ./upstream/kvmagent/" "FuzzStartVmExCmd ./overlay/"; do
  set -- $target
  GOMEMLIMIT=1GiB go test -run '^$' -fuzz "^$1\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s -parallel 1 "$2"
done
# The fast paths against their references: the typed provenance walk (which
# recording layers share) against the XML diff, the ex blocks decoded
# together against one by one.
for target in "FuzzTypedMatchesXML ./overlay/provenance/" "FuzzDecodeTogether ./overlay/layer/"; do
  set -- $target
  GOMEMLIMIT=1GiB go test -run '^$' -fuzz "^$1\$" -fuzztime "${FUZZTIME_EQ:-10s}" -fuzzminimizetime 5s -parallel 1 "$2"
done
