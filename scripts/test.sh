#!/usr/bin/env bash
# Installs what Ferry needs, builds it, and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-test-servers.sh
bash scripts/install-test-peers.sh
bash scripts/build.sh
# Integration tests share one server per kind (scripts/test-servers.sh starts
# it on first use); keep it up between test processes and stop it at the end.
export FERRY_TEST_SERVERS_KEEP=1
# Cross-checks against independent implementations must run here, not skip.
export FERRY_REQUIRE_PEERS=1
ROOT=$(pwd)
trap 'bash "$ROOT/scripts/test-servers.sh" stop all' EXIT
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900
