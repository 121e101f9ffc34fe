#include "plugins/source/test/tables/testdata_table.h"

#include <string>
#include <vector>

#include "ferry/text_codec.h"

namespace ferry::plugins::test {

namespace {

std::string Bytes(std::initializer_list<unsigned char> b) { return std::string(b.begin(), b.end()); }

// One scalar column of CloudQuery's schema.TestTable: its name, Ferry type,
// value and the value as the docs say it.
struct Base {
  const char* name;
  DataTypePtr type;
  Value value;
  const char* text;
  bool not_null = false;
};

// The columns before the struct, in schema.TestTable's order (id, the
// primitives, binary/string/boolean, the extension types, dates, durations,
// intervals, large types, times, timestamps, decimal128). date64, the large
// types and the timestamps of other units are what Ferry makes of them when
// a plugin sends them (date32, utf8/binary, timestamp in microseconds).
std::vector<Base> BaseColumns(int64_t id) {
  const int64_t t = 1704164645;   // 2024-01-02T03:04:05Z
  const int64_t tod = 3 * 3600 + 4 * 60 + 5;   // 03:04:05
  return {
      {"id", types::Int64(), Value::Int(id), "", true},
      {"int8", types::Int8(), Value::Int(-8), "-8"},
      {"int16", types::Int16(), Value::Int(-1600), "-1600"},
      {"int32", types::Int32(), Value::Int(-320000), "-320000"},
      {"int64", types::Int64(), Value::Int(-6400000000LL), "-6400000000"},
      {"uint8", types::UInt8(), Value::UInt(8), "8"},
      {"uint16", types::UInt16(), Value::UInt(1600), "1600"},
      {"uint32", types::UInt32(), Value::UInt(3200000), "3200000"},
      {"uint64", types::UInt64(), Value::UInt(6400000000ULL), "6400000000"},
      {"float32", types::Float32(), Value::Double(1.5), "1.5"},
      {"float64", types::Float64(), Value::Double(3.25), "3.25"},
      {"binary", types::Binary(), Value::String(Bytes({0x00, 0x01, 0x02, 0xff})), "bytes 00 01 02 ff"},
      {"string", types::Utf8(), Value::String("hello, w\xc3\xb6rld"), "\"hello, w\xc3\xb6rld\""},
      {"boolean", types::Bool(), Value::Bool(true), "true"},
      {"uuid", types::Uuid(),
       Value::String(Bytes({0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00})),
       "123e4567-e89b-42d3-a456-426614174000"},
      {"inet", types::Inet(), Value::String("192.0.2.0/24"), "192.0.2.0/24"},
      {"mac", types::Mac(), Value::String(Bytes({0x02, 0x00, 0x5e, 0x10, 0x00, 0x01})), "02:00:5e:10:00:01"},
      {"json", types::Json(), Value::String(R"({"key":"value","list":[1,2],"n":1})"),
       "{\"key\":\"value\",\"list\":[1,2],\"n\":1}"},
      {"date32", types::Date32(), Value::Int(19724), "2024-01-02"},
      {"date64", types::Date32(), Value::Int(19725), "2024-01-03"},
      {"duration_s", types::Duration(TimeUnit::kSecond), Value::Int(90061), "90061s"},
      {"duration_ms", types::Duration(TimeUnit::kMilli), Value::Int(1500), "1500ms"},
      {"duration_us", types::Duration(TimeUnit::kMicro), Value::Int(-7), "-7us"},
      {"duration_ns", types::Duration(TimeUnit::kNano), Value::Int(42), "42ns"},
      {"interval_month", types::IntervalMonth(), Value::Int(14), "14 months"},
      {"interval_day_time", types::IntervalDayTime(), Value::String(IntervalDayTimeBytes(2, 300)), "2 days 300ms"},
      {"interval_month_day_nano", types::IntervalMonthDayNano(), Value::String(IntervalMonthDayNanoBytes(1, 2, 3)),
       "1 month 2 days 3ns"},
      {"large_binary", types::Binary(), Value::String(Bytes({0xca, 0xfe})), "bytes ca fe"},
      {"large_string", types::Utf8(), Value::String("large \xe2\x9c\x93"), "\"large \xe2\x9c\x93\""},
      {"time32_s", types::Time32(TimeUnit::kSecond), Value::Int(tod), "03:04:05"},
      {"time32_ms", types::Time32(TimeUnit::kMilli), Value::Int(tod * 1000 + 123), "03:04:05.123"},
      {"time64_us", types::Time64(TimeUnit::kMicro), Value::Int(tod * 1000000 + 123456), "03:04:05.123456"},
      {"time64_ns", types::Time64(TimeUnit::kNano), Value::Int(tod * 1000000000 + 123456789), "03:04:05.123456789"},
      {"timestamp_s", types::Timestamp(), Value::Int(t * 1000000), "2024-01-02T03:04:05Z"},
      {"timestamp_ms", types::Timestamp(), Value::Int(t * 1000000 + 123000), "2024-01-02T03:04:05.123Z"},
      {"timestamp_us", types::Timestamp(), Value::Int(t * 1000000 + 123456), "2024-01-02T03:04:05.123456Z"},
      {"timestamp_ns", types::Timestamp(), Value::Int(t * 1000000 + 654321), "2024-01-02T03:04:05.654321Z"},
      {"decimal128", types::Decimal128(19, 10), Value::String(Decimal128Bytes(123456789000000)), "12345.6789000000"},
  };
}

// The struct's fields: the base columns, with id 1, string "nested" and
// boolean false.
Value StructValue(const std::vector<Base>& base) {
  std::vector<Value> fields;
  for (const Base& b : base) {
    const std::string name = b.name;
    if (name == "id") fields.push_back(Value::Int(1));
    else if (name == "string") fields.push_back(Value::String("nested"));
    else if (name == "boolean") fields.push_back(Value::Bool(false));
    else fields.push_back(b.value);
  }
  return Value::List(std::move(fields));
}

// The list of a column: [1, 2, 3] and ["a", "b", "c"] for int64 and string
// (as before), otherwise [value, null].
Value ListValue(const std::string& name, const Value& v) {
  if (name == "int64") return Value::List({Value::Int(1), Value::Int(2), Value::Int(3)});
  if (name == "string") return Value::List({Value::String("a"), Value::String("b"), Value::String("c")});
  return Value::List({v, Value::Null()});
}

Column Col(std::string name, DataTypePtr type, std::string description, bool not_null = false) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.description = std::move(description);
  c.not_null = not_null;
  return c;
}

}  // namespace

Row TestdataRow(int64_t client_id) {
  const auto base = BaseColumns(client_id);
  Row row;
  for (const Base& b : base) row.push_back(b.value);
  const Value s = StructValue(base);
  row.push_back(s);
  for (const Base& b : base)
    if (std::string(b.name) != "json") row.push_back(ListValue(b.name, b.value));
  row.push_back(ListValue("struct", s));
  row.push_back(Value::Int(client_id));
  return row;
}

std::vector<Column> TestdataColumns() {
  const auto base = BaseColumns(0);
  std::vector<Column> cols;
  std::vector<Field> fields;
  for (const Base& b : base) {
    const std::string description = std::string(b.name) == "id"
                                        ? std::string("The client (1..num_clients), never null")
                                        : "A value of " + b.type->ToString() + ": " + b.text;
    cols.push_back(Col(b.name, b.type, description, b.not_null));
    fields.push_back(Field{b.name, b.type, true});
  }
  const DataTypePtr st = types::Struct(fields);
  cols.push_back(Col("struct", st, "Every column above as a field (id 1, string \"nested\", boolean false)"));
  for (const Base& b : base) {
    const std::string name = b.name;
    if (name == "json") continue;   // as schema.TestTable: no list of json
    const std::string items = name == "int64" ? "[1, 2, 3]" : name == "string" ? "[\"a\", \"b\", \"c\"]"
                                                                              : "[" + name + "'s value, null]";
    cols.push_back(Col(name + "_list", types::List(b.type), "A list of " + b.type->ToString() + ": " + items));
  }
  cols.push_back(Col("struct_list", types::List(st), "A list of the struct: [struct's value, null]"));
  cols.push_back(Col("client_id", types::Int64(), "ID of client"));
  return cols;
}

sdk::TableDef TestdataTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kTestdataTable;
  t.schema.description = "Testdata table";
  t.schema.columns = TestdataColumns();
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, kTestdataTable, Immediate::kIgnore, ctx));
    return w.Write(TestdataRow(ClientIdOf(ctx)));
  };
  t.multiplex = ClientsMultiplexer(spec);
  return t;
}

}  // namespace ferry::plugins::test
