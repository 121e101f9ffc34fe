// PostgreSQL-specific behaviour against a real server: CloudQuery's column
// types in the catalog, quoting and long names, text PostgreSQL cannot hold,
// permanent errors, performance indexes, and `ferry sync` end to end with
// PostgreSQL as destination and as state backend.
#include <gtest/gtest.h>

#include "ferry/options.h"
#include "plugins/destination/postgresql/migrate.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/postgresql/table_reader.h"
#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/row_compare.h"

namespace ferry::plugins::postgresql {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::MetaRow;
using ferry::testing::SameRows;
using ferry::testing::TableWithMeta;
using ferry::testing::conformance::kT1;
using ferry::testing::conformance::kT2;

class PostgresDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    ns_ = "pgdest_" + std::to_string(getpid()) + "_" + std::to_string(n++);
    auto conninfo = testing::FreshDatabase(ns_);
    ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
    conninfo_ = *conninfo;
    auto d = OpenWith({{"connection_string", conninfo_}});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dest_ = d.MoveValue();
  }
  Result<std::unique_ptr<Destination>> OpenWith(nlohmann::json spec) {
    FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), spec, "destination \"pg\"", nullptr));
    auto d = std::make_unique<Destination>();
    FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"pg", "test"}));
    return d;
  }
  Status Write(const TableSchemaPtr& t, const std::vector<Row>& rows) {
    FERRY_ASSIGN_OR_RETURN(BatchPtr b, MakeBatch(t, rows));
    return dest_->Write(WriteRequest{t, {b}, nullptr, {}});
  }
  std::string Query(const std::string& sql) {
    auto r = testing::AdminQuery(testing::DatabaseName(ns_), sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }
  Result<std::vector<Row>> Read(const TableSchema& t) { return ReadTable(*dest_->connection(), t); }

  std::string ns_, conninfo_;
  std::unique_ptr<Destination> dest_;
};

TEST_F(PostgresDestinationTest, ColumnTypesAreCloudQuerys) {
  auto t = ferry::testing::AllTypesTable("pg_types");
  FERRY_ASSERT_OK(dest_->Migrate({t}, MigrateOptions{}));
  const std::string types = Query(
      "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) "
      "FROM pg_attribute WHERE attrelid = 'pg_types'::regclass AND attnum > 0");
  for (const char* want : {"_cq_sync_time timestamp without time zone", "_cq_id uuid", "c_bool boolean",
                           "c_int8 smallint", "c_uint8 smallint", "c_uint16 integer", "c_uint32 bigint",
                           "c_uint64 numeric(20,0)", "c_float32 real", "c_float64 double precision", "c_utf8 text",
                           "c_binary bytea", "c_date32 date", "c_fixed bytea", "c_json jsonb", "c_inet inet",
                           "c_mac macaddr", "c_list_utf8 text[]", "c_list_uint64 numeric(20,0)[]",
                           "c_list_timestamp timestamp without time zone[]", "c_list_list jsonb",
                           "c_list_struct jsonb", "c_struct jsonb"})
    EXPECT_NE(types.find(want), std::string::npos) << want << " in " << types;
}

TEST_F(PostgresDestinationTest, ValuesAsPostgresSeesThem) {
  auto t = TableWithMeta("pg_values", {Col("id", types::Int64(), true), Col("u", types::UInt64()),
                                       Col("j", types::Json()), Col("ip", types::Inet()), Col("m", types::Mac()),
                                       Col("s", types::Struct({{"a", types::Int64()}, {"b", types::Utf8()}})),
                                       Col("tags", types::List(types::Utf8())), Col("txt", types::Utf8())});
  FERRY_ASSERT_OK(dest_->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK(Write(t, {MetaRow(kT1, "src", 1,
                                    {Value::Int(1), Value::UInt(UINT64_MAX), Value::String("{\"k\": [1, 2.50]}"),
                                     Value::String("192.0.2.0/24"), Value::String(std::string("\x02\x00\x5e\x10\x00\x01", 6)),
                                     Value::List({Value::Int(7), Value::String("x")}),
                                     Value::List({Value::String("a"), Value::Null(), Value::String("b\"c")}),
                                     Value::String(std::string("nul\0byte", 8))})}));
  EXPECT_EQ(Query("SELECT _cq_sync_time::text FROM pg_values"), "2024-01-02 03:04:05.678901");
  EXPECT_EQ(Query("SELECT u::text FROM pg_values"), "18446744073709551615");
  EXPECT_EQ(Query("SELECT j->'k'->>1 FROM pg_values"), "2.50");
  EXPECT_EQ(Query("SELECT ip::text FROM pg_values"), "192.0.2.0/24");
  EXPECT_EQ(Query("SELECT m::text FROM pg_values"), "02:00:5e:10:00:01");
  EXPECT_EQ(Query("SELECT s->>'b' FROM pg_values"), "x");
  EXPECT_EQ(Query("SELECT tags::text FROM pg_values"), "{a,NULL,\"b\\\"c\"}");
  EXPECT_EQ(Query("SELECT txt FROM pg_values"), "nulbyte") << "U+0000 is removed, as CloudQuery does";
}

TEST_F(PostgresDestinationTest, QuotesIdentifiersAndCutsLongNames) {
  const std::string long_table = "t_" + std::string(80, 'x');
  const std::string long_col = "c_" + std::string(80, 'y');
  auto t = std::make_shared<TableSchema>();
  t->name = long_table;
  t->columns = {Col(meta::kSyncTime, types::Timestamp()), Col(meta::kSourceName, types::Utf8()),
                Col("sel\"ect", types::Int64(), true), Col("from", types::Utf8()), Col(long_col, types::Utf8())};
  FERRY_ASSERT_OK(dest_->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK(dest_->Migrate({t}, MigrateOptions{}));  // the cut names are found again
  std::vector<Row> rows = {{Value::Int(kT1), Value::String("s"), Value::Int(1), Value::String("x'y"), Value::String("a")},
                           {Value::Int(kT2), Value::String("s"), Value::Int(2), Value::Null(), Value::String("b")}};
  FERRY_ASSERT_OK(Write(t, rows));
  FERRY_ASSERT_OK(Write(t, {rows[0]}));  // upsert on "sel""ect"
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(rows, got));
  FERRY_ASSERT_OK(dest_->DeleteStale(DeleteStaleRequest{t, "s", kT2}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto after, Read(*t));
  EXPECT_TRUE(SameRows({rows[1]}, after));

  auto clash = TableWithMeta("clash", {Col(std::string(70, 'z') + "1", types::Int64()),
                                       Col(std::string(70, 'z') + "2", types::Int64())});
  Status st = dest_->Migrate({clash}, MigrateOptions{});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("63 bytes"), std::string::npos) << st.message();
}

TEST_F(PostgresDestinationTest, PerformanceIndexes) {
  auto d = OpenWith({{"connection_string", conninfo_}, {"create_performance_indexes", true}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto t = ferry::testing::conformance::Items("perf_items", true);
  FERRY_ASSERT_OK((*d)->Migrate({t}, MigrateOptions{}));
  EXPECT_EQ(Query("SELECT indexdef FROM pg_indexes WHERE indexname = 'perf_items_cqpi'"),
            "CREATE INDEX perf_items_cqpi ON public.perf_items USING btree (_cq_source_name, _cq_sync_time)");
  EXPECT_EQ(Query("SELECT conname FROM pg_constraint WHERE conrelid = 'perf_items'::regclass AND contype = 'p'"),
            "perf_items_cqpk");
}

TEST_F(PostgresDestinationTest, PermanentErrorsAreNotRetryable) {
  // Unknown role: a permanent connection error, with a clear message.
  auto bad = OpenWith({{"connection_string", conninfo_ + " user=no_such_role_ferry"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(bad.status().IsRetryable()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("no_such_role_ferry"), std::string::npos) << bad.status().ToString();

  // Permission denied: a role that may connect but not create tables.
  const std::string db = testing::DatabaseName(ns_);
  FERRY_ASSERT_OK(testing::AdminExec(db, "DROP ROLE IF EXISTS ferry_ro; CREATE ROLE ferry_ro LOGIN; "
                                         "REVOKE CREATE ON SCHEMA public FROM PUBLIC"));
  auto t = ferry::testing::conformance::Items("denied_items", false);
  FERRY_ASSERT_OK(dest_->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK(Write(t, {ferry::testing::conformance::ItemRow(kT1, "s", 1, "kept", 1)}));
  auto ro = OpenWith({{"connection_string", conninfo_ + " user=ferry_ro"}});
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  Status created = (*ro)->Migrate({ferry::testing::conformance::Items("denied_new", false)}, MigrateOptions{});
  EXPECT_FALSE(created.ok());
  EXPECT_FALSE(created.IsRetryable()) << created.ToString();
  EXPECT_NE(created.message().find("42501"), std::string::npos) << created.ToString();
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {ferry::testing::conformance::ItemRow(kT1, "s", 2, "x", 2)}));
  Status wrote = (*ro)->Write(WriteRequest{t, {b}, nullptr, {}});
  EXPECT_FALSE(wrote.ok());
  EXPECT_FALSE(wrote.IsRetryable()) << wrote.ToString();
  EXPECT_EQ(Query("SELECT count(*) FROM denied_items"), "1") << "committed data is intact";
  FERRY_ASSERT_OK(testing::AdminExec(db, "DROP OWNED BY ferry_ro; DROP ROLE ferry_ro"));
}

TEST_F(PostgresDestinationTest, DeleteRecordWithoutASchemaFromThisProcess) {
  auto t = ferry::testing::conformance::Items("dr_items", false);
  FERRY_ASSERT_OK(dest_->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK(Write(t, {ferry::testing::conformance::ItemRow(kT1, "s", 1, "a", 1),
                            ferry::testing::conformance::ItemRow(kT1, "s", 2, "b", 2)}));
  auto d2 = OpenWith({{"connection_string", conninfo_}});  // --no-migrate: no schema seen
  ASSERT_TRUE(d2.ok());
  ferry::DeleteRecord del;
  del.table_name = "dr_items";
  del.where.push_back({DeletePredicateGroup::Grouping::kAnd, {{"id", Value::Int(2)}}});
  FERRY_ASSERT_OK((*d2)->DeleteRecord(del));
  EXPECT_EQ(Query("SELECT string_agg(name, ',') FROM dr_items"), "a");
}

TEST_F(PostgresDestinationTest, SyncIntoPostgresWithPostgresStateBackend) {
  ferry::testing::TempDir dir;
  const std::string spec = dir.Write("inc.yml", R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v4.0.0
  tables: ["*"]
  destinations: [postgresql]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.postgresql.connection"
  spec: {num_clients: 2, num_rows: 5, incremental_rows: 50}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  spec:
    connection_string: ")" + conninfo_ + R"("
)");
  auto first = ferry::testing::RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(Query("SELECT count(*) FROM test_some_table"), "10");
  const std::string sub = Query("SELECT count(*) FROM test_sub_table");
  EXPECT_NE(sub, "0");
  auto list = ferry::testing::RunFerry({"state", "list", spec}, dir.path());
  EXPECT_EQ(list.exit_code, 0) << list.out << list.err;
  const std::string cursors = Query("SELECT count(*) FROM cq_state_events");
  EXPECT_NE(cursors, "0") << "cursors of the incremental table are in PostgreSQL";
  const std::string incremental = Query("SELECT count(*) FROM test_incremental_table");
  EXPECT_NE(incremental, "0");
  auto second = ferry::testing::RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(Query("SELECT count(*) FROM test_some_table"), "10") << "overwrite-delete-stale keeps one copy";
  EXPECT_EQ(Query("SELECT count(*) FROM test_sub_table"), sub);
  EXPECT_EQ(Query("SELECT count(*) FROM test_incremental_table"), incremental) << "nothing new after the cursor";
}

}  // namespace
}  // namespace ferry::plugins::postgresql
