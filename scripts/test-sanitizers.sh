#!/usr/bin/env bash
# Builds Ferry with AddressSanitizer and UndefinedBehaviorSanitizer
# (FERRY_SANITIZE=ON, in build-asan/) and runs the whole test suite under it.
# Any report fails the test that caused it. Slower than scripts/test.sh
# (about 2x the build and 3x the test time).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-test-servers.sh
bash scripts/install-test-peers.sh
# Ferry's code is built as usual (optimised, with debug info) and
# instrumented; the test sources only at -O0 (FERRY_QUICK_TESTS), which
# halves the build on 2 cores without changing what is checked.
BUILD_DIR=build-asan bash scripts/build.sh -DFERRY_SANITIZE=ON -DFERRY_QUICK_TESTS=ON
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/scripts/lsan.supp}
export FERRY_TEST_SERVERS_KEEP=1 FERRY_REQUIRE_PEERS=1
ROOT=$(pwd)
trap 'bash "$ROOT/scripts/test-servers.sh" stop all' EXIT
cd build-asan
ctest --output-on-failure -j "$(nproc)" --timeout 1800 "$@"
