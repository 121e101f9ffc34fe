// Secrets end to end (issue #13 items 4-6) with the real `ferry` binary:
// values from ${file:} and long ${ENV} values are never quoted, not even in
// part; a bad percent-escape in a PostgreSQL password does not leak through
// libpq's error; and values that are not secrets (counts, names) are printed
// as they are.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {

std::string Spec(const std::string& dest_spec, const std::string& source_extra = "", const std::string& path = "cloudquery/sqlite") {
  return R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v1.0.0
  tables: [test_paid_table]
  destinations: [mydb_primary]
  spec:
    num_rows: 2
)" + source_extra + R"(---
kind: destination
spec:
  name: mydb_primary
  path: )" + path + R"(
  version: v1.0.0
  spec:
)" + dest_spec;
}

// No run of `n` characters of `secret` appears in `text`.
::testing::AssertionResult NoPieceOf(const std::string& secret, const std::string& text, size_t n = 8) {
  for (size_t i = 0; i + n <= secret.size(); ++i)
    if (text.find(secret.substr(i, n)) != std::string::npos)
      return ::testing::AssertionFailure() << "found \"" << secret.substr(i, n) << "\" in:\n" << text;
  return ::testing::AssertionSuccess();
}

std::string LongSecret(char seed) {
  std::string s;
  for (int i = 0; i < 200; ++i) s += static_cast<char>('a' + (seed + i * 7) % 26);
  return s;
}

TEST(SecretsE2E, FileValueIsNeverQuotedNotEvenInPart) {
  TempDir dir;
  const std::string secret = "root:$6$" + LongSecret(3) + ":19000:0:99999:7:::\n";
  dir.Write("shadow", secret);
  auto r = RunFerry({"sync", dir.Write("s.yml", Spec("    connection_string: db.sqlite\n    journal_mode: "
                                                     "${file:" + dir.File("shadow") + "}\n"))},
                    dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("journal_mode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the value from ${file:"), std::string::npos) << r.err;
  EXPECT_TRUE(NoPieceOf(secret, r.out + r.err));
}

TEST(SecretsE2E, LongEnvironmentValueIsNeverQuotedNotEvenInPart) {
  TempDir dir;
  const std::string secret = LongSecret(11);
  auto r = RunFerry({"sync", dir.Write("s.yml", Spec("    connection_string: db.sqlite\n    journal_mode: ${MODE}\n"))},
                    dir.path(), {"MODE=" + secret});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("the value from ${MODE}"), std::string::npos) << r.err;
  EXPECT_TRUE(NoPieceOf(secret, r.out + r.err));
}

TEST(SecretsE2E, PostgresPasswordWithABadEscapeDoesNotLeak) {
  TempDir dir;
  const std::string pw = "Sup3rS%zzecretPw";
  for (const std::string conn : {"postgres://ferry:" + pw + "@127.0.0.1:1/db", std::string("${PG_URL}")}) {
    auto r = RunFerry({"sync", dir.Write("s.yml", Spec("    connection_string: \"" + conn + "\"\n", "",
                                                       "cloudquery/postgresql"))},
                      dir.path(), {"PG_URL=postgres://ferry:" + pw + "@127.0.0.1:1/db"});
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("percent"), std::string::npos) << "libpq's reason stays: " << r.err;
    EXPECT_TRUE(NoPieceOf(pw, r.out + r.err, 5)) << conn;
  }
}

TEST(SecretsE2E, CountsAndNamesFromTheEnvironmentArePrintedAsTheyAre) {
  TempDir dir;
  const std::string summary = dir.File("summary.jsonl");
  // DB_PASSWORD=mydb is a secret (its name says so); the destination is
  // called mydb_primary and must not become ***_primary.
  auto r = RunFerry({"sync", "--summary-location", summary,
                     dir.Write("s.yml", Spec("    connection_string: db.sqlite\n",
                                             "    required_env: [\"DB_PASSWORD=${DB_PASSWORD}\"]\n    num_clients: ${CLIENTS}\n"))},
                    dir.path(), {"DB_PASSWORD=mydb", "CLIENTS=3"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<std::string> lines = SqliteQuery(dir.File("db.sqlite"), "SELECT count(*) FROM test_paid_table");
  EXPECT_EQ(lines[0], "6");
  EXPECT_NE(r.out.find("mydb_primary"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("***"), std::string::npos) << r.out;
  // The summary file passes through redaction too: the name stays whole.
  std::ifstream f(summary);
  std::string line((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(line.find("\"destination_name\":\"mydb_primary\""), std::string::npos) << line;
  EXPECT_EQ(line.find("***"), std::string::npos) << line;
  // An unknown plugin named through the environment is named in the error.
  auto bad = RunFerry({"sync", dir.Write("b.yml", Spec("    x: 1\n", "", "${DEST_PLUGIN}"))}, dir.path(),
                      {"DEST_PLUGIN=cassandra"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("\"cassandra\""), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace ferry::testing
