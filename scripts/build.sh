#!/usr/bin/env bash
# Configures and builds Ferry (Release with debug info) into build/ with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths relative to the checkout in ccache's hashes: every clone and worktree
# of the project shares one cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
# -g puts the build directory in the debug info, so ccache would hash it and a
# clone elsewhere would miss every object; its debug info may name the first
# clone's directory instead, which nothing here reads.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
# A Debug, a RelWithDebInfo and a Release tree of the project fill the 5 GB default.
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
