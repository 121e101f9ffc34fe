#!/usr/bin/env bash
# Installs every Debian 12 package Ferry needs to build, test and benchmark.
# Idempotent: packages already present are skipped.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev sqlite3 libpq-dev libssl-dev libzstd-dev liblz4-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev zlib1g-dev librdkafka-dev libpugixml-dev
  libflatbuffers-dev flatbuffers-compiler
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
)

. "$(dirname "$0")/apt-install.sh"
apt_install install-deps "${PKGS[@]}"
