#include "testing/batch_gen.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "ferry/builder.h"
#include "ferry/text_codec.h"

namespace ferry::testing {

namespace {

using namespace std::string_literals;

Value S(std::string s) { return Value::String(std::move(s)); }
Value I(int64_t v) { return Value::Int(v); }
Value U(uint64_t v) { return Value::UInt(v); }
Value D(double v) { return Value::Double(v); }
Value L(std::vector<Value> v) { return Value::List(std::move(v)); }
Value N() { return Value::Null(); }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t Days(int year, int month, int day) { return Micros(year, month, day) / 86400000000LL; }

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

const char* const kWords[] = {"alpha", "beta", "Gamma", "délta", "日本語", "emoji 🚀", "quote \" and \\",
                              "new\nline", "", "tab\tstop", "it's", "ß"};

}  // namespace

Column Col(std::string name, DataTypePtr type, bool primary_key, bool not_null) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.primary_key = primary_key;
  c.not_null = not_null;
  return c;
}

TableSchemaPtr TableWithMeta(const std::string& name, std::vector<Column> columns) {
  auto t = std::make_shared<TableSchema>();
  t->name = name;
  t->columns.push_back(Col(meta::kSyncTime, types::Timestamp()));
  t->columns.push_back(Col(meta::kSourceName, types::Utf8()));
  Column id = Col(meta::kId, types::Uuid(), false, true);
  id.unique = true;
  t->columns.push_back(id);
  t->columns.push_back(Col(meta::kParentId, types::Uuid()));
  for (auto& c : columns) t->columns.push_back(std::move(c));
  return t;
}

Row MetaRow(int64_t sync_time_us, const std::string& source, uint64_t id, Row values) {
  Row r{Value::Int(sync_time_us), Value::String(source), Value::String(UuidBytes(id)), Value::Null()};
  for (auto& v : values) r.push_back(std::move(v));
  return r;
}

std::string UuidBytes(uint64_t n) {
  std::string b(16, '\0');
  uint64_t x = n * 0x9E3779B97F4A7C15ULL + 0x243F6A8885A308D3ULL;
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(x >> (8 * i));
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<char>(n >> (8 * i));
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  return b;
}

Result<BatchPtr> MakeBatch(const TableSchemaPtr& schema, const std::vector<Row>& rows) {
  BatchBuilder b(schema);
  for (size_t i = 0; i < rows.size(); ++i)
    FERRY_RETURN_NOT_OK(b.AppendRow(rows[i]).WithContext("row " + std::to_string(i)));
  return b.Finish();
}

std::vector<Row> RowsOf(const Batch& batch) {
  std::vector<Row> rows(static_cast<size_t>(batch.num_rows()));
  for (int64_t r = 0; r < batch.num_rows(); ++r)
    for (const auto& col : batch.columns()) rows[r].push_back(GetValue(*col, r));
  return rows;
}

int64_t Micros(int year, int month, int day, int hour, int minute, int second, int micro) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000000 + micro;
}

TableSchemaPtr AllTypesTable(const std::string& name) {
  auto inner = types::Struct({{"a", types::Int64()},
                              {"b", types::Utf8()},
                              {"c", types::List(types::Float64())},
                              {"d", types::Uuid()},
                              {"e", types::Timestamp()}});
  return TableWithMeta(
      name, {Col("id", types::Int64()),
             Col("c_bool", types::Bool()),
             Col("c_int8", types::Int8()),
             Col("c_int16", types::Int16()),
             Col("c_int32", types::Int32()),
             Col("c_int64", types::Int64()),
             Col("c_uint8", types::UInt8()),
             Col("c_uint16", types::UInt16()),
             Col("c_uint32", types::UInt32()),
             Col("c_uint64", types::UInt64()),
             Col("c_float32", types::Float32()),
             Col("c_float64", types::Float64()),
             Col("c_utf8", types::Utf8()),
             Col("c_binary", types::Binary()),
             Col("c_timestamp", types::Timestamp()),
             Col("c_date32", types::Date32()),
             Col("c_fixed", types::FixedSizeBinary(4)),
             Col("c_uuid", types::Uuid()),
             Col("c_json", types::Json()),
             Col("c_inet", types::Inet()),
             Col("c_mac", types::Mac()),
             Col("c_list_utf8", types::List(types::Utf8())),
             Col("c_list_int64", types::List(types::Int64())),
             Col("c_list_uint64", types::List(types::UInt64())),
             Col("c_list_binary", types::List(types::Binary())),
             Col("c_list_timestamp", types::List(types::Timestamp())),
             Col("c_list_list", types::List(types::List(types::Int64()))),
             Col("c_list_struct", types::List(types::Struct({{"x", types::Int32()}, {"y", types::Bool()}}))),
             Col("c_struct", inner)});
}

std::vector<Row> AllTypesRows(int64_t t, const std::string& src) {
  const std::string ff(16, '\xff');
  const std::string zero16(16, '\0');
  std::vector<Row> rows;
  // 0: every column null.
  {
    Row r{I(0)};
    for (int k = 0; k < 28; ++k) r.push_back(N());
    rows.push_back(MetaRow(t, src, 0, std::move(r)));
  }
  // 1: zeros and empties.
  rows.push_back(MetaRow(t, src, 1,
      {I(1), Value::Bool(false), I(0), I(0), I(0), I(0), U(0), U(0), U(0), U(0), D(0.0), D(0.0),
       S(""), S(""), I(0), I(0), S(std::string(4, '\0')), S(zero16), S("{}"), S("0.0.0.0/0"), S(std::string(6, '\0')),
       L({}), L({}), L({}), L({}), L({}), L({}), L({}), L({N(), N(), N(), N(), N()})}));
  // 2: maxima, unicode, every byte value.
  rows.push_back(MetaRow(t, src, 2,
      {I(2), Value::Bool(true), I(127), I(32767), I(2147483647), I(std::numeric_limits<int64_t>::max()),
       U(255), U(65535), U(4294967295u), U(std::numeric_limits<uint64_t>::max()),
       D(static_cast<double>(std::numeric_limits<float>::max())), D(std::numeric_limits<double>::max()),
       S("héllo wörld ✓ 日本語 🚀"), S(AllBytes()), I(Micros(9999, 12, 31, 23, 59, 59, 999999)),
       I(Days(9999, 12, 31)), S("\xff\xff\xff\xff"), S(ff), S("  { \"a\" : [1, 2.50, null] }  "),
       S("2001:db8::/32"), S("\x00\x1a\x2b\x3c\x4d\xff"s),
       L({S("a"), N(), S(""), S("ü \"q\" \\")}),
       L({I(std::numeric_limits<int64_t>::min()), I(std::numeric_limits<int64_t>::max()), I(0), N()}),
       L({U(std::numeric_limits<uint64_t>::max()), U(0), N()}),
       L({S(AllBytes()), S(""), N()}),
       L({I(Micros(2024, 2, 29, 12, 34, 56, 789012)), I(-1), N()}),
       L({L({I(1), I(2)}), L({}), N(), L({N()})}),
       L({L({I(-2147483648LL), Value::Bool(true)}), N(), L({N(), N()})}),
       L({I(42), S("nested \"text\" ✓"), L({D(0.1), D(kNaN), D(kInf), D(-kInf), N(), D(-0.0)}), S(ff),
          I(Micros(1999, 12, 31, 23, 59, 59, 1))})}));
  // 3: minima and the far past.
  rows.push_back(MetaRow(t, src, 3,
      {I(3), Value::Bool(false), I(-128), I(-32768), I(-2147483648LL), I(std::numeric_limits<int64_t>::min()),
       U(1), U(1), U(1), U(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1),
       D(static_cast<double>(std::numeric_limits<float>::denorm_min())), D(-0.0),
       S("nul\0inside"s), S(std::string("\0", 1)), I(Micros(1, 1, 1)), I(Days(1, 1, 1)),
       S("\x00\x01\x02\x03"s), S(UuidBytes(3)), S("\"just a string\""), S("192.168.0.1/24"),
       S("\x00\x00\x00\x00\x00\x01"s),
       L({S("日本")}), L({I(-1)}), L({U(1)}), L({S("\x00"s)}),
       L({I(Micros(1, 1, 1))}), L({L({})}), L({L({I(0), Value::Bool(false)})}),
       L({N(), S(""), L({}), N(), I(std::numeric_limits<int64_t>::min())})}));
  // 4 and 5: NaN and infinities; times just before the epoch.
  rows.push_back(MetaRow(t, src, 4,
      {I(4), N(), N(), N(), N(), I(-1), N(), N(), N(), U(static_cast<uint64_t>(std::numeric_limits<int64_t>::max())),
       D(kNaN), D(kInf), S("a\"b'c\\d\n\t\r\x01"), N(), I(-1), I(-1), N(), N(), S("[1,\"a\",null,{\"k\":true}]"),
       S("::1/128"), N(), N(), N(), N(), N(), N(), N(), N(), N()}));
  rows.push_back(MetaRow(t, src, 5,
      {I(5), N(), N(), N(), N(), N(), N(), N(), N(), N(),
       D(-kInf), D(kNaN), N(), N(), I(Micros(2024, 2, 29, 12, 34, 56, 789012)), I(Days(2024, 2, 29)), N(), N(),
       S("null"), N(), N(), N(), N(), N(), N(), N(), N(), N(), N()}));
  return rows;
}

Value RandomValue(const DataType& type, std::mt19937_64& rng, double null_rate, bool nullable) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (nullable && unit(rng) < null_rate) return Value::Null();
  auto word = [&] { return std::string(kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))]); };
  auto bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };
  switch (type.id) {
    case TypeId::kBool: return Value::Bool(rng() & 1);
    case TypeId::kInt8: return I(static_cast<int8_t>(rng()));
    case TypeId::kInt16: return I(static_cast<int16_t>(rng()));
    case TypeId::kInt32: return I(static_cast<int32_t>(rng()));
    case TypeId::kInt64: return I(static_cast<int64_t>(rng()));
    case TypeId::kUInt8: return U(static_cast<uint8_t>(rng()));
    case TypeId::kUInt16: return U(static_cast<uint16_t>(rng()));
    case TypeId::kUInt32: return U(static_cast<uint32_t>(rng()));
    case TypeId::kUInt64: return U(rng());
    case TypeId::kFloat32: return D(static_cast<float>(std::ldexp(unit(rng) - 0.5, static_cast<int>(rng() % 60) - 30)));
    case TypeId::kFloat64: return D(std::ldexp(unit(rng) - 0.5, static_cast<int>(rng() % 200) - 100));
    case TypeId::kUtf8: return S(word() + std::to_string(rng() % 100000));
    case TypeId::kInet: {  // CIDR text in canonical form, as types.h defines inet
      if (rng() & 1) {
        const uint32_t a = static_cast<uint32_t>(rng());
        return S(std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                 std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + "/" + std::to_string(rng() % 33));
      }
      char buf[64];
      std::snprintf(buf, sizeof(buf), "2001:db8:%x::%x/%d", static_cast<unsigned>(rng() % 0xffff) + 1,
                    static_cast<unsigned>(rng() % 0xffff) + 1, static_cast<int>(rng() % 129));
      return S(buf);
    }
    case TypeId::kJson: return S("{\"k\":" + std::to_string(rng() % 1000) + "}");
    case TypeId::kBinary: return S(bytes(rng() % 12));
    case TypeId::kMac: return S(bytes(6));  // an EUI-48 hardware address
    case TypeId::kTimestamp:
      return I(Micros(1900, 1, 1) + static_cast<int64_t>(rng() % (200ULL * 365 * 86400 * 1000000)));
    case TypeId::kDate32: return I(static_cast<int64_t>(rng() % 100000) - 30000);
    case TypeId::kFixedSizeBinary: return S(bytes(static_cast<size_t>(type.byte_width)));
    case TypeId::kUuid: return S(UuidBytes(rng()));
    case TypeId::kTime32: case TypeId::kTime64:
      return I(static_cast<int64_t>(rng() % static_cast<uint64_t>(86400 * TimeUnitsPerSecond(type.unit))));
    case TypeId::kDuration: return I(static_cast<int64_t>(rng()));
    case TypeId::kIntervalMonth: return I(static_cast<int32_t>(rng()));
    case TypeId::kIntervalDayTime: return S(IntervalDayTimeBytes(static_cast<int32_t>(rng()), static_cast<int32_t>(rng())));
    case TypeId::kIntervalMonthDayNano:
      return S(IntervalMonthDayNanoBytes(static_cast<int32_t>(rng()), static_cast<int32_t>(rng()),
                                         static_cast<int64_t>(rng())));
    case TypeId::kDecimal128: {  // within the precision
      unsigned __int128 limit = 1;
      for (int i = 0; i < type.precision; ++i) limit *= 10;
      const auto v = static_cast<__int128>(((static_cast<unsigned __int128>(rng()) << 64) | rng()) % limit);
      return S(Decimal128Bytes(rng() & 1 ? -v : v));
    }
    case TypeId::kList: {
      std::vector<Value> items(rng() % 4);
      for (auto& v : items) v = RandomValue(*type.children[0].type, rng, null_rate, type.children[0].nullable);
      return L(std::move(items));
    }
    case TypeId::kStruct: {
      std::vector<Value> fields;
      for (const auto& f : type.children) fields.push_back(RandomValue(*f.type, rng, null_rate, f.nullable));
      return L(std::move(fields));
    }
  }
  return Value::Null();
}

std::vector<Row> RandomRows(const TableSchema& schema, int64_t n, uint64_t seed, int64_t first_id) {
  std::mt19937_64 rng(seed);
  const int id_col = schema.FindColumn("id");
  std::vector<Row> rows(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    Row& row = rows[r];
    row.reserve(schema.columns.size());
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      const Column& col = schema.columns[c];
      if (static_cast<int>(c) == id_col) row.push_back(I(first_id + r));
      else row.push_back(RandomValue(*col.type, rng, 0.1, !col.not_null && !col.primary_key));
    }
  }
  return rows;
}

}  // namespace ferry::testing
