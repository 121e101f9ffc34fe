// DDL text and migration plans without a server: CREATE TABLE for both
// server generations and every option (ON CLUSTER, rules, engines), and the
// diff of a wanted table against what a server reports.
#include "plugins/destination/clickhouse/migrate.h"

#include <gtest/gtest.h>

#include "ferry/options.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::Col;
using ferry::testing::TableWithMeta;
using ferry::testing::conformance::Items;

ServerFeatures Features(const char* v) { return *FeaturesOf(*ParseVersion(v)); }

Spec SpecOf(nlohmann::json j) {
  j["connection_string"] = "http://h/db";
  auto s = ParseSpec(Options(j));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

std::string Create(const TableSchemaPtr& t, const Spec& spec, const ServerFeatures& f) {
  DdlContext ctx{&spec, &f, "db"};
  auto sql = CreateTableSql(LayoutOf(t, f), ctx);
  return sql.ok() ? *sql : "ERROR: " + sql.status().message();
}

TEST(ClickHouseDdl, CreateTableOnBothGenerations) {
  const Spec plain = SpecOf(nlohmann::json::object());
  const ServerFeatures old = Features("18.16.1"), now = Features("24.8");
  auto keyed = TableWithMeta("t", {Col("id", types::Int64(), true), Col("ts", types::Timestamp())});
  EXPECT_EQ(Create(keyed, plain, old),
            "CREATE TABLE IF NOT EXISTS `db`.`t` (`_cq_sync_time` Int64, `_cq_source_name` Nullable(String), "
            "`_cq_id` UUID, `_cq_parent_id` Nullable(UUID), `id` Int64, `ts` Nullable(Int64)) "
            "ENGINE = ReplacingMergeTree(`_cq_sync_time`) ORDER BY (`id`)");
  EXPECT_EQ(Create(keyed, plain, now),
            "CREATE TABLE IF NOT EXISTS `db`.`t` (`_cq_sync_time` DateTime64(6, 'UTC'), `_cq_source_name` "
            "Nullable(String), `_cq_id` UUID, `_cq_parent_id` Nullable(UUID), `id` Int64, `ts` "
            "Nullable(DateTime64(6, 'UTC'))) ENGINE = ReplacingMergeTree(`_cq_sync_time`) ORDER BY (`id`) "
            "SETTINGS non_replicated_deduplication_window = 1000");
  auto list = TableWithMeta("l", {Col("tags", types::List(types::Utf8()))});
  EXPECT_NE(Create(list, plain, old).find(", `_ferry_nulls` Array(String)) ENGINE = MergeTree() ORDER BY tuple()"),
            std::string::npos)
      << Create(list, plain, old);
}

TEST(ClickHouseDdl, OptionsShapeTheStatement) {
  const Spec spec =
      SpecOf({{"cluster", "prod"},
              {"engine", {{"name", "ReplicatedMergeTree"}, {"parameters", {"/ch/{table}", "{replica}"}}}},
              {"partition", {{"partition_by", "toYYYYMM(_cq_sync_time)"}, {"skip_incremental_tables", true}}},
              {"order", {{"order_by", {"_cq_source_name", "_cq_id"}}}},
              {"ttl", {{"tables", {"t*"}}, {"ttl", "_cq_sync_time + INTERVAL 30 DAY"}}}});
  const ServerFeatures now = Features("24.8");
  EXPECT_EQ(Create(Items("tx", false), spec, now),
            "CREATE TABLE IF NOT EXISTS `db`.`tx` ON CLUSTER `prod` (`_cq_sync_time` Nullable(DateTime64(6, 'UTC')), "
            "`_cq_source_name` Nullable(String), `_cq_id` UUID, `_cq_parent_id` Nullable(UUID), `id` Nullable(Int64), "
            "`name` Nullable(String), `value` Nullable(Float64)) ENGINE = ReplicatedMergeTree('/ch/{table}', "
            "'{replica}') PARTITION BY toYYYYMM(_cq_sync_time) ORDER BY (_cq_source_name, _cq_id) TTL _cq_sync_time "
            "+ INTERVAL 30 DAY SETTINGS allow_nullable_key = 1");
  auto keyed = Items("k", true);
  const std::string k = Create(keyed, spec, now);
  EXPECT_NE(k.find("ENGINE = ReplicatedReplacingMergeTree('/ch/{table}', '{replica}', `_cq_sync_time`)"),
            std::string::npos)
      << k;
  EXPECT_NE(k.find("ORDER BY (`id`)"), std::string::npos) << "keyed tables order by the key: " << k;
  EXPECT_EQ(k.find("non_replicated_deduplication_window"), std::string::npos) << "replicated tables deduplicate";
  auto inc = std::make_shared<TableSchema>(*Items("inc", false));
  inc->is_incremental = true;
  EXPECT_EQ(Create(inc, spec, now).find("PARTITION BY"), std::string::npos);
  // ClickHouse 26.9 (chdb-core 26.9.0, tests/interop/clickhouse_chdb_ddl_test.cc):
  // "Partition key contains nullable columns, but merge tree setting
  // `allow_nullable_key` is disabled" without the setting.
  const Spec partitioned = SpecOf({{"partition", {{"partition_by", "toYYYYMM(_cq_sync_time)"}}}});
  EXPECT_NE(Create(Items("p", false), partitioned, now)
                .find("PARTITION BY toYYYYMM(_cq_sync_time) ORDER BY tuple() SETTINGS allow_nullable_key = 1, "
                      "non_replicated_deduplication_window = 1000"),
            std::string::npos)
      << Create(Items("p", false), partitioned, now);
  EXPECT_EQ(Create(Items("p", false), partitioned, Features("18.16")).find("SETTINGS"), std::string::npos);
  EXPECT_EQ(Create(Items("tx", false), spec, Features("18.16"))
                .rfind("ERROR: table tx: order_by column _cq_source_name is Nullable", 0),
            0u);
}

TEST(ClickHouseDdl, PlanDiffsWhatTheServerHas) {
  const Spec spec = SpecOf(nlohmann::json::object());
  const ServerFeatures old = Features("18.16");
  DdlContext ctx{&spec, &old, "db"};
  auto v1 = TableWithMeta("t", {Col("id", types::Int64(), true), Col("c", types::Int64())});
  const TableLayout l1 = LayoutOf(v1, old);
  ExistingTable have{"ReplacingMergeTree", "", "id", {}};
  for (const auto& pc : l1.columns) have.columns.emplace_back(pc.name, pc.type);
  EXPECT_EQ(PlanTable(l1, have, ctx).action, TablePlan::Action::kNone);
  EXPECT_EQ(PlanTable(l1, std::nullopt, ctx).action, TablePlan::Action::kCreate);

  auto v2 = TableWithMeta(
      "t", {Col("id", types::Int64(), true), Col("c", types::Utf8()), Col("must", types::Int64(), false, true),
            Col("tags", types::List(types::Utf8())), Col("extra", types::Int64())});
  TablePlan p = PlanTable(LayoutOf(v2, old), have, ctx);
  EXPECT_EQ(p.action, TablePlan::Action::kRecreate);
  EXPECT_EQ(p.unsafe, (std::vector<std::string>{"column c: type changed from Nullable(Int64) to Nullable(String)",
                                                "column must: new NOT NULL column"}));
  auto v3 = TableWithMeta("t", {Col("id", types::Int64(), true), Col("c", types::Int64()),
                                Col("tags", types::List(types::Utf8())), Col("extra", types::Int64())});
  p = PlanTable(LayoutOf(v3, old), have, ctx);
  EXPECT_EQ(p.action, TablePlan::Action::kAddColumns);
  EXPECT_EQ(p.add, (std::vector<int>{6, 7}));
  EXPECT_TRUE(p.add_nulls_column);
  EXPECT_EQ(p.mark_null, (std::vector<std::string>{"tags"}));

  auto appended = TableWithMeta("t", {Col("id", types::Int64()), Col("c", types::Int64())});
  p = PlanTable(LayoutOf(appended, old), have, ctx);
  EXPECT_EQ(p.unsafe, (std::vector<std::string>{"primary key changed from (id) to (none)",
                                                "engine changed from ReplacingMergeTree to MergeTree",
                                                "column _cq_sync_time: type changed from Int64 to Nullable(Int64)",
                                                "column id: type changed from Int64 to Nullable(Int64)"}));
  ExistingTable shared = have;
  shared.engine = "SharedReplacingMergeTree";  // what ClickHouse Cloud makes of ReplacingMergeTree
  EXPECT_EQ(PlanTable(l1, shared, ctx).action, TablePlan::Action::kNone);
  ExistingTable composite{"ReplacingMergeTree", "", "`region`, id", {}};
  auto two = TableWithMeta("t", {Col("region", types::Utf8(), true), Col("id", types::Int64(), true)});
  for (const auto& pc : LayoutOf(two, old).columns) composite.columns.emplace_back(pc.name, pc.type);
  EXPECT_TRUE(PlanTable(LayoutOf(two, old), composite, ctx).unsafe.empty());
}

// ClickHouse 26.9 (chdb, tests/interop/clickhouse_chdb_test.cc) reports the
// sorting key of ORDER BY (`id`) as "(id)"; 18.16 as "id". Both are the same
// key: a second migrate of an unchanged keyed table must not see a change.
TEST(ClickHouseDdl, SortingKeyInParenthesesIsTheSameKey) {
  EXPECT_EQ(SortingKeyColumns("(id)"), (std::vector<std::string>{"id"}));
  EXPECT_EQ(SortingKeyColumns("id"), (std::vector<std::string>{"id"}));
  EXPECT_EQ(SortingKeyColumns("id, `b c`"), (std::vector<std::string>{"id", "bc"}));
  EXPECT_EQ(SortingKeyColumns("(id, `b c`)"), (std::vector<std::string>{"id", "bc"}));
  EXPECT_EQ(SortingKeyColumns("toDate(ts), (a)"), (std::vector<std::string>{"toDate(ts)", "(a)"}));
  EXPECT_EQ(SortingKeyColumns("(a), (b)"), (std::vector<std::string>{"(a)", "(b)"}));
  EXPECT_TRUE(SortingKeyColumns("").empty());

  const Spec spec = SpecOf(nlohmann::json::object());
  const ServerFeatures now = Features("26.9.2.1");
  DdlContext ctx{&spec, &now, "db"};
  auto keyed = TableWithMeta("t", {Col("id", types::Int64(), true), Col("c", types::Int64())});
  const TableLayout l = LayoutOf(keyed, now);
  ExistingTable have{"ReplacingMergeTree", "", "(id)", {}};
  for (const auto& pc : l.columns) have.columns.emplace_back(pc.name, pc.type);
  const TablePlan p = PlanTable(l, have, ctx);
  EXPECT_EQ(p.action, TablePlan::Action::kNone);
  EXPECT_TRUE(p.unsafe.empty()) << p.unsafe[0];
}

TEST(ClickHouseDdl, AddColumnsStatements) {
  const Spec spec = SpecOf({{"cluster", "c"}});
  const ServerFeatures now = Features("24.8");
  DdlContext ctx{&spec, &now, "db"};
  auto v1 = TableWithMeta("t", {Col("id", types::Int64())});
  ExistingTable have{"MergeTree", "", "", {}};
  for (const auto& pc : LayoutOf(v1, now).columns) have.columns.emplace_back(pc.name, pc.type);
  auto v2 = TableWithMeta("t", {Col("id", types::Int64()), Col("tags", types::List(types::Utf8())),
                                Col("n", types::Bool())});
  TablePlan p = PlanTable(LayoutOf(v2, now), have, ctx);
  ASSERT_EQ(p.action, TablePlan::Action::kAddColumns);
  EXPECT_EQ(AddColumnsSql(p, ctx),
            "ALTER TABLE `db`.`t` ON CLUSTER `c` ADD COLUMN `tags` Array(Nullable(String)), ADD COLUMN `n` "
            "Nullable(Bool), ADD COLUMN `_ferry_nulls` Array(String) DEFAULT ['tags']");
  EXPECT_EQ(MarkNullSql(p, ctx), "");
  have.columns.emplace_back("tags", "Array(Nullable(String))");
  have.columns.emplace_back("_ferry_nulls", "Array(String)");
  auto v3 = TableWithMeta("t", {Col("id", types::Int64()), Col("tags", types::List(types::Utf8())),
                                Col("more", types::List(types::Int64()))});
  p = PlanTable(LayoutOf(v3, now), have, ctx);
  EXPECT_EQ(AddColumnsSql(p, ctx), "ALTER TABLE `db`.`t` ON CLUSTER `c` ADD COLUMN `more` Array(Nullable(Int64))");
  EXPECT_EQ(MarkNullSql(p, ctx),
            "ALTER TABLE `db`.`t` ON CLUSTER `c` UPDATE `_ferry_nulls` = arrayConcat(`_ferry_nulls`, ['more']) "
            "WHERE 1");
}

TEST(ClickHouseDdl, TsvUnescape) {
  EXPECT_EQ(UnescapeTsv("DateTime64(6, \\'UTC\\')"), "DateTime64(6, 'UTC')");
  EXPECT_EQ(UnescapeTsv("a\\tb\\nc\\\\d\\0"), std::string("a\tb\nc\\d\0", 8));
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
