#include "plugins/source/test/tables/testdata_table.h"

#include <string>
#include <vector>

namespace ferry::plugins::test {

namespace {

Column Col(std::string name, DataTypePtr type, std::string description) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.description = std::move(description);
  return c;
}

std::string Bytes(std::initializer_list<unsigned char> b) { return std::string(b.begin(), b.end()); }

DataTypePtr StructType() {
  return types::Struct({Field{"id", types::Int64(), true}, Field{"string", types::Utf8(), true},
                        Field{"boolean", types::Bool(), true}});
}

}  // namespace

Row TestdataRow(int64_t client_id) {
  return {
      Value::Int(-8),
      Value::Int(-1600),
      Value::Int(-320000),
      Value::Int(-6400000000LL),
      Value::UInt(8),
      Value::UInt(1600),
      Value::UInt(3200000),
      Value::UInt(6400000000ULL),
      Value::Double(1.5),
      Value::Double(3.25),
      Value::String(Bytes({0x00, 0x01, 0x02, 0xff})),
      Value::String("hello, w\xc3\xb6rld"),
      Value::Bool(true),
      Value::String(Bytes({0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40,
                           0x00})),
      Value::String("192.0.2.0/24"),
      Value::String(Bytes({0x02, 0x00, 0x5e, 0x10, 0x00, 0x01})),
      Value::String(R"({"key":"value","list":[1,2],"n":1})"),
      Value::Int(19724),
      Value::Int(1704164645123456LL),
      Value::String(Bytes({0xde, 0xad, 0xbe, 0xef})),
      Value::List({Value::Int(1), Value::String("nested"), Value::Bool(false)}),
      Value::List({Value::Int(1), Value::Int(2), Value::Int(3)}),
      Value::List({Value::String("a"), Value::String("b"), Value::String("c")}),
      Value::Int(client_id),
  };
}

sdk::TableDef TestdataTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kTestdataTable;
  t.schema.description = "Testdata table";
  t.schema.columns = {
      Col("int8", types::Int8(), "An int8 value (-8)"),
      Col("int16", types::Int16(), "An int16 value (-1600)"),
      Col("int32", types::Int32(), "An int32 value (-320000)"),
      Col("int64", types::Int64(), "An int64 value (-6400000000)"),
      Col("uint8", types::UInt8(), "A uint8 value (8)"),
      Col("uint16", types::UInt16(), "A uint16 value (1600)"),
      Col("uint32", types::UInt32(), "A uint32 value (3200000)"),
      Col("uint64", types::UInt64(), "A uint64 value (6400000000)"),
      Col("float32", types::Float32(), "A float32 value (1.5)"),
      Col("float64", types::Float64(), "A float64 value (3.25)"),
      Col("binary", types::Binary(), "A binary value (bytes 00 01 02 ff)"),
      Col("string", types::Utf8(), "A utf8 value (\"hello, wörld\")"),
      Col("boolean", types::Bool(), "A bool value (true)"),
      Col("uuid", types::Uuid(), "A uuid value (123e4567-e89b-42d3-a456-426614174000)"),
      Col("inet", types::Inet(), "An inet value (192.0.2.0/24)"),
      Col("mac", types::Mac(), "A mac value (02:00:5e:10:00:01)"),
      Col("json", types::Json(), "A json value ({\"key\":\"value\",\"list\":[1,2],\"n\":1})"),
      Col("date32", types::Date32(), "A date32 value (2024-01-02)"),
      Col("timestamp_us", types::Timestamp(), "A timestamp value (2024-01-02T03:04:05.123456Z)"),
      Col("fixed_size_binary", types::FixedSizeBinary(4), "A fixed_size_binary[4] value (bytes de ad be ef)"),
      Col("struct", StructType(), "A struct value ({id: 1, string: \"nested\", boolean: false})"),
      Col("int64_list", types::List(types::Int64()), "A list of int64 ([1, 2, 3])"),
      Col("string_list", types::List(types::Utf8()), "A list of utf8 ([\"a\", \"b\", \"c\"])"),
      Col("client_id", types::Int64(), "ID of client"),
  };
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, kTestdataTable, Immediate::kIgnore, ctx));
    return w.Write(TestdataRow(ClientIdOf(ctx)));
  };
  t.multiplex = ClientsMultiplexer(spec);
  return t;
}

}  // namespace ferry::plugins::test
