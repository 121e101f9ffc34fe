#include "plugins/destination/sqlite/json_encoder.h"

#include <limits>

#include <gtest/gtest.h>

#include "ferry/builder.h"

namespace ferry::plugins::sqlite {
namespace {

std::string Json(const DataTypePtr& type, const Value& v) {
  ArrayBuilder b(type);
  EXPECT_TRUE(b.Append(Value::Null()).ok());  // a leading null: offsets must be honoured
  Status st = b.Append(v);
  EXPECT_TRUE(st.ok()) << st.ToString();
  ArrayPtr a = b.Finish();
  std::string out;
  AppendJson(*a->Slice(1, 1), 0, &out);
  return out;
}

TEST(JsonEncoder, Scalars) {
  EXPECT_EQ(Json(types::Int64(), Value::Int(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(Json(types::UInt64(), Value::UInt(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(Json(types::Float64(), Value::Double(0.1)), "0.1");
  EXPECT_EQ(Json(types::Float32(), Value::Double(0.1f)), "0.1");
  EXPECT_EQ(Json(types::Float64(), Value::Double(-0.0)), "-0.0");
  EXPECT_EQ(Json(types::Float64(), Value::Double(1e300)), "1e+300");
  EXPECT_EQ(Json(types::Float64(), Value::Double(std::numeric_limits<double>::quiet_NaN())), "\"NaN\"");
  EXPECT_EQ(Json(types::Float64(), Value::Double(-std::numeric_limits<double>::infinity())), "\"-Infinity\"");
  EXPECT_EQ(Json(types::Bool(), Value::Bool(true)), "true");
  EXPECT_EQ(Json(types::Utf8(), Value::String("a\"b\\c\n\x01ü")), "\"a\\\"b\\\\c\\n\\u0001ü\"");
  EXPECT_EQ(Json(types::Binary(), Value::String("foobar")), "\"Zm9vYmFy\"");
  EXPECT_EQ(Json(types::Timestamp(), Value::Int(-1)), "\"1969-12-31 23:59:59.999999\"");
  EXPECT_EQ(Json(types::Date32(), Value::Int(1)), "\"1970-01-02\"");
  EXPECT_EQ(Json(types::Uuid(), Value::String(std::string(16, '\x11'))), "\"11111111-1111-1111-1111-111111111111\"");
  EXPECT_EQ(Json(types::Json(), Value::String("{\"a\": [1]}")), "{\"a\": [1]}");
  EXPECT_EQ(Json(types::Json(), Value::String("not json")), "\"not json\"");
  EXPECT_EQ(Json(types::Inet(), Value::String("10.0.0.0/8")), "\"10.0.0.0/8\"");
}

TEST(JsonEncoder, Nested) {
  auto list = types::List(types::Utf8());
  EXPECT_EQ(Json(list, Value::List({Value::String("a"), Value::Null(), Value::String("")})), "[\"a\",null,\"\"]");
  EXPECT_EQ(Json(list, Value::List({})), "[]");
  auto st = types::Struct({{"x", types::Int32()}, {"tags", list}});
  EXPECT_EQ(Json(st, Value::List({Value::Int(1), Value::List({Value::String("t")})})), "{\"x\":1,\"tags\":[\"t\"]}");
  EXPECT_EQ(Json(types::List(st), Value::List({Value::Null(), Value::List({Value::Null(), Value::Null()})})),
            "[null,{\"x\":null,\"tags\":null}]");
}

}  // namespace
}  // namespace ferry::plugins::sqlite
