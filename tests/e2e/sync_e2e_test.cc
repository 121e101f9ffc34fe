// End-to-end: the real `ferry` binary on CloudQuery-style spec files, rows
// checked in the SQLite file it wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {

std::string Spec(const std::string& db, const std::string& source_extra = "", const std::string& dest_extra = "",
                 const std::string& tables = "[\"*\"]") {
  return R"(kind: source
spec:
  name: test
  path: cloudquery/test
  registry: cloudquery
  version: v4.2.0
  tables: )" + tables + R"(
  destinations: [sqlite]
  spec:
    num_clients: 2
    num_rows: 3
)" + source_extra + R"(---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  registry: cloudquery
  version: v2.4.0
)" + dest_extra + R"(  spec:
    connection_string: )" + db + "\n";
}

TEST(SyncE2E, CloudQueryStyleSpecGivesCloudQueryTablesColumnsAndCounts) {
  TempDir dir;
  std::string spec = dir.Write("spec.yml", Spec(dir.File("db.sqlite")));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Sync completed successfully"), std::string::npos) << r.out;

  std::string db = dir.File("db.sqlite");
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 6);
  // The source emits 60 sub rows, but with two clients their primary keys
  // (parent_resource_id, sub_resource_id) collide pairwise, so the upsert
  // keeps 30: the same as CloudQuery.
  EXPECT_EQ(SqliteCount(db, "test_sub_table"), 30);
  EXPECT_EQ(SqliteCount(db, "test_testdata_table"), 2);
  EXPECT_EQ(SqliteCount(db, "test_paid_table"), 6);
  EXPECT_EQ(SqliteColumns(db, "test_some_table"),
            (std::vector<std::string>{"_cq_sync_time", "_cq_source_name", "_cq_id", "_cq_parent_id", "resource_id",
                                      "column2", "client_id"}));
  std::vector<std::string> sub_cols = SqliteColumns(db, "test_sub_table");
  ASSERT_GE(sub_cols.size(), 8u);
  EXPECT_EQ(sub_cols[0], "_cq_sync_time");
  EXPECT_EQ(sub_cols[3], "_cq_parent_id");
  // Every sub row points at a parent row; top-level rows have no parent.
  EXPECT_EQ(SqliteCount(db, "test_sub_table", "_cq_parent_id NOT IN (SELECT _cq_id FROM test_some_table)"), 0);
  EXPECT_EQ(SqliteCount(db, "test_some_table", "_cq_parent_id IS NOT NULL"), 0);
  EXPECT_EQ(SqliteCount(db, "test_some_table", "_cq_source_name = 'test'"), 6);
  // One sync time for every row of every table.
  auto times = SqliteQuery(db, "SELECT DISTINCT _cq_sync_time FROM test_some_table UNION "
                               "SELECT DISTINCT _cq_sync_time FROM test_sub_table");
  EXPECT_EQ(times.size(), 1u);
  // _cq_id is unique.
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT _cq_id) FROM test_sub_table")[0], "30");
  EXPECT_EQ(SummaryRows(r.out, "test_sub_table"), 60) << r.out;
}

TEST(SyncE2E, OverwriteDeleteStaleSecondSyncUpsertsAndDeletesStale) {
  TempDir dir;
  std::string db = dir.File("db.sqlite");
  std::string spec = dir.Write("spec.yml", Spec(db));
  ASSERT_EQ(RunFerry({"sync", spec}, dir.path()).exit_code, 0);
  auto first = SqliteQuery(db, "SELECT DISTINCT _cq_sync_time FROM test_some_table");
  // Fewer rows the second time: the rows that are gone must disappear.
  std::string spec2 = dir.Write("spec2.yml", Spec(db));
  std::string text = Spec(db);
  text.replace(text.find("num_rows: 3"), 11, "num_rows: 2");
  dir.Write("spec2.yml", text);
  CommandResult r = RunFerry({"sync", spec2}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 4);
  auto second = SqliteQuery(db, "SELECT DISTINCT _cq_sync_time FROM test_some_table");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(first[0], second[0]);
}

TEST(SyncE2E, AppendModeKeepsEveryRow) {
  TempDir dir;
  std::string db = dir.File("db.sqlite");
  std::string spec = dir.Write("spec.yml", Spec(db, "", "  write_mode: append\n", "[\"test_some_table\"]"));
  ASSERT_EQ(RunFerry({"sync", spec}, dir.path()).exit_code, 0);
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 12);
}

TEST(SyncE2E, SummaryLocationAppendsCloudQueryJsonLine) {
  TempDir dir;
  std::string spec = dir.Write("spec.yml", Spec(dir.File("db.sqlite")));
  std::string summary = dir.File("summary.jsonl");
  ASSERT_EQ(RunFerry({"sync", spec, "--summary-location", summary}, dir.path()).exit_code, 0);
  ASSERT_EQ(RunFerry({"sync", spec, "--summary-location", summary}, dir.path()).exit_code, 0);
  std::ifstream in(summary);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["source_name"], "test");
    EXPECT_EQ(j["destination_name"], "sqlite");
    EXPECT_EQ(j["resources"], 6 + 60 + 2 + 6);
    EXPECT_EQ(j["resources_per_table"]["test_sub_table"], 60);
    EXPECT_EQ(j["source_errors"], 0);
    for (const char* k : {"cli_version", "sync_id", "sync_time", "sync_duration_ms", "source_path", "source_version",
                          "source_warnings", "source_tables", "destination_path", "destination_version",
                          "destination_errors", "destination_warnings", "errors_per_table", "durations_per_table_ms"})
      EXPECT_TRUE(j.contains(k)) << k;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(SyncE2E, TableThatFailsIsReportedAndTheRestSyncs) {
  TempDir dir;
  std::string db = dir.File("db.sqlite");
  std::string spec = dir.Write("spec.yml", Spec(db, "    fail_tables: [test_paid_table]\n"));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Sync completed with errors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test_paid_table"), std::string::npos) << r.out;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 6);
}

TEST(SyncE2E, FailedTableKeepsItsRowsUnderDeleteStale) {
  TempDir dir;
  std::string db = dir.File("db.sqlite");
  ASSERT_EQ(RunFerry({"sync", dir.Write("a.yml", Spec(db))}, dir.path()).exit_code, 0);
  ASSERT_EQ(SqliteCount(db, "test_paid_table"), 6);
  CommandResult r = RunFerry({"sync", dir.Write("b.yml", Spec(db, "    fail_tables: [test_paid_table]\n"))}, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(SqliteCount(db, "test_paid_table"), 6) << "stale rows of a failed table must be kept";
  EXPECT_NE(r.out.find("stale rows kept"), std::string::npos) << r.out;
}

TEST(SyncE2E, SpecErrorsNameFileLineAndKey) {
  TempDir dir;
  std::string text = Spec(dir.File("db.sqlite"));
  text.replace(text.find("destinations:"), 13, "destination:");
  std::string spec = dir.Write("bad.yml", text);
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yml:8"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean \"destinations\""), std::string::npos) << r.err;
}

TEST(SyncE2E, UnknownPluginOptionNamesTheNestedKeyLine) {
  TempDir dir;
  std::string spec = dir.Write("bad.yml", Spec(dir.File("db.sqlite"), "    num_rowz: 4\n"));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yml:12"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("num_rowz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean \"num_rows\""), std::string::npos) << r.err;
}

TEST(SyncE2E, MissingDestinationAndUnsetVariable) {
  TempDir dir;
  std::string text = Spec("${FERRY_TEST_UNSET_DB_PATH}");
  CommandResult r = RunFerry({"sync", dir.Write("env.yml", text)}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("FERRY_TEST_UNSET_DB_PATH"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("env.yml"), std::string::npos) << r.err;

  std::string missing = Spec(dir.File("db.sqlite"));
  missing.replace(missing.find("destinations: [sqlite]"), 22, "destinations: [postgres]");
  r = RunFerry({"sync", dir.Write("missing.yml", missing)}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("postgres"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.yml"), std::string::npos) << r.err;
}

TEST(SyncE2E, SecretFromEnvironmentNeverPrinted) {
  TempDir dir;
  // The expanded value ends up in an error message path; it must be redacted.
  std::string text = Spec("${FERRY_SECRET_DB}");
  text.replace(text.find("num_rows: 3"), 11, "num_rows: 3\n    required_env: [\"FERRY_SECRET_DB=other\"]");
  std::string secret = dir.File("s3cr3t-value-db.sqlite");
  CommandResult r = RunFerry({"sync", dir.Write("s.yml", text)}, dir.path(), {"FERRY_SECRET_DB=" + secret});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find("s3cr3t-value"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("s3cr3t-value"), std::string::npos) << r.out;
}

TEST(SyncE2E, UnsupportedRegistryIsAClearError) {
  TempDir dir;
  std::string text = Spec(dir.File("db.sqlite"));
  text.replace(text.find("registry: cloudquery"), 20, "registry: docker");
  CommandResult r = RunFerry({"sync", dir.Write("g.yml", text)}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("registry \"docker\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("registry: grpc"), std::string::npos) << "says how to run it instead: " << r.err;
}

// A destination with transformers: refused before anything moves, rather
// than writing untransformed rows.
TEST(SyncE2E, TransformersAreRefusedNotIgnored) {
  TempDir dir;
  std::string text = Spec(dir.File("db.sqlite"), "", "  transformers: [rename]\n") +
                     "---\nkind: transformer\nspec:\n  name: rename\n  path: cloudquery/basic\n"
                     "  registry: cloudquery\n  version: v1.0.0\n";
  CommandResult r = RunFerry({"sync", dir.Write("t.yml", text)}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("transformer \"rename\""), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("db.sqlite")));
}

// registry: grpc with nothing listening: a clear error naming the plugin and
// the address, quickly (no hang), and nothing written.
TEST(SyncE2E, GrpcRegistryWithNothingListeningIsAClearError) {
  TempDir dir;
  std::string text = Spec(dir.File("db.sqlite"));
  text.replace(text.find("registry: cloudquery"), 20, "registry: grpc");
  text.replace(text.find("path: cloudquery/test"), 21, "path: 127.0.0.1:1");
  CommandResult r = RunFerry({"sync", dir.Write("g.yml", text)}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("db.sqlite")));
}

TEST(SyncE2E, MigrateCreatesTablesWithoutRows) {
  TempDir dir;
  std::string db = dir.File("db.sqlite");
  CommandResult r = RunFerry({"migrate", dir.Write("spec.yml", Spec(db))}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Migration completed successfully."), std::string::npos);
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 0);
  EXPECT_EQ(SqliteCount(db, "test_sub_table"), 0);
}

TEST(SyncE2E, ValidateConfigAndTablesDocs) {
  TempDir dir;
  std::string spec = dir.Write("spec.yml", Spec(dir.File("db.sqlite")));
  CommandResult r = RunFerry({"validate-config", spec}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("db.sqlite"))) << "validate-config must not connect";

  r = RunFerry({"tables", "--format", "markdown", "--output-dir", "docs"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.File("docs/test/README.md")));
  EXPECT_TRUE(std::filesystem::exists(dir.File("docs/test/test_sub_table.md")));
  r = RunFerry({"tables", spec, "--format", "json"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.File("cq-docs/test/__tables.json"));
  auto j = nlohmann::json::parse(in);
  EXPECT_TRUE(j.is_array());
  EXPECT_GE(j.size(), 3u);
}

TEST(SyncE2E, PluginsCommandListsOptionsFromTheDeclaredTables) {
  TempDir dir;
  CommandResult r = RunFerry({"plugins", "--format", "json"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  bool saw_sqlite = false;
  for (const auto& p : j) {
    if (p["name"] == "sqlite") {
      saw_sqlite = true;
      EXPECT_EQ(p["kind"], "destination");
      EXPECT_TRUE(p["spec_schema"]["properties"].contains("connection_string")) << p.dump();
      EXPECT_TRUE(p["state_backend"].get<bool>());
    }
  }
  EXPECT_TRUE(saw_sqlite);
  r = RunFerry({"plugins"}, dir.path());
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("| `num_rows` | integer | `1` |"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ferry::testing
