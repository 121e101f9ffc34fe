// SigV4 against AWS's published test suite (testdata/aws4, README there) and
// a few properties the suite does not cover (double encoding, S3 paths,
// re-signing, default ports, errors).
#include "ferry/http/aws_sigv4.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ferry/text_codec.h"

namespace ferry::http::aws {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A request header's value, "" when absent.
std::string Hdr(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}


const fs::path kSuite = fs::path(FERRY_SOURCE_DIR) / "src" / "sdk" / "http" / "testdata" / "aws4";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::chrono::system_clock::time_point At(const std::string& iso) {
  auto micros = ParseTimestamp(iso);
  EXPECT_TRUE(micros.ok()) << iso;
  return std::chrono::system_clock::time_point(std::chrono::microseconds(*micros));
}

// request.txt as an HTTP/1.1 server hands it over: "METHOD PATH HTTP/1.1"
// (the path may hold spaces), header lines, folded lines joined to the one
// before with a line break, repeated names joined with ",", then the body.
Request ParseSuiteRequest(const std::string& text) {
  Request r;
  size_t eol = text.find('\n');
  std::string first = text.substr(0, eol);
  size_t sp = first.find(' ');
  size_t proto = first.rfind(" HTTP/");
  r.method = first.substr(0, sp);
  std::string path = first.substr(sp + 1, proto - sp - 1);
  std::string last_name;
  size_t pos = eol + 1;
  std::string host;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      r.headers[last_name] += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    if (r.headers.count(name)) r.headers[name] += "," + value;
    else r.headers[name] = value;
    last_name = name;
    if (name == "Host" || name == "host") host = value;
  }
  if (pos < text.size()) r.body = text.substr(pos);
  r.url = "https://" + host + path;
  return r;
}

std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
  return "";
}

TEST(AwsSigV4Suite, EveryKeptCase) {
  int cases = 0;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kSuite))
    if (entry.is_directory()) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    json ctx = json::parse(ReadFile(dir / "context.json"));
    Request request = ParseSuiteRequest(ReadFile(dir / "request.txt"));
    AwsCredentials creds;
    creds.access_key_id = ctx["credentials"]["access_key_id"];
    creds.secret_access_key = ctx["credentials"]["secret_access_key"];
    if (ctx["credentials"].contains("token")) creds.session_token = ctx["credentials"]["token"];
    ASSERT_FALSE(ctx.value("omit_session_token", false)) << "unsupported case kept";
    SigningParams params;
    params.region = ctx["region"];
    params.service = ctx["service"];
    params.now = At(ctx["timestamp"]);
    params.normalize_path = ctx["normalize"].get<bool>();
    params.content_sha256_header = ctx["sign_body"].get<bool>();

    auto parts = SignV4WithParts(request, creds, params);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    EXPECT_EQ(parts->canonical_request, ReadFile(dir / "header-canonical-request.txt"));
    EXPECT_EQ(parts->string_to_sign, ReadFile(dir / "header-string-to-sign.txt"));
    std::string signed_request = ReadFile(dir / "header-signed-request.txt");
    std::string want_auth = LineStartingWith(signed_request, "Authorization:");
    ASSERT_FALSE(want_auth.empty());
    EXPECT_EQ(Hdr(request, "Authorization"), want_auth);
    EXPECT_EQ(Hdr(request, "X-Amz-Date"), LineStartingWith(signed_request, "X-Amz-Date:"));
    EXPECT_EQ(Hdr(request, "X-Amz-Security-Token"), LineStartingWith(signed_request, "X-Amz-Security-Token:"));
    EXPECT_EQ(Hdr(request, "x-amz-content-sha256"), LineStartingWith(signed_request, "x-amz-content-sha256:"));
    ++cases;
  }
  // 38 cases in the suite, post-sts-header-after left out (README).
  EXPECT_EQ(cases, 37);
}

AwsCredentials Example() {
  return {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
}

SigningParams Params(bool s3 = false) {
  return {.region = "us-east-1", .service = s3 ? "s3" : "ec2", .now = At("2015-08-30T12:36:00Z"), .s3 = s3};
}

std::string Canonical(const std::string& url, bool s3 = false, std::string method = "GET") {
  Request r{.method = method, .url = url};
  auto c = CanonicalRequest(r, Params(s3), "hash", nullptr);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : "";
}

// The canonical request's second line.
std::string UriLine(const std::string& canonical) {
  size_t a = canonical.find('\n') + 1;
  return canonical.substr(a, canonical.find('\n', a) - a);
}

TEST(AwsSigV4, PathEncodedTwiceExceptS3) {
  EXPECT_EQ(UriLine(Canonical("https://h/a%20b/c%2Fd")), "/a%2520b/c%252Fd");
  EXPECT_EQ(UriLine(Canonical("https://h/a%20b/c%2Fd", true)), "/a%20b/c%2Fd");
  // Lower-case escapes are written upper-case; raw bytes encoded once; a
  // '%' that is no escape is encoded.
  EXPECT_EQ(UriLine(Canonical("https://h/k%e1%88%B4 x!", true)), "/k%E1%88%B4%20x%21");
  EXPECT_EQ(UriLine(Canonical("https://h/100%/%4", true)), "/100%25/%254");
  EXPECT_EQ(UriLine(Canonical("https://h/caf\xc3\xa9 1")), "/caf%C3%A9%201");
}

TEST(AwsSigV4, DotSegmentsRemovedExceptS3) {
  EXPECT_EQ(Canonical("https://h/a/./b/../../c//d/").substr(0, 11), "GET\n/c/d/\n\n");
  EXPECT_EQ(Canonical("https://h/a/./b/../c", true).substr(0, 17), "GET\n/a/./b/../c\n\n");
  EXPECT_EQ(Canonical("https://h").substr(0, 7), "GET\n/\n\n");
  EXPECT_EQ(Canonical("https://h/..").substr(0, 7), "GET\n/\n\n");
}

TEST(AwsSigV4, QuerySortedByEncodedNameThenValue) {
  std::string c = Canonical("https://h/?b=2&a=z&a=y&c&A=%7e&sp=a+b%20c&e=");
  EXPECT_EQ(c.substr(0, c.find("\nhost:")), "GET\n/\nA=~&a=y&a=z&b=2&c=&e=&sp=a%2Bb%20c");
}

TEST(AwsSigV4, HostFromUrlWithoutDefaultPortOrUserinfo) {
  EXPECT_NE(Canonical("https://Sts.Example.com:443/").find("\nhost:sts.example.com\n"), std::string::npos);
  EXPECT_NE(Canonical("http://u:p@127.0.0.1:80/x?y#frag").find("\nhost:127.0.0.1\n"), std::string::npos);
  EXPECT_NE(Canonical("http://127.0.0.1:4566/").find("\nhost:127.0.0.1:4566\n"), std::string::npos);
  EXPECT_NE(Canonical("https://[::1]:8443/").find("\nhost:[::1]:8443\n"), std::string::npos);
  EXPECT_NE(Canonical("http://h/x#frag?no").find("GET\n/x\n\n"), std::string::npos);
}

TEST(AwsSigV4, ResigningReplacesTheOldSignature) {
  Request r{.method = "POST", .url = "https://sts.amazonaws.com/", .body = "Action=GetCallerIdentity&Version=2011-06-15"};
  AwsCredentials temp = Example();
  temp.session_token = "token-one-0123456789";
  ASSERT_TRUE(SignV4(r, temp, Params()).ok());
  std::string first = Hdr(r, "Authorization");
  EXPECT_NE(first.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos);
  ASSERT_TRUE(SignV4(r, Example(), Params()).ok());
  EXPECT_EQ(Hdr(r, "X-Amz-Security-Token"), "");
  EXPECT_NE(Hdr(r, "Authorization").find("SignedHeaders=host;x-amz-date,"), std::string::npos);
  EXPECT_NE(Hdr(r, "Authorization"), first);
}

TEST(AwsSigV4, S3SendsContentSha256AndKeepsTheCallersChoice) {
  Request r{.method = "PUT", .url = "https://b.s3.amazonaws.com/k", .body = "hello"};
  ASSERT_TRUE(SignV4(r, Example(), Params(true)).ok());
  EXPECT_EQ(Hdr(r, "x-amz-content-sha256"), Sha256Hex("hello"));
  EXPECT_NE(Hdr(r, "Authorization").find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
            std::string::npos);
  Request u{.method = "PUT", .url = "https://b.s3.amazonaws.com/k", .body = "hello"};
  u.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD";
  auto parts = SignV4WithParts(u, Example(), Params(true));
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->canonical_request.substr(parts->canonical_request.rfind('\n') + 1), "UNSIGNED-PAYLOAD");
  // Not S3: no header, the body hash only signed.
  Request e{.method = "POST", .url = "https://ec2.amazonaws.com/", .body = "x"};
  ASSERT_TRUE(SignV4(e, Example(), Params()).ok());
  EXPECT_EQ(Hdr(e, "x-amz-content-sha256"), "");
}

TEST(AwsSigV4, UnsignedHeadersLeftOut) {
  Request r{.method = "GET", .url = "https://h/"};
  r.headers["User-Agent"] = "ferry";
  r.headers["Expect"] = "100-continue";
  r.headers["Connection"] = "keep-alive";
  r.headers["X-Amzn-Trace-Id"] = "Root=1";
  r.headers["Content-Type"] = "application/x-amz-json-1.1";
  r.headers["X-Amz-Target"] = "  DynamoDB_20120810.ListTables  ";
  auto parts = SignV4WithParts(r, Example(), Params());
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->signed_headers, "content-type;host;x-amz-date;x-amz-target");
  EXPECT_NE(parts->canonical_request.find("\nx-amz-target:DynamoDB_20120810.ListTables\n"), std::string::npos);
}

TEST(AwsSigV4, ErrorsNameWhatIsMissingNotTheKey) {
  Request r{.method = "GET", .url = "https://h/"};
  AwsCredentials no_secret{.access_key_id = "AKIDEXAMPLE", .source = "environment"};
  Status s = SignV4(r, no_secret, Params());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("environment"), std::string::npos) << s.message();
  SigningParams no_region = Params();
  no_region.region.clear();
  s = SignV4(r, Example(), no_region);
  EXPECT_NE(s.message().find("region"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("wJalr"), std::string::npos);
  Request bad{.method = "GET", .url = "not a url"};
  EXPECT_FALSE(SignV4(bad, Example(), Params()).ok());
}

}  // namespace
}  // namespace ferry::http::aws
