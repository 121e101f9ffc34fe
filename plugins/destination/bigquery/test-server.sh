# The BigQuery emulator test server, sourced by scripts/test-servers.sh and
# scripts/install-test-servers.sh (the interface is described there); the
# bigquery destination's tests run against it.
#
# bqemulator 1.4.0 from PyPI (Apache-2.0; REST + the Storage Write/Read gRPC
# APIs on DuckDB), pinned with every dependency and its sha256 in
# testing/bqemulator-requirements.txt, installed by bigquery_install into its
# own venv $FERRY_CACHE_DIR/bqemulator-1.4.0/venv (default ~/.cache/ferry;
# wheels kept in $FERRY_CACHE_DIR/python-wheels, shared with
# scripts/install-python-peers.sh). It needs DuckDB's spatial extension at
# start and would download it from DuckDB's extension site: instead duckdb is
# pinned to 1.5.5 and the extension comes from PyPI's duckdb-extension-spatial
# 1.5.5, copied where DuckDB looks ($HOME/.duckdb/extensions/v1.5.5/...),
# with HOME pointed at .../bqemulator-1.4.0/duckdb-home for the server only;
# the avro extension (load jobs of Avro files) is off
# (BQEMU_ENABLE_FORMAT_EXTENSIONS=false), so a start sends nothing off the
# machine. Tracing is off by default (no OTLP endpoint).
#
# bigquery/{pid,rest_port,grpc_port,server.log}: REST and gRPC on free ports
# of 127.0.0.1, in memory (--ephemeral: a restart loses the data), default
# project `ferry-test`; any token or none is accepted. Ready when GET /readyz
# answers 200.
# Env: FERRY_BQ_REST=http://127.0.0.1:PORT FERRY_BQ_GRPC=127.0.0.1:PORT
#      FERRY_BQ_PROJECT=ferry-test FERRY_BQ_PID FERRY_BQ_DIR
#      FERRY_BQ_PYTHON (the venv's python: google-cloud-bigquery-storage and
#      grpcio are there, for independent checks)
# Exit code 3: the emulator is not installed.

test_server bigquery bigquery python3-venv curl

BQEMU_VERSION=1.4.0
BQEMU_DUCKDB_VERSION=1.5.5
BQEMU_PROJECT=ferry-test
BQEMU_LOCK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testing/bqemulator-requirements.txt

bigquery_home() { echo "${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/bqemulator-$BQEMU_VERSION"; }
bigquery_stamp() { # what an install is keyed by: the lock and the python
  printf 'lock %s\npython %s\n' "$(sha256sum <"$BQEMU_LOCK" | cut -c1-16)" "$1"
}

# The venv, its wheels, and the spatial extension where DuckDB finds it.
# Idempotent: nothing happens when the stamp matches.
bigquery_install() {
  local home venv py pyver t0 ext
  home=$(bigquery_home) venv=$(bigquery_home)/venv
  py=$(command -v python3) || die "bigquery: python3 not found (Debian package python3-venv)"
  "$py" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null ||
    die "bigquery: bqemulator needs Python >= 3.11 ($py is $("$py" --version 2>&1))"
  pyver=$("$py" -c 'import sys; print(sys.version.split()[0], sys.executable)')
  if [ "$(cat "$venv/.ferry-stamp" 2>/dev/null)" = "$(bigquery_stamp "$pyver")" ] && "$venv/bin/python" -c '' 2>/dev/null; then
    echo "bigquery: bqemulator $BQEMU_VERSION up to date in $venv"
    return 0
  fi
  t0=$SECONDS
  pip_venv bigquery "$venv" "$BQEMU_LOCK"
  ext=$("$venv/bin/python" -c 'import duckdb_extension_spatial, os; print(os.path.dirname(duckdb_extension_spatial.__file__))')
  ext=$(find "$ext" -name 'spatial.duckdb_extension' | head -1)
  [ -n "$ext" ] || { rm -rf "$venv"; die "bigquery: duckdb-extension-spatial ships no spatial.duckdb_extension"; }
  mkdir -p "$home/duckdb-home/.duckdb/extensions/v$BQEMU_DUCKDB_VERSION/linux_amd64"
  cp "$ext" "$home/duckdb-home/.duckdb/extensions/v$BQEMU_DUCKDB_VERSION/linux_amd64/"
  HOME=$home/duckdb-home "$venv/bin/python" -c "import duckdb; c = duckdb.connect(); c.execute('LOAD spatial')" ||
    { rm -rf "$venv"; die "bigquery: DuckDB cannot load the spatial extension from $home/duckdb-home"; }
  bigquery_stamp "$pyver" >"$venv/.ferry-stamp"
  echo "bigquery: installed bqemulator $BQEMU_VERSION (duckdb $BQEMU_DUCKDB_VERSION + spatial) in $venv in $((SECONDS - t0)) s"
}

bigquery_installed() {
  [ -f "$(bigquery_home)/venv/.ferry-stamp" ] && [ -x "$(bigquery_home)/venv/bin/bqemulator" ]
}

bigquery_ready() { # rest port
  curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1/readyz"
}

bigquery_running() { # dir
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/rest_port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  bigquery_ready "$(cat "$d/rest_port")"
}

bigquery_stop_pid() { stop_recorded_pid "$1" 'bqemulator' TERM; }

bigquery_launch() { # dir: start on the recorded ports; 0 once /readyz answers
  local d=$1 home pid
  home=$(bigquery_home)
  touch "$d/server.log"
  # Run in its state dir: DuckDB spills to ./.tmp of its working directory
  # (gigabytes for a million wide rows), which must not be the caller's.
  (cd "$d" && HOME=$home/duckdb-home BQEMU_ENABLE_FORMAT_EXTENSIONS=false exec setsid "$home/venv/bin/bqemulator" start \
    --rest-host 127.0.0.1 --rest-port "$(cat "$d/rest_port")" --grpc-host 127.0.0.1 --grpc-port "$(cat "$d/grpc_port")" \
    --ephemeral --project "$BQEMU_PROJECT" --log-format console --log-level warning) \
    >>"$d/server.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 600); do  # 60 s
    bigquery_ready "$(cat "$d/rest_port")" && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

bigquery_env() {
  local d=$1
  echo "FERRY_BQ_REST=http://127.0.0.1:$(cat "$d/rest_port")"
  echo "FERRY_BQ_GRPC=127.0.0.1:$(cat "$d/grpc_port")"
  echo "FERRY_BQ_PROJECT=$BQEMU_PROJECT"
  echo "FERRY_BQ_PID=$(cat "$d/pid")"
  echo "FERRY_BQ_DIR=$d"
  echo "FERRY_BQ_PYTHON=$(bigquery_home)/venv/bin/python"
}

bigquery_start() {
  local d=$1 ok=0 t0
  if bigquery_running "$d"; then bigquery_env "$d"; return 0; fi
  if ! bigquery_installed; then
    log "bqemulator $BQEMU_VERSION is not installed in $(bigquery_home)/venv;"
    log "install it with: bash scripts/install-test-servers.sh"
    exit 3
  fi
  bigquery_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d"
  t0=$SECONDS
  for _ in 1 2 3; do  # another process may take a port between the check and the bind
    free_port >"$d/rest_port"
    free_port >"$d/grpc_port"
    : >"$d/server.log"
    if bigquery_launch "$d"; then ok=1; break; fi
    bigquery_stop_pid "$d"
    grep -qi "address already in use" "$d/server.log" || break
  done
  [ "$ok" -eq 1 ] || { tail -30 "$d/server.log" >&2 || true; die "bigquery (bqemulator $BQEMU_VERSION) did not start"; }
  log "bigquery: bqemulator $BQEMU_VERSION ready in $((SECONDS - t0)) s, REST http://127.0.0.1:$(cat "$d/rest_port")" \
    "gRPC 127.0.0.1:$(cat "$d/grpc_port") (pid $(cat "$d/pid"), in memory)"
  bigquery_env "$d"
}

bigquery_restart() { # same ports; in memory: the data is gone
  local d=$1
  [ -f "$d/rest_port" ] || die "bigquery is not running (nothing to restart)"
  bigquery_stop_pid "$d"
  sleep "${PAUSE:-0}"
  bigquery_launch "$d" || { tail -30 "$d/server.log" >&2 || true; die "bigquery restart failed"; }
  bigquery_env "$d"
}

# --- bigquery-goccy: the second emulator -------------------------------------
# github.com/goccy/bigquery-emulator v0.6.6 from the Go module proxy (MIT; REST
# + the Storage Write gRPC API on SQLite through go-zetasqlite, ZetaSQL compiled
# with cgo). Opt-in: building ZetaSQL takes 30-50 minutes on 2 cores, too long
# for every CI run, so bqgoccy_install builds it only with FERRY_TEST_GOCCY=1
# (the tests that need it skip without it, and fail when FERRY_TEST_GOCCY=1).
# g++ 12 cannot compile go-zetasql v0.5.5 (it needs clang: a constexpr and a
# C-linkage error), so Debian's clang 14 is installed for the build.
# The binary is cached in $FERRY_CACHE_DIR/goccy-bigquery-emulator-<version>/
# with a stamp; Go's build cache makes a rebuild after a pin change cheaper.
# bigquery-goccy/{pid,rest_port,grpc_port,server.log}: REST and gRPC on free
# ports of 127.0.0.1, in memory, project `ferry-test`, no auth. Ready when
# GET /bigquery/v2/projects/ferry-test/datasets answers 200.
# Env: FERRY_BQGOCCY_REST=http://127.0.0.1:PORT FERRY_BQGOCCY_GRPC=127.0.0.1:PORT
#      FERRY_BQGOCCY_PROJECT=ferry-test FERRY_BQGOCCY_PID
# What it gets wrong (and Ferry gets right): plugins/destination/bigquery/EMULATOR.md.

test_server bigquery-goccy bqgoccy curl

BQGOCCY_MODULE=github.com/goccy/bigquery-emulator
BQGOCCY_VERSION=v0.6.6

bqgoccy_home() { echo "${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/goccy-bigquery-emulator-$BQGOCCY_VERSION"; }
bqgoccy_installed() { [ -x "$(bqgoccy_home)/bigquery-emulator" ] && [ -f "$(bqgoccy_home)/.ferry-stamp" ]; }

bqgoccy_install() {
  if bqgoccy_installed; then echo "bigquery-goccy: $BQGOCCY_VERSION up to date in $(bqgoccy_home)"; return 0; fi
  if [ "${FERRY_TEST_GOCCY:-}" != 1 ]; then
    echo "bigquery-goccy: not built (set FERRY_TEST_GOCCY=1 to build goccy/bigquery-emulator $BQGOCCY_VERSION: 30-50 min)"
    return 0
  fi
  local home src t0 GO_MIN=1.21.5 GO_FALLBACK_TOOLCHAIN=go1.27.3
  home=$(bqgoccy_home)
  . "$REPO/scripts/apt-install.sh"
  command -v clang++ >/dev/null || apt_install bigquery-goccy clang
  . "$REPO/scripts/go-lib.sh"
  go_pick
  src=$(go_mod_dir "$BQGOCCY_MODULE@$BQGOCCY_VERSION")
  [ -n "$src" ] && [ -f "$src/go.mod" ] || die "bigquery-goccy: no source for $BQGOCCY_MODULE@$BQGOCCY_VERSION"
  mkdir -p "$home"
  t0=$SECONDS
  echo "bigquery-goccy: building $BQGOCCY_MODULE $BQGOCCY_VERSION with clang (30-50 min on 2 cores)"
  (cd "$src" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=1 CC=clang CXX=clang++ \
    "$GO" build -trimpath -o "$home/bigquery-emulator.new" ./cmd/bigquery-emulator) >"$home/build.log" 2>&1 ||
    { grep -v '^go: downloading\|warning:' "$home/build.log" | tail -30 >&2; die "bigquery-goccy: build failed ($home/build.log)"; }
  mv -f "$home/bigquery-emulator.new" "$home/bigquery-emulator"
  echo "$BQGOCCY_VERSION $("$GO" env GOVERSION) $(clang++ --version | head -1)" >"$home/.ferry-stamp"
  echo "bigquery-goccy: built in $((SECONDS - t0)) s"
}

bqgoccy_ready() { # rest port
  curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$1/bigquery/v2/projects/$BQEMU_PROJECT/datasets"
}

bqgoccy_running() { # dir
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/rest_port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  bqgoccy_ready "$(cat "$d/rest_port")"
}

bqgoccy_stop_pid() { stop_recorded_pid "$1" 'bigquery-emulator' TERM; }

bqgoccy_launch() { # dir
  local d=$1 pid
  touch "$d/server.log"
  setsid "$(bqgoccy_home)/bigquery-emulator" --project="$BQEMU_PROJECT" --host=127.0.0.1 \
    --port="$(cat "$d/rest_port")" --grpc-port="$(cat "$d/grpc_port")" --log-level=error \
    >>"$d/server.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 300); do  # 30 s
    bqgoccy_ready "$(cat "$d/rest_port")" && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

bqgoccy_env() {
  local d=$1
  echo "FERRY_BQGOCCY_REST=http://127.0.0.1:$(cat "$d/rest_port")"
  echo "FERRY_BQGOCCY_GRPC=127.0.0.1:$(cat "$d/grpc_port")"
  echo "FERRY_BQGOCCY_PROJECT=$BQEMU_PROJECT"
  echo "FERRY_BQGOCCY_PID=$(cat "$d/pid")"
}

bqgoccy_start() {
  local d=$1 ok=0
  if bqgoccy_running "$d"; then bqgoccy_env "$d"; return 0; fi
  if ! bqgoccy_installed; then
    log "goccy/bigquery-emulator $BQGOCCY_VERSION is not built in $(bqgoccy_home);"
    log "build it with: FERRY_TEST_GOCCY=1 bash scripts/install-test-servers.sh"
    exit 3
  fi
  bqgoccy_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d"
  for _ in 1 2 3; do
    free_port >"$d/rest_port"
    free_port >"$d/grpc_port"
    : >"$d/server.log"
    if bqgoccy_launch "$d"; then ok=1; break; fi
    bqgoccy_stop_pid "$d"
    grep -qi "address already in use" "$d/server.log" || break
  done
  [ "$ok" -eq 1 ] || { tail -30 "$d/server.log" >&2 || true; die "bigquery-goccy did not start"; }
  log "bigquery-goccy: goccy/bigquery-emulator $BQGOCCY_VERSION ready, REST http://127.0.0.1:$(cat "$d/rest_port")" \
    "gRPC 127.0.0.1:$(cat "$d/grpc_port") (pid $(cat "$d/pid"), in memory)"
  bqgoccy_env "$d"
}

bqgoccy_restart() {
  local d=$1
  [ -f "$d/rest_port" ] || die "bigquery-goccy is not running (nothing to restart)"
  bqgoccy_stop_pid "$d"
  sleep "${PAUSE:-0}"
  bqgoccy_launch "$d" || { tail -30 "$d/server.log" >&2 || true; die "bigquery-goccy restart failed"; }
  bqgoccy_env "$d"
}
