// ClickHouse-specific behaviour against a real server: what the tables look
// like (types for this server generation, engines, keys, rules), how readers
// see overwrite tables, mutations, connection errors, refusals before data
// moves, compression.
#include <gtest/gtest.h>

#include "ferry/options.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/clickhouse/table_reader.h"
#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"
#include "testing/row_compare.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::MetaRow;
using ferry::testing::TableWithMeta;
using ferry::testing::conformance::ItemRow;
using ferry::testing::conformance::Items;
using ferry::testing::conformance::kT1;
using ferry::testing::conformance::kT2;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class ClickHouseDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = std::string("dest_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto url = testing::FreshDatabase(ns_);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
    db_ = testing::DatabaseName(ns_);
  }
  Result<std::unique_ptr<Destination>> Open(nlohmann::json extra = nlohmann::json::object()) {
    if (!extra.contains("connection_string")) extra["connection_string"] = url_;
    FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), extra, "destination \"ch\"", nullptr));
    auto d = std::make_unique<Destination>();
    FERRY_RETURN_NOT_OK(d->Init(o, DestinationInit{"my_ch", "inv"}));
    return d;
  }
  Status Write(Destination* d, const TableSchemaPtr& t, const std::vector<Row>& rows) {
    FERRY_ASSIGN_OR_RETURN(BatchPtr b, MakeBatch(t, rows));
    return d->Write(WriteRequest{t, {b}, nullptr, {}});
  }
  std::string Q(const std::string& sql) {
    auto r = testing::Admin(sql + " FORMAT TSV");
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? Trim(*r) : "";
  }
  std::string T(const std::string& table) { return QualifiedName(db_, table); }

  std::string ns_, url_, db_;
};

TEST_F(ClickHouseDestinationTest, PluginEntry) {
  DestinationPlugin p = ClickHousePlugin();
  EXPECT_EQ(p.name, "clickhouse");
  EXPECT_EQ(p.capabilities.write_modes.size(), 3u);
  EXPECT_TRUE(p.capabilities.forced_migration);
  EXPECT_TRUE(p.capabilities.delete_record);
  EXPECT_FALSE(p.capabilities.state_backend);
  Registry r;
  ASSERT_TRUE(RegisterBuiltins(r).ok());
  EXPECT_NE(r.FindDestination("clickhouse"), nullptr);
}

TEST_F(ClickHouseDestinationTest, StoredTypesOnThisServer) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open());
  auto t = ferry::testing::AllTypesTable("types");
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  std::string want;
  for (const auto& c : LayoutOf(t, d->features()).columns) want += c.name + "\t" + c.type + "\n";
  EXPECT_EQ(Q("SELECT name, type FROM system.columns WHERE database = '" + db_ + "' AND table = 'types'") + "\n", want);
  if (!d->features().datetime64) {  // 18.16: microseconds in Int64, readable with plain functions
    FERRY_ASSERT_OK(Write(d.get(), t, ferry::testing::AllTypesRows(kT1, "src")));
    EXPECT_EQ(Q("SELECT toDateTime(intDiv(_cq_sync_time, 1000000)) FROM " + T("types") + " LIMIT 1"),
              "2024-01-02 03:04:05");
    EXPECT_EQ(Q("SELECT has(_ferry_nulls, 'c_list_utf8') FROM " + T("types") + " WHERE id = 0"), "1");
    EXPECT_EQ(Q("SELECT `c_list_struct.1` FROM " + T("types") + " WHERE id = 2"), "[-2147483648,NULL,NULL]");
  }
}

TEST_F(ClickHouseDestinationTest, OverwriteTablesAreReplacingMergeTreeReadWithFinalOrArgMax) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open());
  auto t = Items("items", true);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  EXPECT_EQ(Q("SELECT engine_full FROM system.tables WHERE database = '" + db_ + "' AND name = 'items'"),
            "ReplacingMergeTree(_cq_sync_time) ORDER BY id SETTINGS index_granularity = 8192");
  FERRY_ASSERT_OK(Write(d.get(), t, {ItemRow(kT1, "s", 1, "old", 1), ItemRow(kT1, "s", 2, "b", 2)}));
  FERRY_ASSERT_OK(Write(d.get(), t, {ItemRow(kT2, "s", 1, "new", 1)}));
  EXPECT_EQ(Q("SELECT count() FROM " + T("items")), "3") << "both versions exist until parts merge";
  EXPECT_EQ(Q("SELECT name FROM " + T("items") + " FINAL WHERE id = 1"), "new");
  EXPECT_EQ(Q("SELECT argMax(name, _cq_sync_time) FROM " + T("items") + " WHERE id = 1 GROUP BY id"), "new");
  auto plain = Items("log", false);
  FERRY_ASSERT_OK(d->Migrate({plain}, MigrateOptions{}));
  EXPECT_EQ(Q("SELECT engine_full FROM system.tables WHERE database = '" + db_ + "' AND name = 'log'"),
            "MergeTree() ORDER BY tuple() SETTINGS index_granularity = 8192");
}

TEST_F(ClickHouseDestinationTest, DeleteStaleIsAMutationSkippedWhenNothingMatches) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open());
  auto t = Items("items", true);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK(Write(d.get(), t, {ItemRow(kT1, "s", 1, "a", 1), ItemRow(kT1, "s", 2, "b", 2)}));
  FERRY_ASSERT_OK(d->DeleteStale(DeleteStaleRequest{t, "s", kT1}));
  EXPECT_EQ(Q("SELECT count() FROM system.mutations WHERE database = '" + db_ + "'"), "0")
      << "nothing older: no mutation";
  FERRY_ASSERT_OK(Write(d.get(), t, {ItemRow(kT2, "s", 2, "b", 2)}));
  FERRY_ASSERT_OK(d->DeleteStale(DeleteStaleRequest{t, "s", kT2}));
  EXPECT_EQ(Q("SELECT command, is_done FROM system.mutations WHERE database = '" + db_ + "'"),
            "DELETE WHERE (_cq_source_name = \\'s\\') AND (_cq_sync_time < " + std::to_string(kT2) + ")\t1");
  EXPECT_EQ(Q("SELECT id FROM " + T("items")), "2") << "the mutation is done when DeleteStale returns";
}

TEST_F(ClickHouseDestinationTest, NewListColumnReadsNullInOldRowsOfATableWithNullPaths) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open());
  auto v1 = TableWithMeta("t", {Col("id", types::Int64()), Col("a", types::List(types::Int64()))});
  auto v2 = ferry::testing::conformance::WithColumns(v1, {Col("b", types::List(types::Utf8()))});
  const Row r1 = MetaRow(kT1, "s", 1, {Value::Int(1), Value::List({})});
  const Row r2 = MetaRow(kT1, "s", 2, {Value::Int(2), Value::Null()});
  FERRY_ASSERT_OK(d->Migrate({v1}, MigrateOptions{}));
  FERRY_ASSERT_OK(Write(d.get(), v1, {r1, r2}));
  FERRY_ASSERT_OK(d->Migrate({v2}, MigrateOptions{}));  // _ferry_nulls exists: old rows are marked by a mutation
  auto client = testing::NewClient(db_);
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTable(*client, db_, LayoutOf(v2, d->features()), false));
  Row w1 = r1, w2 = r2;
  w1.push_back(Value::Null());
  w2.push_back(Value::Null());
  EXPECT_TRUE(ferry::testing::SameRows({w1, w2}, got));
}

TEST_F(ClickHouseDestinationTest, RulesShapeNewTables) {
  nlohmann::json rules = {{"partition", {{{"tables", {"ev*"}}, {"partition_by", "intDiv(ifNull(id, 0), 100)"}}}},
                          {"order", {{{"tables", {"*"}}, {"skip_tables", {"other"}}, {"order_by", {"_cq_id"}}}}}};
  auto t = Items("events", false);
  auto other = Items("other", false);
  auto keyed = Items("keyed", true);
  // CloudQuery's list form, through the option table.
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(rules));
  FERRY_ASSERT_OK(d->Migrate({t, other, keyed}, MigrateOptions{}));
  const std::string where = "FROM system.tables WHERE database = '" + db_ + "' AND name = ";
  EXPECT_EQ(Q("SELECT partition_key, sorting_key " + where + "'events'"), "intDiv(ifNull(id, 0), 100)\t_cq_id");
  EXPECT_EQ(Q("SELECT partition_key, sorting_key " + where + "'other'"), "\t");
  EXPECT_EQ(Q("SELECT sorting_key " + where + "'keyed'"), "id") << "a keyed table orders by its key";
  FERRY_ASSERT_OK(Write(d.get(), t, {ItemRow(kT1, "s", 150, "x", 1)}));
  EXPECT_EQ(Q("SELECT partition FROM system.parts WHERE database = '" + db_ + "' AND table = 'events'"), "1");
  if (d->features().nullable_key) return;
  FERRY_ASSERT_OK_AND_ASSIGN(auto by_nullable, Open({{"order", {{"order_by", {"id"}}}}}));
  Status st = by_nullable->Migrate({Items("by_id", false)}, MigrateOptions{});
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("order_by column id is Nullable"), std::string::npos) << st.message();
}

TEST_F(ClickHouseDestinationTest, RefusalsComeBeforeAnyTableChanges) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({{"ttl", {{"ttl", "toDate(intDiv(_cq_sync_time, 1000000)) + 7"}}}}));
  if (d->features().ttl) GTEST_SKIP() << "this server has TTL";
  Status st = d->Migrate({Items("a", false), Items("b", false)}, MigrateOptions{});
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("table a: the ttl rule needs ClickHouse 19.6 or newer; this server is 18.16"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(Q("SELECT count() FROM system.tables WHERE database = '" + db_ + "'"), "0");
  auto summing = Open({{"engine", {{"name", "SummingMergeTree"}}}});
  EXPECT_EQ(summing.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(summing.status().message().find("collapse the synced rows"), std::string::npos);
}

TEST_F(ClickHouseDestinationTest, ConnectionErrorsAreClear) {
  const std::string port = std::to_string(testing::TestServer().http_port);
  auto wrong = Open({{"connection_string", "http://ferry:wrong@127.0.0.1:" + port + "/" + db_}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("check the user and password"), std::string::npos)
      << wrong.status().message();
  EXPECT_EQ(wrong.status().message().find("wrong"), std::string::npos) << "the password is not shown";
  auto right = Open({{"connection_string", "http://ferry:p%40ss%3Aw%2Frd@127.0.0.1:" + port + "/" + db_}});
  EXPECT_TRUE(right.ok()) << right.status().ToString();
  auto nodb = Open({{"connection_string", "http://127.0.0.1:" + port + "/no_such_db"}});
  EXPECT_EQ(nodb.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nodb.status().message().find("no_such_db"), std::string::npos) << nodb.status().message();
  auto closed = Open({{"connection_string", "http://127.0.0.1:1/" + db_}});
  EXPECT_EQ(closed.status().code(), StatusCode::kTransient) << closed.status().ToString();
}

TEST_F(ClickHouseDestinationTest, GzipBodiesAndSettingsFromTheUrl) {
  FERRY_ASSERT_OK_AND_ASSIGN(
      auto d, Open({{"compression", "gzip"}, {"connection_string", url_ + "?max_insert_block_size=2000000"}}));
  auto t = Items("items", false);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  std::vector<Row> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(ItemRow(kT1, "s", i, "same text", 1));
  FERRY_ASSERT_OK(Write(d.get(), t, rows));
  EXPECT_EQ(Q("SELECT count(), sum(id) FROM " + T("items")), "1000\t499500");
}

TEST_F(ClickHouseDestinationTest, DeleteRecordWithoutASchemaUsesTheStoredTypes) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open());
  auto t = Items("items", false);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK(Write(d.get(), t, {ItemRow(kT1, "s", 1, "a", 1), ItemRow(kT1, "s", 2, "b", 2)}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto fresh, Open());  // a sync with --no-migrate
  using G = DeletePredicateGroup::Grouping;
  FERRY_ASSERT_OK(fresh->DeleteRecord({"items", {{G::kAnd, {{"id", Value::Int(1)}, {"name", Value::String("a")}}}}}));
  EXPECT_EQ(Q("SELECT id FROM " + T("items")), "2");
  EXPECT_FALSE(fresh->DeleteRecord({"items", {{G::kAnd, {{"nope", Value::Int(1)}}}}}).ok());
  EXPECT_EQ(fresh->DeleteRecord({"missing", {}}).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
