// Type maps for both server generations, SQL literals, version parsing,
// engines and the spec's rules (no server needed).
#include "plugins/destination/clickhouse/type_map.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ferry/options.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/clickhouse/clickhouse_spec.h"
#include "plugins/destination/clickhouse/sql.h"
#include "testing/batch_gen.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::Col;

ServerFeatures Features(const char* version) {
  auto v = ParseVersion(version);
  EXPECT_TRUE(v.ok());
  auto f = FeaturesOf(*v);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return *f;
}

TEST(ClickHouseTypeMap, Legacy1816AndCurrent) {
  const ServerFeatures old = Features("18.16.1"), now = Features("24.8.4.13");
  struct Case {
    DataTypePtr type;
    const char* legacy;
    const char* current;
  } cases[] = {
      {types::Bool(), "Nullable(UInt8)", "Nullable(Bool)"},
      {types::Int8(), "Nullable(Int8)", "Nullable(Int8)"},
      {types::UInt64(), "Nullable(UInt64)", "Nullable(UInt64)"},
      {types::Float32(), "Nullable(Float32)", "Nullable(Float32)"},
      {types::Utf8(), "Nullable(String)", "Nullable(String)"},
      {types::Binary(), "Nullable(String)", "Nullable(String)"},
      {types::Json(), "Nullable(String)", "Nullable(String)"},
      {types::Inet(), "Nullable(String)", "Nullable(String)"},
      {types::Mac(), "Nullable(String)", "Nullable(String)"},
      {types::Timestamp(), "Nullable(Int64)", "Nullable(DateTime64(6, 'UTC'))"},
      {types::Date32(), "Nullable(Int32)", "Nullable(Date32)"},
      {types::FixedSizeBinary(4), "Nullable(FixedString(4))", "Nullable(FixedString(4))"},
      {types::Uuid(), "Nullable(UUID)", "Nullable(UUID)"},
      {types::List(types::Utf8()), "Array(Nullable(String))", "Array(Nullable(String))"},
      {types::List(types::Int64(), false), "Array(Int64)", "Array(Int64)"},
      {types::Struct({{"a", types::Int64()}, {"b c", types::Timestamp(), false}}), "Tuple(Nullable(Int64), Int64)",
       "Tuple(a Nullable(Int64), `b c` DateTime64(6, 'UTC'))"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClickHouseType(*c.type, true, old), c.legacy) << c.type->ToString();
    EXPECT_EQ(ClickHouseType(*c.type, true, now), c.current) << c.type->ToString();
  }
  EXPECT_EQ(ClickHouseType(*types::Int64(), false, old), "Int64");
}

TEST(ClickHouseTypeMap, LayoutFlattensListOfStructOnOldServers) {
  auto t = ferry::testing::TableWithMeta(
      "t", {Col("id", types::Int64(), true),
            Col("ls", types::List(types::Struct({{"x", types::Int32()}, {"y", types::Bool()}}))),
            Col("n", types::Int64(), false, true)});
  const TableLayout old = LayoutOf(t, Features("18.16.1"));
  ASSERT_EQ(old.columns.size(), 9u);        // 4 meta + id + ls.1 + ls.2 + n + _ferry_nulls
  EXPECT_EQ(old.columns[0].type, "Int64");  // _cq_sync_time: the version
  EXPECT_EQ(old.columns[2].type, "UUID");   // _cq_id is NOT NULL
  EXPECT_EQ(old.columns[4].type, "Int64");  // a key is never Nullable
  EXPECT_EQ(old.columns[5].name, "ls.1");
  EXPECT_EQ(old.columns[5].type, "Array(Nullable(Int32))");
  EXPECT_EQ(old.columns[6].name, "ls.2");
  EXPECT_EQ(old.columns[6].type, "Array(Nullable(UInt8))");
  EXPECT_EQ(old.declared[5], "Array(Tuple(Nullable(Int32), Nullable(UInt8)))");
  EXPECT_EQ(old.columns[7].type, "Int64");
  EXPECT_EQ(old.columns[8].name, kNullsColumn);
  EXPECT_EQ(old.ranges[5], (std::pair<int, int>{5, 7}));
  const TableLayout now = LayoutOf(t, Features("24.8"));
  EXPECT_EQ(now.columns[5].name, "ls");
  EXPECT_EQ(now.columns[5].type, "Array(Tuple(x Nullable(Int32), y Nullable(Bool)))");
  auto plain = ferry::testing::TableWithMeta("p", {Col("id", types::Int64())});
  EXPECT_EQ(LayoutOf(plain, Features("18.16.1")).columns[0].type, "Nullable(Int64)") << "no key: no version column";
  EXPECT_FALSE(LayoutOf(plain, Features("18.16.1")).null_paths) << "no list or struct: no _ferry_nulls";
}

TEST(ClickHouseTypeMap, NormalizeType) {
  EXPECT_EQ(NormalizeType("Tuple(Nullable(Int64), Array(String))"), "Tuple(Nullable(Int64),Array(String))");
  EXPECT_EQ(NormalizeType("DateTime64(6, 'U T C')"), "DateTime64(6,'U T C')");
}

TEST(ClickHouseVersion, ParseAndFeatures) {
  auto v = ParseVersion("24.8.4.13\n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major, 24);
  EXPECT_EQ(v->minor, 8);
  EXPECT_EQ(v->patch, 4);
  const ServerFeatures old = Features("18.16.1");
  EXPECT_FALSE(old.datetime64 || old.date32 || old.bool_type || old.ttl || old.dedup_token);
  EXPECT_TRUE(old.flattens_array_tuple);
  const ServerFeatures now = Features("24.8");
  EXPECT_TRUE(now.datetime64 && now.date32 && now.bool_type && now.ttl && now.dedup_token);
  auto ancient = FeaturesOf(*ParseVersion("1.1.54388"));
  EXPECT_EQ(ancient.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(ancient.status().message().find("18.16"), std::string::npos);
  EXPECT_FALSE(ParseVersion("garbage").ok());
}

TEST(ClickHouseSql, QuotingAndLiterals) {
  EXPECT_EQ(QuoteIdent("a`b\\c"), "`a\\`b\\\\c`");
  EXPECT_EQ(QuoteString(std::string("it's\\\n\0x", 8)), "'it\\'s\\\\\\x0a\\x00x'");
  const ServerFeatures old = Features("18.16.1"), now = Features("24.8");
  auto lit = [](const DataTypePtr& t, const Value& v, const ServerFeatures& f) {
    auto r = Literal(*t, v, f);
    return r.ok() ? *r : "ERROR: " + r.status().message();
  };
  EXPECT_EQ(lit(types::Int64(), Value::Int(-5), old), "-5");
  EXPECT_EQ(lit(types::UInt64(), Value::UInt(std::numeric_limits<uint64_t>::max()), old), "18446744073709551615");
  EXPECT_EQ(lit(types::Bool(), Value::Bool(true), old), "1");
  EXPECT_EQ(lit(types::Float64(), Value::Double(std::nan("")), old), "nan");
  EXPECT_EQ(lit(types::Float64(), Value::Double(0.1), old), "0.10000000000000001");
  EXPECT_EQ(lit(types::Utf8(), Value::String("x'y"), old), "'x\\'y'");
  EXPECT_EQ(lit(types::Uuid(), Value::String(std::string(16, '\x11')), old),
            "toUUID('11111111-1111-1111-1111-111111111111')");
  const int64_t t = ferry::testing::Micros(2024, 1, 2, 3, 4, 5, 678901);
  EXPECT_EQ(lit(types::Timestamp(), Value::Int(t), old), std::to_string(t));
  EXPECT_EQ(lit(types::Timestamp(), Value::Int(t), now), "toDateTime64('2024-01-02 03:04:05.678901', 6, 'UTC')");
  EXPECT_EQ(lit(types::Date32(), Value::Int(-1), now), "toDate32('1969-12-31')");
  EXPECT_EQ(lit(types::Int64(), Value::String("x"), old).rfind("ERROR", 0), 0u);
  EXPECT_EQ(lit(types::List(types::Int64()), Value::List({}), old).rfind("ERROR", 0), 0u);
  EXPECT_EQ(TimestampText(ferry::testing::Micros(1, 1, 1)), "0001-01-01 00:00:00.000000");
  EXPECT_EQ(TimestampText(-1), "1969-12-31 23:59:59.999999");
}

Result<Spec> SpecOf(nlohmann::json j) {
  j["connection_string"] = "http://localhost/db";
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), j, "destination \"ch\"", nullptr));
  return ParseSpec(o);
}

TEST(ClickHouseSpec, DefaultsEnginesAndRules) {
  auto s = SpecOf(nlohmann::json::object());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(ClickHousePlugin().batching.rows, 1000000);
  EXPECT_EQ(ClickHousePlugin().batching.bytes, 128 << 20);
  EXPECT_EQ(s->compression, Compression::kNone);
  EXPECT_EQ(EngineFor(s->engine, false).clause, "MergeTree()");
  EXPECT_EQ(EngineFor(s->engine, true).clause, "ReplacingMergeTree(`_cq_sync_time`)");
  auto rep = SpecOf({{"engine", {{"name", "ReplicatedMergeTree"}, {"parameters", {"/ch/{shard}/t", "{replica}"}}}}});
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(EngineFor(rep->engine, false).clause, "ReplicatedMergeTree('/ch/{shard}/t', '{replica}')");
  EXPECT_EQ(EngineFor(rep->engine, true).clause,
            "ReplicatedReplacingMergeTree('/ch/{shard}/t', '{replica}', `_cq_sync_time`)");
  auto summing = SpecOf({{"engine", {{"name", "SummingMergeTree"}}}});
  EXPECT_EQ(summing.status().code(), StatusCode::kUnsupported);
  // A single mapping counts as a list of one rule.
  auto rules =
      SpecOf({{"partition", {{"tables", {"aws_*"}}, {"skip_tables", {"aws_x"}}, {"partition_by", "toYYYYMM(ts)"}}},
              {"order", {{"order_by", {"a", "b"}}}},
              {"compression", "gzip"}});
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  TableSchema aws_y{.name = "aws_y"}, aws_x{.name = "aws_x"};
  ASSERT_NE(rules->PartitionFor(aws_y), nullptr);
  EXPECT_EQ(rules->PartitionFor(aws_x), nullptr);
  EXPECT_EQ(rules->OrderFor(aws_x)->order_by, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rules->compression, Compression::kGzip);
  EXPECT_FALSE(SpecOf({{"order", {{"tables", {"*"}}}}}).ok()) << "order_by is required";
  EXPECT_FALSE(SpecOf({{"ttl", {{"ttl", "ts + INTERVAL 1 DAY"}, {"typo", 1}}}}).ok()) << "unknown keys are errors";
}

TEST(ClickHouseSpec, RuleListsAsCloudQueryWritesThem) {
  // CloudQuery's form is a list of rules; ParseSpec takes it (the option
  // table's type decides whether ValidateOptions lets it through).
  nlohmann::json j = {{"connection_string", "http://h/db"},
                      {"ttl", nlohmann::json::array({{{"tables", {"a"}}, {"ttl", "x"}}, {{"ttl", "y"}}})}};
  auto s = ParseSpec(Options(j));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->ttl.size(), 2u);
  TableSchema b{.name = "b"};
  EXPECT_EQ(s->TtlFor(b)->ttl, "y");
  TableSchema inc{.name = "a"};
  inc.is_incremental = true;
  EXPECT_EQ(s->TtlFor(inc)->ttl, "x");
}

}  // namespace
}  // namespace ferry::plugins::clickhouse

namespace ferry::plugins::clickhouse {
namespace {

// The connection string's `compress` applies when `compression` is absent;
// an explicit value wins.
TEST(ClickHouseSpec, CompressionFromConnectionStringUnlessSet) {
  auto parse = [](nlohmann::json j) {
    auto o = ValidateOptions(SpecOptions(), j, "d", nullptr);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return ParseSpec(*o);
  };
  auto from_url = parse({{"connection_string", "http://h:8123/db?compress=1"}});
  ASSERT_TRUE(from_url.ok()) << from_url.status().ToString();
  EXPECT_EQ(from_url->compression, Compression::kGzip);
  auto explicit_none = parse({{"connection_string", "http://h:8123/db?compress=1"}, {"compression", "none"}});
  ASSERT_TRUE(explicit_none.ok());
  EXPECT_EQ(explicit_none->compression, Compression::kNone);
  auto plain = parse({{"connection_string", "http://h:8123/db"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->compression, Compression::kNone);
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
