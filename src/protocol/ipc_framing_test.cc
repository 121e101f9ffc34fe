// Byte-level checks of Ferry's Arrow IPC streams: framing, alignment,
// end-of-stream, the metadata written, and known-answer streams.
#include "protocol/ipc_framing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "protocol/arrow_ipc.h"
#include "protocol/ipc_test_util.h"

namespace ferry::protocol {
namespace {

namespace fb = arrowfb;

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}
std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    if (h[i] == '\n' || h[i] == ' ') {
      --i;
      continue;
    }
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}
uint32_t U32(std::string_view s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

TableSchemaPtr OneColumn(std::string name, DataTypePtr type) {
  auto s = std::make_shared<TableSchema>();
  s->name = "t";
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  s->columns.push_back(c);
  return s;
}

std::map<std::string, std::string> Metadata(const flatbuffers::Vector<flatbuffers::Offset<fb::KeyValue>>* md) {
  std::map<std::string, std::string> out;
  if (md)
    for (const auto* kv : *md) out[kv->key()->str()] = kv->value()->str();
  return out;
}

TEST(ArrowIpcFraming, SchemaStreamIsOneMessageThenEndOfStream) {
  auto bytes = EncodeSchemaStream(*testutil::AllTypesSchema());
  ASSERT_TRUE(bytes.ok());
  const std::string& s = *bytes;
  ASSERT_GE(s.size(), 16u);
  EXPECT_EQ(U32(s, 0), 0xFFFFFFFFu);               // continuation marker
  const uint32_t len = U32(s, 4);
  EXPECT_EQ(len % 8, 0u);                          // metadata padded so the next part is aligned
  EXPECT_EQ(s.size(), 8 + len + 8);                // no body, then end-of-stream
  EXPECT_EQ(Hex(s.substr(s.size() - 8)), "ffffffff00000000");
}

TEST(ArrowIpcFraming, RecordStreamAlignment) {
  auto batch = testutil::MakeBatch(testutil::AllTypesSchema(), 11)->Slice(3, 7);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok());
  const std::string& s = *bytes;
  EXPECT_EQ(s.size() % 8, 0u);
  EXPECT_EQ(Hex(s.substr(s.size() - 8)), "ffffffff00000000");

  ipc::MessageReader reader(s);
  ipc::MessageView m;
  int messages = 0;
  size_t pos = 0;
  for (;;) {
    EXPECT_EQ(U32(s, pos), 0xFFFFFFFFu);
    auto more = reader.Next(&m);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ++messages;
    const size_t body_at = static_cast<size_t>(m.body.data() - s.data());
    EXPECT_EQ(body_at % 8, 0u);
    EXPECT_EQ(m.body.size() % 8, 0u);
    if (const auto* rb = m.message->header_as_RecordBatch()) {
      EXPECT_EQ(m.message->version(), fb::MetadataVersion_V5);
      EXPECT_EQ(rb->length(), 7);
      EXPECT_FALSE(rb->compression());
      for (const auto* b : *rb->buffers()) {
        EXPECT_EQ(b->offset() % 8, 0);
        EXPECT_LE(b->offset() + b->length(), static_cast<int64_t>(m.body.size()));
      }
    }
    pos = reader.position();
  }
  EXPECT_EQ(messages, 2);
  EXPECT_EQ(reader.position(), s.size());
}

// Hand-checked: t(x: int32) = [1, null, 3].
TEST(ArrowIpcFraming, KnownAnswerRecordBody) {
  auto schema = OneColumn("x", types::Int32());
  BatchBuilder b(schema);
  ASSERT_TRUE(b.AppendRow({Value::Int(1)}).ok());
  ASSERT_TRUE(b.AppendRow({Value::Null()}).ok());
  ASSERT_TRUE(b.AppendRow({Value::Int(3)}).ok());
  auto bytes = EncodeRecordStream(*b.Finish());
  ASSERT_TRUE(bytes.ok());

  ipc::MessageReader reader(*bytes);
  ipc::MessageView m;
  ASSERT_TRUE(*reader.Next(&m));
  const fb::Schema* schema_fb = m.message->header_as_Schema();
  ASSERT_TRUE(schema_fb);
  EXPECT_EQ(m.message->version(), fb::MetadataVersion_V5);
  EXPECT_EQ(schema_fb->endianness(), fb::Endianness_Little);
  EXPECT_EQ(Metadata(schema_fb->custom_metadata()),
            (std::map<std::string, std::string>{{"cq:table_name", "t"}, {"cq:table_title", ""},
                                                {"cq:table_description", ""},
                                                {"cq:extension:constraint_name", ""}}));
  ASSERT_EQ(schema_fb->fields()->size(), 1u);
  const fb::Field* x = schema_fb->fields()->Get(0);
  EXPECT_EQ(x->name()->str(), "x");
  EXPECT_TRUE(x->nullable());
  ASSERT_TRUE(x->type_as_Int());
  EXPECT_EQ(x->type_as_Int()->bit_width(), 32);
  EXPECT_TRUE(x->type_as_Int()->is_signed());
  EXPECT_EQ(Metadata(x->custom_metadata()),
            (std::map<std::string, std::string>{{"cq:extension:primary_key", "false"},
                                                {"cq:extension:unique", "false"},
                                                {"cq:extension:incremental", "false"},
                                                {"cq:extension:primary_key_component", "false"}}));

  ASSERT_TRUE(*reader.Next(&m));
  const fb::RecordBatch* rb = m.message->header_as_RecordBatch();
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->length(), 3);
  EXPECT_EQ(m.message->body_length(), 24);
  ASSERT_EQ(rb->nodes()->size(), 1u);
  EXPECT_EQ(rb->nodes()->Get(0)->length(), 3);
  EXPECT_EQ(rb->nodes()->Get(0)->null_count(), 1);
  ASSERT_EQ(rb->buffers()->size(), 2u);
  EXPECT_EQ(rb->buffers()->Get(0)->offset(), 0);
  EXPECT_EQ(rb->buffers()->Get(0)->length(), 1);
  EXPECT_EQ(rb->buffers()->Get(1)->offset(), 8);
  EXPECT_EQ(rb->buffers()->Get(1)->length(), 12);
  // validity 0b101 padded to 8 bytes; values 1, (null slot 0), 3 padded to 16.
  EXPECT_EQ(Hex(m.body), "0500000000000000" "0100000000000000" "0300000000000000");
  ASSERT_FALSE(*reader.Next(&m));
  EXPECT_EQ(reader.position(), bytes->size());
}

TEST(ArrowIpcFraming, NoValidityBufferWithoutNulls) {
  auto schema = OneColumn("x", types::Int64());
  BatchBuilder b(schema);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.AppendRow({Value::Int(i)}).ok());
  auto bytes = EncodeRecordStream(*b.Finish());
  ASSERT_TRUE(bytes.ok());
  ipc::MessageReader reader(*bytes);
  ipc::MessageView m;
  ASSERT_TRUE(*reader.Next(&m));
  ASSERT_TRUE(*reader.Next(&m));
  const fb::RecordBatch* rb = m.message->header_as_RecordBatch();
  EXPECT_EQ(rb->nodes()->Get(0)->null_count(), 0);
  EXPECT_EQ(rb->buffers()->Get(0)->length(), 0);
  EXPECT_EQ(Hex(m.body), "0000000000000000" "0100000000000000" "0200000000000000");
}

// A slice starting at bit 3 gets a re-based bitmap and re-based offsets.
TEST(ArrowIpcFraming, SliceIsRebased) {
  auto schema = OneColumn("s", types::Utf8());
  BatchBuilder b(schema);
  for (const char* v : std::initializer_list<const char*>{"a", "bb", "ccc", "dddd", nullptr, "ee", "f", "", "gg", nullptr})
    ASSERT_TRUE(b.AppendRow({v ? Value::String(v) : Value::Null()}).ok());
  auto bytes = EncodeRecordStream(*b.Finish()->Slice(3, 6));  // dddd, null, ee, f, "", gg
  ASSERT_TRUE(bytes.ok());
  ipc::MessageReader reader(*bytes);
  ipc::MessageView m;
  ASSERT_TRUE(*reader.Next(&m));
  ASSERT_TRUE(*reader.Next(&m));
  const fb::RecordBatch* rb = m.message->header_as_RecordBatch();
  EXPECT_EQ(rb->nodes()->Get(0)->length(), 6);
  EXPECT_EQ(rb->nodes()->Get(0)->null_count(), 1);
  // validity 0b111101; offsets 0,4,4,6,7,7,9; data "ddddeefgg".
  EXPECT_EQ(Hex(m.body), "3d00000000000000"
                         "00000000040000000400000006000000070000000700000009000000" "00000000"
                         "6464646465656667" "6700000000000000");
}

TEST(ArrowIpcFraming, ExtensionAndParameterisedTypes) {
  auto s = std::make_shared<TableSchema>();
  s->name = "t";
  for (auto [name, type] : std::vector<std::pair<std::string, DataTypePtr>>{
           {"id", types::Uuid()}, {"doc", types::Json()}, {"ip", types::Inet()}, {"hw", types::Mac()},
           {"ts", types::Timestamp()}, {"day", types::Date32()}, {"tags", types::List(types::Uuid())}}) {
    Column c;
    c.name = name;
    c.type = type;
    c.not_null = name == "id";
    s->columns.push_back(c);
  }
  auto bytes = EncodeSchemaStream(*s);
  ASSERT_TRUE(bytes.ok());
  ipc::MessageReader reader(*bytes);
  ipc::MessageView m;
  ASSERT_TRUE(*reader.Next(&m));
  const auto* fields = m.message->header_as_Schema()->fields();
  auto ext = [](const fb::Field* f) {
    auto md = Metadata(f->custom_metadata());
    return md["ARROW:extension:name"] + "/" + md["ARROW:extension:metadata"];
  };
  EXPECT_FALSE(fields->Get(0)->nullable());
  EXPECT_EQ(fields->Get(0)->type_as_FixedSizeBinary()->byte_width(), 16);
  EXPECT_EQ(ext(fields->Get(0)), "uuid/uuid-serialized");
  EXPECT_TRUE(fields->Get(1)->type_as_Binary());
  EXPECT_EQ(ext(fields->Get(1)), "json/json-serialized");
  EXPECT_TRUE(fields->Get(2)->type_as_Binary());
  EXPECT_EQ(ext(fields->Get(2)), "inet/inet-serialized");
  EXPECT_TRUE(fields->Get(3)->type_as_Binary());
  EXPECT_EQ(ext(fields->Get(3)), "mac/mac-serialized");
  EXPECT_EQ(fields->Get(4)->type_as_Timestamp()->unit(), fb::TimeUnit_MICROSECOND);
  EXPECT_EQ(fields->Get(4)->type_as_Timestamp()->timezone()->str(), "UTC");
  EXPECT_EQ(fields->Get(5)->type_as_Date()->unit(), fb::DateUnit_DAY);
  const fb::Field* tags = fields->Get(6);
  ASSERT_TRUE(tags->type_as_List());
  ASSERT_EQ(tags->children()->size(), 1u);
  EXPECT_EQ(tags->children()->Get(0)->name()->str(), "item");
  EXPECT_EQ(ext(tags->children()->Get(0)), "uuid/uuid-serialized");
  EXPECT_EQ(Metadata(tags->children()->Get(0)->custom_metadata()).count("cq:extension:primary_key"), 0u);
}

// Written by Apache Arrow JS 15 (tableToIPC): x: int32 = [1, null, 3], no cq
// metadata, 64-byte aligned buffers.
constexpr const char* kArrowJsInt32 =
    "ffffffff800000001000000000000a0010000e00070008000a00000000000001100000000000040008000800"
    "00000400080000000400000001000000140000001000180004000b001300140000000c001000000014000000"
    "0000000114000000000000021800000001000000780000000000000008000c00080007000800000000000001"
    "20000000ffffffff8800000014000000000000000c00160014000f00100004000c0000005000000000000000"
    "000000031000000004000a0018000c00080004000a0000001400000038000000030000000000000000000000"
    "0200000000000000000000004000000000000000400000000000000010000000000000000000000001000000"
    "0300000000000000010000000000000005000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000100000000000000"
    "0300000000000000ffffffff00000000";

TEST(ArrowIpcFraming, KnownAnswerDecodeOfArrowJsStream) {
  const std::string stream = Unhex(kArrowJsInt32);
  ASSERT_EQ(stream.size(), 368u);
  auto batch = DecodeRecordStream(stream);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  const Batch& b = **batch;
  EXPECT_EQ(b.schema()->name, "");
  ASSERT_EQ(b.schema()->columns.size(), 1u);
  EXPECT_EQ(b.schema()->columns[0].name, "x");
  EXPECT_TRUE(b.schema()->columns[0].type->Equals(*types::Int32()));
  EXPECT_FALSE(b.schema()->columns[0].not_null);
  ASSERT_EQ(b.num_rows(), 3);
  EXPECT_TRUE(GetValue(*b.column(0), 0) == Value::Int(1));
  EXPECT_TRUE(GetValue(*b.column(0), 1).is_null());
  EXPECT_TRUE(GetValue(*b.column(0), 2) == Value::Int(3));
  // No cq:table_name: not a CloudQuery table.
  EXPECT_FALSE(DecodeSchemaStream(stream).ok());
}

TEST(ArrowIpcFraming, LegacyFramingAndMissingEndOfStream) {
  auto batch = testutil::MakeBatch(testutil::AllTypesSchema(), 4);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok());
  // Pre-1.0 framing: no continuation marker before each length. Removing
  // the markers moves the metadata off 8-byte alignment in memory too.
  std::string legacy;
  ipc::MessageReader reader(*bytes);
  ipc::MessageView m;
  size_t pos = 0;
  while (*reader.Next(&m)) {
    legacy += bytes->substr(pos + 4, reader.position() - pos - 4);
    pos = reader.position();
  }
  legacy += std::string(4, '\0');
  auto back = DecodeRecordStream(legacy);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  testutil::ExpectSameRows(*batch, **back);
  // The end of the input also ends a stream.
  back = DecodeRecordStream(std::string_view(*bytes).substr(0, bytes->size() - 8));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
}

}  // namespace
}  // namespace ferry::protocol
