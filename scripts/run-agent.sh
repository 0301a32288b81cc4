#!/usr/bin/env bash
# Runs strata-agent: the stock API on :7070 and the overlay's /ex/ API on
# :7071, in one process. With no configuration it uses libvirt's embedded
# test:///default driver, so no daemon is needed. Arguments go to the agent
# (see: ./scripts/run-agent.sh --help). The plain stock agent is
# `go run ./cmd/kvmagent`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/host-setup.sh
exec go run ./cmd/strata-agent "$@"
