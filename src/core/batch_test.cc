#include "ferry/batch.h"

#include <gtest/gtest.h>

#include "ferry/builder.h"

namespace ferry {
namespace {

TableSchemaPtr MakeSchema() {
  auto s = std::make_shared<TableSchema>();
  s->name = "t";
  s->columns = {
      {.name = "i", .type = types::Int64()},
      {.name = "s", .type = types::Utf8()},
      {.name = "b", .type = types::Bool()},
      {.name = "l", .type = types::List(types::Int32())},
      {.name = "st", .type = types::Struct({{"x", types::Int16(), true}, {"y", types::Utf8(), true}})},
      {.name = "u", .type = types::Uuid()},
  };
  return s;
}

Row MakeRow(int64_t i) {
  if (i % 4 == 3) return Row(6);  // all null
  return {Value::Int(i), Value::String("v" + std::to_string(i)), Value::Bool(i % 2 == 0),
          Value::List({Value::Int(i), Value::Null(), Value::Int(-i)}),
          Value::List({Value::Int(i % 100), Value::String(std::string(i % 5, 'x'))}),
          Value::String(std::string(16, static_cast<char>('a' + i % 26)))};
}

TEST(BatchTest, RoundTripsEveryValueAndValidates) {
  BatchBuilder b(MakeSchema());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(b.AppendRow(MakeRow(i)).ok());
  BatchPtr batch = b.Finish();
  ASSERT_EQ(batch->num_rows(), 1000);
  std::string why;
  ASSERT_TRUE(batch->Validate(&why)) << why;
  EXPECT_EQ(batch->column(0)->null_count, 250);
  for (int64_t i = 0; i < 1000; ++i) {
    Row expect = MakeRow(i);
    for (size_t c = 0; c < expect.size(); ++c)
      EXPECT_EQ(GetValue(*batch->column(c), i), expect[c]) << "row " << i << " col " << c;
  }
  EXPECT_GT(batch->ByteSize(), 1000 * 8);
}

TEST(BatchTest, SliceIsZeroCopyView) {
  BatchBuilder b(MakeSchema());
  for (int64_t i = 0; i < 100; ++i) ASSERT_TRUE(b.AppendRow(MakeRow(i)).ok());
  BatchPtr batch = b.Finish();
  BatchPtr s = batch->Slice(37, 20);
  std::string why;
  ASSERT_TRUE(s->Validate(&why)) << why;
  EXPECT_EQ(s->column(1)->buffers[2].get(), batch->column(1)->buffers[2].get());
  EXPECT_EQ(s->column(0)->null_count, 5);  // rows 39,43,47,51,55
  for (int64_t i = 0; i < 20; ++i)
    for (size_t c = 0; c < 6; ++c) EXPECT_EQ(GetValue(*s->column(c), i), MakeRow(37 + i)[c]);
  EXPECT_LT(s->ByteSize(), batch->ByteSize());
}

TEST(BatchTest, BadRowLeavesNoTrace) {
  BatchBuilder b(MakeSchema());
  ASSERT_TRUE(b.AppendRow(MakeRow(0)).ok());
  Row bad = MakeRow(1);
  bad[4] = Value::List({Value::Int(1 << 20), Value::String("x")});  // int16 overflow inside struct
  Status st = b.AppendRow(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("column st"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("field x"), std::string::npos) << st.message();
  ASSERT_TRUE(b.AppendRow(MakeRow(2)).ok());
  BatchPtr batch = b.Finish();
  std::string why;
  ASSERT_TRUE(batch->Validate(&why)) << why;
  EXPECT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(GetValue(*batch->column(0), 1), Value::Int(2));
}

TEST(BatchTest, ValidateRejectsBrokenOffsets) {
  BatchBuilder b(MakeSchema());
  for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE(b.AppendRow(MakeRow(i)).ok());
  BatchPtr batch = b.Finish();
  auto broken = std::make_shared<ArrayData>(*batch->column(1));
  int32_t offs[12] = {0, 5, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  broken->buffers[1] = Buffer::Copy(offs, sizeof(offs));
  auto cols = batch->columns();
  cols[1] = broken;
  Batch bad(batch->schema(), cols, 10);
  std::string why;
  EXPECT_FALSE(bad.Validate(&why));
  EXPECT_NE(why.find("t.s"), std::string::npos) << why;
}

// A builder reused after Finish() starts its next buffer at about the last
// one's size (no growth by doubling from 64 bytes), keeps the contents right,
// and an empty buffer does not take the hint.
TEST(BufferBuilderTest, TheNextBufferStartsAtAboutTheLastOnesSize) {
  BufferBuilder b;
  std::string first(100000, 'a'), second(100500, 'b');
  b.Append(first.data(), static_cast<int64_t>(first.size()));
  BufferPtr one = b.Finish();
  ASSERT_EQ(one->size(), 100000);
  EXPECT_EQ(b.capacity(), 0);
  b.Append("x", 1);
  const int64_t start = b.capacity();
  EXPECT_GE(start, 100000);
  EXPECT_LE(start, 100000 + 100000 / 8 + 64);
  b.Append(second.data() + 1, static_cast<int64_t>(second.size()) - 1);
  EXPECT_EQ(b.capacity(), start) << "a batch slightly bigger than the last must not grow its buffer";
  BufferPtr two = b.Finish();
  ASSERT_EQ(two->size(), 100500);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(two->data()), 1), "x");
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(two->data()) + 1, 100499), second.substr(1));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(one->data()), 100000), first);

  // A much smaller batch after a big one does not keep the big capacity
  // (the memory budget counts capacity).
  b.Append("tail", 4);
  BufferPtr small = b.Finish();
  ASSERT_EQ(small->size(), 4);
  EXPECT_LT(small->capacity(), 1024);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(small->data()), 4), "tail");

  BufferBuilder empty;
  empty.Append(first.data(), 50000);
  empty.Finish();
  BufferPtr none = empty.Finish();  // nothing appended: a minimal buffer, not 50 KB
  EXPECT_EQ(none->size(), 0);
  EXPECT_LT(none->capacity(), 1024);
  empty.Append("y", 1);
  EXPECT_GE(empty.capacity(), 50000) << "the hint survives an empty buffer";
}

TEST(TypesTest, ArrowTypeStrings) {
  EXPECT_EQ(types::Timestamp()->ToString(), "timestamp[us, tz=UTC]");
  EXPECT_EQ(types::List(types::Utf8())->ToString(), "list<item: utf8, nullable>");
  EXPECT_EQ(types::Uuid()->ToString(), "uuid");
  EXPECT_EQ(types::FixedSizeBinary(4)->ToString(), "fixed_size_binary[4]");
}

}  // namespace
}  // namespace ferry
