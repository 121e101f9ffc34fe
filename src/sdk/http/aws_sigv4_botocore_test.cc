// SigV4 cross-checked against botocore's own signer (AWS's Python SDK core,
// pinned in tests/peers/python/requirements.txt): generated requests (every
// method, paths with spaces, UTF-8, "..", "." and "//", encoded and raw;
// repeated, unsorted and valueless query names; headers with extra
// whitespace and tabs, unsigned ones among them; session tokens; S3 mode)
// are signed by Ferry and by tests/peers/python/botocore_sign.py, and the
// added headers and canonical requests must be equal byte for byte.
//
// Needs tests/peers/python/.venv with botocore (scripts/install-test-peers.sh);
// skips without it, unless FERRY_REQUIRE_PEERS=1, when it fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ferry/http/aws_sigv4.h"
#include "ferry/http/client.h"
#include "ferry/text_codec.h"
#include "testing/peers.h"
#include "testing/cli_runner.h"

namespace ferry::http::aws {
namespace {

using nlohmann::json;

// A request header's value, "" when absent.
std::string Hdr(const Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}


std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  Request request;
  AwsCredentials creds;
  SigningParams params;
};

std::string Pick(std::mt19937& rng, const std::vector<std::string>& from) {
  return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
}

// Path segments as a caller might put them in a URL: encoded (as
// PercentEncode writes them) or raw (spaces, UTF-8, sub-delimiters).
std::string Path(std::mt19937& rng, bool s3) {
  static const std::vector<std::string> kSegments = {
      "a", "b c", "caf\xc3\xa9", "..", ".", "", "x~y_z-1.2", "k=v", "a+b", "\xe6\x97\xa5\xe6\x9c\xac",
      "%20", "100%", "My Photos", "(1)", "key!*'"};
  int n = std::uniform_int_distribution<int>(0, 4)(rng);
  std::string path;
  for (int i = 0; i < n; ++i) {
    std::string seg = Pick(rng, kSegments);
    // S3 signs the path as sent: only an encoded one is a well-formed
    // request there, and that is what an S3 client sends.
    if (s3 || rng() % 2) seg = PercentEncode(seg);
    path += "/" + seg;
  }
  if (path.empty() || rng() % 3 == 0) path += "/";
  return path;
}

std::string Query(std::mt19937& rng) {
  static const std::vector<std::string> kNames = {"Action", "Version", "a", "B", "b", "Filter.1.Name", "x y",
                                                  "caf\xc3\xa9", "max-keys", "list-type", "prefix"};
  static const std::vector<std::string> kValues = {"", "1", "DescribeInstances", "a b", "a+b", "/slash/", "~tilde",
                                                   "\xe2\x9c\x93", "2011-06-15", "z"};
  int n = std::uniform_int_distribution<int>(0, 5)(rng);
  std::string q;
  for (int i = 0; i < n; ++i) {
    std::string name = PercentEncode(Pick(rng, kNames));
    q += (q.empty() ? "" : "&") + name;
    if (rng() % 5) q += "=" + PercentEncode(Pick(rng, kValues));
  }
  return q.empty() ? "" : "?" + q;
}

std::vector<Case> Generate(int count) {
  std::mt19937 rng(20261206);
  static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "HEAD"};
  static const std::vector<std::string> kHosts = {"https://ec2.us-west-2.amazonaws.com", "http://127.0.0.1:4566",
                                                  "https://sts.amazonaws.com:443", "http://LocalHost:80",
                                                  "https://bucket.s3.eu-west-1.amazonaws.com"};
  static const std::vector<std::string> kRegions = {"us-east-1", "eu-west-1", "ap-southeast-2"};
  static const std::vector<std::string> kServices = {"ec2", "sts", "iam", "dynamodb", "execute-api"};
  std::vector<Case> out;
  for (int i = 0; i < count; ++i) {
    Case c;
    bool s3 = i % 4 == 3;
    c.request.method = Pick(rng, kMethods);
    c.request.url = Pick(rng, kHosts) + Path(rng, s3) + Query(rng);
    if (c.request.method == "POST" || c.request.method == "PUT") {
      c.request.body = "Action=DescribeRegions&Version=2016-11-15&n=" + std::to_string(i);
      c.request.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
    }
    if (rng() % 2) c.request.headers["X-Amz-Target"] = "  DynamoDB_20120810.ListTables ";
    if (rng() % 2) c.request.headers["X-Custom-Header"] = "a   b\tc  \t d";
    if (rng() % 3 == 0) c.request.headers["User-Agent"] = "ferry/1.0 test";
    if (rng() % 4 == 0) c.request.headers["x-amz-meta-Owner"] = "\t Team  A ";
    c.creds.access_key_id = "AKIDEXAMPLE" + std::to_string(i % 7);
    c.creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY/" + std::to_string(i);
    if (rng() % 2) c.creds.session_token = "FQoGZXIvYXdzE//////////wEaD" + std::to_string(rng());
    c.params.region = Pick(rng, kRegions);
    c.params.service = s3 ? "s3" : Pick(rng, kServices);
    c.params.s3 = s3;
    c.params.now = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160 + 86399 * i));
    out.push_back(std::move(c));
  }
  return out;
}

TEST(AwsSigV4Botocore, GeneratedRequestsSignedAlike) {
  FERRY_REQUIRE_BOTOCORE();
  std::vector<Case> cases = Generate(400);
  json input = json::array();
  for (const Case& c : cases) {
    json headers = json::array();
    for (const auto& [k, v] : c.request.headers) headers.push_back({k, v});
    input.push_back({{"method", c.request.method},
                     {"url", c.request.url},
                     {"headers", headers},
                     {"body", c.request.body},
                     {"region", c.params.region},
                     {"service", c.params.service},
                     {"s3", c.params.s3},
                     {"access_key", c.creds.access_key_id},
                     {"secret_key", c.creds.secret_access_key},
                     {"token", c.creds.session_token},
                     {"timestamp", AmzDate(c.params.now)}});
  }
  testing::TempDir dir;
  std::string in_path = dir.Write("cases.json", input.dump()), out_path = dir.File("signed.json");
  std::string cmd = testing::PythonPeer().string() + " " +
                    (testing::PeersDir() / "python" / "botocore_sign.py").string() + " < " + in_path + " > " +
                    out_path + " 2> " + dir.File("stderr.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << Slurp(dir.File("stderr.txt"));
  json signed_by_botocore = json::parse(Slurp(out_path));
  ASSERT_EQ(signed_by_botocore.size(), cases.size());

  int s3 = 0, tokens = 0, dot_paths = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    Case& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.request.method + " " + c.request.url);
    auto parts = SignV4WithParts(c.request, c.creds, c.params);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    const json& want = signed_by_botocore[i];
    EXPECT_EQ(parts->canonical_request, want["canonical_request"].get<std::string>());
    for (const auto& [name, value] : want["headers"].items())
      EXPECT_EQ(Hdr(c.request, name), value.get<std::string>()) << name;
    s3 += c.params.s3;
    tokens += !c.creds.session_token.empty();
    dot_paths += c.request.url.find("/..") != std::string::npos;
  }
  // The generator covered what it is meant to.
  EXPECT_GT(s3, 50);
  EXPECT_GT(tokens, 100);
  EXPECT_GT(dot_paths, 30);
}

}  // namespace
}  // namespace ferry::http::aws
