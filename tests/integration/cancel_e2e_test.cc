// Ctrl-C and SIGTERM in the middle of an overwrite-delete-stale sync, with the
// real `ferry` binary, into SQLite and into a real PostgreSQL: the exit code
// is non-zero, no table loses its stale rows (not even one that finished
// before the signal), no cursor moves past rows that were not written, and
// the summary says all of it.
//
// The first sync writes 5 rows per client; the second (2 rows per client,
// one (table, client) pair at a time, 1.5 s before each) is signalled once
// test_some_table's new rows are in the destination, so that table has
// finished while test_paid_table and test_incremental_table have not.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {
namespace pgt = ::ferry::plugins::postgresql::testing;

struct Target {
  std::string name;        // "sqlite" or "postgresql"
  int signal;
};
std::string PrintTarget(const ::testing::TestParamInfo<Target>& i) {
  return i.param.name + (i.param.signal == SIGINT ? "_SIGINT" : "_SIGTERM");
}

class CancelE2E : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    if (GetParam().name == "postgresql") {
      const std::string ns = "cancel_" + PrintTarget({GetParam(), 0}) + "_" + std::to_string(getpid());
      auto conn = pgt::FreshDatabase(ns);
      ASSERT_TRUE(conn.ok()) << conn.status().ToString();
      conn_ = *conn;
      pg_db_ = pgt::DatabaseName(ns);
    } else {
      conn_ = dir_.File("db.sqlite");
    }
  }

  std::string Spec(int rows, int incremental_rows, const std::string& delay) const {
    const std::string& d = GetParam().name;
    return R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v1.0.0
  tables: [test_some_table, test_paid_table, test_incremental_table]
  skip_tables: [test_sub_table]
  destinations: [)" + d + R"(]
  backend_options:
    table_name: cq_state_test
    connection: "@@plugins.)" + d + R"(.connection"
  spec:
    num_clients: 2
    num_rows: )" + std::to_string(rows) + R"(
    incremental_rows: )" + std::to_string(incremental_rows) + R"(
    concurrency: 1
    resolve_delay: )" + delay + R"(
---
kind: destination
spec:
  name: )" + d + R"(
  path: cloudquery/)" + d + R"(
  version: v1.0.0
  write_mode: overwrite-delete-stale
  spec:
    connection_string: ")" + conn_ + R"("
    batch_timeout: 50ms
)";
  }

  int64_t Count(const std::string& table, const std::string& where = "") {
    if (GetParam().name == "sqlite") return SqliteCount(conn_, table, where);
    auto r = pgt::AdminQuery(pg_db_, "SELECT count(*) FROM " + table +
                                                         (where.empty() ? "" : " WHERE " + where));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && !r->empty() ? std::stoll(*r) : -1;
  }
  // Every cursor of the state table, "key=value;..." in key order.
  std::string Cursors() {
    const std::string agg = GetParam().name == "sqlite" ? "group_concat(kv, ';')" : "string_agg(kv, ';')";
    const std::string sql = "SELECT " + agg + " FROM (SELECT key || '=' || value AS kv FROM cq_state_test ORDER BY key) s";
    if (GetParam().name == "sqlite") {
      auto v = SqliteQuery(conn_, sql);
      return v.empty() ? "" : v[0];
    }
    auto r = pgt::AdminQuery(pg_db_, sql);
    return r.ok() ? *r : "error: " + r.status().ToString();
  }

  TempDir dir_;
  std::string conn_, pg_db_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_P(CancelE2E, SignalMidSyncKeepsEveryStaleRowAndSaysSo) {
  const std::string first = dir_.Write("first.yml", Spec(5, 100, "0s"));
  auto r = RunFerry({"sync", first, "--no-progress"}, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(Count("test_some_table"), 10);
  ASSERT_EQ(Count("test_paid_table"), 10);
  ASSERT_EQ(Count("test_incremental_table"), 200);
  const std::string cursor_before = Cursors();
  ASSERT_NE(cursor_before.find("=100"), std::string::npos) << cursor_before;

  const std::string second = dir_.Write("second.yml", Spec(2, 300, "1500ms"));
  const std::string out = dir_.File("out.txt"), err = dir_.File("err.txt");
  const int pid = StartFerryTo({"sync", second, "--no-progress"}, dir_.path(), out, err);
  ASSERT_GT(pid, 0);
  // Wait until test_some_table's two clients are written: 4 rows newer than
  // the first sync's (the first sync's rows all share one older time).
  const std::string newer = "_cq_sync_time > (SELECT min(_cq_sync_time) FROM test_paid_table)";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Count("test_some_table", newer) < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(Count("test_some_table", newer), 4) << "the second sync did not reach test_some_table in 30 s";
  ASSERT_EQ(kill(pid, GetParam().signal), 0);
  const int code = WaitFerry(pid);
  const std::string text = ReadFile(out) + ReadFile(err);
  const std::string sig = GetParam().signal == SIGINT ? "SIGINT" : "SIGTERM";

  EXPECT_EQ(code, 1) << text;
  EXPECT_NE(text.find("sync cancelled (" + sig + ")"), std::string::npos) << text;
  // The table that finished before the signal keeps its stale rows too.
  EXPECT_EQ(Count("test_some_table"), 10) << text;
  EXPECT_NE(text.find("test_paid_table, test_some_table: stale rows kept: the sync was cancelled (" + sig + ")"),
            std::string::npos)
      << text;
  EXPECT_EQ(Count("test_paid_table"), 10) << text;
  // The incremental table had not started: its rows and cursors are the first sync's.
  EXPECT_EQ(Count("test_incremental_table"), 200);
  EXPECT_EQ(Cursors(), cursor_before);
  EXPECT_EQ(text.find("Sync completed successfully"), std::string::npos) << text;

  // A full run afterwards completes the data and deletes the stale rows.
  const std::string third = dir_.Write("third.yml", Spec(2, 300, "0s"));
  r = RunFerry({"sync", third, "--no-progress"}, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Count("test_some_table"), 4);
  EXPECT_EQ(Count("test_paid_table"), 4);
  EXPECT_EQ(Count("test_incremental_table"), 600);
}

INSTANTIATE_TEST_SUITE_P(Destinations, CancelE2E,
                         ::testing::Values(Target{"sqlite", SIGINT}, Target{"sqlite", SIGTERM},
                                           Target{"postgresql", SIGINT}, Target{"postgresql", SIGTERM}),
                         PrintTarget);

}  // namespace
}  // namespace ferry::testing
