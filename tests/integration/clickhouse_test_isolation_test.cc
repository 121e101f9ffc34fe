// Test databases are per namespace AND per process (testing/test_servers.h):
// two processes running the same test against one server no longer share a
// database (rows twice, "already exists"). A run drops leftovers of its
// namespace from processes that ended, never a running process's database.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>

#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "testing/conformance_util.h"
#include "testing/test_servers.h"

namespace ferry::plugins::clickhouse {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The pid of a process that has ended (reaped), as a later run sees an
// earlier one's.
pid_t EndedPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

TEST(ClickHouseTestIsolation, NamesArePerProcessPlainIdentifiersAndStable) {
  const std::string a = ferry::testing::NamespaceDatabase("iso_names");
  EXPECT_EQ(a, ferry::testing::NamespaceDatabase("iso_names")) << "the same name for the life of the process";
  EXPECT_NE(a, ferry::testing::NamespaceDatabase("iso_names2"));
  const std::string prefix = ferry::testing::NamespaceDatabasePrefix("iso_names");
  ASSERT_EQ(a.compare(0, prefix.size(), prefix), 0) << a;
  EXPECT_EQ(a.substr(prefix.size(), a.find('_', prefix.size()) - prefix.size()), std::to_string(getpid())) << a;
  EXPECT_LE(a.size(), 46u) << a;
  for (char c : a) EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_') << a;
}

TEST(ClickHouseTestIsolation, LeftoversAreThoseOfEndedProcessesOnly) {
  const std::string ns = "iso_leftover";
  const std::string prefix = ferry::testing::NamespaceDatabasePrefix(ns);
  EXPECT_FALSE(ferry::testing::IsLeftoverDatabase(ns, ferry::testing::NamespaceDatabase(ns))) << "this process's own";
  EXPECT_TRUE(ferry::testing::IsLeftoverDatabase(ns, prefix.substr(0, prefix.size() - 1)))
      << "a name of the scheme without a process suffix";
  EXPECT_TRUE(ferry::testing::IsLeftoverDatabase(ns, prefix + std::to_string(EndedPid()) + "_0badcafe"));
  EXPECT_FALSE(ferry::testing::IsLeftoverDatabase(ns, prefix + std::to_string(getppid()) + "_0badcafe"))
      << "a running process's";
  // Another namespace's of an ended process too: killed runs of tests that
  // never run again must not pile up on a shared server.
  EXPECT_TRUE(ferry::testing::IsLeftoverDatabase("iso_other", prefix + std::to_string(EndedPid()) + "_0badcafe"));
  EXPECT_FALSE(ferry::testing::IsLeftoverDatabase("iso_other", prefix + std::to_string(getppid()) + "_0badcafe"));
  EXPECT_FALSE(ferry::testing::IsLeftoverDatabase(ns, prefix + "x_0badcafe"));
  EXPECT_FALSE(ferry::testing::IsLeftoverDatabase(ns, prefix + std::to_string(EndedPid()) + "_0badcafe_x"))
      << "not a name NamespaceDatabase makes";
  EXPECT_FALSE(ferry::testing::IsLeftoverDatabase(ns, "user_db_" + std::to_string(EndedPid()) + "_0badcafe"));
}

// Against the server: FreshDatabase drops leftovers of ended processes (of
// its namespace and of another), keeps a running process's, and creates this
// process's own.
TEST(ClickHouseTestIsolation, FreshDatabaseDropsEndedProcessesLeftoversOnly) {
  const std::string ns = "iso_fresh";
  const std::string prefix = ferry::testing::NamespaceDatabasePrefix(ns);
  const std::string ended = prefix + std::to_string(EndedPid()) + "_0badcafe";
  const std::string running = prefix + std::to_string(getppid()) + "_0badcafe";
  const std::string other_ns = ferry::testing::NamespaceDatabasePrefix("iso_fresh_other") +
                               std::to_string(EndedPid()) + "_0badcafe";
  for (const std::string& db : {ended, running, other_ns}) {
    FERRY_ASSERT_OK(testing::Admin("CREATE DATABASE IF NOT EXISTS " + QuoteIdent(db)).status());
  }
  auto url = testing::FreshDatabase(ns);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto exists = [](const std::string& db) {
    auto r = testing::Admin("SELECT count() FROM system.databases WHERE name = " + QuoteString(db) + " FORMAT TSV");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && Trim(*r) == "1";
  };
  EXPECT_FALSE(exists(ended)) << ended;
  EXPECT_FALSE(exists(other_ns)) << other_ns;
  EXPECT_TRUE(exists(running)) << running;
  EXPECT_TRUE(exists(testing::DatabaseName(ns)));
  FERRY_ASSERT_OK(testing::Admin("DROP DATABASE IF EXISTS " + QuoteIdent(running)).status());
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
