// Unit tests of the postgresql destination that need no server: binary COPY
// encodings (checked byte for byte against PostgreSQL's documented formats
// and against the decoder), jsonb cells, names, type map and spec.
#include "plugins/destination/postgresql/copy_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ferry/builder.h"
#include "ferry/text_codec.h"
#include "plugins/destination/postgresql/connection.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/postgresql/postgresql_spec.h"
#include "plugins/destination/postgresql/table_reader.h"
#include "plugins/destination/postgresql/type_map.h"
#include "testing/batch_gen.h"
#include "testing/row_compare.h"

namespace ferry::plugins::postgresql {
namespace {

std::string Hex(const std::string& s) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

std::string Encode(const DataTypePtr& type, const Value& v) {
  ArrayBuilder b(type);
  EXPECT_TRUE(b.Append(v).ok());
  CopyBuffer buf;
  std::string why;
  EXPECT_TRUE(EncodeValue(*b.Finish(), 0, &buf, &why)) << why;
  return std::string(buf.data(), buf.size());
}

TEST(PostgresCopyEncoder, ScalarsAreBigEndianSendForms) {
  EXPECT_EQ(Hex(Encode(types::Int8(), Value::Int(-2))), "fffe");
  EXPECT_EQ(Hex(Encode(types::UInt16(), Value::UInt(65535))), "0000ffff");
  EXPECT_EQ(Hex(Encode(types::Int64(), Value::Int(1))), "0000000000000001");
  EXPECT_EQ(Hex(Encode(types::Float64(), Value::Double(1.0))), "3ff0000000000000");
  EXPECT_EQ(Hex(Encode(types::Bool(), Value::Bool(true))), "01");
  // 2000-01-01 is zero for timestamp and date.
  EXPECT_EQ(Hex(Encode(types::Timestamp(), Value::Int(946684800000000LL + 1))), "0000000000000001");
  EXPECT_EQ(Hex(Encode(types::Date32(), Value::Int(10956))), "ffffffff");
  EXPECT_EQ(Encode(types::Utf8(), Value::String(std::string("a\0b", 3))), "ab") << "U+0000 is removed";
  EXPECT_EQ(Hex(Encode(types::Json(), Value::String("{\"a\":\"x\\u0000y\"}"))), Hex("\x01{\"a\":\"xy\"}"));
}

TEST(PostgresCopyEncoder, NumericForUint64) {
  // ndigits, weight, sign, dscale, then base-10000 digits.
  EXPECT_EQ(Hex(Encode(types::UInt64(), Value::UInt(0))), "0000000000000000");
  EXPECT_EQ(Hex(Encode(types::UInt64(), Value::UInt(12345))), "0002000100000000" "0001" "0929");
  EXPECT_EQ(Hex(Encode(types::UInt64(), Value::UInt(100000000))), "0001000200000000" "0001") << "trailing zeros implied";
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{9999}, uint64_t{10000}, uint64_t{100020003},
                     std::numeric_limits<uint64_t>::max(), uint64_t{1} << 63}) {
    auto back = DecodeBinary(*types::UInt64(), Encode(types::UInt64(), Value::UInt(v)));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->as_uint(), v);
  }
}

std::string DecimalHex(__int128 v, int32_t scale) {
  CopyBuffer buf;
  AppendDecimalNumeric(v, scale, &buf);
  return Hex(std::string(buf.data(), buf.size()));
}

TEST(PostgresCopyEncoder, NumericForDecimal128) {
  // ndigits, weight, sign, dscale, digits: what numeric_send gives for the same literal.
  EXPECT_EQ(DecimalHex(1234, 2), "0002" "0000" "0000" "0002" "000c" "0d48") << "12.34";
  EXPECT_EQ(DecimalHex(-5, 4), "0001" "ffff" "4000" "0004" "0005") << "-0.0005";
  EXPECT_EQ(DecimalHex(12, -3), "0002" "0001" "0000" "0000" "0001" "07d0") << "12 x 10^3";
  EXPECT_EQ(DecimalHex(0, 10), "0000" "0000" "0000" "000a") << "0.0000000000";
  EXPECT_EQ(DecimalHex(-100000000, 0), "0001" "0002" "4000" "0000" "0001") << "trailing zero digits implied";
  for (const auto& [p, sc] : std::vector<std::pair<int, int>>{{38, 10}, {38, 0}, {38, 38}, {5, 2}, {10, -2}}) {
    const auto t = types::Decimal128(p, sc);
    __int128 limit = 1;
    for (int i = 0; i < p; ++i) limit *= 10;
    for (__int128 v : {__int128{0}, __int128{1}, __int128{-1}, limit - 1, -(limit - 1), limit / 7, -(limit / 3)}) {
      auto back = DecodeBinary(*t, Encode(t, Value::String(Decimal128Bytes(v))));
      ASSERT_TRUE(back.ok()) << t->ToString() << ": " << back.status().ToString();
      EXPECT_EQ(back->as_string(), Decimal128Bytes(v)) << t->ToString();
    }
  }
}

TEST(PostgresCopyEncoder, TimeIsMicrosecondsSinceMidnight) {
  EXPECT_EQ(Hex(Encode(types::Time32(TimeUnit::kSecond), Value::Int(1))), "00000000000f4240");
  EXPECT_EQ(Hex(Encode(types::Time64(TimeUnit::kNano), Value::Int(1999))), "0000000000000001") << "whole microseconds";
  auto back = DecodeBinary(*types::Time32(TimeUnit::kMilli), Encode(types::Time32(TimeUnit::kMilli), Value::Int(86399999)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->as_int(), 86399999);
  for (int64_t bad : {int64_t{-1}, int64_t{86400000001}}) {
    ArrayBuilder b(types::Time64(TimeUnit::kMicro));
    ASSERT_TRUE(b.Append(Value::Int(bad)).ok());
    CopyBuffer buf;
    std::string why;
    EXPECT_FALSE(EncodeValue(*b.Finish(), 0, &buf, &why)) << bad;
    EXPECT_NE(why.find("outside 00:00:00-24:00:00"), std::string::npos) << why;
  }
}

TEST(PostgresCopyEncoder, DurationsAndIntervalsAreTheirText) {
  EXPECT_EQ(Encode(types::Duration(TimeUnit::kMilli), Value::Int(-1500)), "-1500ms") << "Arrow's (and CloudQuery's) form";
  EXPECT_EQ(Encode(types::IntervalMonth(), Value::Int(14)), "14 months");
  EXPECT_EQ(Encode(types::IntervalDayTime(), Value::String(IntervalDayTimeBytes(2, 300))), "2 days 300ms");
  const auto mdn = Value::String(IntervalMonthDayNanoBytes(1, 2, 3));
  EXPECT_EQ(Encode(types::IntervalMonthDayNano(), mdn), "1 month 2 days 3ns");
  auto back = DecodeBinary(*types::IntervalMonthDayNano(), "1 month 2 days 3ns");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->as_string(), mdn.as_string());
}

TEST(PostgresCopyEncoder, InetAndMac) {
  EXPECT_EQ(Hex(Encode(types::Inet(), Value::String("192.168.0.1/24"))), "021800" "04" "c0a80001");
  EXPECT_EQ(Hex(Encode(types::Inet(), Value::String("10.0.0.1"))), "022000" "04" "0a000001");
  EXPECT_EQ(Hex(Encode(types::Inet(), Value::String("::1/128"))).substr(0, 8), "03800010");
  auto back = DecodeBinary(*types::Inet(), Encode(types::Inet(), Value::String("2001:db8::/32")));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->as_string(), "2001:db8::/32");

  for (const char* bad : {"alpha", "10.0.0.1/33", "1.2.3.4/x", ""}) {
    ArrayBuilder b(types::Inet());
    b.AppendBytes(bad);
    CopyBuffer buf;
    std::string why;
    EXPECT_FALSE(EncodeValue(*b.Finish(), 0, &buf, &why)) << bad;
    EXPECT_FALSE(why.empty());
  }
  ArrayBuilder mac(types::Mac());
  mac.AppendBytes(std::string("\x01\x02\x03", 3));
  CopyBuffer buf;
  std::string why;
  EXPECT_FALSE(EncodeValue(*mac.Finish(), 0, &buf, &why));
  EXPECT_NE(why.find("6 bytes"), std::string::npos) << why;
}

TEST(PostgresCopyEncoder, ArraysAndEmptyArrays) {
  const auto t = types::List(types::Int32());
  // ndim 1, has nulls 1, oid 23, dim 2, lower bound 1, elements.
  EXPECT_EQ(Hex(Encode(t, Value::List({Value::Int(7), Value::Null()}))),
            "00000001" "00000001" "00000017" "00000002" "00000001" "00000004" "00000007" "ffffffff");
  EXPECT_EQ(Hex(Encode(t, Value::List({}))), "00000000" "00000000" "00000017");
}

TEST(PostgresCopyEncoder, EveryTypeRoundTripsThroughTheDecoder) {
  // Values PostgreSQL can hold: the generator's inet and mac values are not
  // addresses, so those columns are replaced here.
  auto table = ferry::testing::AllTypesTable("t");
  auto rows = ferry::testing::AllTypesRows(1, "src");
  const int inet = table->FindColumn("c_inet"), mac = table->FindColumn("c_mac"), utf8 = table->FindColumn("c_utf8");
  const int json = table->FindColumn("c_json");
  for (auto& r : rows) {
    if (!r[inet].is_null()) r[inet] = Value::String("10.1.2.3/8");
    if (!r[mac].is_null()) r[mac] = Value::String(std::string("\x02\x00\x5e\x10\x00\x01", 6));
    if (!r[utf8].is_null()) {
      std::string s = r[utf8].as_string();
      s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
      r[utf8] = Value::String(s);
    }
    r[json] = Value::Null();  // jsonb text is PostgreSQL's to format
  }
  auto batch = ferry::testing::MakeBatch(table, rows);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  for (size_t c = 0; c < table->columns.size(); ++c) {
    const ArrayData& col = *(*batch)->column(c);
    for (int64_t r = 0; r < (*batch)->num_rows(); ++r) {
      if (col.IsNull(r)) continue;
      CopyBuffer buf;
      std::string why;
      ASSERT_TRUE(EncodeValue(col, r, &buf, &why)) << table->columns[c].name << ": " << why;
      // jsonb values carry the version byte, as the server sends them back.
      auto back = DecodeBinary(*col.type, std::string(buf.data(), buf.size()));
      ASSERT_TRUE(back.ok()) << table->columns[c].name << ": " << back.status().ToString();
      EXPECT_EQ(ferry::testing::DebugString(*back), ferry::testing::DebugString(rows[r][c]))
          << "column " << table->columns[c].name << " row " << r;
    }
  }
}

TEST(PostgresCopyEncoder, BadValueNamesColumnAndRow) {
  auto table = ferry::testing::TableWithMeta("t", {ferry::testing::Col("addr", types::Inet())});
  auto batch = ferry::testing::MakeBatch(
      table, {ferry::testing::MetaRow(1, "s", 1, {Value::String("10.0.0.1")}),
              ferry::testing::MetaRow(1, "s", 2, {Value::String("nope")})});
  ASSERT_TRUE(batch.ok());
  CopyEncoder enc(table, false);
  CopyBuffer buf;
  Status st = enc.AppendRows(**batch, 0, 2, 0, &buf);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("column addr, row 1"), std::string::npos) << st.message();
}

TEST(PostgresJsonCell, FloatsJsonbCannotHoldAreStrings) {
  auto t = types::Struct({{"f", types::List(types::Float64())}, {"g", types::Float32()}});
  ArrayBuilder b(t);
  const double inf = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(b.Append(Value::List({Value::List({Value::Double(std::nan("")), Value::Double(inf), Value::Double(-inf),
                                                 Value::Double(-0.0), Value::Double(0.1)}),
                                    Value::Double(static_cast<float>(0.1))}))
                  .ok());
  std::string json;
  AppendJsonCell(*b.Finish(), 0, JsonbStyle(), &json);
  EXPECT_EQ(json, "{\"f\":[\"NaN\",\"Infinity\",\"-Infinity\",\"-0\",0.1],\"g\":0.1}");
  auto back = ParseJsonCell(*t, json);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::signbit(back->items()[0].items()[3].as_double()));
  EXPECT_EQ(back->items()[1].as_double(), static_cast<double>(static_cast<float>(0.1)));
}

TEST(PostgresJsonCell, StripJsonNulOnlyRemovesTheEscape) {
  EXPECT_EQ(StripJsonNul(R"({"a":"x\u0000y"})"), R"({"a":"xy"})");
  EXPECT_EQ(StripJsonNul(R"({"a":"x\\u0000y"})"), R"({"a":"x\\u0000y"})") << "an escaped backslash, not NUL";
  EXPECT_EQ(StripJsonNul(R"(["\"\u0000"])"), R"(["\""])");
  EXPECT_EQ(TimestampText(0, TimestampStyle::kIsoUtc), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(TimestampText(-1, TimestampStyle::kIsoUtc), "1969-12-31T23:59:59.999999Z");
}

TEST(PostgresNames, LongNamesAreCutLikePostgres) {
  const std::string longname(70, 'a');
  EXPECT_EQ(PgName(longname).size(), 63u);
  const std::string umlauts = std::string(62, 'a') + "ü";  // 'ü' is 2 bytes: it would straddle byte 63
  EXPECT_EQ(PgName(umlauts), std::string(62, 'a'));
  EXPECT_EQ(DerivedName("t", "_cqpk"), "t_cqpk");
  const std::string a = DerivedName(std::string(60, 'x') + "1", "_cqpk"), b = DerivedName(std::string(60, 'x') + "2", "_cqpk");
  EXPECT_LE(a.size(), 63u);
  EXPECT_NE(a, b) << "distinct long tables get distinct constraint names";
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
}

TEST(PostgresTypeMap, CloudQueryColumnTypes) {
  EXPECT_EQ(ColumnType(*types::UInt64()), "numeric(20,0)");
  EXPECT_EQ(ColumnType(*types::Timestamp()), "timestamp without time zone");
  EXPECT_EQ(ColumnType(*types::List(types::Utf8())), "text[]");
  EXPECT_EQ(ColumnType(*types::List(types::UInt64())), "numeric(20,0)[]");
  EXPECT_EQ(ColumnType(*types::List(types::List(types::Int64()))), "jsonb");
  EXPECT_EQ(ColumnType(*types::Struct({{"a", types::Int64()}})), "jsonb");
  EXPECT_EQ(ColumnType(*types::Mac()), "macaddr");
  EXPECT_EQ(ColumnType(*types::Time32(TimeUnit::kSecond)), "time without time zone");
  EXPECT_EQ(ColumnType(*types::Decimal128(38, 10)), "numeric(38,10)");
  EXPECT_EQ(ColumnType(*types::Decimal128(10, -2)), "numeric") << "PostgreSQL before 15 takes 0 <= scale <= precision";
  EXPECT_EQ(ColumnType(*types::List(types::Decimal128(20, 4))), "numeric(20,4)[]");
  EXPECT_EQ(ColumnType(*types::Duration(TimeUnit::kNano)), "text");
  EXPECT_EQ(ColumnType(*types::IntervalMonthDayNano()), "text");
  EXPECT_EQ(TypeOid(*types::List(types::Time64(TimeUnit::kMicro))), 1183u);
  EXPECT_EQ(TypeOfColumnType("numeric(20,4)")->ToString(), types::Decimal128(20, 4)->ToString());
  EXPECT_EQ(TypeOfColumnType("numeric(20,0)")->ToString(), types::UInt64()->ToString());
  EXPECT_EQ(TypeOid(*types::List(types::Timestamp())), 1115u);
  EXPECT_EQ(TypeOfColumnType("timestamp without time zone[]")->ToString(), types::List(types::Timestamp())->ToString());
}

TEST(PostgresSpec, DefaultsAndUnsupportedKeys) {
  auto ok = ValidateOptions(SpecOptions(), {{"connection_string", "postgres://u:p@h/db"}}, "d", nullptr);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto spec = ParseSpec(*ok);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(PostgresqlPlugin().batching.rows, 10000);
  EXPECT_EQ(PostgresqlPlugin().batching.bytes, 100000000);
  EXPECT_EQ(PostgresqlPlugin().batching.timeout, "60s");
  EXPECT_FALSE(spec->create_performance_indexes);
  auto cq = ValidateOptions(SpecOptions(),
                            {{"connection_string", "x"}, {"pgx_log_level", "debug"}, {"retry_on_deadlock", 3}}, "d", nullptr);
  EXPECT_TRUE(cq.ok()) << "CloudQuery's keys load unchanged";
  auto vec = ValidateOptions(SpecOptions(), {{"connection_string", "x"}, {"pgvector_config", {{"tables", {}}}}}, "d", nullptr);
  ASSERT_TRUE(vec.ok());
  auto refused = ParseSpec(*vec);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(ValidateOptions(SpecOptions(), nlohmann::json::object(), "d", nullptr).ok()) << "connection_string required";
}

TEST(PostgresErrors, SqlStateClassification) {
  EXPECT_TRUE(IsTransientSqlState("40001"));
  EXPECT_TRUE(IsTransientSqlState("40P01"));
  EXPECT_TRUE(IsTransientSqlState("08006"));
  EXPECT_TRUE(IsTransientSqlState("57P01"));
  EXPECT_FALSE(IsTransientSqlState("42501"));
  EXPECT_FALSE(IsTransientSqlState("53100"));
  EXPECT_FALSE(IsTransientSqlState("28P01"));
  EXPECT_FALSE(IsTransientSqlState("23502"));
}

}  // namespace
}  // namespace ferry::plugins::postgresql
