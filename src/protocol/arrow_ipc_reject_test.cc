// Hand-built streams that are valid flatbuffers but describe something
// Ferry must refuse (or convert): unsupported Arrow types, inconsistent
// record batches, other units.
#include <gtest/gtest.h>

#include <functional>

#include "protocol/arrow_ipc.h"
#include "protocol/ipc_framing.h"
#include "protocol/ipc_test_util.h"

namespace ferry::protocol {
namespace {

namespace fb = arrowfb;
using FBB = flatbuffers::FlatBufferBuilder;
using MakeField = std::function<flatbuffers::Offset<fb::Field>(FBB&)>;

std::string Frame(FBB& fbb, fb::MessageHeader type, flatbuffers::Offset<void> header, int64_t body_length) {
  fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion_V5, type, header, body_length));
  std::string out;
  ipc::AppendMessage(&out, fbb.GetBufferPointer(), fbb.GetSize());
  return out;
}

std::string SchemaMessage(const std::vector<MakeField>& fields, fb::Endianness endian = fb::Endianness_Little) {
  FBB fbb;
  std::vector<flatbuffers::Offset<fb::Field>> offs;
  for (const auto& f : fields) offs.push_back(f(fbb));
  auto fv = fbb.CreateVector(offs);
  auto name = fb::CreateKeyValue(fbb, fbb.CreateString("cq:table_name"), fbb.CreateString("t"));
  auto md = fbb.CreateVector(std::vector<flatbuffers::Offset<fb::KeyValue>>{name});
  return Frame(fbb, fb::MessageHeader_Schema, fb::CreateSchema(fbb, endian, fv, md).Union(), 0);
}

// A field of type `type_id` whose type table `make_type` builds.
MakeField F(std::string name, fb::Type type_id, std::function<flatbuffers::Offset<void>(FBB&)> make_type,
            std::vector<MakeField> children = {}, bool dictionary = false) {
  return [=](FBB& fbb) {
    std::vector<flatbuffers::Offset<fb::Field>> kids;
    for (const auto& c : children) kids.push_back(c(fbb));
    auto n = fbb.CreateString(name);
    auto t = make_type(fbb);
    auto k = fbb.CreateVector(kids);
    auto d = dictionary ? fb::CreateDictionaryEncoding(fbb) : 0;
    return fb::CreateField(fbb, n, true, type_id, t, d, k);
  };
}
MakeField Int32(std::string name) {
  return F(std::move(name), fb::Type_Int, [](FBB& b) { return fb::CreateInt(b, 32, true).Union(); });
}

std::string RecordMessage(int64_t length, const std::vector<fb::FieldNode>& nodes,
                          const std::vector<fb::Buffer>& buffers, std::string body, bool compressed = false) {
  FBB fbb;
  auto n = fbb.CreateVectorOfStructs(nodes);
  auto b = fbb.CreateVectorOfStructs(buffers);
  auto c = compressed ? fb::CreateBodyCompression(fbb, fb::CompressionType_ZSTD) : 0;
  auto rb = fb::CreateRecordBatch(fbb, length, n, b, c);
  body.resize(static_cast<size_t>(ipc::PadTo8(static_cast<int64_t>(body.size()))), '\0');
  return Frame(fbb, fb::MessageHeader_RecordBatch, rb.Union(), static_cast<int64_t>(body.size())) + body;
}

std::string Stream(std::string schema, std::string record = "") {
  std::string out = std::move(schema) + record;
  ipc::AppendEndOfStream(&out);
  return out;
}

std::string I64s(std::initializer_list<int64_t> v) {
  std::string s;
  for (int64_t x : v) s.append(reinterpret_cast<const char*>(&x), 8);
  return s;
}
std::string I32s(std::initializer_list<int32_t> v) {
  std::string s;
  for (int32_t x : v) s.append(reinterpret_cast<const char*>(&x), 4);
  return s;
}

void ExpectError(const Result<BatchPtr>& r, StatusCode code, std::initializer_list<const char*> words) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  for (const char* w : words) EXPECT_NE(r.status().message().find(w), std::string::npos) << r.status().message();
}

TEST(ArrowIpcReject, UnsupportedTypesNameFieldAndType) {
  auto empty = [](FBB& b) { return fb::CreateBool(b).Union(); };  // any table: the id decides
  struct Case { MakeField field; const char* type; };
  const Case cases[] = {
      // large_utf8, large_binary and float16 are converted (CqJsInterop.JsSourceExtraArrowTypes...).
      {F("big", static_cast<fb::Type>(21), empty), "large_list"},
      {F("big", fb::Type_Decimal, [](FBB& b) { return fb::CreateDecimal(b, 40, 10, 256).Union(); }),
       "decimal256(40, 10)"},
      {F("big", static_cast<fb::Type>(1), empty), "null"},
      {F("big", static_cast<fb::Type>(17), empty), "map"},
      // With its child, as arrow-go writes it: still named as a map.
      {F("big", static_cast<fb::Type>(17), empty, {Int32("entries")}), "Arrow type map (type id 17) is not supported"},
      {F("big", static_cast<fb::Type>(24), empty), "utf8_view"},
      {F("big", static_cast<fb::Type>(200), empty), "unknown"},
      {F("big", fb::Type_Utf8, [](FBB& b) { return fb::CreateUtf8(b).Union(); }, {}, true), "dictionary"},
      {F("outer", fb::Type_Struct_, [](FBB& b) { return fb::CreateStruct_(b).Union(); },
         {F("big", static_cast<fb::Type>(17), empty)}), "map"},
  };
  for (const Case& c : cases) {
    auto r = DecodeRecordStream(Stream(SchemaMessage({Int32("ok"), c.field})));
    ExpectError(r, StatusCode::kUnsupported, {"big", c.type});
    EXPECT_FALSE(DecodeSchemaStream(Stream(SchemaMessage({c.field}))).ok());
  }
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({Int32("x")}, fb::Endianness_Big))),
              StatusCode::kUnsupported, {"big-endian"});
}

TEST(ArrowIpcReject, MalformedFields) {
  auto int_bits = [](int bits) {
    return F("x", fb::Type_Int, [bits](FBB& b) { return fb::CreateInt(b, bits, true).Union(); });
  };
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({int_bits(24)}))), StatusCode::kInvalidArgument, {"x", "24"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_List, [](FBB& b) {
                return fb::CreateList(b).Union();
              })}))),
              StatusCode::kInvalidArgument, {"x", "one child"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_FixedSizeBinary, [](FBB& b) {
                return fb::CreateFixedSizeBinary(b, 0).Union();
              })}))),
              StatusCode::kInvalidArgument, {"x", "byte width"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({Int32("x"), Int32("x")}))), StatusCode::kInvalidArgument,
              {"duplicate"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_NONE, [](FBB&) {
                return flatbuffers::Offset<void>();
              })}))),
              StatusCode::kInvalidArgument, {"no type"});
  // Time's bit width follows its unit; decimal128's precision is 1..38.
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_Time, [](FBB& b) {
                return fb::CreateTime(b, fb::TimeUnit_NANOSECOND, 32).Union();
              })}))),
              StatusCode::kInvalidArgument, {"x", "bit width 64"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_Time, [](FBB& b) {
                return fb::CreateTime(b, fb::TimeUnit_SECOND, 64).Union();
              })}))),
              StatusCode::kInvalidArgument, {"x", "bit width 32"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_Decimal, [](FBB& b) {
                return fb::CreateDecimal(b, 39, 2, 128).Union();
              })}))),
              StatusCode::kInvalidArgument, {"x", "precision 39"});
  ExpectError(DecodeRecordStream(Stream(SchemaMessage({F("x", fb::Type_Interval, [](FBB& b) {
                return fb::CreateInterval(b, static_cast<fb::IntervalUnit>(3)).Union();
              })}))),
              StatusCode::kInvalidArgument, {"x", "interval unit 3"});
}

TEST(ArrowIpcReject, NestingLimit) {
  DataTypePtr t = types::Int8();
  for (int i = 0; i < 40; ++i) t = types::List(t);
  auto s = std::make_shared<TableSchema>();
  s->name = "deep";
  s->columns.push_back(Column{"d", t});
  auto bytes = EncodeRecordStream(*testutil::MakeBatch(s, 2));
  ASSERT_TRUE(bytes.ok());
  ExpectError(DecodeRecordStream(*bytes), StatusCode::kInvalidArgument, {"nested deeper"});
}

TEST(ArrowIpcReject, InconsistentRecordBatches) {
  const std::string schema = SchemaMessage({Int32("x")});
  const std::string body = std::string("\x05", 1) + std::string(7, '\0') + I32s({1, 0, 3, 0});
  auto rec = [&](int64_t len, std::vector<fb::FieldNode> nodes, std::vector<fb::Buffer> bufs, std::string b = "") {
    return DecodeRecordStream(Stream(schema, RecordMessage(len, nodes, bufs, b.empty() ? body : b)));
  };
  // The valid one.
  auto good = rec(3, {{3, 1}}, {{0, 1}, {8, 12}});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(GetValue(*(*good)->column(0), 1).is_null());

  ExpectError(rec(3, {{3, 1}}, {{0, 1}, {8, 100}}), StatusCode::kInvalidArgument, {"outside"});
  ExpectError(rec(3, {{3, 1}}, {{0, 1}, {-8, 12}}), StatusCode::kInvalidArgument, {"outside"});
  ExpectError(rec(3, {{3, 1}}, {{0, -1}, {8, 12}}), StatusCode::kInvalidArgument, {"outside"});
  ExpectError(rec(3, {{3, 1}}, {{0, 24}, {0, 24}}), StatusCode::kInvalidArgument, {"overlap"});
  ExpectError(rec(3, {{3, 1}}, {{0, 1}}), StatusCode::kInvalidArgument, {"buffers"});
  ExpectError(rec(3, {{3, 1}, {3, 0}}, {{0, 1}, {8, 12}}), StatusCode::kInvalidArgument, {"field nodes"});
  ExpectError(rec(int64_t{1} << 40, {{int64_t{1} << 40, 0}}, {{0, 0}, {8, 12}}), StatusCode::kInvalidArgument,
              {"length"});
  ExpectError(rec(4, {{4, 0}}, {{0, 0}, {8, 12}}), StatusCode::kInvalidArgument, {"x", "too short"});
  ExpectError(rec(3, {{3, 4}}, {{0, 1}, {8, 12}}), StatusCode::kInvalidArgument, {"null count"});
  ExpectError(rec(3, {{3, 2}}, {{0, 1}, {8, 12}}), StatusCode::kInvalidArgument, {"null_count"});
  ExpectError(rec(3, {{3, 1}}, {{0, 0}, {8, 12}}), StatusCode::kInvalidArgument, {"validity"});
  ExpectError(rec(2, {{3, 1}}, {{0, 1}, {8, 12}}), StatusCode::kInvalidArgument, {"rows"});
  ExpectError(DecodeRecordStream(Stream(schema, RecordMessage(3, {{3, 1}}, {{0, 1}, {8, 12}}, body, true))),
              StatusCode::kUnsupported, {"compressed", "ZSTD"});
}

TEST(ArrowIpcReject, BadOffsets) {
  const std::string utf8 = SchemaMessage({F("s", fb::Type_Utf8, [](FBB& b) { return fb::CreateUtf8(b).Union(); })});
  auto rec = [&](std::string offsets) {
    const int64_t n = static_cast<int64_t>(offsets.size());
    std::string body = offsets + std::string(static_cast<size_t>(ipc::PadTo8(n) - n), '\0') + "abcdefgh";
    return DecodeRecordStream(Stream(utf8, RecordMessage(2, {{2, 0}}, {{0, 0}, {0, n}, {ipc::PadTo8(n), 8}}, body)));
  };
  ASSERT_TRUE(rec(I32s({0, 3, 8})).ok());
  ExpectError(rec(I32s({0, 5, 3})), StatusCode::kInvalidArgument, {"s", "monotonic"});
  ExpectError(rec(I32s({0, 3, 9})), StatusCode::kInvalidArgument, {"s", "past the end"});
  ExpectError(rec(I32s({-1, 3, 8})), StatusCode::kInvalidArgument, {"s", "negative"});
  ExpectError(rec(I32s({0, 3})), StatusCode::kInvalidArgument, {"s", "too short"});

  const std::string list = SchemaMessage({F("l", fb::Type_List, [](FBB& b) { return fb::CreateList(b).Union(); },
                                            {Int32("item")})});
  // l = [[1], [2, 3]]; the second list claims 3 items.
  std::string body = I32s({0, 1, 4, 0}) + I32s({1, 2, 3, 0});
  ExpectError(DecodeRecordStream(Stream(list, RecordMessage(2, {{2, 0}, {3, 0}},
                                                          {{0, 0}, {0, 12}, {0, 0}, {16, 12}}, body))),
              StatusCode::kInvalidArgument, {"l", "past the end"});

  const std::string st = SchemaMessage({F("st", fb::Type_Struct_, [](FBB& b) { return fb::CreateStruct_(b).Union(); },
                                          {Int32("a")})});
  ExpectError(DecodeRecordStream(Stream(st, RecordMessage(3, {{3, 0}, {2, 0}}, {{0, 0}, {0, 0}, {0, 8}},
                                                        I32s({1, 2})))),
              StatusCode::kInvalidArgument, {"st", "shorter"});
}

TEST(ArrowIpcReject, OtherUnitsAreConverted) {
  auto ts = [](fb::TimeUnit unit, const char* tz) {
    return F("t", fb::Type_Timestamp, [unit, tz](FBB& b) {
      return fb::CreateTimestamp(b, unit, tz ? b.CreateString(tz) : 0).Union();
    });
  };
  const std::string values = I64s({1, -1, 1234567});
  auto decode = [&](MakeField field) {
    return DecodeRecordStream(Stream(SchemaMessage({field}), RecordMessage(3, {{3, 0}}, {{0, 0}, {0, 24}}, values)));
  };
  auto expect = [&](MakeField field, std::vector<int64_t> want) {
    auto r = decode(std::move(field));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(GetValue(*(*r)->column(0), i) == Value::Int(want[i])) << i;
  };
  expect(ts(fb::TimeUnit_SECOND, "UTC"), {1000000, -1000000, 1234567000000});
  expect(ts(fb::TimeUnit_MILLISECOND, "Europe/Paris"), {1000, -1000, 1234567000});
  expect(ts(fb::TimeUnit_MICROSECOND, nullptr), {1, -1, 1234567});
  expect(ts(fb::TimeUnit_NANOSECOND, nullptr), {0, -1, 1234});
  expect(F("d", fb::Type_Date, [](FBB& b) { return fb::CreateDate(b, fb::DateUnit_MILLISECOND).Union(); }),
         {0, -1, 0});

  const std::string huge = I64s({INT64_MAX / 10, 0, 0});
  auto r = DecodeRecordStream(
      Stream(SchemaMessage({ts(fb::TimeUnit_SECOND, "UTC")}), RecordMessage(3, {{3, 0}}, {{0, 0}, {0, 24}}, huge)));
  ExpectError(r, StatusCode::kInvalidArgument, {"t", "out of range"});
  // A null slot's garbage is not converted.
  r = DecodeRecordStream(Stream(SchemaMessage({ts(fb::TimeUnit_SECOND, "UTC")}),
                                RecordMessage(3, {{3, 1}}, {{0, 1}, {8, 24}}, std::string("\x06", 1) +
                                                                                   std::string(7, '\0') + huge)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(GetValue(*(*r)->column(0), 0).is_null());
}

}  // namespace
}  // namespace ferry::protocol
