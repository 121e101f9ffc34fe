// Google token exchange, caching and Application Default Credentials against
// loopback servers: HttpTestServer plays a FAKE of Google's OAuth 2.0 token
// endpoint (form POST in, {"access_token","expires_in","token_type"} or
// {"error","error_description"} out) and a FAKE of the GCE metadata server
// (Metadata-Flavor: Google both ways), shaped by Google's documented wire
// format. Every test sets GCE_METADATA_HOST to loopback through its own
// environment map: no traffic leaves 127.0.0.1.
#include "ferry/http/google_auth.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ferry/redact.h"
#include "testing/google_auth_fixture.h"
#include "testing/http_test_server.h"
#include "testing/peers.h"

namespace ferry::http {
namespace {

using ferry::testing::HttpTestServer;
using ferry::testing::OpensslKey;
using ferry::testing::ServerReply;
using ferry::testing::ServerRequest;
using TimePoint = std::chrono::system_clock::time_point;

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= body.size()) {
    size_t amp = body.find('&', i);
    if (amp == std::string::npos) amp = body.size();
    std::string kv = body.substr(i, amp - i), k = kv.substr(0, kv.find('=')), v;
    std::string raw = kv.find('=') == std::string::npos ? "" : kv.substr(kv.find('=') + 1);
    for (size_t j = 0; j < raw.size(); ++j) {
      if (raw[j] == '%' && j + 2 < raw.size()) { v += char(std::stoi(raw.substr(j + 1, 2), nullptr, 16)); j += 2; }
      else v += raw[j] == '+' ? ' ' : raw[j];
    }
    out[k] = v;
    i = amp + 1;
  }
  return out;
}

ServerReply TokenReply(const std::string& token, int expires_in = 3599) {
  ServerReply r;
  r.headers["Content-Type"] = "application/json";
  r.body = nlohmann::json{{"access_token", token}, {"expires_in", expires_in}, {"token_type", "Bearer"}}.dump();
  return r;
}

struct FakeClock {
  std::atomic<int64_t> seconds{1700000000};
  Clock fn() { return [this] { return TimePoint(std::chrono::seconds(seconds.load())); }; }
};

// An environment with only `vars`, the metadata host pointed at a closed
// loopback port unless `vars` says otherwise.
EnvLookup Env(std::map<std::string, std::string> vars) {
  if (!vars.count("GCE_METADATA_HOST")) vars["GCE_METADATA_HOST"] = ferry::testing::ClosedLoopbackHostPort();
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

TEST(GoogleAuth, ServiceAccountKeyJwtGrantAgainstFakeTokenEndpoint) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  std::mutex mu;
  std::map<std::string, std::string> form;
  std::string content_type;
  HttpTestServer server([&](const ServerRequest& req) {
    std::lock_guard lk(mu);
    form = ParseForm(req.body);
    content_type = req.headers.count("Content-Type") ? req.headers.at("Content-Type") : "";
    return req.method == "POST" && req.target == "/token" ? TokenReply("ya29.fake-token-1") : ServerReply{.status = 404};
  });
  GoogleAuthOptions o;
  o.service_account_key_json = k.KeyJson(server.url() + "/token");
  o.scopes = {"https://www.googleapis.com/auth/bigquery"};
  o.env = Env({});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_FALSE((*auth)->anonymous());
  Request r{.url = "https://bigquery.example.test/x"};
  ASSERT_TRUE((*auth)->Authorize(r).ok());
  EXPECT_EQ(r.headers["Authorization"], "Bearer ya29.fake-token-1");
  EXPECT_EQ(content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
  auto claims = nlohmann::json::parse(*Base64UrlDecode(form["assertion"].substr(form["assertion"].find('.') + 1,
      form["assertion"].rfind('.') - form["assertion"].find('.') - 1)));
  EXPECT_EQ(claims["aud"], server.url() + "/token");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/bigquery");
  EXPECT_NE((*auth)->Describe().find("ferry-test@ferry-project.iam.gserviceaccount.com"), std::string::npos);
  EXPECT_EQ(Redact("token ya29.fake-token-1"), "token ***") << "the access token is a registered secret";
}

// Impersonation: the key's token buys the target's token from IAM
// Credentials' generateAccessToken (a fake of it on 127.0.0.1: the request
// shape and answer of Google's reference), and a refusal names the target
// and the role it needs, never a token.
TEST(GoogleAuth, ImpersonationTradesTheBaseTokenForTheTargetsThroughIamCredentials) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  std::mutex mu;
  std::string auth_header, target, body;
  bool refuse = false;
  HttpTestServer server([&](const ServerRequest& req) {
    std::lock_guard lk(mu);
    if (req.method == "POST" && req.target == "/token") return TokenReply("ya29.base-token");
    if (req.method == "POST" && req.target.find(":generateAccessToken") != std::string::npos) {
      auth_header = req.headers.count("Authorization") ? req.headers.at("Authorization") : "";
      target = req.target;
      body = req.body;
      if (refuse)
        return ServerReply{.status = 403,
                           .body = R"({"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied","status":"PERMISSION_DENIED"}})"};
      return ServerReply{.body = R"({"accessToken":"ya29.impersonated","expireTime":"2099-01-01T00:00:00Z"})"};
    }
    return ServerReply{.status = 404};
  });
  GoogleAuthOptions o;
  o.service_account_key_json = k.KeyJson(server.url() + "/token");
  o.env = Env({});
  o.impersonate_service_account = "reader@p.iam.gserviceaccount.com";
  o.impersonation_delegates = {"middle@p.iam.gserviceaccount.com"};
  o.iam_credentials_endpoint = server.url();
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  Request r{.url = "https://compute.example.test/x"};
  ASSERT_TRUE((*auth)->Authorize(r).ok());
  EXPECT_EQ(r.headers["Authorization"], "Bearer ya29.impersonated");
  EXPECT_EQ(auth_header, "Bearer ya29.base-token");
  EXPECT_EQ(target, "/v1/projects/-/serviceAccounts/reader@p.iam.gserviceaccount.com:generateAccessToken");
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["scope"], nlohmann::json::array({"https://www.googleapis.com/auth/cloud-platform"}));
  EXPECT_EQ(j["delegates"], nlohmann::json::array({"projects/-/serviceAccounts/middle@p.iam.gserviceaccount.com"}));
  EXPECT_EQ(Redact("x ya29.impersonated"), "x ***");

  {
    std::lock_guard lk(mu);
    refuse = true;
  }
  o.impersonate_service_account = "other@p.iam.gserviceaccount.com";
  auto refused = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(refused.ok());
  Request r2{.url = "https://compute.example.test/x"};
  Status st = (*refused)->Authorize(r2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("impersonating other@p.iam.gserviceaccount.com"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("roles/iam.serviceAccountTokenCreator"), std::string::npos);
  EXPECT_EQ(st.message().find("ya29.base-token"), std::string::npos);
}

TEST(GoogleAuth, TokenEndpointErrorNamesEndpointAndCodeButNeverTheKeyOrAssertion) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  std::string assertion;
  HttpTestServer server([&](const ServerRequest& req) {
    assertion = ParseForm(req.body)["assertion"];
    ServerReply r{.status = 400};
    // A careless endpoint that echoes what it got.
    r.body = nlohmann::json{{"error", "invalid_grant"},
                            {"error_description", "Invalid JWT Signature: " + assertion}}.dump();
    return r;
  });
  GoogleAuthOptions o;
  o.service_account_key_json = k.KeyJson(server.url() + "/token");
  o.env = Env({});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  Request r;
  Status st = (*auth)->Authorize(r);
  ASSERT_FALSE(st.ok());
  const std::string& m = st.message();
  EXPECT_NE(m.find("token endpoint " + server.url() + "/token answered 400: invalid_grant"), std::string::npos) << m;
  EXPECT_NE(m.find("service_account_key_json"), std::string::npos) << "names the credential source: " << m;
  ASSERT_FALSE(assertion.empty());
  EXPECT_EQ(m.find(assertion.substr(assertion.size() - 40)), std::string::npos) << "assertion quoted: " << m;
  for (size_t i = 40; i + 16 <= k.pem.size() - 40; i += 16)
    EXPECT_EQ(m.find(k.pem.substr(i, 16)), std::string::npos) << "key quoted: " << m;
  EXPECT_FALSE(r.headers.count("Authorization"));
}

TEST(GoogleAuth, TokenCachedAndRefreshedInsideTheMargin) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  std::atomic<int> issued{0};
  HttpTestServer server([&](const ServerRequest&) { return TokenReply("ya29.t" + std::to_string(++issued), 3600); });
  FakeClock clock;
  GoogleAuthOptions o;
  o.service_account_key_json = k.KeyJson(server.url() + "/token");
  o.env = Env({});
  o.clock = clock.fn();
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(auth.ok());
  GoogleTokenSource* ts = (*auth)->tokens();
  EXPECT_EQ(*ts->Token(), "ya29.t1");
  clock.seconds += 3600 - 226;   // 226 s left: more than the 225 s margin
  EXPECT_EQ(*ts->Token(), "ya29.t1");
  EXPECT_EQ(ts->fetches(), 1);
  clock.seconds += 2;            // 224 s left: refreshed before expiry
  EXPECT_EQ(*ts->Token(), "ya29.t2");
  EXPECT_EQ(ts->fetches(), 2);
  EXPECT_EQ(server.requests(), 2);
}

TEST(GoogleAuth, ManyThreadsShareOneRefresh) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  std::atomic<int> issued{0};
  HttpTestServer server([&](const ServerRequest&) {
    ServerReply r = TokenReply("ya29.shared" + std::to_string(++issued));
    r.delay = std::chrono::milliseconds(300);
    return r;
  });
  GoogleAuthOptions o;
  o.service_account_key_json = k.KeyJson(server.url() + "/token");
  o.env = Env({});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(auth.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { auto t = (*auth)->tokens()->Token(); got[i] = t.ok() ? *t : t.status().message(); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, "ya29.shared1");
  EXPECT_EQ(server.requests(), 1) << "one refresh in flight at a time";
}

TEST(GoogleAuth, EmulatorEndpointMeansNoAuth) {
  GoogleAuthOptions o;
  o.endpoint = "http://127.0.0.1:9050";
  o.env = Env({{"GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/should-not-be-read.json"}});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_TRUE((*auth)->anonymous());
  Request r;
  ASSERT_TRUE((*auth)->Authorize(r).ok());
  EXPECT_FALSE(r.headers.count("Authorization"));
}

TEST(GoogleAuth, AdcPrefersGoogleApplicationCredentialsThenGcloudFileThenMetadata) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  std::mutex mu;
  std::vector<std::string> seen;   // "METHOD target form-grant_type"
  HttpTestServer server([&](const ServerRequest& req) {
    std::lock_guard lk(mu);
    auto form = ParseForm(req.body);
    seen.push_back(req.method + " " + req.target + " " + form["grant_type"] + " " + form["refresh_token"]);
    ServerReply r = TokenReply("ya29.adc");
    if (req.target.rfind("/computeMetadata/", 0) == 0 || req.target == "/") {
      // The FAKE metadata server: answers only requests that carry the flavor header.
      if (!req.headers.count("Metadata-Flavor") || req.headers.at("Metadata-Flavor") != "Google") return ServerReply{.status = 403};
      r.headers["Metadata-Flavor"] = "Google";
    }
    return r;
  });
  const auto dir = ferry::testing::MakeTempDir("ferry-adc-");
  const std::string sa = WriteFile(dir / "sa.json", k.KeyJson(server.url() + "/sa-token"));
  const std::string user_json =
      nlohmann::json{{"type", "authorized_user"}, {"client_id", "cid.apps.googleusercontent.com"},
                     {"client_secret", "user-client-secret-42"}, {"refresh_token", "1//refresh-token-42"},
                     {"token_uri", server.url() + "/user-token"}}.dump();
  WriteFile(dir / "gcloud" / "application_default_credentials.json", user_json);
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  auto token_of = [&](std::map<std::string, std::string> env) -> std::string {
    GoogleAuthOptions o;
    o.env = Env(std::move(env));
    auto auth = GoogleAuthorizer::Make(o);
    if (!auth.ok()) return auth.status().message();
    auto t = (*auth)->tokens()->Token();
    return (*auth)->Describe() + " -> " + (t.ok() ? *t : t.status().message());
  };
  // 1. GOOGLE_APPLICATION_CREDENTIALS wins over the gcloud file and the metadata server.
  std::string got = token_of({{"GOOGLE_APPLICATION_CREDENTIALS", sa}, {"CLOUDSDK_CONFIG", (dir / "gcloud").string()},
                              {"GCE_METADATA_HOST", host}});
  EXPECT_NE(got.find("Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos) << got;
  EXPECT_EQ(seen.back(), "POST /sa-token urn:ietf:params:oauth:grant-type:jwt-bearer ");
  // 2. Then gcloud's file in $CLOUDSDK_CONFIG: the refresh_token grant.
  got = token_of({{"CLOUDSDK_CONFIG", (dir / "gcloud").string()}, {"GCE_METADATA_HOST", host}});
  EXPECT_NE(got.find("gcloud application default credentials"), std::string::npos) << got;
  EXPECT_EQ(seen.back(), "POST /user-token refresh_token 1//refresh-token-42");
  // ~/.config/gcloud when CLOUDSDK_CONFIG is not set.
  WriteFile(dir / "home" / ".config" / "gcloud" / "application_default_credentials.json", user_json);
  got = token_of({{"HOME", (dir / "home").string()}, {"GCE_METADATA_HOST", host}});
  EXPECT_NE(got.find("gcloud application default credentials"), std::string::npos) << got;
  // 3. Then the metadata server: probed, then asked for the token with the scopes.
  seen.clear();
  got = token_of({{"HOME", (dir / "nohome").string()}, {"GCE_METADATA_HOST", host}});
  EXPECT_NE(got.find("metadata server"), std::string::npos) << got;
  EXPECT_NE(got.find("-> ya29.adc"), std::string::npos) << got;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "GET /  ");
  EXPECT_EQ(seen[1], "GET /computeMetadata/v1/instance/service-accounts/default/token?scopes="
                     "https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform  ");
  std::filesystem::remove_all(dir);
}

TEST(GoogleAuth, AdcNothingAppliesNamesEveryLinkAndWhy) {
  const auto dir = ferry::testing::MakeTempDir("ferry-adc-");
  const std::string closed = ferry::testing::ClosedLoopbackHostPort();
  GoogleAuthOptions o;
  o.what = "bigquery destination";
  o.env = Env({{"HOME", dir.string()}, {"GCE_METADATA_HOST", closed}});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_FALSE(auth.ok());
  const std::string& m = auth.status().message();
  EXPECT_NE(m.find("bigquery destination: no credentials found; tried, in order:"), std::string::npos) << m;
  EXPECT_NE(m.find("GOOGLE_APPLICATION_CREDENTIALS: GOOGLE_APPLICATION_CREDENTIALS is not set"), std::string::npos) << m;
  EXPECT_NE(m.find("gcloud application default credentials: " + dir.string() +
                   "/.config/gcloud/application_default_credentials.json does not exist"), std::string::npos) << m;
  EXPECT_NE(m.find("metadata server: no metadata server at " + closed), std::string::npos) << m;
  EXPECT_LT(m.find("GOOGLE_APPLICATION_CREDENTIALS:"), m.find("gcloud application")) << "in Google's order";
  EXPECT_LT(m.find("gcloud application"), m.find("metadata server:"));
  std::filesystem::remove_all(dir);
}

TEST(GoogleAuth, AdcBrokenExplicitFileStopsTheSearchWithoutLeakingIt) {
  std::atomic<int> metadata_requests{0};
  HttpTestServer metadata([&](const ServerRequest&) {
    ++metadata_requests;
    ServerReply r = TokenReply("ya29.md");
    r.headers["Metadata-Flavor"] = "Google";
    return r;
  });
  const auto dir = ferry::testing::MakeTempDir("ferry-adc-");
  const std::string host = "127.0.0.1:" + std::to_string(metadata.port());
  GoogleAuthOptions o;
  // Missing file: an error, not a fall-through to the metadata server's identity.
  o.env = Env({{"GOOGLE_APPLICATION_CREDENTIALS", (dir / "missing.json").string()}, {"GCE_METADATA_HOST", host}});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("GOOGLE_APPLICATION_CREDENTIALS=" + (dir / "missing.json").string() +
                                         ": the file does not exist"), std::string::npos) << auth.status().message();
  // A file with an unusable secret: named, not quoted.
  const std::string secret_line = "\"refresh_token\": \"1//0e-very-secret-refresh-token-value\"";
  const std::string bad = WriteFile(dir / "bad.json", "{\"type\": \"authorized_user\", " + secret_line + "}");
  o.env = Env({{"GOOGLE_APPLICATION_CREDENTIALS", bad}, {"GCE_METADATA_HOST", host}});
  auth = GoogleAuthorizer::Make(o);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("\"client_id\" is missing"), std::string::npos) << auth.status().message();
  EXPECT_EQ(auth.status().message().find("very-secret"), std::string::npos) << auth.status().message();
  EXPECT_EQ(metadata_requests, 0);
  // An unsupported type is named.
  const std::string ext = WriteFile(dir / "ext.json", "{\"type\": \"external_account\"}");
  o.env = Env({{"GOOGLE_APPLICATION_CREDENTIALS", ext}, {"GCE_METADATA_HOST", host}});
  auth = GoogleAuthorizer::Make(o);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("\"external_account\" are not supported"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(GoogleAuth, SomethingElseAtTheMetadataHostIsNotAMetadataServer) {
  HttpTestServer other([](const ServerRequest&) { return ServerReply{.status = 200, .body = "hello"}; });
  const auto dir = ferry::testing::MakeTempDir("ferry-adc-");
  GoogleAuthOptions o;
  o.env = Env({{"HOME", dir.string()}, {"GCE_METADATA_HOST", "127.0.0.1:" + std::to_string(other.port())}});
  auto auth = GoogleAuthorizer::Make(o);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("without \"Metadata-Flavor: Google\": not a metadata server"),
            std::string::npos) << auth.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::http
