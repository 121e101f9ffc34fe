// AWS Signature Version 4, header form (contract in ferry/http/aws_sigv4.h).
//
// Facts relied on (AWS IAM User Guide, "Create a signed AWS API request" and
// "Elements of an AWS API request signature"; the aws-sig-v4-test-suite kept
// in testdata/aws4; botocore's auth.py, which the cross-check test runs):
//   - canonical request: METHOD \n canonical URI \n canonical query \n
//     canonical headers (each "name:value\n") \n signed headers \n payload hash;
//   - canonical URI: URI-encode each path segment; every service but S3
//     encodes the (already encoded) path again and removes "." and ".."
//     segments and empty segments ("//"); S3 does neither;
//   - canonical query: names and values URI-encoded (unreserved characters
//     A-Z a-z 0-9 - _ . ~ kept, everything else %XY with upper-case hex),
//     sorted by name then value; "a" alone is "a=";
//   - header values: leading and trailing spaces trimmed, sequential spaces
//     converted to one; names lowercased and sorted;
//   - string to sign: "AWS4-HMAC-SHA256" \n X-Amz-Date \n scope
//     (DATE/REGION/SERVICE/aws4_request) \n hex(SHA-256(canonical request));
//   - signing key: HMAC chain "AWS4"+secret -> date -> region -> service ->
//     "aws4_request"; signature = hex(HMAC(key, string to sign));
//   - botocore (1.44.18) does not sign hop-by-hop and tracing headers
//     (SIGNED_HEADERS_BLACKLIST: Baggage, Connection, Expect, Keep-Alive,
//     Proxy-Authenticate, Proxy-Authorization, TE, Traceparent, Tracestate,
//     Trailer, Transfer-Encoding, Upgrade, User-Agent, X-Amzn-Trace-Id), and
//     S3 always sends X-Amz-Content-SHA256.
#include "ferry/http/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <utility>
#include <vector>

namespace ferry::http::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

void AppendEscaped(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

// Every byte but unreserved ones (and '/' when keep_slash) as %XY.
std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) out.push_back(static_cast<char>(c));
    else AppendEscaped(c, &out);
  }
  return out;
}

// %XY to bytes; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// S3: an encoded path stays as it is (%XY kept, hex upper-cased as any
// encoder writes it); bytes that cannot stand raw in an encoded path are
// encoded once.
std::string EncodeOnce(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && IsHex(path[i + 1]) && IsHex(path[i + 2])) {
      AppendEscaped(static_cast<unsigned char>(HexValue(path[i + 1]) * 16 + HexValue(path[i + 2])), &out);
      i += 2;
    } else if (Unreserved(c) || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      AppendEscaped(c, &out);
    }
  }
  return out;
}

// RFC 3986 section 5.2.4 (remove dot segments), and empty segments dropped
// as AWS wants; a trailing '/' is kept when something remains.
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> kept;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!seg.empty() && seg != ".") {
      kept.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i) out += '/';
    out.append(kept[i]);
  }
  if (path.back() == '/' && !kept.empty()) out += '/';
  return out;
}

struct UrlParts {
  std::string scheme;
  std::string host;    // host[:port], default port left out
  std::string path;    // "/" when the URL has none
  std::string query;   // without '?'
};

Result<UrlParts> SplitUrl(const std::string& url) {
  UrlParts u;
  size_t colon = url.find("://");
  if (colon == std::string::npos || colon == 0)
    return Status::Invalid("aws signing: the URL " + UrlForMessages(url) + " has no scheme://");
  u.scheme = url.substr(0, colon);
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t auth_start = colon + 3;
  size_t auth_end = url.find_first_of("/?#", auth_start);
  if (auth_end == std::string::npos) auth_end = url.size();
  std::string authority = url.substr(auth_start, auth_end - auth_start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (authority.empty()) return Status::Invalid("aws signing: the URL " + UrlForMessages(url) + " has no host");
  // A default port is not part of the Host header clients send.
  size_t port_colon = authority.rfind(':');
  if (port_colon != std::string::npos && authority.find(']', port_colon) == std::string::npos) {
    std::string port = authority.substr(port_colon + 1);
    if ((u.scheme == "http" && port == "80") || (u.scheme == "https" && port == "443") || port.empty())
      authority.resize(port_colon);
  }
  std::transform(authority.begin(), authority.end(), authority.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  u.host = authority;
  size_t frag = url.find('#', auth_end);
  std::string rest = url.substr(auth_end, frag == std::string::npos ? std::string::npos : frag - auth_end);
  size_t q = rest.find('?');
  u.path = rest.substr(0, q);
  if (q != std::string::npos) u.query = rest.substr(q + 1);
  if (u.path.empty()) u.path = "/";
  return u;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view name = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      pairs.emplace_back(UriEncode(PercentDecode(name), false), UriEncode(PercentDecode(value), false));
    }
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

// Trimmed, whitespace runs (space, tab, CR, LF: a folded header's line
// breaks included) as one space.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  return out;
}

// Hop-by-hop and tracing headers a proxy or client may add or change, as
// botocore 1.44 leaves them unsigned, and Authorization itself.
bool Unsigned(const std::string& lower_name) {
  static const char* const kUnsigned[] = {
      "authorization", "baggage",     "connection",        "expect",   "keep-alive", "proxy-authenticate",
      "proxy-authorization", "te",    "traceparent",       "tracestate", "trailer",  "transfer-encoding",
      "upgrade",       "user-agent",  "x-amzn-trace-id"};
  for (const char* name : kUnsigned)
    if (lower_name == name) return true;
  return false;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<std::string> CanonicalRequest(const Request& request, const SigningParams& params,
                                     std::string_view payload_hash, std::string* signed_headers) {
  FERRY_ASSIGN_OR_RETURN(UrlParts url, SplitUrl(request.url));
  bool normalize = params.normalize_path.value_or(!params.s3);
  std::string method = request.method;
  std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });

  std::map<std::string, std::string> headers;   // lowercased name -> canonical value, sorted
  for (const auto& [name, value] : request.headers) {
    std::string lower = Lower(name);
    if (Unsigned(lower)) continue;
    headers[lower] = CanonicalHeaderValue(value);
  }
  if (!headers.count("host")) headers["host"] = url.host;

  std::string out = method + "\n";
  out += normalize ? UriEncode(NormalizePath(url.path), true) : EncodeOnce(url.path);
  out += "\n" + CanonicalQuery(url.query) + "\n";
  std::string names;
  for (const auto& [name, value] : headers) {
    out += name + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  out += "\n" + names + "\n";
  out.append(payload_hash);
  if (signed_headers) *signed_headers = names;
  return out;
}

Result<SignedParts> SignV4WithParts(Request& request, const AwsCredentials& credentials,
                                    const SigningParams& params) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty())
    return Status::Invalid("aws signing: the credentials" +
                           (credentials.source.empty() ? std::string() : " from " + credentials.source) +
                           " have no access key id or no secret access key");
  if (params.region.empty() || params.service.empty())
    return Status::Invalid("aws signing of " + request.method + " " + UrlForMessages(request.url) +
                           ": region and service are required");
  std::string amz_date = AmzDate(params.now);
  std::string date = amz_date.substr(0, 8);

  // A request signed again (a retry with fresh credentials) loses the old
  // signature's headers first.
  request.headers.erase("Authorization");
  request.headers.erase("X-Amz-Security-Token");
  request.headers["X-Amz-Date"] = amz_date;
  if (!credentials.session_token.empty()) request.headers["X-Amz-Security-Token"] = credentials.session_token;

  std::string payload_hash;
  if (auto it = request.headers.find("x-amz-content-sha256"); it != request.headers.end()) {
    payload_hash = it->second;   // the caller's choice (UNSIGNED-PAYLOAD, a precomputed hash)
  } else {
    payload_hash = Sha256Hex(request.body);
    if (params.content_sha256_header.value_or(params.s3)) request.headers["X-Amz-Content-SHA256"] = payload_hash;
  }

  SignedParts parts;
  FERRY_ASSIGN_OR_RETURN(parts.canonical_request,
                         CanonicalRequest(request, params, payload_hash, &parts.signed_headers));
  std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  parts.string_to_sign =
      std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(parts.canonical_request);

  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, date);
  key = HmacSha256(key, params.region);
  key = HmacSha256(key, params.service);
  key = HmacSha256(key, "aws4_request");
  std::string mac = HmacSha256(key, parts.string_to_sign);
  parts.signature = Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  parts.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                        ", SignedHeaders=" + parts.signed_headers + ", Signature=" + parts.signature;
  request.headers["Authorization"] = parts.authorization;
  return parts;
}

Status SignV4(Request& request, const AwsCredentials& credentials, const SigningParams& params) {
  return SignV4WithParts(request, credentials, params).status();
}

}  // namespace ferry::http::aws
