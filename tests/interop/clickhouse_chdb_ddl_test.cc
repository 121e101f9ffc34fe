// DDL Ferry generates for a current ClickHouse, run by chdb
// (plugins/destination/clickhouse/testing/chdb_job.h): CREATE TABLE for every
// engine and write mode chdb can run, with every kind of partition / order /
// ttl rule; inserts into each; delete-stale mutations; a table that grows
// (ADD COLUMN, the `_ferry_nulls` DEFAULT and UPDATE); snapshot views.
// Replicated / Shared engines and ON CLUSTER need a cluster and are not run
// here. Skips without the venv (scripts/install-test-peers.sh) unless
// FERRY_REQUIRE_PEERS=1.
#include <gtest/gtest.h>

#include "ferry/snapshot_views.h"
#include "ferry/text_codec.h"
#include "plugins/destination/clickhouse/native_decoder.h"
#include "plugins/destination/clickhouse/snapshot_views.h"
#include "plugins/destination/clickhouse/table_reader.h"
#include "plugins/destination/clickhouse/testing/chdb_job.h"
#include "testing/row_compare.h"

namespace ferry::plugins::clickhouse {
namespace {

using chdb::json;
using chdb::kDb;
using chdb::kSyncTime;
using ferry::testing::Col;
using ferry::testing::TableWithMeta;
using ferry::testing::TempDir;
using namespace chdb;  // NOLINT: the job helpers

// CREATE TABLE of every engine and write mode combined with every kind of
// rule, as Ferry writes them for this server: each runs, takes a request of
// the all-types rows, reads back as "nothing to migrate", and loses its rows
// to a real delete-stale mutation. Then a table that grows: ADD COLUMN with
// the `_ferry_nulls` DEFAULT, ADD COLUMN with the UPDATE mutation, and old
// rows read null in the new columns.
TEST(ChdbClickHouse, DdlOfEveryEngineModeAndRuleRuns) {
  FERRY_CHDB_CURRENT_FEATURES(f);
  TempDir dir;
  const std::vector<std::pair<std::string, json>> variants = {
      {"plain", json::object()},
      {"replacing", {{"engine", {{"name", "ReplacingMergeTree"}}}}},
      {"merge_tree_named", {{"engine", {{"name", "MergeTree"}, {"parameters", json::array()}}}}},
      {"partition", {{"partition", {{"partition_by", "toYYYYMM(_cq_sync_time)"}}}}},
      {"order", {{"order", {{"order_by", {"_cq_source_name", "_cq_id"}}}}}},
      // Every column of a table without a primary key but _cq_id is Nullable,
      // and ClickHouse refuses a Nullable TTL (below): the README's form.
      {"ttl",
       {{"ttl", json::array({{{"tables", {"*_append"}}, {"ttl", "assumeNotNull(_cq_sync_time) + INTERVAL 30 DAY"}},
                             {{"ttl", "_cq_sync_time + INTERVAL 30 DAY"}}})}}},
      {"all_rules",
       {{"partition", {{"tables", {"v_*"}}, {"partition_by", "toYYYYMMDD(_cq_sync_time)"}}},
        {"order", {{"order_by", {"`_cq_source_name`", "toStartOfHour(_cq_sync_time)", "`c_int64`"}}}},
        {"ttl", {{"ttl", "toDateTime(assumeNotNull(_cq_sync_time)) + INTERVAL 1 YEAR DELETE"}}}}},
  };
  json steps = json::array({SqlStep("SET mutations_sync = 2"),
                            SqlStep(std::string("CREATE DATABASE ") + QuoteIdent(kDb))});
  json queries = json::array();
  std::vector<std::pair<std::string, TableLayout>> tables;
  std::vector<Spec> specs;
  specs.reserve(variants.size());
  for (const auto& [name, spec_json] : variants) {
    specs.push_back(SpecOf(spec_json));
    for (bool keyed : {false, true}) {
      const std::string table = "v_" + name + (keyed ? "_overwrite" : "_append");
      auto schema = std::make_shared<TableSchema>(*ferry::testing::AllTypesTable(table));
      if (keyed) schema->columns[schema->FindColumn("id")].primary_key = true;
      const std::vector<Row> rows = ferry::testing::AllTypesRows(kSyncTime, "src");
      FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, ferry::testing::MakeBatch(schema, rows));
      TableLayout layout = LayoutOf(schema, f);
      DdlContext ctx{&specs.back(), &f, kDb};
      FERRY_ASSERT_OK_AND_ASSIGN(std::string create, CreateTableSql(layout, ctx));
      steps.push_back(SqlStep(create));
      const std::string file = dir.File(table + ".native");
      FERRY_ASSERT_OK(EncodeRequest(layout, {batch}, file));
      steps.push_back({{"insert", QualifiedName(kDb, table)}, {"columns", ColumnList(layout)}, {"file", file}});
      steps.push_back(SqlStep("SELECT count() FROM " + QualifiedName(kDb, table), true));
      FERRY_ASSERT_OK_AND_ASSIGN(std::string where, DeleteStaleWhere("src", kSyncTime + 1, f));
      steps.push_back(SqlStep("ALTER TABLE " + QualifiedName(kDb, table) + " DELETE WHERE " + where));
      queries.push_back(SqlQuery("SELECT count() FROM " + QualifiedName(kDb, table)));
      tables.emplace_back(table, std::move(layout));
    }
  }

  // A table that grows over three syncs.
  const Spec plain = SpecOf(json::object());
  DdlContext ctx{&plain, &f, kDb};
  std::vector<Column> cols = {Col("id", types::Int64())};
  std::vector<TableSchemaPtr> versions;
  versions.push_back(TableWithMeta("evolve", cols));
  cols.push_back(Col("tags", types::List(types::Utf8())));
  cols.push_back(Col("flag", types::Bool()));
  versions.push_back(TableWithMeta("evolve", cols));
  cols.push_back(Col("point", types::Struct({{"x", types::Float64()}, {"at", types::Timestamp()}})));
  versions.push_back(TableWithMeta("evolve", cols));
  std::vector<Row> all;
  for (size_t v = 0; v < versions.size(); ++v) {
    const TableLayout layout = LayoutOf(versions[v], f);
    if (v == 0) {
      FERRY_ASSERT_OK_AND_ASSIGN(std::string create, CreateTableSql(layout, ctx));
      steps.push_back(SqlStep(create));
    } else {
      ExistingTable have{"MergeTree", "", "", {}};
      for (const auto& pc : LayoutOf(versions[v - 1], f).columns) have.columns.emplace_back(pc.name, pc.type);
      const TablePlan plan = PlanTable(layout, have, ctx);
      ASSERT_EQ(plan.action, TablePlan::Action::kAddColumns) << "version " << v;
      EXPECT_EQ(plan.add_nulls_column, v == 1);
      steps.push_back(SqlStep(AddColumnsSql(plan, ctx)));
      const std::string mark = MarkNullSql(plan, ctx);
      EXPECT_EQ(mark.empty(), v == 1);
      if (!mark.empty()) steps.push_back(SqlStep(mark));
    }
    std::vector<Row> rows = ferry::testing::RandomRows(*versions[v], 20, 100 + v, static_cast<int64_t>(all.size()));
    FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, ferry::testing::MakeBatch(versions[v], rows));
    const std::string file = dir.File("evolve." + std::to_string(v) + ".native");
    FERRY_ASSERT_OK(EncodeRequest(layout, {batch}, file));
    steps.push_back({{"insert", QualifiedName(kDb, "evolve")}, {"columns", ColumnList(layout)}, {"file", file}});
    for (auto& r : rows) {
      r.resize(versions.back()->columns.size());  // later columns: null for rows written before them
      all.push_back(std::move(r));
    }
  }
  const TableLayout last = LayoutOf(versions.back(), f);
  json reads = json::array({{{"database", kDb}, {"table", "evolve"}, {"native", dir.File("evolve.out.native")}}});

  // Last: what a TTL on the Nullable _cq_sync_time of an append table gets.
  {
    const Spec ttl = SpecOf({{"ttl", {{"ttl", "_cq_sync_time + INTERVAL 30 DAY"}}}});
    DdlContext tctx{&ttl, &f, kDb};
    FERRY_ASSERT_OK_AND_ASSIGN(std::string create,
                               CreateTableSql(LayoutOf(TableWithMeta("ttl_nullable", {Col("id", types::Int64())}), f), tctx));
    steps.push_back(SqlStep(create));
  }

  FERRY_ASSERT_OK_AND_ASSIGN(json answer, RunJob(dir, {{"steps", steps}, {"reads", reads}, {"queries", queries}}));
  ExpectStepsOk(answer, 1);
  EXPECT_NE(answer["steps"].back()["error"].dump().find("TTL expression result column should have"), std::string::npos)
      << answer["steps"].back();
  ASSERT_EQ(answer["queries"].size(), tables.size());
  std::vector<int64_t> counts;
  for (const auto& st : answer["steps"])
    if (st.contains("rows")) counts.push_back(st["rows"][0][0].get<int64_t>());
  ASSERT_EQ(counts.size(), tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    const auto& [table, layout] = tables[i];
    SCOPED_TRACE(table);
    EXPECT_EQ(counts[i], static_cast<int64_t>(ferry::testing::AllTypesRows(kSyncTime, "src").size()));
    const json& after = answer["queries"][i];
    ASSERT_TRUE(after["error"].is_null()) << after["error"];
    // Queries run after every step: the delete-stale mutation removed the rows.
    EXPECT_EQ(after["rows"][0][0].get<int64_t>(), 0);
    const ExistingTable have = Existing(answer, table);
    const Spec& spec = specs[i / 2];
    DdlContext tctx{&spec, &f, kDb};
    const TablePlan plan = PlanTable(layout, have, tctx);
    EXPECT_EQ(plan.action, TablePlan::Action::kNone) << (plan.unsafe.empty() ? "" : plan.unsafe[0]);
    EXPECT_EQ(have.engine, EngineFor(spec.engine, !layout.schema->PrimaryKeys().empty()).name);
  }
  const ExistingTable grown = Existing(answer, "evolve");
  EXPECT_EQ(PlanTable(last, grown, ctx).action, TablePlan::Action::kNone);
  const json& read = answer["reads"][0];
  ASSERT_TRUE(read["error"].is_null()) << read["error"];
  FERRY_ASSERT_OK_AND_ASSIGN(auto columns, DecodeNative(ReadAll(dir.File("evolve.out.native"))));
  FERRY_ASSERT_OK_AND_ASSIGN(auto back, RowsFromColumns(last, std::move(columns)));
  EXPECT_TRUE(ferry::testing::SameRows(all, back));
}

// Snapshot views (snapshot_views.h) on a current server: the snapshot table,
// a data table partitioned by the day of _cq_sync_time, both views; three
// syncs of one source (the third not recorded: it failed) and one of
// another. _latest shows each source's newest recorded sync, _changes what
// changed between a source's last two.
TEST(ChdbClickHouse, SnapshotViewsRun) {
  FERRY_CHDB_CURRENT_FEATURES(f);
  TempDir dir;
  const Spec plain = SpecOf(json::object());
  DdlContext ctx{&plain, &f, kDb};
  ctx.snapshot_partition = true;
  auto data = std::make_shared<TableSchema>(*TableWithMeta(
      "snap", {Col("id", types::Int64()), Col("name", types::Utf8()), Col("tags", types::List(types::Utf8()))}));
  data->source_primary_key = {"id"};
  const TableSchemaPtr snaps = snapshot::Schema();
  json steps = json::array({SqlStep(std::string("CREATE DATABASE ") + QuoteIdent(kDb))});
  for (const TableSchemaPtr& t : {snaps, TableSchemaPtr(data)}) {
    FERRY_ASSERT_OK_AND_ASSIGN(std::string create, CreateTableSql(LayoutOf(t, f), ctx));
    steps.push_back(SqlStep(create));
  }
  const TableLayout layout = LayoutOf(data, f);
  EXPECT_NE(steps.back()["sql_hex"].get<std::string>().find(Hex("PARTITION BY toYYYYMMDD(assumeNotNull(")),
            std::string::npos);
  steps.push_back(SqlStep(LatestViewSql(layout, ctx)));
  steps.push_back(SqlStep(ChangesViewSql(layout, ctx)));

  const int64_t t1 = kSyncTime, t2 = kSyncTime + 3600000000LL, t3 = kSyncTime + 7200000000LL;
  auto row = [](int64_t at, const std::string& source, uint64_t n, int64_t id, const std::string& name) {
    return ferry::testing::MetaRow(at, source, n, {Value::Int(id), Value::String(name), Value::List({})});
  };
  const std::vector<Row> rows = {row(t1, "src", 1, 1, "a"),   row(t1, "src", 2, 2, "b"),  row(t1, "src", 3, 3, "c"),
                                 row(t1, "other", 4, 9, "z"), row(t2, "src", 5, 1, "a"),  row(t2, "src", 6, 2, "b2"),
                                 row(t2, "src", 7, 4, "d"),   row(t3, "src", 8, 1, "x"),  row(t3, "src", 9, 5, "x")};
  auto text = [](const std::string& s) { return Value::String(s); };
  const std::vector<Row> recorded = {{text("snap"), text("src"), text(""), Value::Int(t1), text("i1"), Value::Int(3)},
                                     {text("snap"), text("other"), text(""), Value::Int(t1), text("i1"), Value::Int(1)},
                                     {text("snap"), text("src"), text(""), Value::Int(t2), text("i2"), Value::Int(3)}};
  for (const auto& [t, r] : {std::pair{TableSchemaPtr(data), rows}, std::pair{snaps, recorded}}) {
    FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, ferry::testing::MakeBatch(t, r));
    const std::string file = dir.File(t->name + ".native");
    const TableLayout l = LayoutOf(t, f);
    FERRY_ASSERT_OK(EncodeRequest(l, {batch}, file));
    steps.push_back({{"insert", QualifiedName(kDb, t->name)}, {"columns", ColumnList(l)}, {"file", file}});
  }
  json queries = json::array(
      {SqlQuery("SELECT `_cq_source_name`, `id`, `name` FROM `ferry`.`snap_latest` ORDER BY `_cq_source_name`, `id`"),
       SqlQuery("SELECT `_ferry_change`, `_cq_source_name`, `id`, `name`, toString(`_ferry_from_sync_time`), "
                "toString(`_ferry_to_sync_time`) FROM `ferry`.`snap_changes` ORDER BY `_cq_source_name`, `id`")});
  FERRY_ASSERT_OK_AND_ASSIGN(json answer, RunJob(dir, {{"steps", steps}, {"queries", queries}}));
  ExpectStepsOk(answer);
  ASSERT_EQ(answer["queries"].size(), 2u);
  for (const auto& q : answer["queries"]) ASSERT_TRUE(q["error"].is_null()) << q["sql"] << "\n-> " << q["error"];
  EXPECT_EQ(answer["queries"][0]["rows"],
            json::parse(R"([["other",9,"z"],["src",1,"a"],["src",2,"b2"],["src",4,"d"]])"));
  const std::string s1 = TimestampText(t1), s2 = TimestampText(t2);
  EXPECT_EQ(answer["queries"][1]["rows"], json::array({json::array({"added", "other", 9, "z", nullptr, s1}),
                                                       json::array({"changed", "src", 2, "b2", s1, s2}),
                                                       json::array({"removed", "src", 3, "c", s1, s2}),
                                                       json::array({"added", "src", 4, "d", s1, s2})}));
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
