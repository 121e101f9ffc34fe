// AWS Signature Version 4 (header form), for every AWS API an integration
// calls through ferry::http::HttpClient.
//
// SignV4(request, credentials, params) adds to `request`:
//   X-Amz-Date            the time of `params.now`, "YYYYMMDDTHHMMSSZ" (UTC);
//   X-Amz-Security-Token  the session token, when the credentials have one
//                         (signed, as the AWS SDKs send it);
//   x-amz-content-sha256  the payload's SHA-256 (hex), with S3's rules or
//                         when content_sha256_header asks for it; a value
//                         the caller already set (UNSIGNED-PAYLOAD,
//                         STREAMING-...) is kept and signed as the payload hash;
//   Authorization         AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
//                         SignedHeaders=..., Signature=...
// Signed headers: host and every header of the request (names lowercased,
// sorted), except hop-by-hop and tracing headers that proxies and clients
// may change or add (User-Agent, Expect, Connection, Transfer-Encoding,
// X-Amzn-Trace-Id... the list botocore leaves out, in aws_sigv4.cc) and
// Authorization itself. Values are trimmed and runs of
// whitespace become one space.
//
// The URL signed must be the URL sent: the caller passes the final URL, and
// an HttpClient whose ClientOptions::endpoint rewrites scheme://host:port
// breaks the signature (the host is signed). Integrations that talk to an
// emulator put the emulator's address in the URL they sign instead.
// The host signed is the Host header when the request has one, else the
// URL's host[:port] as sent, a default port (http 80, https 443) left out,
// as HTTP clients leave it out of Host.
//
// Path and query are taken as sent (already percent-encoded, as on the wire):
//   - default (every service but S3): dot segments and empty segments are
//     removed, then every byte but RFC 3986's unreserved characters and "/"
//     is percent-encoded, "%" included: an encoded path is encoded twice,
//     as AWS's canonical request wants;
//   - S3 (params.s3, or normalize_path = false): the path as sent, neither
//     normalised nor encoded a second time; bytes that a correctly encoded
//     path cannot hold raw (anything but unreserved, "/" and %XX, whose hex
//     is written upper-case) are
//     encoded once;
//   - query: each name and value is percent-decoded and encoded again with
//     RFC 3986's rule (upper-case hex), pairs sorted by encoded name then
//     value; a name without "=" has an empty value.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/http/client.h"
#include "ferry/status.h"

namespace ferry::http::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;   // empty: long-term keys
  // Set for temporary credentials; providers refresh them before this.
  std::optional<std::chrono::system_clock::time_point> expires;
  // Where they came from, for messages ("environment", "profile dev in
  // ~/.aws/credentials", "assume role arn:aws:iam::1:role/x"). Never secret.
  std::string source;
};

struct SigningParams {
  std::string region;    // "us-east-1"
  std::string service;   // the signing name: "ec2", "s3", "sts", "iam"...
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  // S3's rules: x-amz-content-sha256 always sent; the path signed as sent
  // (no normalisation, no second encoding).
  bool s3 = false;
  // The two switches `s3` sets, for the odd service that wants one of them
  // alone (and for AWS's test suite). Unset: what `s3` says.
  std::optional<bool> normalize_path;          // default !s3
  std::optional<bool> content_sha256_header;   // default s3
};

// What signing computed, for tests and debugging (no secret in it).
struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;   // "host;x-amz-date"
  std::string signature;        // hex
  std::string authorization;    // the Authorization header's value
};

// Signs `request` in place (see above). Fails, naming what is missing, when
// the URL cannot be parsed or credentials, region or service are empty;
// errors never quote a key.
Status SignV4(Request& request, const AwsCredentials& credentials, const SigningParams& params);
// The same, returning what was computed.
Result<SignedParts> SignV4WithParts(Request& request, const AwsCredentials& credentials,
                                    const SigningParams& params);

// The canonical request of `request` as it stands (its headers already
// include X-Amz-Date and whatever else is signed), with `payload_hash` as
// its last line; *signed_headers receives the SignedHeaders list.
Result<std::string> CanonicalRequest(const Request& request, const SigningParams& params,
                                     std::string_view payload_hash, std::string* signed_headers);

// "YYYYMMDDTHHMMSSZ" of `t` (UTC).
std::string AmzDate(std::chrono::system_clock::time_point t);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace ferry::http::aws
