#!/usr/bin/env bash
# The whole test suite: installs the Debian packages it needs when missing,
# starts libvirtd (qemu:///system) for the end-to-end tests, then runs
# gofmt, go vet and go test over every package.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/host-setup.sh --libvirtd
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-clean:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 20m "$@" ./...
