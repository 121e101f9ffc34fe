// Sharded syncs end to end (`ferry sync --shard N/T --shard-run ID`): the
// shards of a run together write exactly the rows of one unsharded run, and
// stale rows go only once every shard synced the table completely, by the
// last shard to finish (coordinated through the state backend; shard_run.h).
// SQLite here (shards in sequence); PostgreSQL with parallel shards is in
// tests/integration/shard_postgresql_test.cc.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {

struct ShardSpec {
  int clients = 5;
  int rows = 3;
  std::string write_mode = "overwrite-delete-stale";
  bool backend = true;
  std::string delay = "0s";
};

std::string Render(const ShardSpec& s) {
  std::string text = R"(kind: source
spec:
  name: inv
  path: cloudquery/test
  version: v1.0.0
  tables: [test_some_table, test_sub_table]
  destinations: [sqlite]
)";
  if (s.backend) text += "  backend_options:\n    table_name: cq_state_inv\n    connection: \"@@plugins.sqlite.connection\"\n";
  text += "  spec:\n    num_clients: " + std::to_string(s.clients) + "\n    num_rows: " + std::to_string(s.rows) +
          "\n    resolve_delay: " + s.delay + R"(
---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + s.write_mode + R"(
  spec:
    connection_string: ./a.sqlite
)";
  return text;
}

std::string Keys(const std::string& db) {
  auto rows = SqliteQuery(db, "SELECT group_concat(k, ' ') FROM (SELECT client_id || ':' || resource_id AS k "
                              "FROM test_some_table ORDER BY client_id, resource_id)");
  return rows.empty() ? "" : rows[0];
}

TEST(ShardE2E, ShardsOfARunWriteTheRowsOfOneRun) {
  TempDir one;
  ShardSpec s;
  std::string spec = one.Write("spec.yml", Render(s));
  auto r = RunFerry({"sync", spec, "--no-progress"}, one.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string want = Keys(one.path() + "/a.sqlite");
  ASSERT_EQ(SqliteCount(one.path() + "/a.sqlite", "test_some_table"), 15);
  for (int total : {1, 2, 4, 8}) {
    SCOPED_TRACE("T=" + std::to_string(total));
    TempDir dir;
    std::string sp = dir.Write("spec.yml", Render(s));
    for (int n = 1; n <= total; ++n) {
      auto sr = RunFerry({"sync", sp, "--no-progress", "--shard", std::to_string(n) + "/" + std::to_string(total),
                          "--shard-run", "run-a"},
                         dir.path());
      ASSERT_EQ(sr.exit_code, 0) << sr.out << sr.err;
    }
    const std::string db = dir.path() + "/a.sqlite";
    EXPECT_EQ(Keys(db), want);
    EXPECT_EQ(SqliteCount(db, "test_sub_table"), SqliteCount(one.path() + "/a.sqlite", "test_sub_table"));
  }
}

// The environment a Kubernetes Indexed Job gives its pods works as --shard.
TEST(ShardE2E, KubernetesIndexedJobEnvironment) {
  TempDir dir;
  ShardSpec s;
  std::string spec = dir.Write("spec.yml", Render(s));
  for (int index = 0; index < 3; ++index) {
    auto r = RunFerry({"sync", spec, "--no-progress"}, dir.path(),
                      {"JOB_COMPLETION_INDEX=" + std::to_string(index), "FERRY_SHARD_TOTAL=3", "FERRY_SHARD_RUN=job-uid-1"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // Not everything after the first pod: the pods split the work.
    if (index == 0) EXPECT_LT(SqliteCount(dir.path() + "/a.sqlite", "test_some_table"), 15);
  }
  EXPECT_EQ(SqliteCount(dir.path() + "/a.sqlite", "test_some_table"), 15);
}

// Stale rows of a run go only when every shard of it synced the table
// completely: not while a shard is missing (killed), not after a shard failed,
// and once the failed shard is re-run, exactly the rows of the new data stay.
TEST(ShardE2E, StaleRowsGoOnlyAfterEveryShardCompleted) {
  TempDir dir;
  const std::string db = dir.path() + "/a.sqlite";
  ShardSpec before{.clients = 4, .rows = 6};
  std::string first = dir.Write("first.yml", Render(before));
  ASSERT_EQ(RunFerry({"sync", first, "--no-progress"}, dir.path()).exit_code, 0);
  ASSERT_EQ(SqliteCount(db, "test_some_table"), 24);
  ASSERT_EQ(SqliteCount(db, "test_sub_table"), 60);

  // The next run sees less: 3 clients, 4 rows each.
  ShardSpec after{.clients = 3, .rows = 4};
  std::string spec = dir.Write("spec.yml", Render(after));
  ShardSpec slow = after;
  slow.delay = "3s";
  std::string slow_spec = dir.Write("slow.yml", Render(slow));

  // Shard 2/2 is killed (-9) mid-run.
  int pid = StartFerry({"sync", slow_spec, "--no-progress", "--shard", "2/2", "--shard-run", "r1"}, dir.path());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  // Shard 1/2 finishes: shard 2/2 has not, so nothing is deleted.
  auto one = RunFerry({"sync", spec, "--no-progress", "--shard", "1/2", "--shard-run", "r1"}, dir.path());
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_NE((one.out + one.err).find("shard 2/2 of run \"r1\" has not finished"), std::string::npos) << one.out << one.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 24);
  EXPECT_EQ(SqliteCount(db, "test_sub_table"), 60);

  // Shard 2/2 runs again but its table fails: still nothing is deleted.
  std::string text = Render(after);
  text.replace(text.find("    resolve_delay"), 0, "    fail_tables: [test_some_table]\n");
  std::string fail_spec = dir.Write("fail.yml", text);
  auto failed = RunFerry({"sync", fail_spec, "--no-progress", "--shard", "2/2", "--shard-run", "r1"}, dir.path());
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 24);
  EXPECT_EQ(SqliteCount(db, "test_sub_table"), 60);

  // Shard 2/2 completes the run: the last shard deletes, once, what is stale.
  auto two = RunFerry({"sync", spec, "--no-progress", "--shard", "2/2", "--shard-run", "r1"}, dir.path());
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 12);
  EXPECT_EQ(SqliteCount(db, "test_some_table", "client_id = 4 OR resource_id > 4"), 0);
  EXPECT_EQ(SqliteCount(db, "test_sub_table"), 40);
}

TEST(ShardE2E, BadShardsAreRefusedBeforeAnyDataMoves) {
  TempDir dir;
  ShardSpec s;
  std::string spec = dir.Write("spec.yml", Render(s));
  auto bad = RunFerry({"sync", spec, "--no-progress", "--shard", "3/2"}, dir.path());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE((bad.out + bad.err).find("--shard \"3/2\""), std::string::npos) << bad.out << bad.err;

  auto no_run = RunFerry({"sync", spec, "--no-progress", "--shard", "1/2"}, dir.path());
  EXPECT_NE(no_run.exit_code, 0);
  EXPECT_NE((no_run.out + no_run.err).find("--shard-run"), std::string::npos) << no_run.out << no_run.err;

  ShardSpec nb = s;
  nb.backend = false;
  std::string spec2 = dir.Write("nb.yml", Render(nb));
  auto no_backend = RunFerry({"sync", spec2, "--no-progress", "--shard", "1/2", "--shard-run", "x"}, dir.path());
  EXPECT_NE(no_backend.exit_code, 0);
  EXPECT_NE((no_backend.out + no_backend.err).find("backend_options"), std::string::npos) << no_backend.out << no_backend.err;
  for (const auto& t : SqliteTables(dir.path() + "/a.sqlite")) EXPECT_NE(t, "test_some_table");   // nothing was created
}

}  // namespace
}  // namespace ferry::testing
