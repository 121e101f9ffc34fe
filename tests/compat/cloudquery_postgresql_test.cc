// Ferry pointed at a PostgreSQL database CloudQuery wrote: the data table
// and the sync summary table exactly as CloudQuery's postgresql destination
// and CLI create them (the summary table from the CLI's syncSummary struct:
// uint64 counts as numeric(20,0), source_tables text[], per-table maps jsonb,
// no primary key). `send_sync_summary: true` must add Ferry's row next to
// CloudQuery's, and new tables get CloudQuery's UNIQUE _cq_id.
#include <gtest/gtest.h>

#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "tests/compat/compat_spec.h"

namespace ferry::plugins::postgresql {
namespace {

using ferry::testing::RunFerry;
using ferry::testing::TempDir;

constexpr const char* kCloudQuerySummaryTable = R"(CREATE TABLE "cloudquery_sync_summaries" (
  "_cq_sync_time" timestamp without time zone, "_cq_source_name" text, "cli_version" text,
  "destination_errors" numeric(20,0), "destination_name" text, "destination_path" text,
  "destination_version" text, "destination_warnings" numeric(20,0), "resources" numeric(20,0),
  "source_errors" numeric(20,0), "source_name" text, "source_path" text, "source_version" text,
  "source_warnings" numeric(20,0), "source_tables" text[], "sync_id" text, "sync_duration_ms" numeric(20,0),
  "shard_num" bigint, "shard_total" bigint, "resources_per_table" jsonb, "errors_per_table" jsonb,
  "durations_per_table_ms" jsonb))";

constexpr const char* kCloudQueryRow = R"(INSERT INTO "cloudquery_sync_summaries" VALUES (
  '2024-01-01 00:00:00', 'test', 'v6.30.0', 0, 'postgresql', 'cloudquery/postgresql', 'v8.0.0', 0, 3, 0,
  'test', 'cloudquery/test', 'v4.5.1', 0, '{test_some_table}', 'cq-sync-1', 1200, NULL, NULL,
  '{"test_some_table": 3}', '{"test_some_table": 0}', '{"test_some_table": 10}'))";

// Column types as format_type() prints them, "name type" per column in order.
std::string Columns(const std::string& db, const std::string& table) {
  auto r = testing::AdminQuery(db, "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' "
                                   "ORDER BY attnum) FROM pg_attribute WHERE attrelid = '" + table +
                                   "'::regclass AND attnum > 0 AND NOT attisdropped");
  return r.ok() ? *r : "error: " + r.status().ToString();
}

TEST(CloudQueryPostgres, SyncSummaryTableCloudQueryMadeTakesFerrysRows) {
  const std::string ns = "cq_summary_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
  const std::string db = testing::DatabaseName(ns);
  ASSERT_TRUE(testing::AdminExec(db, kCloudQuerySummaryTable).ok());
  ASSERT_TRUE(testing::AdminExec(db, kCloudQueryRow).ok());
  const std::string before = Columns(db, "cloudquery_sync_summaries");
  TempDir dir;
  const std::string spec = dir.Write(
      "spec.yml", ferry::testing::Render({.destination = "postgresql",
                                          .connection = conn,
                                          .destination_extra = "  send_sync_summary: true\n"}));
  auto r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // CloudQuery's columns keep their types; Ferry's `errors` is added at the end.
  EXPECT_EQ(Columns(db, "cloudquery_sync_summaries"), before + ", errors jsonb");
  auto rows = testing::AdminQuery(db, "SELECT count(*) FROM cloudquery_sync_summaries");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, "2");
  auto ferry_row = testing::AdminQuery(
      db, "SELECT source_tables::text || ' ' || resources::text || ' ' || (resources_per_table->>'test_some_table') "
          "FROM cloudquery_sync_summaries WHERE sync_id <> 'cq-sync-1'");
  ASSERT_TRUE(ferry_row.ok()) << ferry_row.status().ToString();
  auto synced = testing::AdminQuery(db, "SELECT count(*) FROM test_some_table");
  ASSERT_TRUE(synced.ok());
  EXPECT_EQ(*ferry_row, "{test_some_table} " + *synced + " " + *synced);
}

TEST(CloudQueryPostgres, NewTablesHaveCloudQuerysUniqueCqId) {
  const std::string ns = "cq_unique_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
  const std::string db = testing::DatabaseName(ns);
  TempDir dir;
  const std::string spec = dir.Write(
      "spec.yml", ferry::testing::Render({.tables = "[test_some_table, test_sub_table]",
                                          .destination = "postgresql",
                                          .connection = conn}));
  auto r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // A foreign key onto _cq_id needs the UNIQUE constraint CloudQuery makes.
  ASSERT_TRUE(testing::AdminExec(db, "CREATE TABLE notes (about uuid REFERENCES test_some_table (_cq_id))").ok());
  auto uniques = testing::AdminQuery(db, "SELECT count(*) FROM pg_constraint WHERE contype = 'u' AND "
                                         "conrelid = 'test_some_table'::regclass");
  ASSERT_TRUE(uniques.ok());
  EXPECT_EQ(*uniques, "1");
  // cq_id_unique: false skips it (faster overwrite syncs).
  const std::string ns2 = "cq_nounique_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn2, testing::FreshDatabase(ns2));
  const std::string spec2 =
      dir.Write("spec2.yml", ferry::testing::Render({.destination = "postgresql",
                                                     .connection = conn2,
                                                     .plugin_spec_extra = "    cq_id_unique: false\n"}));
  r = RunFerry({"sync", spec2, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  uniques = testing::AdminQuery(testing::DatabaseName(ns2), "SELECT count(*) FROM pg_constraint WHERE contype = 'u' "
                                                           "AND conrelid = 'test_some_table'::regclass");
  ASSERT_TRUE(uniques.ok());
  EXPECT_EQ(*uniques, "0");
}

// CloudQuery's postgresql destination moves a keyed table to pk_mode:
// cq-id-only by itself (no forced migration, no lost rows); so does Ferry.
TEST(CloudQueryPostgres, PkModeCqIdOnlyMovesTheKeyInPlace) {
  const std::string ns = "cq_pkmode_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
  const std::string db = testing::DatabaseName(ns);
  TempDir dir;
  auto render = [&](const std::string& pk_mode) {
    return dir.Write("spec.yml",
                     ferry::testing::Render({.source_extra = "  spec: {num_clients: 2}\n",
                                             .destination = "postgresql",
                                             .connection = conn,
                                             .destination_extra = "  write_mode: overwrite\n  pk_mode: " + pk_mode +
                                                                  "\n"}));
  };
  auto key = [&] {
    auto r = testing::AdminQuery(db, "SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_index i JOIN "
                                     "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE "
                                     "i.indrelid = 'test_some_table'::regclass AND i.indisprimary");
    return r.ok() ? *r : r.status().ToString();
  };
  auto r = RunFerry({"sync", render("default"), "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(key(), "client_id,resource_id");
  auto rows = testing::AdminQuery(db, "SELECT count(*) FROM test_some_table");
  ASSERT_TRUE(rows.ok());
  r = RunFerry({"sync", render("cq-id-only"), "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(key(), "_cq_id");
  auto nullable = testing::AdminQuery(db, "SELECT attnotnull::text FROM pg_attribute WHERE attrelid = "
                                          "'test_some_table'::regclass AND attname = 'resource_id'");
  ASSERT_TRUE(nullable.ok());
  EXPECT_EQ(*nullable, "false") << "the former key column is an ordinary column now";
  // Deterministic ids are off: the second sync added its rows under new ids.
  auto after = testing::AdminQuery(db, "SELECT count(*) FROM test_some_table");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(std::stoll(*after), 2 * std::stoll(*rows)) << "nothing was dropped";
}

}  // namespace
}  // namespace ferry::plugins::postgresql
