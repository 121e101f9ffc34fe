# Helpers for plugins/<kind>/<name>/test-server.sh, sourced by
# scripts/test-servers.sh and scripts/install-test-servers.sh.

# Fetches the run-time jars that POM (the text of a pom.xml) depends on into
# HOME/lib with Maven, unless HOME/lib/.pom already is that pom; then checks
# that every JAR named after it (file names) is there. Sets
# MAVEN_JARS_FETCHED=1 when it fetched (0 when they were present). Idempotent.
maven_jars() { # name home pom jar...
  local name=$1 home=$2 pom=$3 lib=$2/lib j
  shift 3
  MAVEN_JARS_FETCHED=0
  if [ -f "$lib/.pom" ] && [ "$pom" = "$(cat "$lib/.pom")" ]; then
    echo "$name: jars present in $lib"
    return 0
  fi
  command -v mvn >/dev/null || die "$name: mvn not found (Debian package maven)"
  echo "$name: fetching jars from Maven Central into $lib"
  mkdir -p "$home"
  rm -rf "$lib.new"
  printf '%s\n' "$pom" >"$home/pom.xml"
  mvn -B -f "$home/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:2.8:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib.new" >"$home/mvn.log" 2>&1 </dev/null \
    || { grep -E "ERROR|BUILD" "$home/mvn.log" >&2; die "$name: mvn could not fetch the jars ($home/mvn.log)"; }
  for j in "$@"; do
    [ -f "$lib.new/$j" ] || die "$name: the fetched jars lack $j"
  done
  printf '%s' "$pom" >"$lib.new/.pom"
  rm -rf "$lib"
  mv "$lib.new" "$lib"
  MAVEN_JARS_FETCHED=1
  echo "$name: $(ls "$lib" | wc -l) jars, $(du -sh "$lib" | cut -f1)"
}

# Makes VENV anew (python3 -m venv) and installs LOCK into it: a pip lock
# file with every wheel pinned by sha256, kept in
# $FERRY_CACHE_DIR/python-wheels (default ~/.cache/ferry): downloaded once,
# installed offline from there afterwards. On failure pip's output is shown,
# the venv removed, and the script dies. For the Python emulators (gcplocal,
# moto, bqemulator).
pip_venv() { # name venv lock
  local name=$1 venv=$2 lock=$3 wheels py log
  wheels=${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/python-wheels
  py=$(command -v python3) || die "$name: python3 not found (Debian package python3-venv)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")" "$wheels"
  "$py" -m venv "$venv" || die "$name: $py -m venv failed (Debian package python3-venv)"
  log=$(mktemp)
  _pip_venv_pip() { "$venv/bin/python" -m pip --disable-pip-version-check --no-input "$@" >"$log" 2>&1; }
  _pip_venv_install() {
    _pip_venv_pip install --no-compile --no-deps --no-index --find-links "$wheels" --require-hashes -r "$lock"
  }
  if ! _pip_venv_install; then
    if ! _pip_venv_pip download --no-deps --require-hashes --only-binary :all: -d "$wheels" -r "$lock" ||
       ! _pip_venv_install; then
      cat "$log" >&2; rm -f "$log"; rm -rf "$venv"
      die "$name: pip could not install $lock"
    fi
  fi
  rm -f "$log"
}

# A CA and a server certificate for 127.0.0.1 and localhost signed by it,
# made per start: DIR/tls/{ca.pem,ca.key,server.pem,server.key} (PEM, keys
# unencrypted). For servers with a TLS listener (kafka, neo4j).
make_test_tls() { # dir
  local t=$1/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Ferry test CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$t/server.ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 30 -extfile "$t/server.ext" -out "$t/server.pem" 2>/dev/null
  [ -s "$t/server.pem" ] && [ -s "$t/server.key" ] || die "could not make the TLS certificate in $t"
}
