// Ferry pointed at SQLite databases CloudQuery made: the tables and the state
// table exactly as CloudQuery's sqlite destination creates them (DDL from its
// createTableIfNotExist: key columns without NOT NULL, a named _cqpk
// constraint, lower-case types; sync times written as '... +00:00'). Ferry
// must use them as they are: no forced migration, no lost cursors.
#include <gtest/gtest.h>

#include <algorithm>

#include "testing/cli_runner.h"
#include "tests/compat/compat_spec.h"

namespace ferry::testing {
namespace {

// What `sqlite3 db .schema TABLE` prints, for comparing before and after.
std::string Schema(const std::string& db, const std::string& table) {
  auto rows = SqliteQuery(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'");
  return rows.empty() ? "" : rows[0];
}

constexpr const char* kCloudQuerySomeTable =
    R"(CREATE TABLE IF NOT EXISTS "test_some_table" ("_cq_sync_time" timestamp,"_cq_source_name" text,)"
    R"("_cq_id" text NOT NULL,"_cq_parent_id" text,"resource_id" integer,"column2" text,"client_id" integer, )"
    R"(CONSTRAINT "test_some_table_cqpk" PRIMARY KEY ("resource_id","client_id")))";

constexpr const char* kCloudQueryStateTable =
    R"(CREATE TABLE IF NOT EXISTS "cq_state_events" ("key" text,"value" text,"version" integer, )"
    R"(CONSTRAINT "cq_state_events_cqpk" PRIMARY KEY ("key")))";

TEST(CloudQuerySqlite, TablesCloudQueryCreatedAreUsedAsTheyAre) {
  TempDir dir;
  const std::string db = dir.File("cq.sqlite");
  SqliteExec(db, kCloudQuerySomeTable);
  // A row of an earlier CloudQuery sync, in CloudQuery's timestamp text.
  SqliteExec(db, "INSERT INTO test_some_table VALUES ('2024-01-01 00:00:00+00:00', 'test', "
                  "'00000000-0000-0000-0000-000000000042', NULL, 42, 'old', 0)");
  const std::string before = Schema(db, "test_some_table");
  const std::string spec =
      dir.Write("spec.yml", Render({.destination_extra = "  write_mode: overwrite-delete-stale\n"}));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Schema(db, "test_some_table"), before) << "the table CloudQuery made is not changed";
  EXPECT_EQ(SqliteCount(db, "test_some_table", "resource_id = 42"), 0) << "CloudQuery's stale row is deleted";
  EXPECT_GT(SqliteCount(db, "test_some_table"), 0);
  // A second sync upserts the same keys.
  const int64_t rows = SqliteCount(db, "test_some_table");
  r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), rows);
}

TEST(CloudQuerySqlite, StateTableCloudQueryCreatedKeepsItsCursors) {
  TempDir dir;
  const std::string db = dir.File("cq.sqlite");
  SqliteExec(db, kCloudQueryStateTable);
  // A cursor of another table, as CloudQuery's state client left it.
  SqliteExec(db, "INSERT INTO cq_state_events VALUES ('hackernews_items', '41000000', 7)");
  const std::string before = Schema(db, "cq_state_events");
  const std::string spec = dir.Write(
      "spec.yml", Render({.source = "events",
                          .tables = "[test_incremental_table]",
                          .source_extra = "  backend_options:\n    table_name: cq_state_events\n"
                                          "    connection: \"@@plugins.sqlite.connection\"\n"
                                          "  spec:\n    num_clients: 2\n    incremental_rows: 300\n"}));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Schema(db, "cq_state_events"), before) << "the state table CloudQuery made is not changed";
  EXPECT_EQ(SqliteCount(db, "test_incremental_table"), 600);
  EXPECT_EQ(SqliteQuery(db, "SELECT value FROM cq_state_events WHERE key = 'hackernews_items'"),
            std::vector<std::string>{"41000000"});
  EXPECT_EQ(SqliteCount(db, "cq_state_events"), 3) << "two new cursors next to CloudQuery's";
  // The cursors hold: nothing new, nothing fetched.
  r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 0) << r.out;
  EXPECT_EQ(SqliteCount(db, "test_incremental_table"), 600);
}

TEST(CloudQuerySqlite, MigrateCreatesTheSummaryTableWhenItIsSent) {
  TempDir dir;
  const std::string spec = dir.Write(
      "spec.yml", Render({.connection = "./m.sqlite", .destination_extra = "  send_sync_summary: true\n"}));
  CommandResult r = RunFerry({"migrate", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Migration completed successfully."), std::string::npos) << r.out;
  const auto tables = SqliteTables(dir.File("m.sqlite"));
  EXPECT_NE(std::find(tables.begin(), tables.end(), "cloudquery_sync_summaries"), tables.end());
  EXPECT_NE(std::find(tables.begin(), tables.end(), "test_some_table"), tables.end());
}

}  // namespace
}  // namespace ferry::testing
