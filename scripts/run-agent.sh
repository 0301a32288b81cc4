#!/usr/bin/env bash
# Runs the stock agent on :7070. With no configuration it uses libvirt's
# embedded test:///default driver, so no daemon is needed. Arguments go to
# the agent (see: ./scripts/run-agent.sh --help).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/host-setup.sh
exec go run ./cmd/kvmagent "$@"
