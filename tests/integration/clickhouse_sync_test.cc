// End to end: `ferry sync` from the test source into a real ClickHouse server
// in each write mode, over several syncs, rows checked with SQL.
#include <gtest/gtest.h>

#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "testing/cli_runner.h"

namespace ferry::plugins::clickhouse {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class ClickHouseSync : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string ns = std::string("sync_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto url = testing::FreshDatabase(ns);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
    db_ = testing::DatabaseName(ns);
  }

  ferry::testing::CommandResult Sync(const std::string& mode, int rows, const std::string& extra = "",
                                     const std::string& tables = "[test_some_table]") {
    const std::string spec = R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v1.0.0
  tables: )" + tables + R"(
  skip_dependent_tables: false
  destinations: [ch]
  spec:
    num_clients: 2
    num_rows: )" + std::to_string(rows) +
                             R"(
    synthetic_rows: 1000
---
kind: destination
spec:
  name: ch
  path: cloudquery/clickhouse
  registry: cloudquery
  version: v7.0.0
  write_mode: )" + mode + R"(
  spec:
    connection_string: ")" + url_ +
                             R"("
)" + extra;
    const std::string file = dir_.Write("spec.yml", spec);
    return ferry::testing::RunFerry({"sync", file, "--no-progress"}, dir_.path());
  }

  std::string Q(const std::string& sql) {
    auto r = testing::Admin(sql + " FORMAT TSV");
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? Trim(*r) : "";
  }
  std::string T(const std::string& t) { return QualifiedName(db_, t); }

  ferry::testing::TempDir dir_;
  std::string url_, db_;
};

TEST_F(ClickHouseSync, OverwriteDeleteStaleAcrossSyncs) {
  auto r1 = Sync("overwrite-delete-stale", 5);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  EXPECT_EQ(Q("SELECT count() FROM " + T("test_some_table") + " FINAL"), "10");
  EXPECT_EQ(Q("SELECT count() FROM " + T("test_sub_table") + " FINAL"), "50")
      << "the key (parent_resource_id, sub_resource_id) repeats across clients";
  // Fewer rows in the second sync: the upserted rows replace the old ones and
  // the rows the source no longer has are deleted.
  auto r2 = Sync("overwrite-delete-stale", 3);
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_EQ(Q("SELECT count() FROM " + T("test_some_table") + " FINAL"), "6");
  EXPECT_EQ(Q("SELECT count(DISTINCT _cq_sync_time) FROM " + T("test_some_table")), "1")
      << "older versions went with the delete-stale mutation";
  EXPECT_EQ(Q("SELECT count() FROM " + T("test_sub_table") + " FINAL"), "30");
}

TEST_F(ClickHouseSync, AppendAddsRowsEverySync) {
  for (int i = 1; i <= 2; ++i) {
    auto r = Sync("append", 4, "", "[test_some_table, test_synthetic_table, test_testdata_table]");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(Q("SELECT count() FROM " + T("test_some_table")), std::to_string(8 * i));
    EXPECT_EQ(Q("SELECT count() FROM " + T("test_synthetic_table")), std::to_string(2000 * i));
  }
  EXPECT_EQ(Q("SELECT engine FROM system.tables WHERE database = '" + db_ + "' AND name = 'test_some_table'"),
            "MergeTree");
  EXPECT_EQ(Q("SELECT string, int64_list, uuid FROM " + T("test_testdata_table") + " LIMIT 1"),
            "hello, wörld\t[1,2,3]\t123e4567-e89b-42d3-a456-426614174000");
}

TEST_F(ClickHouseSync, SwitchingModesNeedsForcedMigration) {
  ASSERT_EQ(Sync("append", 2).exit_code, 0);
  auto r = Sync("overwrite", 2);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("primary key changed from (none) to (resource_id, client_id)"), std::string::npos)
      << r.out << r.err;
  auto forced = Sync("overwrite", 2, "  migrate_mode: forced\n");
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  EXPECT_EQ(Q("SELECT engine FROM system.tables WHERE database = '" + db_ + "' AND name = 'test_some_table'"),
            "ReplacingMergeTree");
  EXPECT_EQ(Q("SELECT count() FROM " + T("test_some_table") + " FINAL"), "4");
}

// partition / order rules written as CloudQuery writes them (lists of rules).
TEST_F(ClickHouseSync, RuleListsFromASpecFile) {
  auto r = Sync("append", 3, R"yaml(    partition:
      - tables: ["test_synthetic*"]
        partition_by: "ifNull(client_id, 0)"
    order:
      - tables: ["nothing_*"]
        order_by: ["_cq_source_name"]
      - tables: ["test_*"]
        order_by: ["_cq_id"]
)yaml", "[test_synthetic_table]");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Q("SELECT partition_key, sorting_key FROM system.tables WHERE database = '" + db_ +
              "' AND name = 'test_synthetic_table'"),
            "ifNull(client_id, 0)\t_cq_id");
  EXPECT_EQ(Q("SELECT count(DISTINCT partition) FROM system.parts WHERE database = '" + db_ +
              "' AND table = 'test_synthetic_table' AND active"),
            "2")
      << "one partition per client";
}

TEST_F(ClickHouseSync, ValidateConfigRejectsBadOptionsBeforeConnecting) {
  const std::string file = dir_.Write("bad.yml", R"(kind: source
spec: {name: test, path: cloudquery/test, version: v1.0.0, tables: ["*"], destinations: [ch]}
---
kind: destination
spec:
  name: ch
  path: cloudquery/clickhouse
  version: v1.0.0
  spec:
    connection_string: http://127.0.0.1:1/db
    compresion: gzip
)");
  auto r = ferry::testing::RunFerry({"validate-config", file}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE((r.out + r.err).find("compression"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
