// AssumeRole, and a role chained from a profile, against a real moto server
// (PyPI moto[server], an emulator of AWS's APIs; its STS answers
// AssumeRole for any role ARN and GetCallerIdentity for the credentials it
// issued). The requests are SigV4-signed by Ferry and routed by moto on the
// signature's credential scope, so a wrong signature shape fails here too.
//
// The server: $FERRY_MOTO_URL when set (eval "$(scripts/test-servers.sh start
// moto)"), else scripts/test-servers.sh's moto (plugins/source/aws/test-server.sh,
// branch moto). In a tree without that file the test skips, saying so.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <pugixml.hpp>

#include "ferry/http/aws_credentials.h"
#include "ferry/http/aws_error.h"
#include "ferry/http/aws_sigv4.h"
#include "testing/cli_runner.h"
#include "testing/peers.h"
#include "testing/plugin_util.h"
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

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
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

// A moto of our own (not the shared test server: switching IAM enforcement
// on would break the other tests using that one), on a free port, killed at
// scope exit.
class PrivateMoto {
 public:
  explicit PrivateMoto(const std::string& log) {
    std::string cache = std::getenv("FERRY_CACHE_DIR") ? std::getenv("FERRY_CACHE_DIR")
                                                         : std::string(std::getenv("HOME")) + "/.cache/ferry";
    std::string bin = cache + "/moto-5.2.6/venv/bin/moto_server";
    if (!std::filesystem::exists(bin)) {
      why_ = bin + " is missing (scripts/test-servers.sh install moto)";
      return;
    }
    port_ = testing::FreePort();
    std::vector<std::string> args = {bin, "-H", "127.0.0.1", "-p", std::to_string(port_)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      unsetenv("MOTO_ACCOUNT_ID");
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fd);
    setpgid(pid_, pid_);
  }
  ~PrivateMoto() {
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& why() const { return why_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string why_;
  int port_ = 0;
  pid_t pid_ = -1;
};

Result<Response> SignedQuery(HttpClient& http, const std::string& url, const std::string& service,
                             const std::string& body, const AwsCredentials& creds) {
  Request r{.method = "POST", .url = url + "/", .body = body};
  r.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
  r.headers["X-Ferry-Test"] = "  spaced \t  value  ";   // signed, canonicalised
  FERRY_RETURN_NOT_OK(SignV4(r, creds, {.region = "us-east-1", .service = service}));
  return http.Do(r);
}

// moto with IAM enforcement on checks every signature (EMULATORS.md): a
// request Ferry signs and libcurl sends must verify there, and a wrong
// secret must not.
TEST(AwsSigV4Moto, PrivateMotoVerifiesFerrysSignatures) {
  testing::TempDir dir;
  PrivateMoto moto(dir.File("moto.log"));
  FERRY_REQUIRE_PEER(moto.why());
  ClientOptions o;
  o.retry.max_retries = 0;
  auto http = std::shared_ptr<HttpClient>(HttpClient::Make(o).MoveValue());
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {   // moto takes a few seconds to import
    auto r = http->Do({.method = "GET", .url = moto.url() + "/moto-api/config"});
    up = r.ok() && r->status / 100 == 2;   // moto 5.2.6 answers 201
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "moto did not start: " << Slurp(dir.File("moto.log"));

  // Three requests pass unauthenticated (to make a user, its key and its
  // policy); every later one is checked.
  Request reset_req{.method = "POST", .url = moto.url() + "/moto-api/reset-auth", .body = "3"};
  reset_req.headers["Content-Type"] = "text/plain";   // moto reads the raw body
  auto reset = http->Do(reset_req);
  ASSERT_TRUE(reset.ok() && reset->status == 200) << (reset.ok() ? reset->body : reset.status().ToString());
  AwsCredentials setup{.access_key_id = "AKIAIOSFODNN7EXAMPLE", .secret_access_key = "setup-secret-0123456789"};
  auto user = SignedQuery(*http, moto.url(), "iam", "Action=CreateUser&UserName=ferry&Version=2010-05-08", setup);
  ASSERT_TRUE(user.ok() && user->status == 200) << (user.ok() ? user->body : user.status().ToString());
  auto key = SignedQuery(*http, moto.url(), "iam", "Action=CreateAccessKey&UserName=ferry&Version=2010-05-08", setup);
  ASSERT_TRUE(key.ok() && key->status == 200) << (key.ok() ? key->body : key.status().ToString());
  std::string policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","sts:GetCallerIdentity"],"Resource":"*"}]})";
  auto put = SignedQuery(*http, moto.url(), "iam",
                         "Action=PutUserPolicy&UserName=ferry&PolicyName=p&Version=2010-05-08&PolicyDocument=" +
                             PercentEncode(policy),
                         setup);
  ASSERT_TRUE(put.ok() && put->status == 200) << (put.ok() ? put->body : put.status().ToString());
  pugi::xml_document doc;
  doc.load_buffer(key->body.data(), key->body.size());
  pugi::xml_node k = doc.child("CreateAccessKeyResponse").child("CreateAccessKeyResult").child("AccessKey");
  AwsCredentials ferry{.access_key_id = k.child("AccessKeyId").text().as_string(),
                       .secret_access_key = k.child("SecretAccessKey").text().as_string()};
  ASSERT_FALSE(ferry.access_key_id.empty()) << key->body;

  auto list = SignedQuery(*http, moto.url(), "iam", "Action=ListUsers&Version=2010-05-08&MaxItems=10", ferry);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->status, 200) << list->body;
  EXPECT_NE(list->body.find("<UserName>ferry</UserName>"), std::string::npos) << list->body;

  AwsCredentials wrong = ferry;
  wrong.secret_access_key = "not-the-secret-0123456789";
  auto denied = SignedQuery(*http, moto.url(), "iam", "Action=ListUsers&Version=2010-05-08", wrong);
  ASSERT_TRUE(denied.ok());
  EXPECT_NE(denied->status, 200) << denied->body;
  AwsError e = ParseAwsError(*denied);
  EXPECT_TRUE(e.code == "SignatureDoesNotMatch" || e.code == "AuthFailure") << e.ToString() << "\n" << denied->body;
}

}  // namespace
}  // namespace ferry::http::aws
