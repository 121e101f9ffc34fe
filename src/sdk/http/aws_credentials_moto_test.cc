// AssumeRole, and a role chained from a profile, against a real moto server
// (PyPI moto[server], an emulator of AWS's APIs; its STS answers
// AssumeRole for any role ARN and GetCallerIdentity for the credentials it
// issued). The requests are SigV4-signed by Ferry and routed by moto on the
// signature's credential scope, so a wrong signature shape fails here too.
//
// The server: $FERRY_MOTO_URL when set (eval "$(scripts/test-servers.sh start
// moto)"), else scripts/test-servers.sh's moto (plugins/source/aws/test-server.sh,
// branch moto). In a tree without that file the test skips, saying so.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <pugixml.hpp>

#include "ferry/http/aws_credentials.h"
#include "ferry/http/aws_sigv4.h"
#include "testing/cli_runner.h"
#include "testing/test_servers.h"

namespace ferry::http::aws {
namespace {

std::string MotoUrl(std::string* why) {
  if (const char* url = std::getenv("FERRY_MOTO_URL"); url && *url) return url;
  if (!std::filesystem::exists(std::filesystem::path(FERRY_SOURCE_DIR) / "plugins/source/aws/test-server.sh")) {
    *why = "no moto in this tree (plugins/source/aws/test-server.sh, branch moto) and FERRY_MOTO_URL is not set";
    return "";
  }
  const auto& info = testing::SharedTestServer("moto");
  if (!info.error.empty()) *why = "FAIL: " + info.error;
  return info.Get("FERRY_MOTO_URL");
}

// sts:GetCallerIdentity signed with `creds`: the ARN moto says they are.
std::string CallerArn(HttpClient& http, const std::string& url, const AwsCredentials& creds) {
  Request r{.method = "POST", .url = url + "/", .body = "Action=GetCallerIdentity&Version=2011-06-15"};
  r.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
  EXPECT_TRUE(SignV4(r, creds, {.region = "us-east-1", .service = "sts"}).ok());
  auto response = http.Do(r);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  if (!response.ok()) return "";
  EXPECT_EQ(response->status, 200) << response->body;
  pugi::xml_document doc;
  doc.load_buffer(response->body.data(), response->body.size());
  return doc.child("GetCallerIdentityResponse").child("GetCallerIdentityResult").child("Arn").text().as_string();
}

TEST(AwsCredentialsMoto, AssumeRoleAndProfileChain) {
  std::string why;
  std::string url = MotoUrl(&why);
  if (why.rfind("FAIL: ", 0) == 0) FAIL() << why;
  if (url.empty()) GTEST_SKIP() << why;
  auto http = std::shared_ptr<HttpClient>(HttpClient::Make({}).MoveValue());

  auto base = StaticCredentials({.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                 .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"});
  auto role = AssumeRole(base, {.role_arn = "arn:aws:iam::123456789012:role/ferry-audit",
                                .session_name = "ferry-moto-test", .external_id = "ext-42",
                                .duration = std::chrono::seconds(900), .sts_endpoint = url, .http = http});
  auto c = role->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->access_key_id.empty());
  EXPECT_FALSE(c->session_token.empty());
  ASSERT_TRUE(c->expires.has_value());
  auto left = *c->expires - std::chrono::system_clock::now();
  EXPECT_GT(left, std::chrono::seconds(800));
  EXPECT_LT(left, std::chrono::seconds(1000));
  EXPECT_EQ(CallerArn(*http, url, *c), "arn:aws:sts::123456789012:assumed-role/ferry-audit/ferry-moto-test");

  // A profile chain: base keys -> role one -> role two, each hop signed
  // with the previous credentials.
  testing::TempDir dir;
  dir.Write(".aws/credentials",
            "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = moto-base-secret-0123456789\n");
  dir.Write(".aws/config",
            "[profile one]\nrole_arn = arn:aws:iam::111111111111:role/one\nsource_profile = base\n"
            "[profile two]\nrole_arn = arn:aws:iam::222222222222:role/two\nsource_profile = one\n"
            "role_session_name = hop-two\n");
  std::map<std::string, std::string> env = {{"HOME", dir.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  AwsCredentialOptions o{.profile = "two", .http = http, .sts_endpoint = url,
                         .getenv = [env](const std::string& k) -> std::optional<std::string> {
                           auto it = env.find(k);
                           if (it == env.end()) return std::nullopt;
                           return it->second;
                         }};
  auto p = DefaultCredentials(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto two = (*p)->Get();
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(CallerArn(*http, url, *two), "arn:aws:sts::222222222222:assumed-role/two/hop-two");
}

}  // namespace
}  // namespace ferry::http::aws
