#!/usr/bin/env bash
# Times /vm/start end to end (HTTP POST to callback) on the stock agent
# against `virsh define` + `virsh start` of the same domain XML, on the same
# libvirtd, and prints the ratio. Needs root and a running libvirtd
# (scripts/host-setup.sh --libvirtd). Usage: bench/start_vs_virsh.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/host-setup.sh --libvirtd
exec go run ./bench/startvm -runs "${1:-10}"
