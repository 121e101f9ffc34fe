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
