// The conformance suite for SQLite, plus SQLite-specific behaviour: quoting,
// stored text formats, declared types, options, locking, delete_record details.
#include "plugins/destination/sqlite/sqlite_destination.h"

#include <gtest/gtest.h>

#include <limits>

#include "ferry/options.h"
#include "ferry/state.h"
#include "ferry/text_codec.h"
#include "plugins/destination/sqlite/table_reader.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/destination_conformance.h"
#include "testing/row_compare.h"

namespace ferry::plugins::sqlite {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::MetaRow;
using ferry::testing::SameRows;
using ferry::testing::TableWithMeta;
using ferry::testing::conformance::ItemRow;
using ferry::testing::conformance::Items;
using ferry::testing::conformance::kT1;
using ferry::testing::conformance::kT2;

ferry::testing::TempDir& Dir() {
  static ferry::testing::TempDir dir;
  return dir;
}

Result<std::unique_ptr<Destination>> OpenSqlite(const std::string& path, nlohmann::json extra = nlohmann::json::object()) {
  extra["connection_string"] = path;
  FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), extra, "destination \"sqlite\"", nullptr));
  auto d = std::make_unique<Destination>();
  FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"my_sqlite", "test-invocation"}));
  return d;
}

ferry::testing::ConformanceTarget SqliteTarget() {
  ferry::testing::ConformanceTarget t;
  t.plugin = SqlitePlugin();
  t.name = "Sqlite";
  t.open = [](const std::string& ns) -> Result<std::unique_ptr<ferry::Destination>> {
    FERRY_ASSIGN_OR_RETURN(auto d, OpenSqlite(Dir().File(ns + ".db")));
    return std::unique_ptr<ferry::Destination>(std::move(d));
  };
  t.read = [](const std::string& ns, const TableSchema& table) -> Result<std::vector<Row>> {
    FERRY_ASSIGN_OR_RETURN(auto conn, Connection::Open(Dir().File(ns + ".db"), 5000));
    return ReadTable(*conn, table);
  };
  t.nan = ferry::testing::ConformanceTarget::NanPolicy::kRoundTrip;  // stored as the text 'NaN'
  t.keeps_negative_zero = false;  // SQLite stores an integral REAL as an integer
  return t;
}

}  // namespace
}  // namespace ferry::plugins::sqlite

namespace ferry::testing {
INSTANTIATE_TEST_SUITE_P(Sqlite, DestinationConformance, ::testing::Values(plugins::sqlite::SqliteTarget()),
                         ConformanceTargetName);
}  // namespace ferry::testing

namespace ferry::plugins::sqlite {
namespace {

class SqliteDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    path_ = Dir().File("sqlite_" + std::to_string(n++) + ".db");
    auto d = OpenSqlite(path_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dest_ = d.MoveValue();
  }
  Status Migrate(const std::vector<TableSchemaPtr>& t, MigrateMode mode = MigrateMode::kSafe) {
    return dest_->Migrate(t, MigrateOptions{mode});
  }
  Status Write(const TableSchemaPtr& t, const std::vector<Row>& rows) {
    FERRY_ASSIGN_OR_RETURN(BatchPtr b, MakeBatch(t, rows));
    return dest_->Write(WriteRequest{t, {b}, nullptr, {}});
  }
  // First column of every row of `sql`, as text ("NULL" for null).
  std::vector<std::string> Query(const std::string& sql) {
    std::vector<std::string> out;
    auto stmt = dest_->connection()->Prepare(sql, "query");
    if (!stmt.ok()) {
      ADD_FAILURE() << stmt.status().ToString();
      return out;
    }
    while (sqlite3_step(stmt->get()) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt->get(), 0);
      out.push_back(t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt->get(), 0))
                      : std::string("NULL"));
    }
    return out;
  }
  Result<std::vector<Row>> Read(const TableSchema& t) { return ReadTable(*dest_->connection(), t); }

  std::string path_;
  std::unique_ptr<Destination> dest_;
};

TEST_F(SqliteDestinationTest, QuotesWeirdIdentifiers) {
  auto t = std::make_shared<TableSchema>();
  t->name = "a\"b table; DROP TABLE x --";
  t->columns = {Col(meta::kSyncTime, types::Timestamp()), Col(meta::kSourceName, types::Utf8()),
                Col("sel\"ect", types::Int64(), true), Col("from", types::Utf8()), Col("a b", types::Utf8()),
                Col("Ünï", types::Int64())};
  FERRY_ASSERT_OK(Migrate({t}));
  FERRY_ASSERT_OK(Migrate({t}));  // pragma_table_info finds the table again
  std::vector<Row> rows = {
      {Value::Int(kT1), Value::String("s"), Value::Int(1), Value::String("x'y"), Value::String("\"q\""), Value::Int(5)},
      {Value::Int(kT2), Value::String("s"), Value::Int(2), Value::String("z"), Value::Null(), Value::Int(6)}};
  FERRY_ASSERT_OK(Write(t, rows));
  FERRY_ASSERT_OK(Write(t, {rows[0]}));  // upsert on "sel""ect"
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(rows, got));
  FERRY_ASSERT_OK(dest_->DeleteStale(DeleteStaleRequest{t, "s", kT2}));
  ferry::DeleteRecord del{t->name, {{DeletePredicateGroup::Grouping::kAnd, {{"from", Value::String("z")}}}}};
  FERRY_ASSERT_OK(dest_->DeleteRecord(del));
  FERRY_ASSERT_OK_AND_ASSIGN(auto after, Read(*t));
  EXPECT_TRUE(after.empty());
  EXPECT_EQ(Query("SELECT count(*) FROM sqlite_master WHERE type = 'table'"), std::vector<std::string>{"1"});
}

TEST_F(SqliteDestinationTest, DeclaredTypes) {
  auto t = ferry::testing::AllTypesTable("types");
  FERRY_ASSERT_OK(Migrate({t}));
  auto decl = Query("SELECT name || ' ' || type || ' ' || \"notnull\" FROM pragma_table_info('types')");
  std::vector<std::string> want = {
      "_cq_sync_time TIMESTAMP 0", "_cq_source_name TEXT 0", "_cq_id TEXT 1", "_cq_parent_id TEXT 0",
      "id INTEGER 0", "c_bool BOOLEAN 0", "c_int8 INTEGER 0", "c_int16 INTEGER 0", "c_int32 INTEGER 0",
      "c_int64 INTEGER 0", "c_uint8 INTEGER 0", "c_uint16 INTEGER 0", "c_uint32 INTEGER 0", "c_uint64 INTEGER 0",
      "c_float32 REAL 0", "c_float64 REAL 0", "c_utf8 TEXT 0", "c_binary BLOB 0", "c_timestamp TIMESTAMP 0",
      "c_date32 TEXT 0", "c_fixed BLOB 0", "c_uuid TEXT 0", "c_json TEXT 0", "c_inet TEXT 0", "c_mac BLOB 0",
      "c_list_utf8 TEXT 0", "c_list_int64 TEXT 0", "c_list_uint64 TEXT 0", "c_list_binary TEXT 0",
      "c_list_timestamp TEXT 0", "c_list_list TEXT 0", "c_list_struct TEXT 0", "c_struct TEXT 0"};
  EXPECT_EQ(decl, want);
}

// Arrow's time, duration, interval and decimal128 types, which CloudQuery's
// sqlite stores as TEXT: the canonical text of AppendArrowScalarText, also
// inside lists and structs, read back to the same values.
TEST_F(SqliteDestinationTest, TimesDurationsIntervalsAndDecimalsAsText) {
  auto t = TableWithMeta(
      "arrow_types",
      {Col("id", types::Int64()), Col("t32s", types::Time32(TimeUnit::kSecond)),
       Col("t32ms", types::Time32(TimeUnit::kMilli)), Col("t64us", types::Time64(TimeUnit::kMicro)),
       Col("t64ns", types::Time64(TimeUnit::kNano)), Col("ds", types::Duration(TimeUnit::kSecond)),
       Col("dms", types::Duration(TimeUnit::kMilli)), Col("dus", types::Duration(TimeUnit::kMicro)),
       Col("dns", types::Duration(TimeUnit::kNano)), Col("im", types::IntervalMonth()),
       Col("idt", types::IntervalDayTime()), Col("imdn", types::IntervalMonthDayNano()),
       Col("dec", types::Decimal128(19, 10)), Col("dec_list", types::List(types::Decimal128(19, 10))),
       Col("st", types::Struct({{"d", types::Duration(TimeUnit::kNano), true},
                                {"t", types::Time32(TimeUnit::kSecond), true},
                                {"i", types::IntervalMonthDayNano(), true}}))});
  auto dec = [](__int128 v) { return Value::String(Decimal128Bytes(v)); };
  std::vector<Row> rows = {
      MetaRow(kT1, "src", 1,
              {Value::Int(1), Value::Int(11045), Value::Int(11045123), Value::Int(11045123456),
               Value::Int(11045123456789), Value::Int(12), Value::Int(1500), Value::Int(7), Value::Int(-9),
               Value::Int(1), Value::String(IntervalDayTimeBytes(2, 300)),
               Value::String(IntervalMonthDayNanoBytes(1, 2, 3)), dec(-123400000000),
               Value::List({dec(5), Value::Null()}),
               Value::List({Value::Int(9), Value::Int(86399), Value::String(IntervalMonthDayNanoBytes(-1, 0, 0))})}),
      MetaRow(kT1, "src", 2,
              {Value::Int(2), Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(),
               Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(),
               Value::Null(), Value::Null(), Value::Null()}),
  };
  FERRY_ASSERT_OK(Migrate({t}));
  FERRY_ASSERT_OK(Write(t, rows));
  auto decl = Query("SELECT type FROM pragma_table_info('arrow_types') WHERE name = 'imdn'");
  EXPECT_EQ(decl, std::vector<std::string>{"TEXT"});
  const std::vector<std::pair<std::string, std::string>> want = {
      {"t32s", "03:04:05"},
      {"t32ms", "03:04:05.123"},
      {"t64us", "03:04:05.123456"},
      {"t64ns", "03:04:05.123456789"},
      {"ds", "12s"},
      {"dms", "1500ms"},
      {"dus", "7us"},
      {"dns", "-9ns"},
      {"im", "1 month"},
      {"idt", "2 days 300ms"},
      {"imdn", "1 month 2 days 3ns"},
      {"dec", "-12.3400000000"},
      {"dec_list", "[\"0.0000000005\",null]"},
      {"st", "{\"d\":\"9ns\",\"t\":\"23:59:59\",\"i\":\"-1 month 0 days 0ns\"}"},
  };
  for (const auto& [col, text] : want) {
    EXPECT_EQ(Query("SELECT typeof(" + col + ") || ' ' || " + col + " FROM arrow_types WHERE id = 1"),
              std::vector<std::string>{"text " + text})
        << col;
  }
  auto back = Read(*t);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(SameRows(rows, *back));
}

TEST_F(SqliteDestinationTest, StoredTextFormats) {
  auto t = ferry::testing::AllTypesTable("types");
  FERRY_ASSERT_OK(Migrate({t}));
  FERRY_ASSERT_OK(Write(t, ferry::testing::AllTypesRows(kT1, "src")));
  auto q = [&](const std::string& expr, int id) {
    auto r = Query("SELECT " + expr + " FROM types WHERE id = " + std::to_string(id));
    return r.empty() ? std::string("<no row>") : r[0];
  };
  EXPECT_EQ(q("_cq_sync_time", 1), "2024-01-02 03:04:05.678901");
  EXPECT_EQ(q("typeof(_cq_sync_time)", 1), "text");
  EXPECT_EQ(q("datetime(_cq_sync_time)", 1), "2024-01-02 03:04:05");
  EXPECT_EQ(q("c_timestamp", 2), "9999-12-31 23:59:59.999999");
  EXPECT_EQ(q("c_timestamp", 3), "0001-01-01 00:00:00.000000");
  EXPECT_EQ(q("c_timestamp", 4), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(q("c_date32", 4), "1969-12-31");
  EXPECT_EQ(q("c_date32", 5), "2024-02-29");
  EXPECT_EQ(q("c_uuid", 2), "ffffffff-ffff-ffff-ffff-ffffffffffff");
  EXPECT_EQ(q("_cq_id", 1), q("lower(_cq_id)", 1));
  EXPECT_EQ(q("length(_cq_id)", 1), "36");
  EXPECT_EQ(q("c_bool || typeof(c_bool)", 2), "1integer");
  EXPECT_EQ(q("c_bool || typeof(c_bool)", 1), "0integer");
  EXPECT_EQ(q("typeof(c_uint64) || ' ' || CAST(c_uint64 AS TEXT)", 2), "blob 18446744073709551615");
  EXPECT_EQ(q("typeof(c_uint64) || ' ' || c_uint64", 4), "integer 9223372036854775807");
  EXPECT_EQ(q("typeof(c_float32) || ' ' || c_float32", 4), "text NaN");
  EXPECT_EQ(q("typeof(c_float64) || ' ' || (c_float64 > 1e308)", 4), "real 1");
  EXPECT_EQ(q("c_json", 2), "  { \"a\" : [1, 2.50, null] }  ");
  EXPECT_EQ(q("c_inet", 2), "2001:db8::/32");
  EXPECT_EQ(q("typeof(c_mac) || ' ' || hex(c_mac)", 2), "blob 001A2B3C4DFF");
  EXPECT_EQ(q("typeof(c_utf8) || ' ' || length(c_utf8)", 1), "text 0");
  EXPECT_EQ(q("typeof(c_binary) || ' ' || length(c_binary)", 1), "blob 0");
  EXPECT_EQ(q("c_list_utf8", 2), "[\"a\",null,\"\",\"ü \\\"q\\\" \\\\\"]");
  EXPECT_EQ(q("c_list_int64", 2), "[-9223372036854775808,9223372036854775807,0,null]");
  EXPECT_EQ(q("c_list_uint64", 2), "[18446744073709551615,0,null]");
  EXPECT_EQ(q("c_list_timestamp", 2), "[\"2024-02-29 12:34:56.789012\",\"1969-12-31 23:59:59.999999\",null]");
  EXPECT_EQ(q("c_list_list", 2), "[[1,2],[],null,[null]]");
  EXPECT_EQ(q("c_list_struct", 2), "[{\"x\":-2147483648,\"y\":true},null,{\"x\":null,\"y\":null}]");
  EXPECT_EQ(q("c_struct", 2),
            "{\"a\":42,\"b\":\"nested \\\"text\\\" ✓\",\"c\":[0.1,\"NaN\",\"Infinity\",\"-Infinity\",null,-0.0],"
            "\"d\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\",\"e\":\"1999-12-31 23:59:59.000001\"}");
  EXPECT_EQ(q("c_list_binary", 3), "[\"AA==\"]");
  EXPECT_EQ(q("json_valid(c_struct)", 2), "1");
  EXPECT_EQ(q("json_extract(c_struct, '$.a')", 2), "42");
}

TEST_F(SqliteDestinationTest, SafeRefusalChangesNoTable) {
  auto safe_v1 = Items("safe_table", true);
  auto safe_v2 = ferry::testing::conformance::WithColumns(safe_v1, {Col("added", types::Int64())});
  auto unsafe_v1 = TableWithMeta("unsafe_table", {Col("id", types::Int64(), true), Col("c", types::Int64())});
  auto unsafe_v2 = TableWithMeta("unsafe_table", {Col("id", types::Int64(), true), Col("c", types::Utf8())});
  FERRY_ASSERT_OK(Migrate({safe_v1, unsafe_v1}));
  Status st = Migrate({safe_v2, unsafe_v2});
  ASSERT_EQ(st.code(), StatusCode::kSchemaChange);
  EXPECT_EQ(st.message(),
            "cannot migrate 1 table without losing data:\n"
            "  table unsafe_table: column c: type changed from INTEGER to TEXT\n"
            "set migrate_mode: forced in destination \"my_sqlite\" to drop and recreate this table (its data is lost)");
  EXPECT_EQ(Query("SELECT count(*) FROM pragma_table_info('safe_table') WHERE name = 'added'"),
            std::vector<std::string>{"0"});
}

TEST_F(SqliteDestinationTest, ForcedRecreatesOnlyChangedTables) {
  auto keep = Items("keep", true);
  auto change_v1 = Items("change", true);
  auto change_v2 = Items("change", false);  // primary key removed
  FERRY_ASSERT_OK(Migrate({keep, change_v1}));
  FERRY_ASSERT_OK(Write(keep, {ItemRow(kT1, "s", 1, "a", 1)}));
  FERRY_ASSERT_OK(Write(change_v1, {ItemRow(kT1, "s", 1, "a", 1)}));
  Status st = Migrate({keep, change_v2});
  EXPECT_NE(st.message().find("table change: primary key changed from (id) to (none)"), std::string::npos)
      << st.message();
  FERRY_ASSERT_OK(Migrate({keep, change_v2}, MigrateMode::kForced));
  EXPECT_EQ(Query("SELECT count(*) FROM keep"), std::vector<std::string>{"1"});
  EXPECT_EQ(Query("SELECT count(*) FROM change"), std::vector<std::string>{"0"});
}

TEST_F(SqliteDestinationTest, AdoptsTablesWithLowercaseDeclaredTypes) {
  // As CloudQuery's sqlite plugin creates them.
  FERRY_ASSERT_OK(dest_->connection()->Exec(
      "CREATE TABLE items (_cq_sync_time timestamp, _cq_source_name text, _cq_id text NOT NULL, "
      "_cq_parent_id text, id integer NOT NULL, legacy text, PRIMARY KEY (id))",
      "create"));
  auto t = Items("items", true);
  FERRY_ASSERT_OK(Migrate({t}));
  FERRY_ASSERT_OK(Write(t, {ItemRow(kT1, "s", 1, "a", 1)}));
  EXPECT_EQ(Query("SELECT name || '/' || value || '/' || ifnull(legacy, 'null') FROM items"),
            std::vector<std::string>{"a/1.0/null"});
}

TEST_F(SqliteDestinationTest, RemovedNotNullColumnIsUnsafe) {
  auto v1 = TableWithMeta("t", {Col("id", types::Int64()), Col("must", types::Int64(), false, true)});
  auto v2 = TableWithMeta("t", {Col("id", types::Int64())});
  FERRY_ASSERT_OK(Migrate({v1}));
  Status st = Migrate({v2});
  EXPECT_EQ(st.code(), StatusCode::kSchemaChange);
  EXPECT_NE(st.message().find("column must: removed, but it is NOT NULL"), std::string::npos) << st.message();
  // A removed nullable column is kept and ignored.
  auto v3 = TableWithMeta("u", {Col("id", types::Int64()), Col("gone", types::Int64())});
  auto v4 = TableWithMeta("u", {Col("id", types::Int64())});
  FERRY_ASSERT_OK(Migrate({v3}));
  FERRY_ASSERT_OK(Migrate({v4}));
  FERRY_ASSERT_OK(Write(v4, {MetaRow(kT1, "s", 1, {Value::Int(1)})}));
  EXPECT_EQ(Query("SELECT ifnull(gone, 'null') FROM u"), std::vector<std::string>{"null"});
}

TEST_F(SqliteDestinationTest, DeleteRecordDetails) {
  auto t = Items("t", false);
  FERRY_ASSERT_OK(Migrate({t}));
  std::vector<Row> rows = {ItemRow(kT1, "s", 1, "a", 1), ItemRow(kT1, "s", 2, "b", 2)};
  rows.push_back(MetaRow(kT1, "s", 3, {Value::Int(3), Value::Null(), Value::Double(3)}));
  FERRY_ASSERT_OK(Write(t, rows));
  using G = DeletePredicateGroup::Grouping;
  // A null value matches null cells.
  FERRY_ASSERT_OK(dest_->DeleteRecord({t->name, {{G::kAnd, {{"name", Value::Null()}}}}}));
  EXPECT_EQ(Query("SELECT count(*) FROM t"), std::vector<std::string>{"2"});
  // An unknown column is an error that names it.
  Status st = dest_->DeleteRecord({t->name, {{G::kAnd, {{"nope", Value::Int(1)}}}}});
  EXPECT_NE(st.message().find("nope"), std::string::npos);
  // A new instance that never migrated derives types from the table: the
  // timestamp value is compared in its stored text form.
  FERRY_ASSERT_OK_AND_ASSIGN(auto fresh, OpenSqlite(path_));
  FERRY_ASSERT_OK(fresh->DeleteRecord({t->name, {{G::kAnd, {{meta::kSyncTime, Value::Int(kT1)}, {"id", Value::Int(1)}}}}}));
  EXPECT_EQ(Query("SELECT id FROM t"), std::vector<std::string>{"2"});
  // No groups: every row goes (as CloudQuery's destinations do).
  FERRY_ASSERT_OK(dest_->DeleteRecord({t->name, {}}));
  EXPECT_EQ(Query("SELECT count(*) FROM t"), std::vector<std::string>{"0"});
}

TEST_F(SqliteDestinationTest, BusyDatabaseIsTransient) {
  auto t = Items("t", false);
  FERRY_ASSERT_OK(Migrate({t}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto impatient, OpenSqlite(path_, {{"busy_timeout", "0s"}}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto holder, Connection::Open(path_, 0));
  FERRY_ASSERT_OK(holder->Exec("BEGIN IMMEDIATE", "lock"));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {ItemRow(kT1, "s", 1, "a", 1)}));
  Status st = impatient->Write(WriteRequest{t, {b}, nullptr, {}});
  EXPECT_EQ(st.code(), StatusCode::kTransient) << st.ToString();
  EXPECT_TRUE(st.IsRetryable());
  FERRY_ASSERT_OK(holder->Exec("COMMIT", "unlock"));
  FERRY_EXPECT_OK(impatient->Write(WriteRequest{t, {b}, nullptr, {}}));
}

TEST_F(SqliteDestinationTest, BatchNotMatchingTheSchemaIsAnError) {
  auto t = Items("t", false);
  auto other = TableWithMeta("t", {Col("id", types::Utf8()), Col("name", types::Utf8()), Col("value", types::Float64())});
  FERRY_ASSERT_OK(Migrate({t}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(other, {MetaRow(kT1, "s", 1, {Value::String("x"), Value::Null(), Value::Null()})}));
  Status st = dest_->Write(WriteRequest{t, {b}, nullptr, {}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("column id"), std::string::npos) << st.message();
}

TEST_F(SqliteDestinationTest, ErrorNamesTheRowAtFault) {
  auto t = TableWithMeta("t", {Col("id", types::Int64()), Col("must", types::Utf8(), false, true)});
  FERRY_ASSERT_OK(Migrate({t}));
  std::vector<Row> rows;
  for (int64_t i = 0; i < 200; ++i)
    rows.push_back(MetaRow(kT1, "s", static_cast<uint64_t>(i), {Value::Int(i), i == 70 ? Value::Null() : Value::String("x")}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, rows));
  // Two batches: the first starts the request-wide row count at 200.
  Status st = dest_->Write(WriteRequest{t, {b, b}, nullptr, {}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("table t: insert row 70: NOT NULL constraint failed: t.must"), std::string::npos)
      << st.message();
  EXPECT_EQ(Query("SELECT count(*) FROM t"), std::vector<std::string>{"0"});
}

TEST_F(SqliteDestinationTest, BigUint64KeysAndPredicates) {
  auto t = TableWithMeta("t", {Col("k", types::UInt64(), true), Col("v", types::Utf8())});
  FERRY_ASSERT_OK(Migrate({t}));
  const uint64_t big = std::numeric_limits<uint64_t>::max() - 1;
  auto row = [&](uint64_t k, const char* v) { return MetaRow(kT1, "s", k, {Value::UInt(k), Value::String(v)}); };
  // A uint64 key above INT64_MAX cannot live in an INTEGER PRIMARY KEY (rowid) ...
  EXPECT_EQ(Write(t, {row(big, "a")}).code(), StatusCode::kInvalidArgument);
  // ... but can in an ordinary column, where it upserts and matches predicates.
  auto u = TableWithMeta("u", {Col("k", types::UInt64(), true), Col("k2", types::Utf8(), true), Col("v", types::Utf8())});
  FERRY_ASSERT_OK(Migrate({u}));
  auto urow = [&](uint64_t k, const char* v) {
    return MetaRow(kT1, "s", k, {Value::UInt(k), Value::String("x"), Value::String(v)});
  };
  FERRY_ASSERT_OK(Write(u, {urow(big, "a"), urow(5, "b")}));
  FERRY_ASSERT_OK(Write(u, {urow(big, "a2")}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*u));
  EXPECT_TRUE(SameRows({urow(big, "a2"), urow(5, "b")}, got));
  FERRY_ASSERT_OK(dest_->DeleteRecord({u->name, {{DeletePredicateGroup::Grouping::kAnd, {{"k", Value::UInt(big)}}}}}));
  EXPECT_EQ(Query("SELECT v FROM u"), std::vector<std::string>{"b"});
}

TEST_F(SqliteDestinationTest, StateWithoutItsTableFails) {
  WriteRequest req;
  req.state_table = StateTableSchema("never_migrated_state");
  req.state = {{"k", "v", 1}};
  EXPECT_FALSE(dest_->Write(req).ok());
  EXPECT_FALSE(dest_->ReadState(req.state_table).ok());
}

TEST(SqliteOptions, PluginEntry) {
  DestinationPlugin p = SqlitePlugin();
  EXPECT_EQ(p.name, "sqlite");
  EXPECT_TRUE(p.capabilities.forced_migration);
  EXPECT_TRUE(p.capabilities.delete_record);
  EXPECT_EQ(p.capabilities.write_modes.size(), 3u);
  auto opts = ValidateOptions(p.options, {{"connection_string", "x.db"}}, "destination \"sqlite\"", nullptr);
  ASSERT_TRUE(opts.ok()) << opts.status().ToString();
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, ParseSpec(*opts));
  EXPECT_EQ(p.batching.rows, 10000);   // the engine declares batch_size with it (Registry)
  EXPECT_EQ(p.batching.bytes, 10485760);
  EXPECT_EQ(p.batching.timeout, "20s");
  EXPECT_EQ(spec.busy_timeout_ms, 5000);
  EXPECT_EQ(spec.journal_mode, JournalMode::kWal);
  EXPECT_EQ(spec.synchronous, Synchronous::kNormal);
  EXPECT_FALSE(ValidateOptions(p.options, nlohmann::json::object(), "destination \"sqlite\"", nullptr).ok())
      << "connection_string is required";
  EXPECT_FALSE(ValidateOptions(p.options, {{"connection_string", "x"}, {"journal_mode", "fast"}}, "d", nullptr).ok());
}

TEST(SqliteOptions, PragmasApplied) {
  std::string path = Dir().File("pragmas.db");
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, OpenSqlite(path, {{"journal_mode", "truncate"}, {"synchronous", "full"}}));
  FERRY_ASSERT_OK_AND_ASSIGN(std::string mode, d->connection()->QueryText("PRAGMA journal_mode", "q"));
  EXPECT_EQ(mode, "truncate");
  FERRY_ASSERT_OK_AND_ASSIGN(std::string sync, d->connection()->QueryText("PRAGMA synchronous", "q"));
  EXPECT_EQ(sync, "2");
  FERRY_ASSERT_OK_AND_ASSIGN(auto w, OpenSqlite(Dir().File("wal.db")));
  FERRY_ASSERT_OK_AND_ASSIGN(std::string wal, w->connection()->QueryText("PRAGMA journal_mode", "q"));
  EXPECT_EQ(wal, "wal");
  FERRY_ASSERT_OK_AND_ASSIGN(auto uri, OpenSqlite("file:" + Dir().File("uri.db") + "?mode=rwc"));
  EXPECT_NE(uri->connection(), nullptr);
}

TEST(SqliteOptions, UnopenablePathIsAnError) {
  auto d = OpenSqlite(Dir().File("no/such/dir/x.db"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kIOError);
  EXPECT_NE(d.status().message().find("no/such/dir/x.db"), std::string::npos) << d.status().ToString();
}

}  // namespace
}  // namespace ferry::plugins::sqlite
