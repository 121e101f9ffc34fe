#include "plugins/common/json_cell.h"

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ferry/builder.h"

namespace ferry::plugins {
namespace {

std::string Json(const DataTypePtr& type, const Value& v, const JsonCellStyle& style = {}) {
  ArrayBuilder b(type);
  EXPECT_TRUE(b.Append(Value::Null()).ok());  // a leading null: offsets must be honoured
  Status st = b.Append(v);
  EXPECT_TRUE(st.ok()) << st.ToString();
  ArrayPtr a = b.Finish();
  std::string out;
  AppendJsonCell(*a->Slice(1, 1), 0, style, &out);
  return out;
}

TEST(JsonCell, Scalars) {
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

// json cells are embedded when nlohmann accepts them, else quoted; the fast
// check in front of nlohmann must never embed what nlohmann refuses. Random
// documents, and each one mutated, against nlohmann's own answer.
TEST(JsonCell, JsonCellsEmbedExactlyWhatNlohmannAccepts) {
  std::mt19937_64 rng(7);
  auto pick = [&](std::initializer_list<std::string_view> xs) { return *(xs.begin() + rng() % xs.size()); };
  std::function<std::string(int)> doc = [&](int depth) -> std::string {
    const std::string_view ws = pick({"", "", " ", "\n", "\t ", "\r"});
    switch (rng() % (depth > 4 ? 4 : 6)) {
      case 0: return std::string(ws) + std::string(pick({"0", "-0", "12", "-3.25", "1e5", "1E-2", "01", "1.", "-", "1e999",
                                                       "123456789012345678901234567890", "0.5e+3", "2.", ".5"}));
      case 1: return std::string(pick({"\"\"", "\"abc\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"\\ud800\"", "\"\\/\\b\\f\\n\\r\\t\"",
                                       "\"\xc3\xa9\"", "\"\xff\"", "\"tab\there\"", "\"\\x\"", "\"\x7f\"", "\"open"}));
      case 2: return std::string(pick({"true", "false", "null", "tru", "nul", "True"})) + std::string(ws);
      case 3: return std::string(ws) + "\"k\"";
      case 4: {
        std::string a = "[";
        const int n = static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) a += (i ? "," : "") + doc(depth + 1);
        return a + std::string(ws) + "]";
      }
      default: {
        std::string o = "{";
        const int n = static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i)
          o += std::string(i ? "," : "") + std::string(ws) + "\"k" + std::to_string(i) + "\"" + std::string(ws) + ":" + doc(depth + 1);
        return o + "}";
      }
    }
  };
  const std::string_view noise = "{}[],:\"\\ -.0e1tx\n\x01\xe9";
  int embedded = 0, quoted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = doc(0);
    if (i % 2 == 1 && !text.empty()) {   // one mutation: delete, insert or replace a byte
      const size_t at = rng() % text.size();
      const char c = noise[rng() % noise.size()];
      switch (rng() % 3) {
        case 0: text.erase(at, 1); break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: text[at] = c;
      }
    }
    if (i % 500 == 0) text = std::string(70, '[') + std::string(70, ']');   // deeper than the fast check goes
    if (text.empty()) continue;
    std::string want;
    if (nlohmann::json::accept(text)) {
      want = text;
      ++embedded;
    } else {
      AppendJsonString(text, &want);
      ++quoted;
    }
    ASSERT_EQ(Json(types::Json(), Value::String(text)), want) << "text: " << text;
  }
  EXPECT_GT(embedded, 2000);
  EXPECT_GT(quoted, 2000);
}

TEST(JsonCell, Nested) {
  auto list = types::List(types::Utf8());
  EXPECT_EQ(Json(list, Value::List({Value::String("a"), Value::Null(), Value::String("")})), "[\"a\",null,\"\"]");
  EXPECT_EQ(Json(list, Value::List({})), "[]");
  auto st = types::Struct({{"x", types::Int32()}, {"tags", list}});
  EXPECT_EQ(Json(st, Value::List({Value::Int(1), Value::List({Value::String("t")})})), "{\"x\":1,\"tags\":[\"t\"]}");
  EXPECT_EQ(Json(types::List(st), Value::List({Value::Null(), Value::List({Value::Null(), Value::Null()})})),
            "[null,{\"x\":null,\"tags\":null}]");
}

TEST(JsonCell, JsonbStyle) {
  const JsonCellStyle jsonb{.timestamp = TimestampStyle::kIsoUtc, .nul = JsonNul::kDrop, .negative_zero_as_string = true};
  EXPECT_EQ(Json(types::Timestamp(), Value::Int(-1), jsonb), "\"1969-12-31T23:59:59.999999Z\"");
  EXPECT_EQ(Json(types::Float64(), Value::Double(-0.0), jsonb), "\"-0\"");
  EXPECT_EQ(Json(types::Utf8(), Value::String(std::string("a\0b", 3)), jsonb), "\"ab\"");
  EXPECT_EQ(Json(types::Utf8(), Value::String(std::string("a\0b", 3))), "\"a\\u0000b\"");
  EXPECT_EQ(Json(types::Json(), Value::String("{\"k\":\"x\\u0000\"}"), jsonb), "{\"k\":\"x\"}");
}

// Every type, in both styles, parses back to the value it was written from.
TEST(JsonCell, RoundTripsEveryTypeInEveryStyle) {
  auto st = types::Struct({{"i", types::Int64()},     {"u", types::UInt64()},  {"f", types::Float32()},
                           {"d", types::Float64()},   {"b", types::Bool()},    {"s", types::Utf8()},
                           {"bin", types::Binary()},  {"ts", types::Timestamp()}, {"day", types::Date32()},
                           {"id", types::Uuid()},     {"j", types::Json()},    {"l", types::List(types::Int32())}});
  const Value v = Value::List({Value::Int(-5), Value::UInt(std::numeric_limits<uint64_t>::max()),
                               Value::Double(static_cast<float>(0.1)), Value::Double(-0.0), Value::Bool(false),
                               Value::String("x\"y"), Value::String(std::string("\0\xff", 2)),
                               Value::Int(-62135596800000000LL), Value::Int(-719162),
                               Value::String(std::string(16, '\xab')), Value::String("{\"b\":1,\"a\":[true]}"),
                               Value::List({Value::Int(1), Value::Null()})});
  for (const JsonCellStyle& style :
       {JsonCellStyle{}, JsonCellStyle{.timestamp = TimestampStyle::kIsoUtc, .nul = JsonNul::kDrop,
                                       .negative_zero_as_string = true}}) {
    const std::string json = Json(st, v, style);
    auto back = ParseJsonCell(*st, json);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << json;
    EXPECT_TRUE(*back == v) << json;
    EXPECT_TRUE(std::signbit(back->items()[3].as_double())) << json;
  }
}

TEST(JsonCell, ParseNamesWhatDoesNotFit) {
  auto st = types::Struct({{"n", types::Int64()}});
  auto bad = ParseJsonCell(*st, R"({"n":"seven"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot hold int64"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ParseJsonCell(*st, "{").ok());
  EXPECT_FALSE(ParseJsonCell(*types::List(types::UInt64()), "[-1]").ok());
  EXPECT_FALSE(ParseJsonCell(*types::List(types::Date32()), R"(["2023-02-30"])").ok());
}

TEST(JsonCell, StripJsonNulOnlyRemovesTheEscape) {
  EXPECT_EQ(StripJsonNul(R"({"a":"x\u0000y"})"), R"({"a":"xy"})");
  EXPECT_EQ(StripJsonNul(R"({"a":"x\\u0000y"})"), R"({"a":"x\\u0000y"})") << "an escaped backslash, not NUL";
}

}  // namespace
}  // namespace ferry::plugins
