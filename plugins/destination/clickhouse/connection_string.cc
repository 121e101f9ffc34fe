#include "plugins/destination/clickhouse/connection_string.h"

#include <cctype>
#include <set>

namespace ferry::plugins::clickhouse {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Truthy(const std::string& v) { return v == "1" || v == "true" || v == "TRUE" || v == "True"; }

// clickhouse-go DSN parameters that tune its pool or client and mean
// nothing for Ferry (see the header).
const std::set<std::string>& IgnoredParams() {
  static const std::set<std::string> k = {"connection_open_strategy", "debug", "compress_level",
                                          "block_buffer_size", "max_open_conns", "max_idle_conns",
                                          "conn_max_lifetime", "client_info_product", "max_compression_buffer",
                                          "http_path"};
  return k;
}

}  // namespace

Result<int64_t> ParseGoDuration(const std::string& text) {
  if (text.empty()) return Status::Invalid("an empty duration");
  if (text == "0") return int64_t{0};
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t b = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (b == i) return Status::Invalid("duration \"" + text + "\" is not a Go duration like 10s, 500ms or 1m30s");
    const double n = std::strtod(text.substr(b, i - b).c_str(), nullptr);
    b = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string unit = text.substr(b, i - b);
    double ms;
    if (unit == "h") ms = 3600e3;
    else if (unit == "m") ms = 60e3;
    else if (unit == "s") ms = 1e3;
    else if (unit == "ms") ms = 1;
    else if (unit == "us" || unit == "µs") ms = 1e-3;
    else if (unit == "ns") ms = 1e-6;
    else return Status::Invalid("duration \"" + text + "\" has no unit (h, m, s, ms, us, ns)");
    total_ms += n * ms;
  }
  return static_cast<int64_t>(total_ms + 0.5);
}

Result<std::string> PercentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return Status::Invalid("connection_string has a truncated percent-escape");
    const int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return Status::Invalid("connection_string has a bad percent-escape (% and two hex digits)");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<Endpoint> ParseConnectionString(const std::string& text) {
  // Messages never repeat the string: it holds a password.
  const char* kForm =
      "; expected clickhouse://user:password@host:9000/database (the native protocol, as CloudQuery "
      "writes it) or http://user:password@host:8123/database";
  Endpoint ep;
  const size_t scheme_end = text.find("://");
  if (text.empty()) return Status::Invalid(std::string("connection_string is empty") + kForm);
  if (scheme_end == std::string::npos) return Status::Invalid(std::string("connection_string has no scheme") + kForm);
  std::string scheme = text.substr(0, scheme_end);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool dsn = scheme == "clickhouse" || scheme == "tcp";
  if (!dsn && scheme != "http" && scheme != "https")
    return Status::Invalid("connection_string scheme \"" + scheme + "\" is not http, https or clickhouse" + kForm);

  std::string rest = text.substr(scheme_end + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string path;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string userinfo, hostport = rest;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    userinfo = rest.substr(0, at);
    hostport = rest.substr(at + 1);
  }
  if (hostport.empty()) return Status::Invalid(std::string("connection_string has no host") + kForm);
  if (hostport.find(',') != std::string::npos)
    return Status::Invalid(
        "connection_string names several hosts; Ferry connects to one ClickHouse host "
        "(put a load balancer in front of a cluster)");
  if (!userinfo.empty()) {
    const size_t colon = userinfo.find(':');
    FERRY_ASSIGN_OR_RETURN(ep.user, PercentDecode(userinfo.substr(0, colon)));
    if (colon != std::string::npos) {
      FERRY_ASSIGN_OR_RETURN(ep.password, PercentDecode(userinfo.substr(colon + 1)));
    }
  }
  if (!path.empty()) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.find('/') != std::string::npos)
      return Status::Invalid("connection_string path must be just the database name" + std::string(kForm));
    FERRY_ASSIGN_OR_RETURN(ep.database, PercentDecode(path));
    if (ep.database.empty()) ep.database = "default";
  }

  // Query parameters.
  bool secure = scheme == "https";
  std::string compress;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string item = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    FERRY_ASSIGN_OR_RETURN(std::string key, PercentDecode(item.substr(0, eq)));
    std::string value;
    if (eq != std::string::npos) {
      FERRY_ASSIGN_OR_RETURN(value, PercentDecode(item.substr(eq + 1)));
    }
    if (key == "username" || key == "user")
      ep.user = value;
    else if (key == "password")
      ep.password = value;
    else if (key == "database")
      ep.database = value.empty() ? "default" : value;
    else if (key == "secure")
      secure = secure || Truthy(value);
    else if (key == "skip_verify")
      ep.skip_verify = Truthy(value);
    else if (key == "compress")
      compress = value;
    else if (key == "dial_timeout" || key == "read_timeout") {
      auto ms = ParseGoDuration(value);
      if (!ms.ok()) return Status::Invalid("connection_string parameter " + key + ": " + ms.status().message());
      (key == "dial_timeout" ? ep.dial_timeout_ms : ep.read_timeout_ms) = *ms;
    } else if (IgnoredParams().count(key))
      continue;
    else
      ep.settings.emplace_back(key, value);
  }

  // Host and port; [v6]:port is kept as written.
  std::string host = hostport, port;
  const size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return Status::Invalid("connection_string port \"" + port + "\" is not a number");
  }
  if (!compress.empty()) {
    std::string c = compress;
    for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const bool off = c == "0" || c == "false" || c == "none";
    if (!dsn) {
      ep.compress = !off;
    } else if (off) {
      ep.native_compress = Endpoint::NativeCompress::kNone;
    } else if (c == "1" || c == "true" || c == "lz4") {
      ep.native_compress = Endpoint::NativeCompress::kLz4;
    } else if (c == "zstd") {
      ep.native_compress = Endpoint::NativeCompress::kZstd;
    } else {
      return Status::Invalid("connection_string compress=" + compress +
                             ": the native protocol compresses with lz4 or zstd (gzip, deflate and br are for "
                             "http:// connection strings)");
    }
  }
  if (port.empty()) port = dsn ? (secure ? "9440" : "9000") : (secure ? "8443" : "8123");
  if (port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
    return Status::Invalid("connection_string port \"" + port + "\" is not in 1..65535");
  ep.native = dsn;
  ep.tls = secure;
  ep.host = host.size() > 1 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  ep.port = std::stoi(port);
  ep.base_url = std::string(dsn ? "clickhouse" : secure ? "https" : "http") + "://" + host + ":" + port;
  return ep;
}

}  // namespace ferry::plugins::clickhouse
