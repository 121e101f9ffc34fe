# Sourced by scripts/test-servers.sh and scripts/install-test-servers.sh.
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
