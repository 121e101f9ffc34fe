// Write modes, migrations, several destinations, sync summaries: two or more
// syncs with changed data, rows checked in SQLite.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {

struct Opts {
  int rows = 3;
  int sub_cols = 1;
  int seed = 0;
  std::string mode_a = "overwrite-delete-stale";
  std::string extra_a;           // more destination keys for "a"
  bool with_b = false;
  std::string mode_b = "append";
  std::string tables = "[test_some_table]";
};

std::string Render(const Opts& o) {
  std::string s = R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v1.0.0
  tables: )" + o.tables + R"(
  skip_dependent_tables: false
  destinations: [a)" + std::string(o.with_b ? ", b" : "") + R"(]
  spec:
    num_clients: 2
    num_rows: )" + std::to_string(o.rows) + R"(
    num_sub_cols: )" + std::to_string(o.sub_cols) + R"(
    seed: )" + std::to_string(o.seed) + R"(
---
kind: destination
spec:
  name: a
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + o.mode_a + "\n" + o.extra_a + R"(  spec:
    connection_string: ./a.sqlite
)";
  if (o.with_b)
    s += R"(---
kind: destination
spec:
  name: b
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + o.mode_b + R"(
  spec:
    connection_string: ./b.sqlite
)";
  return s;
}

CommandResult Sync(const TempDir& dir, const Opts& o, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"sync", dir.Write("spec.yml", Render(o))};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunFerry(args, dir.path());
}

void Exec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

TEST(WriteModesE2E, OverwriteDeleteStaleRowsAppearUpdateAndDisappear) {
  TempDir dir;
  Opts o;
  o.tables = "[test_some_table, test_sub_table]";
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  std::string db = dir.File("a.sqlite");
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 6);  // 2 clients x 3 rows (client_id is part of the key)
  auto before = SqliteQuery(db, "SELECT extra_column_0 FROM test_sub_table ORDER BY parent_resource_id, sub_resource_id");
  // Appear: more rows. Update: another seed changes extra_column_0.
  o.rows = 5;
  o.seed = 7;
  CommandResult r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 10);
  auto after = SqliteQuery(db, "SELECT extra_column_0 FROM test_sub_table ORDER BY parent_resource_id, sub_resource_id LIMIT 30");
  EXPECT_NE(std::vector<std::string>(before.begin(), before.end()),
            std::vector<std::string>(after.begin(), after.begin() + before.size()));
  // Disappear: fewer rows, the stale ones are deleted (children too).
  o.rows = 2;
  r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 4);
  EXPECT_EQ(SqliteCount(db, "test_sub_table", "parent_resource_id > 2"), 0);
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT _cq_sync_time) FROM test_sub_table")[0], "1");
}

TEST(WriteModesE2E, OverwriteKeepsRowsThatDisappeared) {
  TempDir dir;
  Opts o;
  o.mode_a = "overwrite";
  o.rows = 5;
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  o.rows = 2;
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  std::string db = dir.File("a.sqlite");
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 10);
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT _cq_sync_time) FROM test_some_table")[0], "2");
}

TEST(WriteModesE2E, SeveralDestinationsWithDifferentModesInOneSync) {
  TempDir dir;
  Opts o;
  o.with_b = true;
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  o.rows = 2;
  CommandResult r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(dir.File("a.sqlite"), "test_some_table"), 4);   // delete-stale
  EXPECT_EQ(SqliteCount(dir.File("b.sqlite"), "test_some_table"), 6 + 4);  // append: every row of both syncs
  // append has no primary key in the destination.
  EXPECT_EQ(SqliteQuery(dir.File("b.sqlite"), "SELECT count(*) FROM pragma_table_info('test_some_table') WHERE pk > 0")[0], "0");
  EXPECT_EQ(SqliteQuery(dir.File("a.sqlite"), "SELECT count(*) FROM pragma_table_info('test_some_table') WHERE pk > 0")[0], "2");
}

TEST(WriteModesE2E, SyncGroupIdAndSendSyncSummary) {
  TempDir dir;
  Opts o;
  o.mode_a = "overwrite";
  o.extra_a = "  sync_group_id: \"group-{{YEAR}}\"\n  send_sync_summary: true\n";
  CommandResult r = Sync(dir, o, {"--invocation-id", "11111111-2222-3333-4444-555555555555"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string db = dir.File("a.sqlite");
  auto groups = SqliteQuery(db, "SELECT DISTINCT _cq_sync_group_id FROM test_some_table");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].rfind("group-20", 0), 0u) << groups[0];
  EXPECT_EQ(SqliteQuery(db, "SELECT count(*) FROM pragma_table_info('test_some_table') WHERE pk > 0")[0], "3");
  auto rows = SqliteQuery(db, "SELECT sync_id || '|' || resources || '|' || destination_name FROM cloudquery_sync_summaries");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "11111111-2222-3333-4444-555555555555|66|a");  // 6 + 60 sub rows
  auto per_table = SqliteQuery(db, "SELECT resources_per_table FROM cloudquery_sync_summaries");
  EXPECT_EQ(nlohmann::json::parse(per_table[0])["test_some_table"], 6);
}

TEST(WriteModesE2E, SyncGroupIdWithDeleteStaleIsRefused) {
  TempDir dir;
  Opts o;
  o.extra_a = "  sync_group_id: \"g\"\n";
  CommandResult r = Sync(dir, o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sync_group_id"), std::string::npos) << r.err;
}

TEST(MigrationsE2E, NewNullableColumnIsAddedSafely) {
  TempDir dir;
  Opts o;
  o.tables = "[test_some_table, test_sub_table]";
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  o.sub_cols = 2;
  CommandResult r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto cols = SqliteColumns(dir.File("a.sqlite"), "test_sub_table");
  EXPECT_EQ(cols.back(), "extra_column_1");
  EXPECT_EQ(SqliteCount(dir.File("a.sqlite"), "test_sub_table", "extra_column_1 IS NULL"), 0);
}

TEST(MigrationsE2E, UnsafeChangeStopsBeforeDataMovesForcedRecreates) {
  TempDir dir;
  std::string db = dir.File("a.sqlite");
  // A table of the same name whose column type differs from what the source declares.
  Exec(db, "CREATE TABLE test_some_table (_cq_sync_time TIMESTAMP, _cq_source_name TEXT, _cq_id TEXT, "
           "_cq_parent_id TEXT, resource_id TEXT, column2 TEXT, client_id INTEGER); "
           "INSERT INTO test_some_table (resource_id) VALUES ('keep-me')");
  Opts o;
  CommandResult r = Sync(dir, o);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("test_some_table"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resource_id"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("migrate_mode: forced"), std::string::npos) << r.err;
  EXPECT_EQ(SqliteQuery(db, "SELECT resource_id FROM test_some_table"), std::vector<std::string>{"keep-me"});

  o.extra_a = "  migrate_mode: forced\n";
  r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 6);
  EXPECT_EQ(SqliteCount(db, "test_some_table", "resource_id = 'keep-me'"), 0);
}

TEST(MigrationsE2E, SwitchingToAppendNeedsForced) {
  TempDir dir;
  Opts o;
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  o.mode_a = "append";
  CommandResult r = Sync(dir, o);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("migrate_mode: forced"), std::string::npos) << r.err;
}

TEST(MigrationsE2E, NoMigrateIntoEmptyDatabaseFailsWithoutLosingAnything) {
  TempDir dir;
  Opts o;
  CommandResult r = Sync(dir, o, {"--no-migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("test_some_table"), std::string::npos);
  EXPECT_NE(r.out.find("Sync completed with errors"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ferry::testing
