// AWS credentials: the environment, shared files and profiles,
// credential_process, role chains, refresh; STS, the ECS container endpoint
// and EC2 instance metadata as small FAKES of their documented wire formats
// (HttpTestServer on 127.0.0.1; the test names say "Fake"). AssumeRole
// against a real moto server is in aws_credentials_moto_test.cc.
#include "ferry/http/aws_credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "aws_remote_credentials.h"
#include "ferry/http/aws_sigv4.h"
#include "ferry/redact.h"
#include "testing/cli_runner.h"
#include "testing/http_test_server.h"

namespace ferry::http::aws {
namespace {

using namespace std::chrono_literals;
using testing::HttpTestServer;
using testing::ServerReply;
using testing::ServerRequest;
using testing::TempDir;

using Env = std::map<std::string, std::string>;

EnvLookup Lookup(const Env& env) {
  return [env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// An environment with nothing set but HOME (a temp dir without ~/.aws),
// instance metadata disabled.
Env Clean(const TempDir& dir) { return {{"HOME", dir.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}}; }

std::shared_ptr<HttpClient> Client() {
  ClientOptions o;
  o.retry.max_retries = 0;
  return std::shared_ptr<HttpClient>(HttpClient::Make(o).MoveValue());
}

std::string FormValue(const std::string& body, const std::string& key) {
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    if (amp == std::string::npos) amp = body.size();
    std::string pair = body.substr(start, amp - start);
    if (pair.rfind(key + "=", 0) == 0) return pair.substr(key.size() + 1);
    start = amp + 1;
  }
  return "";
}

// A fake of STS's query API (STS API Reference wire format): AssumeRole and
// AssumeRoleWithWebIdentity answer credentials "ASIA<n>" valid for an hour,
// or an ErrorResponse for roles in `denied`. Records every request.
class FakeSts {
 public:
  FakeSts()
      : server_([this](const ServerRequest& r) { return Answer(r); }) {}
  std::string url() const { return server_.url(); }
  std::vector<ServerRequest> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  void Deny(const std::string& role) {
    std::lock_guard<std::mutex> l(mu_);
    denied_.push_back(role);
  }
  std::chrono::system_clock::time_point expiry = std::chrono::system_clock::now() + 1h;

 private:
  ServerReply Answer(const ServerRequest& r) {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(r);
    std::string action = FormValue(r.body, "Action");
    std::string role = FormValue(r.body, "RoleArn");
    for (const auto& d : denied_)
      if (PercentEncode(d) == role)
        return {.status = 403,
                .body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                        "<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/dev is not authorized "
                        "to perform: sts:AssumeRole</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"};
    int n = static_cast<int>(requests_.size());
    std::string exp = AmzDate(expiry);   // 20261206T123000Z -> ISO 8601
    std::string iso = exp.substr(0, 4) + "-" + exp.substr(4, 2) + "-" + exp.substr(6, 2) + "T" + exp.substr(9, 2) +
                      ":" + exp.substr(11, 2) + ":" + exp.substr(13, 2) + ".123Z";
    return {.status = 200,
            .body = "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
                    "Result><Credentials><AccessKeyId>ASIA" + std::to_string(n) +
                    "</AccessKeyId><SecretAccessKey>fake-sts-secret-" + std::to_string(n) +
                    "-abcdefgh</SecretAccessKey><SessionToken>fake-sts-token-" + std::to_string(n) +
                    "-abcdefgh</SessionToken><Expiration>" + iso + "</Expiration></Credentials></" + action +
                    "Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + action + "Response>"};
  }
  std::mutex mu_;
  std::vector<ServerRequest> requests_;
  std::vector<std::string> denied_;
  HttpTestServer server_;
};

// The access key id an Authorization header was signed with.
std::string SignedBy(const ServerRequest& r) {
  std::string auth = r.headers.count("Authorization") ? r.headers.at("Authorization") : "";
  size_t s = auth.find("Credential=");
  if (s == std::string::npos) return "";
  s += 11;
  return auth.substr(s, auth.find('/', s) - s);
}

TEST(AwsCredentials, EnvironmentKeys) {
  TempDir dir;
  Env env = Clean(dir);
  env["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env["AWS_SECRET_ACCESS_KEY"] = "env-secret-0123456789";
  env["AWS_SESSION_TOKEN"] = "env-token-0123456789";
  auto p = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto c = (*p)->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIAENV");
  EXPECT_EQ(c->session_token, "env-token-0123456789");
  EXPECT_EQ(c->source, "environment");

  env.erase("AWS_SECRET_ACCESS_KEY");
  p = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << p.status().message();
}

TEST(AwsCredentials, NothingFoundNamesEveryLink) {
  TempDir dir;
  auto p = DefaultCredentials({.getenv = Lookup(Clean(dir)), .what = "aws source"});
  ASSERT_FALSE(p.ok());
  const std::string& m = p.status().message();
  for (const char* link : {"environment: AWS_ACCESS_KEY_ID", "web identity: AWS_WEB_IDENTITY_TOKEN_FILE",
                           "shared config profile default: profile default is in neither",
                           "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                           "EC2 instance metadata: AWS_EC2_METADATA_DISABLED is true"})
    EXPECT_NE(m.find(link), std::string::npos) << link << "\n" << m;
  EXPECT_EQ(m.rfind("aws source: no credentials found", 0), 0u) << m;
}

TEST(AwsCredentials, SharedFilesProfilesAndPrecedence) {
  TempDir dir;
  dir.Write(".aws/credentials",
            "# comment\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret-0123456789\n"
            "\n[dev]\naws_access_key_id=AKIADEVCREDS\naws_secret_access_key=dev-secret-0123456789\n"
            "aws_session_token = dev-token-0123456789\n");
  dir.Write(".aws/config",
            "[default]\nregion = us-east-1\n[profile dev]\naws_access_key_id = AKIADEVCONFIG\n"
            "s3 =\n  max_concurrent_requests = 20\n[profile onlyconfig]\n; comment\naws_access_key_id = AKIACONFIG\n"
            "aws_secret_access_key = config-secret-0123456789\n[profile regiononly]\nregion = eu-west-1\n");
  Env env = Clean(dir);
  env["AWS_ACCESS_KEY_ID"] = "AKIAENV";   // a named profile wins over these
  env["AWS_SECRET_ACCESS_KEY"] = "env-secret-0123456789";

  auto dev = DefaultCredentials({.profile = "dev", .getenv = Lookup(env)});
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  auto c = (*dev)->Get();
  EXPECT_EQ(c->access_key_id, "AKIADEVCREDS");   // the credentials file wins
  EXPECT_EQ(c->session_token, "dev-token-0123456789");
  EXPECT_NE(c->source.find("profile dev in " + dir.path() + "/.aws/credentials"), std::string::npos) << c->source;

  env["AWS_PROFILE"] = "onlyconfig";
  auto oc = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_TRUE(oc.ok()) << oc.status().ToString();
  EXPECT_EQ((*oc)->Get()->access_key_id, "AKIACONFIG");

  env.erase("AWS_PROFILE");
  env.erase("AWS_ACCESS_KEY_ID");
  env.erase("AWS_SECRET_ACCESS_KEY");
  auto def = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ((*def)->Get()->access_key_id, "AKIADEFAULT");

  // A profile asked for by name must exist; one without credentials falls
  // through to the next links.
  auto missing = DefaultCredentials({.profile = "nope", .getenv = Lookup(env)});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("profile nope is in neither"), std::string::npos);
  auto region_only = DefaultCredentials({.profile = "regiononly", .getenv = Lookup(env)});
  ASSERT_FALSE(region_only.ok());
  EXPECT_NE(region_only.status().message().find("has no credentials"), std::string::npos);
  EXPECT_NE(region_only.status().message().find("EC2 instance metadata:"), std::string::npos);

  // Files named by the environment.
  dir.Write("elsewhere/creds", "[default]\naws_access_key_id = AKIAELSEWHERE\naws_secret_access_key = s-0123456789\n");
  env["AWS_SHARED_CREDENTIALS_FILE"] = dir.File("elsewhere/creds");
  EXPECT_EQ((*DefaultCredentials({.getenv = Lookup(env)}))->Get()->access_key_id, "AKIAELSEWHERE");
}

TEST(AwsCredentials, MalformedFileStopsTheSearch) {
  TempDir dir;
  dir.Write(".aws/credentials", "[default]\naws_access_key_id AKIA\n");
  Env env = Clean(dir);
  auto p = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(dir.path() + "/.aws/credentials:2:"), std::string::npos) << p.status().message();
  dir.Write(".aws/credentials", "[default]\naws_access_key_id = AKIA\n");
  p = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("must both be set"), std::string::npos) << p.status().message();
}

TEST(AwsCredentials, CredentialProcessAndItsRefresh) {
  TempDir dir;
  // The process prints credentials expiring at a time the test controls.
  std::string script = dir.Write("proc.sh",
                                 "#!/bin/sh\nn=$(cat " + dir.File("count") + " 2>/dev/null || echo 0)\n"
                                 "n=$((n+1)); echo $n > " + dir.File("count") + "\n"
                                 "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC%s\", \"SecretAccessKey\": "
                                 "\"proc-secret-0123456789\", \"SessionToken\": \"proc-token-0123456789\", "
                                 "\"Expiration\": \"2026-12-06T12:00:00Z\"}' $n\n");
  chmod(script.c_str(), 0755);
  dir.Write(".aws/config", "[default]\ncredential_process = " + script + " --flag 'a b'\n");
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796556000));   // 2026-12-06T11:20:00Z
  auto p = DefaultCredentials({.getenv = Lookup(Clean(dir)), .clock = [&] { return now; }});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Get()->access_key_id, "AKIAPROC1");
  EXPECT_EQ((*p)->Get()->access_key_id, "AKIAPROC1");   // cached: 40 min left
  now += 36min;                                          // 4 min left: refreshed
  EXPECT_EQ((*p)->Get()->access_key_id, "AKIAPROC2");
  EXPECT_TRUE((*p)->Get()->expires.has_value());

  dir.Write(".aws/config", "[default]\ncredential_process = echo '{\"Version\": 2}'\n");
  auto v2 = DefaultCredentials({.getenv = Lookup(Clean(dir))});
  ASSERT_FALSE(v2.ok());
  EXPECT_NE(v2.status().message().find("\"Version\": 1"), std::string::npos) << v2.status().message();

  dir.Write(".aws/config", "[default]\ncredential_process = echo oops >&2; exit 3\n");
  auto failed = DefaultCredentials({.getenv = Lookup(Clean(dir))});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("exited with status 3: oops"), std::string::npos)
      << failed.status().message();
}

TEST(AwsCredentials, RefreshIsOneFetchAtATime) {
  std::atomic<int> calls{0};
  auto now = std::chrono::system_clock::now();
  RefreshingCredentials p(
      "test", [&]() -> Result<AwsCredentials> {
        int n = ++calls;
        std::this_thread::sleep_for(50ms);
        return AwsCredentials{.access_key_id = "K" + std::to_string(n), .secret_access_key = "s",
                              .expires = now + 1h};
      },
      [&] { return now; });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { ok += p.Get().ok() && p.Get()->access_key_id == "K1"; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(p.fetches(), 1);
}

TEST(AwsCredentials, FakeStsAssumeRoleSignedWithTheBase) {
  FakeSts sts;
  auto base = StaticCredentials({.access_key_id = "AKIABASE", .secret_access_key = "base-secret-0123456789"});
  auto p = AssumeRole(base, {.role_arn = "arn:aws:iam::123456789012:role/audit", .external_id = "ext-1",
                             .duration = 900s, .sts_endpoint = sts.url(), .sts_region = "eu-west-1",
                             .http = Client()});
  auto c = p->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIA1");
  EXPECT_EQ(c->session_token, "fake-sts-token-1-abcdefgh");
  ASSERT_TRUE(c->expires.has_value());
  EXPECT_EQ(c->source, "role arn:aws:iam::123456789012:role/audit");
  auto reqs = sts.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(SignedBy(reqs[0]), "AKIABASE");
  EXPECT_NE(reqs[0].headers.at("Authorization").find("/eu-west-1/sts/aws4_request"), std::string::npos);
  EXPECT_EQ(FormValue(reqs[0].body, "Version"), "2011-06-15");
  EXPECT_EQ(FormValue(reqs[0].body, "RoleArn"), "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Faudit");
  EXPECT_EQ(FormValue(reqs[0].body, "ExternalId"), "ext-1");
  EXPECT_EQ(FormValue(reqs[0].body, "DurationSeconds"), "900");
  EXPECT_EQ(FormValue(reqs[0].body, "RoleSessionName").rfind("ferry-", 0), 0u);
  // Cached for the hour.
  EXPECT_EQ(p->Get()->access_key_id, "ASIA1");
  EXPECT_EQ(sts.requests().size(), 1u);
}

TEST(AwsCredentials, FakeStsErrorNamesRoleAndCode) {
  FakeSts sts;
  sts.Deny("arn:aws:iam::123456789012:role/secretive");
  auto base = StaticCredentials({.access_key_id = "AKIABASE", .secret_access_key = "base-secret-0123456789"});
  auto p = AssumeRole(base, {.role_arn = "arn:aws:iam::123456789012:role/secretive", .sts_endpoint = sts.url(),
                             .http = Client()});
  auto c = p->Get();
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("arn:aws:iam::123456789012:role/secretive"), std::string::npos) << m;
  EXPECT_NE(m.find("AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 403, request id req-1"), std::string::npos) << m;
  EXPECT_EQ(m.find("base-secret"), std::string::npos);
}

TEST(AwsCredentials, FakeStsSourceProfileChainAndCycles) {
  FakeSts sts;
  TempDir dir;
  dir.Write(".aws/credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret-0123456789\n");
  dir.Write(".aws/config",
            "[profile hop1]\nrole_arn = arn:aws:iam::111111111111:role/one\nsource_profile = base\n"
            "[profile hop2]\nrole_arn = arn:aws:iam::222222222222:role/two\nsource_profile = hop1\n"
            "role_session_name = my-session\nexternal_id = xyz\nduration_seconds = 1200\n"
            "[profile self]\nrole_arn = arn:aws:iam::333333333333:role/self\nsource_profile = self\n"
            "aws_access_key_id = AKIASELF\naws_secret_access_key = self-secret-0123456789\n"
            "[profile loop1]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop2\n"
            "[profile loop2]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop1\n"
            "[profile envsrc]\nrole_arn = arn:aws:iam::444444444444:role/env\ncredential_source = Environment\n"
            "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\ncredential_source = Environment\n");
  Env env = Clean(dir);
  AwsCredentialOptions o{.http = Client(), .sts_endpoint = sts.url(), .getenv = Lookup(env)};

  o.profile = "hop2";
  auto p = DefaultCredentials(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIA2");
  auto reqs = sts.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(SignedBy(reqs[0]), "AKIABASE");   // hop1 with the base keys
  EXPECT_EQ(FormValue(reqs[0].body, "RoleArn"), PercentEncode("arn:aws:iam::111111111111:role/one"));
  EXPECT_EQ(SignedBy(reqs[1]), "ASIA1");      // hop2 with hop1's credentials
  EXPECT_EQ(reqs[1].headers.at("X-Amz-Security-Token"), "fake-sts-token-1-abcdefgh");
  EXPECT_EQ(FormValue(reqs[1].body, "RoleSessionName"), "my-session");
  EXPECT_EQ(FormValue(reqs[1].body, "ExternalId"), "xyz");
  EXPECT_EQ(FormValue(reqs[1].body, "DurationSeconds"), "1200");

  o.profile = "self";
  ASSERT_TRUE(DefaultCredentials(o).ok());
  EXPECT_EQ(SignedBy(sts.requests().back()), "AKIASELF");

  o.profile = "loop1";
  auto loop = DefaultCredentials(o);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("loops back to it (loop1 -> loop2 -> loop1)"), std::string::npos)
      << loop.status().message();

  o.profile = "both";
  auto both = DefaultCredentials(o);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("exactly one of"), std::string::npos);

  o.profile = "envsrc";
  env["AWS_ACCESS_KEY_ID"] = "AKIAENVSRC";
  env["AWS_SECRET_ACCESS_KEY"] = "envsrc-secret-0123456789";
  o.getenv = Lookup(env);
  ASSERT_TRUE(DefaultCredentials(o).ok());
  EXPECT_EQ(SignedBy(sts.requests().back()), "AKIAENVSRC");
}

TEST(AwsCredentials, FakeStsWebIdentityFromEnvironment) {
  FakeSts sts;
  TempDir dir;
  Env env = Clean(dir);
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = dir.Write("token", "eyJhbGciOiJSUzI1NiJ9.web-identity-token\n");
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/irsa";
  env["AWS_ROLE_SESSION_NAME"] = "pod-1";
  auto p = DefaultCredentials({.http = Client(), .sts_endpoint = sts.url(), .getenv = Lookup(env)});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIA1");
  auto r = sts.requests().at(0);
  EXPECT_EQ(FormValue(r.body, "Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(FormValue(r.body, "WebIdentityToken"), PercentEncode("eyJhbGciOiJSUzI1NiJ9.web-identity-token"));
  EXPECT_EQ(FormValue(r.body, "RoleSessionName"), "pod-1");
  EXPECT_EQ(r.headers.count("Authorization"), 0u);   // unsigned

  env.erase("AWS_ROLE_ARN");
  auto half = DefaultCredentials({.http = Client(), .sts_endpoint = sts.url(), .getenv = Lookup(env)});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("AWS_ROLE_ARN is not set"), std::string::npos);
}

// A fake of the ECS container credentials endpoint (ECS Developer Guide
// format): answers only with the right Authorization.
TEST(AwsCredentials, FakeContainerEndpoint) {
  std::mutex mu;
  std::vector<ServerRequest> seen;
  HttpTestServer ecs([&](const ServerRequest& r) -> ServerReply {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(r);
    if (!r.headers.count("Authorization") || r.headers.at("Authorization") != "ecs-auth-token-0123456789")
      return {.status = 401, .body = "{}"};
    return {.status = 200,
            .body = R"({"AccessKeyId":"ASIAECS","SecretAccessKey":"ecs-secret-0123456789","Token":"ecs-token-0123456789",)"
                    R"("Expiration":"2099-01-01T00:00:00Z","RoleArn":"arn:aws:iam::1:role/task"})"};
  });
  TempDir dir;
  Env env = Clean(dir);
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = ecs.url() + "/v2/credentials/abc";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir.Write("auth", "ecs-auth-token-0123456789\n");
  auto p = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto c = (*p)->Get();
  EXPECT_EQ(c->access_key_id, "ASIAECS");
  EXPECT_EQ(c->session_token, "ecs-token-0123456789");
  EXPECT_EQ(seen.at(0).target, "/v2/credentials/abc");

  // RELATIVE_URI against the (overridden) agent address, token from the variable.
  env.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  env.erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/rel";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token-0123456789";
  auto wrong = DefaultCredentials({.getenv = Lookup(env), .ecs_endpoint = ecs.url()});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("answered HTTP 401"), std::string::npos) << wrong.status().message();
  EXPECT_EQ(seen.back().target, "/v2/credentials/rel");

  env.erase("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  auto remote = DefaultCredentials({.getenv = Lookup(env)});
  ASSERT_FALSE(remote.ok());
  EXPECT_NE(remote.status().message().find("plain http is allowed only"), std::string::npos);
}

// A fake of EC2's instance metadata service, IMDSv2 (EC2 User Guide format):
// a session token from PUT /latest/api/token is required on every GET.
class FakeImds {
 public:
  explicit FakeImds(std::string role)
      : role_(std::move(role)), server_([this](const ServerRequest& r) { return Answer(r); }) {}
  std::string url() const { return server_.url(); }
  std::atomic<int> credential_gets{0};

 private:
  ServerReply Answer(const ServerRequest& r) {
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (!r.headers.count("X-aws-ec2-metadata-token-ttl-seconds")) return {.status = 400};
      return {.status = 200, .body = "imds-session-token-0123456789"};
    }
    if (!r.headers.count("X-aws-ec2-metadata-token") ||
        r.headers.at("X-aws-ec2-metadata-token") != "imds-session-token-0123456789")
      return {.status = 401};
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return role_.empty() ? ServerReply{.status = 404} : ServerReply{.status = 200, .body = role_};
    if (r.target == "/latest/meta-data/iam/security-credentials/" + role_) {
      int n = ++credential_gets;
      return {.status = 200,
              .body = "{\"Code\":\"Success\",\"LastUpdated\":\"2026-12-06T11:00:00Z\",\"Type\":\"AWS-HMAC\","
                      "\"AccessKeyId\":\"ASIAIMDS" + std::to_string(n) +
                      "\",\"SecretAccessKey\":\"imds-secret-0123456789\",\"Token\":\"imds-token-0123456789\","
                      "\"Expiration\":\"2026-12-06T12:00:00Z\"}"};
    }
    return {.status = 404};
  }
  std::string role_;
  HttpTestServer server_;
};

TEST(AwsCredentials, FakeInstanceMetadataV2AndRefresh) {
  FakeImds imds("ferry-instance-role");
  TempDir dir;
  Env env = Clean(dir);
  env.erase("AWS_EC2_METADATA_DISABLED");
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796556000));   // 11:20, expiry 12:00
  auto p = DefaultCredentials({.getenv = Lookup(env), .imds_endpoint = imds.url(), .clock = [&] { return now; }});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS1");
  EXPECT_EQ((*p)->Describe(), "EC2 instance metadata at " + imds.url());
  now += 30min;   // 10 min left: kept
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS1");
  now += 6min;    // 4 min left: refreshed
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS2");

  // AWS_EC2_METADATA_SERVICE_ENDPOINT names the endpoint too.
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url() + "/";
  auto by_env = DefaultCredentials({.getenv = Lookup(env), .clock = [&] { return now; }});
  ASSERT_TRUE(by_env.ok()) << by_env.status().ToString();
}

TEST(AwsCredentials, FakeInstanceMetadataWithoutRoleOrAnswerIsNotApplicable) {
  FakeImds no_role("");
  TempDir dir;
  Env env = Clean(dir);
  env.erase("AWS_EC2_METADATA_DISABLED");
  auto p = DefaultCredentials({.getenv = Lookup(env), .imds_endpoint = no_role.url()});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("EC2 instance metadata: EC2 instance metadata at " + no_role.url() +
                                      ": the instance has no IAM role"),
            std::string::npos)
      << p.status().message();
  // Nothing listening.
  int port;
  { HttpTestServer gone([](const ServerRequest&) { return ServerReply{}; }); port = gone.port(); }
  auto q = DefaultCredentials({.getenv = Lookup(env), .imds_endpoint = "http://127.0.0.1:" + std::to_string(port)});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("did not answer"), std::string::npos) << q.status().message();
}

// Roles whose base credentials come from a credential_source or a web
// identity token named in the profile.
TEST(AwsCredentials, FakeStsProfileWithInstanceMetadataSourceAndWebIdentity) {
  FakeSts sts;
  FakeImds imds("instance-role");
  TempDir dir;
  std::string token = dir.Write("oidc-token", "profile-web-identity-token-0123456789");
  dir.Write(".aws/config",
            "[profile fromimds]\nrole_arn = arn:aws:iam::555555555555:role/from-imds\n"
            "credential_source = Ec2InstanceMetadata\n"
            "[profile web]\nrole_arn = arn:aws:iam::666666666666:role/web\nweb_identity_token_file = " + token + "\n"
            "role_session_name = web-session\n"
            "[profile badsource]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Somewhere\n");
  Env env = Clean(dir);
  AwsCredentialOptions o{.profile = "fromimds", .http = Client(), .sts_endpoint = sts.url(), .getenv = Lookup(env),
                         .imds_endpoint = imds.url()};
  auto p = DefaultCredentials(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(SignedBy(sts.requests().back()), "ASIAIMDS1");
  EXPECT_EQ(sts.requests().back().headers.at("X-Amz-Security-Token"), "imds-token-0123456789");

  o.profile = "web";
  p = DefaultCredentials(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = sts.requests().back();
  EXPECT_EQ(FormValue(r.body, "Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(FormValue(r.body, "WebIdentityToken"), "profile-web-identity-token-0123456789");
  EXPECT_EQ(FormValue(r.body, "RoleSessionName"), "web-session");

  o.profile = "badsource";
  p = DefaultCredentials(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("credential_source \"Somewhere\" is none of"), std::string::npos);
}

// A FAKE of the SSO Portal API's GetRoleCredentials (its documented wire
// format): GET /federation/credentials?account_id=&role_name= with the token
// in x-amz-sso_bearer_token; 401 UnauthorizedException for another token.
class FakeSsoPortal {
 public:
  explicit FakeSsoPortal(std::string token)
      : token_(std::move(token)), server_([this](const ServerRequest& r) { return Answer(r); }) {}
  std::string url() const { return server_.url(); }
  std::vector<ServerRequest> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  int64_t expiration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              (std::chrono::system_clock::now() + 1h).time_since_epoch())
                              .count();

 private:
  ServerReply Answer(const ServerRequest& r) {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(r);
    ServerReply out;
    out.headers["Content-Type"] = "application/json";
    if (r.method != "GET" || r.target.rfind("/federation/credentials?", 0) != 0) {
      out.status = 404;
      return out;
    }
    auto it = r.headers.find("x-amz-sso_bearer_token");
    if (it == r.headers.end() || it->second != token_) {
      out.status = 401;
      out.headers["x-amzn-ErrorType"] = "UnauthorizedException";
      out.body = R"({"message":"Session token not found or invalid"})";
      return out;
    }
    out.body = R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"sso-secret-0123456789",)"
               R"("sessionToken":"sso-session-token-0123456789","expiration":)" +
               std::to_string(expiration_ms) + "}}";
    return out;
  }
  std::string token_;
  std::mutex mu_;
  std::vector<ServerRequest> requests_;
  HttpTestServer server_;
};

TEST(AwsCredentials, FakeSsoPortalSessionAndLegacyProfiles) {
  TempDir dir;
  FakeSsoPortal portal("sso-access-token-0123456789");
  dir.Write(".aws/config",
            "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
            "[sso-session my-sso]\nsso_start_url = https://d-90670ca891.awsapps.com/start\nsso_region = eu-west-1\n"
            "[profile legacy]\nsso_start_url = https://d-90670ca891.awsapps.com/start\nsso_region = us-east-1\n"
            "sso_account_id = 444455556666\nsso_role_name = Admin\n"
            "[profile norole]\nsso_session = my-sso\nsso_account_id = 111122223333\n"
            "[profile nosession]\nsso_session = absent\nsso_account_id = 1\nsso_role_name = R\n");
  const std::string future = "2099-01-01T00:00:00Z";
  // Cache files named by the SHA-1 of the session name and of the start URL
  // (hex digests computed with sha1sum).
  const std::string by_session = ".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json";
  const std::string by_url = ".aws/sso/cache/440b9063ae86fbadcfd28aafa71a9d5b13341467.json";
  EXPECT_EQ(SsoCacheFile(dir.path() + "/.aws/sso/cache", "my-sso"), dir.File(by_session));
  Env env = Clean(dir);
  AwsCredentialOptions o{.profile = "dev", .getenv = Lookup(env), .sso_endpoint = portal.url()};

  // No token cached yet: say how to log in.
  auto none = DefaultCredentials(o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("aws sso login --sso-session my-sso"), std::string::npos)
      << none.status().message();

  dir.Write(by_session, R"({"startUrl":"https://d-90670ca891.awsapps.com/start","region":"eu-west-1",)"
                        R"("accessToken":"sso-access-token-0123456789","expiresAt":")" + future + R"("})");
  auto dev = DefaultCredentials(o);
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  auto c = (*dev)->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIASSO");
  EXPECT_EQ(c->session_token, "sso-session-token-0123456789");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(c->expires->time_since_epoch()).count(),
            portal.expiration_ms);
  auto reqs = portal.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().target, "/federation/credentials?account_id=111122223333&role_name=ReadOnly");
  EXPECT_EQ(Redact("t sso-access-token-0123456789"), "t ***");
  EXPECT_EQ(Redact("s sso-secret-0123456789"), "s ***");

  // A legacy profile: the cache file is named by the start URL; the AWS CLI
  // v1's "UTC" suffix is read.
  dir.Write(by_url, R"({"accessToken":"sso-access-token-0123456789","expiresAt":"2099-01-01T00:00:00UTC"})");
  o.profile = "legacy";
  auto legacy = DefaultCredentials(o);
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_EQ(portal.requests().back().target, "/federation/credentials?account_id=444455556666&role_name=Admin");

  // An expired token, a token the portal refuses, and incomplete profiles:
  // errors naming the profile and what to do, never the token.
  dir.Write(by_session, R"({"accessToken":"sso-access-token-0123456789","expiresAt":"2020-01-01T00:00:00Z"})");
  o.profile = "dev";
  auto expired = DefaultCredentials(o);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.status().message().find("expired at 2020-01-01T00:00:00Z"), std::string::npos)
      << expired.status().message();
  dir.Write(by_session, R"({"accessToken":"revoked-token-0123456789","expiresAt":")" + future + R"("})");
  auto refused = DefaultCredentials(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("UnauthorizedException"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("aws sso login"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("revoked-token-0123456789"), std::string::npos);
  o.profile = "norole";
  auto norole = DefaultCredentials(o);
  ASSERT_FALSE(norole.ok());
  EXPECT_NE(norole.status().message().find("needs sso_role_name"), std::string::npos) << norole.status().message();
  o.profile = "nosession";
  auto nosession = DefaultCredentials(o);
  ASSERT_FALSE(nosession.ok());
  EXPECT_NE(nosession.status().message().find("no [sso-session absent] section"), std::string::npos)
      << nosession.status().message();
}

TEST(AwsCredentials, SecretsAreRegisteredForRedaction) {
  TempDir dir;
  dir.Write(".aws/credentials",
            "[default]\naws_access_key_id = AKIAREDACT\naws_secret_access_key = file-secret-redact-me-0123456789\n");
  auto p = DefaultCredentials({.getenv = Lookup(Clean(dir))});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Redact("leaked file-secret-redact-me-0123456789 here"), "leaked *** here");
  FakeImds imds("r");
  ASSERT_TRUE(internal::FetchInstanceCredentials(*Client(), imds.url()).ok());
  EXPECT_EQ(Redact("token imds-token-0123456789"), "token ***");
  EXPECT_EQ(Redact("session imds-session-token-0123456789"), "session ***");
}

TEST(AwsCredentials, CredentialProcessOutputParsing) {
  auto c = ParseCredentialProcessOutput(
      R"({"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s-0123456789","SessionToken":"t","Expiration":"2026-12-06T12:00:00.5Z"})",
      "credential_process of profile x");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->expires.has_value());
  auto no_secret = ParseCredentialProcessOutput(R"({"Version":1,"AccessKeyId":"AKIA"})", "cp");
  EXPECT_FALSE(no_secret.ok());
  auto bad_time = ParseCredentialProcessOutput(
      R"({"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s","Expiration":"tomorrow"})", "cp");
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("\"tomorrow\""), std::string::npos);
}

}  // namespace
}  // namespace ferry::http::aws
