// CloudQuery's own CLI (cli/v6, built from the Go module proxy by
// scripts/install-test-peers.sh into tests/peers/go/bin) running Ferry's
// integrations as its plugins (`registry: local`, the multi-call binary as
// ferry-source-test / ferry-destination-sqlite):
//  - the rows it writes equal those of Ferry's own sync of the same spec;
//  - Ferry's sqlite destination is the state backend of Ferry's source under
//    CloudQuery's CLI (`@@plugins.sqlite.connection`): a second sync fetches
//    nothing, and Ferry's own sync of the same database reads those cursors;
//  - `cloudquery sync --shard N/T` hands the shard to Ferry's source, which
//    syncs its part: the shards together give the rows of one run.
// Needs tests/peers/go/bin/cloudquery; without it the tests skip, unless
// FERRY_REQUIRE_PEERS=1, when they fail. CloudQuery's Go plugins are not
// served by the module proxy here (tests/peers/go/README.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "testing/cli_runner.h"
#include "testing/test_servers.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCqCli = fs::path(FERRY_SOURCE_DIR) / "tests" / "peers" / "go" / "bin" / "cloudquery";

#define REQUIRE_CQ_CLI()                                                                                   \
  do {                                                                                                     \
    if (!fs::exists(kCqCli)) {                                                                             \
      const char* req_ = std::getenv("FERRY_REQUIRE_PEERS");                                               \
      const std::string why_ = kCqCli.string() + " is missing: run scripts/install-test-peers.sh";          \
      if (req_ && std::string(req_) == "1") FAIL() << "FERRY_REQUIRE_PEERS=1: " << why_;                   \
      GTEST_SKIP() << why_;                                                                                \
    }                                                                                                      \
  } while (0)

// One spec, as CloudQuery's CLI runs it (plugins: local executables) or as
// Ferry runs it (built-ins). With more than one client the rows of
// test_sub_table of different clients share a primary key (as in CloudQuery's
// test plugin), so which client's extra_column_0 an upsert keeps depends on
// the order the clients finish: row-by-row comparisons use one client.
std::string Spec(bool cq, const std::string& db, int clients = 2) {
  const std::string src = cq ? "  registry: local\n  path: ./ferry-source-test\n" : "  path: cloudquery/test\n";
  const std::string dst = cq ? "  registry: local\n  path: ./ferry-destination-sqlite\n" : "  path: cloudquery/sqlite\n";
  return "kind: source\nspec:\n  name: test\n" + src + R"(  version: v1.0.0
  tables: ["*"]
  skip_tables: [test_paid_table, test_synthetic_table, test_wide_table]
  destinations: [sqlite]
  backend_options:
    table_name: cq_state_test
    connection: "@@plugins.sqlite.connection"
  spec: {num_clients: )" + std::to_string(clients) + R"(, incremental_rows: 500, checkpoint_every: 97}
---
kind: destination
spec:
  name: sqlite
)" + dst + R"(  version: v1.0.0
  write_mode: overwrite-delete-stale
  spec:
    connection_string: ./)" + db + "\n";
}

CommandResult RunCq(const TempDir& dir, const std::string& spec, const std::string& extra = "") {
  std::string out;
  const std::string cmd = "cd '" + dir.path() + "' && CQ_TELEMETRY_LEVEL=none timeout 300 '" + kCqCli.string() +
                          "' sync " + spec + " --log-console --no-log-file" + extra + " 2>&1";
  CommandResult r;
  r.exit_code = RunShell(cmd, &out);
  r.out = out;
  return r;
}

void LinkPlugins(const TempDir& dir) {
  for (const char* name : {"ferry-source-test", "ferry-destination-sqlite"})
    fs::create_symlink(FERRY_BINARY, fs::path(dir.path()) / name);
}

// Every row of `table` without the columns that differ by design between
// two syncs (ids are random, sync times differ), sorted.
std::vector<std::string> Rows(const std::string& db, const std::string& table) {
  std::vector<std::string> cols;
  for (const auto& line : SqliteQuery(db, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid"))
    if (line != "_cq_id" && line != "_cq_parent_id" && line != "_cq_sync_time") cols.push_back("quote(\"" + line + "\")");
  std::string list;
  for (const auto& c : cols) list += (list.empty() ? "" : " || '|' || ") + c;
  auto rows = SqliteQuery(db, "SELECT " + list + " FROM \"" + table + "\"");
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(CloudQueryCli, RunsFerrysPluginsWithTheRowsOfFerrysOwnSync) {
  REQUIRE_CQ_CLI();
  TempDir dir;
  LinkPlugins(dir);
  auto cq = RunCq(dir, dir.Write("cq.yml", Spec(true, "cq.sqlite", 1)));
  ASSERT_EQ(cq.exit_code, 0) << cq.out;
  auto ferry = RunFerry({"sync", dir.Write("ferry.yml", Spec(false, "ferry.sqlite", 1)), "--no-progress"}, dir.path());
  ASSERT_EQ(ferry.exit_code, 0) << ferry.out << ferry.err;

  const std::string a = dir.File("cq.sqlite"), b = dir.File("ferry.sqlite");
  const std::string tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
  ASSERT_EQ(SqliteQuery(a, tables_sql), SqliteQuery(b, tables_sql));
  for (const auto& t : SqliteQuery(a, tables_sql)) {
    const std::string cols_sql = "SELECT name || ' ' || type || ' ' || pk FROM pragma_table_info('" + t + "') ORDER BY cid";
    EXPECT_EQ(SqliteQuery(a, cols_sql), SqliteQuery(b, cols_sql)) << t;
    if (t == "cq_state_test") continue;
    const auto ra = Rows(a, t), rb = Rows(b, t);
    EXPECT_FALSE(ra.empty()) << t;
    EXPECT_EQ(ra, rb) << t;
  }
}

TEST(CloudQueryCli, FerrysDestinationIsTheStateBackendOfFerrysSourceUnderTheCli) {
  REQUIRE_CQ_CLI();
  TempDir dir;
  LinkPlugins(dir);
  const std::string spec = dir.Write("cq.yml", Spec(true, "db.sqlite"));
  const std::string count = "SELECT count(*) FROM test_incremental_table";
  auto first = RunCq(dir, spec);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_EQ(SqliteQuery(dir.File("db.sqlite"), count)[0], "1000");
  EXPECT_EQ(SqliteQuery(dir.File("db.sqlite"), "SELECT count(*) FROM cq_state_test")[0], "2");
  EXPECT_NE(first.out.find("resources=1024"), std::string::npos) << first.out;
  // Nothing new: the CLI's second sync sends only the full tables.
  auto second = RunCq(dir, spec);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("resources=24"), std::string::npos) << second.out;
  EXPECT_EQ(SqliteQuery(dir.File("db.sqlite"), count)[0], "1000");
  // Ferry's own sync of the same database reads the cursors the CLI's run kept.
  auto ferry = RunFerry({"sync", dir.Write("ferry.yml", Spec(false, "db.sqlite")), "--no-progress"}, dir.path());
  ASSERT_EQ(ferry.exit_code, 0) << ferry.out << ferry.err;
  EXPECT_EQ(SqliteQuery(dir.File("db.sqlite"), count)[0], "1000");
}

TEST(CloudQueryCli, ShardsFerrysSourceAsItsOwnPlugins) {
  REQUIRE_CQ_CLI();
  TempDir dir;
  LinkPlugins(dir);
  const std::string keys =
      "SELECT group_concat(k, ' ') FROM (SELECT client_id || ':' || resource_id AS k FROM test_some_table "
      "ORDER BY client_id, resource_id)";
  auto ferry = RunFerry({"sync", dir.Write("ferry.yml", Spec(false, "ferry.sqlite", 4)), "--no-progress"}, dir.path());
  ASSERT_EQ(ferry.exit_code, 0) << ferry.out << ferry.err;
  const std::string spec = dir.Write("cq.yml", Spec(true, "cq.sqlite", 4));
  auto one = RunCq(dir, spec, " --shard 1/2");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const int64_t part = SqliteCount(dir.File("cq.sqlite"), "test_some_table");
  EXPECT_GT(part, 0);
  EXPECT_LT(part, SqliteCount(dir.File("ferry.sqlite"), "test_some_table"));
  auto two = RunCq(dir, spec, " --shard 2/2");
  ASSERT_EQ(two.exit_code, 0) << two.out;
  EXPECT_EQ(SqliteQuery(dir.File("cq.sqlite"), keys), SqliteQuery(dir.File("ferry.sqlite"), keys));
  // The CLI names each shard's rows as CloudQuery does: <name>_<N>_<T>.
  EXPECT_EQ(SqliteQuery(dir.File("cq.sqlite"),
                        "SELECT group_concat(DISTINCT _cq_source_name) FROM (SELECT _cq_source_name FROM "
                        "test_some_table ORDER BY 1)")[0],
            "test_1_2,test_2_2");
}

}  // namespace
}  // namespace ferry::testing
