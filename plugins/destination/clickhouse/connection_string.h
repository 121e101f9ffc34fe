// The `connection_string` of the `clickhouse` destination.
//
// Ferry talks to ClickHouse over its HTTP interface, so the natural form is
// an HTTP URL:
//
//   http://user:password@host:8123/database?max_execution_time=60
//   https://user:password@host:8443/database
//
// CloudQuery's specs use clickhouse-go's DSN (`clickhouse://user:pass@host:9000/db?secure=true`),
// which names the native TCP port. That form is accepted too and mapped to the
// HTTP interface of the same host: port 9000 (or none) becomes 8123, 9440
// (or none with secure=true) becomes 8443. Any other port in a clickhouse://
// DSN is an error, because Ferry cannot guess the HTTP port behind it.
//
// User and password may also come as `username=` / `password=` query
// parameters. clickhouse-go's client-side parameters (dial_timeout, debug,
// compress, ...) are recognised: `compress` selects request compression,
// `secure` / `skip_verify` select TLS; the rest are ignored. Every other
// query parameter is a ClickHouse setting sent with every query.
// Percent-escapes are decoded in every part. The result is a plain value.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ferry/status.h"

namespace ferry::plugins::clickhouse {

struct Endpoint {
  std::string base_url;  // "http://host:8123", no trailing slash
  std::string user;      // empty: the server's default user
  std::string password;
  std::string database = "default";
  bool tls = false;
  bool skip_verify = false;  // TLS without certificate verification
  bool compress = false;     // a DSN asked for compression (compress=true/lz4/gzip/...)
  std::vector<std::pair<std::string, std::string>> settings;  // ClickHouse settings
};

Result<Endpoint> ParseConnectionString(const std::string& text);

// Percent-decodes `s` ("%41" -> "A", "+" stays "+"). Fails on a bad escape.
Result<std::string> PercentDecode(const std::string& s);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string PercentEncode(const std::string& s);

}  // namespace ferry::plugins::clickhouse
