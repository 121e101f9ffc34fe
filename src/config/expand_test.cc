#include "config/expand.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/redact.h"

namespace ferry::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ExpandOptions FakeEnv(std::map<std::string, std::string> vars) {
  ExpandOptions o;
  o.lookup_env = [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  o.now = std::chrono::system_clock::time_point(std::chrono::seconds(1706696430));  // 2024-01-31T10:20:30Z
  return o;
}

TEST(ExpandTest, EnvironmentVariables) {
  auto o = FakeEnv({{"HOST", "db.internal"}, {"PORT", "5432"}});
  auto r = ExpandVariables("postgres://${HOST}:${PORT}/x", "c.yml:3:5", "dsn", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "postgres://db.internal:5432/x");
}

TEST(ExpandTest, ProcessEnvironmentByDefault) {
  ::setenv("FERRY_EXPAND_TEST_VAR", "from-the-process", 1);
  auto r = ExpandVariables("${FERRY_EXPAND_TEST_VAR}", "", "k");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "from-the-process");
}

TEST(ExpandTest, UnsetVariableIsAnErrorNamingKeyAndPlace) {
  auto r = ExpandVariables("x${NOPE}y", "config.yml:9:24", "connection_string", FakeEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "config.yml:9:24: environment variable NOPE is not set (used in key \"connection_string\")");
}

TEST(ExpandTest, ValuesAreRegisteredAsSecrets) {
  auto r = ExpandVariables("${PW}", "", "password", FakeEnv({{"PW", "expand-test-pw-1"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Redact("password is expand-test-pw-1"), "password is ***");
}

TEST(ExpandTest, ShortNumbersAndBooleansAreNotSecrets) {
  std::size_t before = RegisteredSecretCount();
  auto o = FakeEnv({{"DB_PASSWORD_PORT", "5432"}, {"API_TOKEN_ON", "true"}, {"DB_PASSWORD", "1234567"}});
  ASSERT_TRUE(ExpandVariables("${DB_PASSWORD_PORT} ${API_TOKEN_ON}", "", "password", o).ok());
  EXPECT_EQ(RegisteredSecretCount(), before);
  EXPECT_EQ(Redact("port 5432 is true"), "port 5432 is true");
  ASSERT_TRUE(ExpandVariables("${DB_PASSWORD}", "", "k", o).ok());
  EXPECT_EQ(Redact("pin 1234567"), "pin ***");
}

// Issue #13 item 6: only secrets are masked; counts, names and paths from
// the environment are printed as they are.
TEST(ExpandTest, OnlySecretLookingVariablesAndKeysAreSecrets) {
  auto o = FakeEnv({{"ROWS", "1000000"}, {"NEO4J_USERNAME", "neo4j-user"}, {"OUT_DIR", "/var/lib/ferry-out"},
                    {"PGPASSWORD", "pgsecret9"}, {"SOME_VALUE", "value-in-a-secret-key"}});
  const std::size_t before = RegisteredSecretCount();
  ASSERT_TRUE(ExpandVariables("${ROWS}", "", "num_rows", o).ok());
  ASSERT_TRUE(ExpandVariables("${NEO4J_USERNAME}", "", "username", o).ok());
  ASSERT_TRUE(ExpandVariables("${OUT_DIR}", "", "directory", o).ok());
  EXPECT_EQ(RegisteredSecretCount(), before);
  EXPECT_EQ(Redact("TOTAL 1000000 rows by neo4j-user in /var/lib/ferry-out"),
            "TOTAL 1000000 rows by neo4j-user in /var/lib/ferry-out");
  ASSERT_TRUE(ExpandVariables("${PGPASSWORD}", "", "k", o).ok());
  ASSERT_TRUE(ExpandVariables("${SOME_VALUE}", "", "api_key", o).ok());
  EXPECT_EQ(Redact("value-in-a-secret-key"), "***");
  // A secret is masked as a whole token, never inside another word.
  EXPECT_EQ(Redact("{\"destination_name\":\"pgsecret9ql\"} password pgsecret9"),
            "{\"destination_name\":\"pgsecret9ql\"} password ***");
}

TEST(ExpandTest, UnclosedAndEmptyAreLeftAlone) {
  auto o = FakeEnv({});
  EXPECT_EQ(*ExpandVariables("cost: ${", "", "k", o), "cost: ${");
  EXPECT_EQ(*ExpandVariables("${}", "", "k", o), "${}");
  EXPECT_EQ(*ExpandVariables("$HOME and {x}", "", "k", o), "$HOME and {x}");
  EXPECT_EQ(*ExpandVariables("@@plugins.pg.connection", "", "k", o), "@@plugins.pg.connection");
  EXPECT_FALSE(HasVariables("${"));
  EXPECT_FALSE(HasVariables("${}"));
  EXPECT_TRUE(HasVariables("a ${}${B}"));
}

TEST(ExpandTest, InsertedTextIsNotExpandedAgain) {
  auto r = ExpandVariables("${A}", "", "k", FakeEnv({{"A", "${B}"}, {"B", "no"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "${B}");
}

class FileExpandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry_expand_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    old_cwd_ = std::filesystem::current_path();
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_, old_cwd_;
};

TEST_F(FileExpandTest, InlinesFileContentVerbatim) {
  std::string key = "-----BEGIN KEY-----\nfile-expand-secret-line\n\"quoted\": {json}\n-----END KEY-----\n";
  std::string path = Write("key.pem", key);
  auto r = ExpandVariables("${file:" + path + "}", "c.yml:1:1", "private_key");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, key);
  EXPECT_EQ(Redact(key), "***");
  // The trimmed value (what a plugin usually uses) is a secret too.
  EXPECT_EQ(Redact("[" + key.substr(0, key.size() - 1) + "]"), "[***]");
}

TEST_F(FileExpandTest, RelativePathsResolveAgainstTheWorkingDirectory) {
  Write("token.txt", "file-expand-token-2");
  std::filesystem::current_path(dir_);
  auto r = ExpandVariables("Bearer ${file:./token.txt}", "c.yml:1:1", "header");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "Bearer file-expand-token-2");
}

TEST_F(FileExpandTest, MissingFileIsAnError) {
  std::filesystem::current_path(dir_);
  auto r = ExpandVariables("${file:missing.txt}", "config.yml:4:7", "password");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("config.yml:4:7: cannot read file \"missing.txt\" for "
                                              "${file:missing.txt} (used in key \"password\"): "));
  EXPECT_THAT(r.status().message(), HasSubstr("No such file"));
  EXPECT_THAT(r.status().message(), HasSubstr("relative paths resolve against the current directory"));
  auto d = ExpandVariables("${file:" + dir_.string() + "}", "", "k");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("it is a directory"));
}

TEST(ExpandTimeTest, TimeExpressions) {
  auto o = FakeEnv({});
  EXPECT_EQ(*ExpandVariables("${time:now}", "", "k", o), "2024-01-31T10:20:30Z");
  EXPECT_EQ(*ExpandVariables("since ${time:2 days ago|2006-01-02}", "", "k", o), "since 2024-01-29");
  auto bad = ExpandVariables("${time:someday}", "c.yml:2:3", "start", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("c.yml:2:3: cannot expand ${time:someday} (used in key \"start\")"));
}

TEST(ExpandTimeTest, TimesAreNotSecrets) {
  std::size_t before = RegisteredSecretCount();
  auto r = ExpandVariables("${time:2020-01-01}", "", "k", FakeEnv({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(RegisteredSecretCount(), before);
  EXPECT_THAT(Redact(*r), Not(HasSubstr("***")));
}

}  // namespace
}  // namespace ferry::config
