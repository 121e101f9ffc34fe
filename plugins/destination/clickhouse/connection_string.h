// The `connection_string` of the `clickhouse` destination.
//
// Two forms, two protocols:
//
//   clickhouse://user:password@host:9000/database?secure=true&compress=lz4
//   tcp://...        (the same)          -> ClickHouse's native TCP protocol
//   http://user:password@host:8123/database?max_execution_time=60
//   https://...                          -> ClickHouse's HTTP interface
//
// The first is clickhouse-go's DSN, what CloudQuery's specs write; its
// default port is 9000, 9440 with secure=true. HTTP's are 8123 and 8443.
// Query parameters as clickhouse-go reads them:
//   username, password, database   override the URL's parts;
//   secure, skip_verify            TLS, and TLS without certificate checks;
//   dial_timeout, read_timeout     Go durations ("10s", "500ms", "1m30s"):
//                                  connect and per-read deadlines;
//   compress                       native: lz4 / true / 1 (LZ4), zstd, none /
//                                  false / 0; gzip, deflate and br are HTTP
//                                  compressions and refused on the native
//                                  form. On http(s):// any value but none
//                                  selects gzip request bodies;
//   connection_open_strategy, debug, compress_level, block_buffer_size,
//   max_open_conns, max_idle_conns, conn_max_lifetime, client_info_product,
//   max_compression_buffer, http_path: accepted and ignored (pool and
//   client tuning that has no meaning for Ferry's one connection per writer).
// Every other parameter is a ClickHouse setting sent with every query.
// Percent-escapes are decoded in every part. Errors never repeat the string
// (it holds a password). The result is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ferry/status.h"

namespace ferry::plugins::clickhouse {

struct Endpoint {
  std::string base_url;  // "http://host:8123" / "clickhouse://host:9000", no trailing slash; for messages too
  bool native = false;   // clickhouse:// or tcp://: the native protocol
  std::string host;      // without brackets for IPv6
  int port = 0;
  std::string user;      // empty: the server's default user
  std::string password;
  std::string database = "default";
  bool tls = false;
  bool skip_verify = false;  // TLS without certificate verification
  bool compress = false;     // http(s): the DSN asked for compression (gzip bodies)
  enum class NativeCompress { kNone, kLz4, kZstd };
  NativeCompress native_compress = NativeCompress::kNone;  // native: compressed blocks
  int64_t dial_timeout_ms = 0;  // 0: the spec's connect_timeout
  int64_t read_timeout_ms = 0;  // 0: the spec's request_timeout
  std::vector<std::pair<std::string, std::string>> settings;  // ClickHouse settings
};

Result<Endpoint> ParseConnectionString(const std::string& text);

// A Go duration ("10s", "1m30s", "250ms", "1.5s") in milliseconds.
Result<int64_t> ParseGoDuration(const std::string& text);

// Percent-decodes `s` ("%41" -> "A", "+" stays "+"). Fails on a bad escape.
Result<std::string> PercentDecode(const std::string& s);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string PercentEncode(const std::string& s);

}  // namespace ferry::plugins::clickhouse
