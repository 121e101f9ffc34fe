// Native encoder and decoder without a server: every type and edge value
// round-trips for both server generations, byte layouts match what
// ClickHouse reads, keys repeated in a request keep their last row, and bad
// batches fail before anything is encoded.
#include <gtest/gtest.h>

#include "plugins/destination/clickhouse/gzip_body.h"
#include "plugins/destination/clickhouse/native_decoder.h"
#include "plugins/destination/clickhouse/native_encoder.h"
#include "plugins/destination/clickhouse/table_reader.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"
#include "testing/row_compare.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::MetaRow;
using ferry::testing::TableWithMeta;

ServerFeatures Features(const char* v) { return *FeaturesOf(*ParseVersion(v)); }

Result<std::vector<Row>> RoundTrip(const TableSchemaPtr& t, const std::vector<BatchPtr>& batches,
                                   const ServerFeatures& f) {
  const TableLayout layout = LayoutOf(t, f);
  FERRY_RETURN_NOT_OK(CheckBatches(layout, batches));
  int64_t dropped = 0;
  ByteBuffer buf;
  FERRY_RETURN_NOT_OK(EncodeBlock(layout, RowsToWrite(*t, batches, &dropped), "table " + t->name, &buf));
  FERRY_ASSIGN_OR_RETURN(auto cols, DecodeNative(buf.data()));
  return RowsFromColumns(layout, std::move(cols));
}

class ClickHouseCodec : public ::testing::TestWithParam<const char*> {};

TEST_P(ClickHouseCodec, AllTypesRoundTrip) {
  auto t = ferry::testing::AllTypesTable("t");
  const auto rows = ferry::testing::AllTypesRows(ferry::testing::Micros(2024, 1, 2), "src");
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, rows));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, RoundTrip(t, {b}, Features(GetParam())));
  EXPECT_TRUE(ferry::testing::SameRows(rows, got));
}

TEST_P(ClickHouseCodec, RandomRowsInSlices) {
  auto t = ferry::testing::AllTypesTable("t");
  const auto rows = ferry::testing::RandomRows(*t, 500, 11);
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, rows));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got,
                             RoundTrip(t, {b->Slice(7, 300), b->Slice(400, 100)->Slice(10, 50)}, Features(GetParam())));
  std::vector<Row> want(rows.begin() + 7, rows.begin() + 307);
  want.insert(want.end(), rows.begin() + 410, rows.begin() + 460);
  EXPECT_TRUE(ferry::testing::SameRows(want, got));
}

INSTANTIATE_TEST_SUITE_P(Versions, ClickHouseCodec, ::testing::Values("18.16.1", "24.8.4"),
                         [](const auto& info) { return std::string(info.param[0] == '1' ? "Legacy" : "Current"); });

TEST(ClickHouseNative, ByteLayout) {
  auto t = std::make_shared<TableSchema>();
  t->name = "t";
  t->columns = {Col("n", types::Int32()), Col("s", types::Utf8(), false, true), Col("u", types::Uuid(), false, true),
                Col("l", types::List(types::Int8()))};
  std::string uuid;
  for (int i = 0; i < 16; ++i) uuid.push_back(static_cast<char>(i));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {{Value::Null(), Value::String("ab"), Value::String(uuid),
                                                        Value::List({Value::Int(5), Value::Null()})}}));
  ByteBuffer buf;
  int64_t dropped = 0;
  FERRY_ASSERT_OK(EncodeBlock(LayoutOf(t, Features("18.16")), RowsToWrite(*t, {b}, &dropped), "t", &buf));
  const std::string want =
      std::string("\x05\x01", 2) +                                   // 5 columns, 1 row
      "\x01n\x0fNullable(Int32)" + std::string("\x01\0\0\0\0", 5) +  // null map, value
      "\x01s\x06String\x02"
      "ab" +
      "\x01u\x04UUID" + std::string("\x07\x06\x05\x04\x03\x02\x01\x00\x0f\x0e\x0d\x0c\x0b\x0a\x09\x08", 16) +
      "\x01l\x15"
      "Array(Nullable(Int8))" +
      std::string("\x02\0\0\0\0\0\0\0", 8) + std::string("\x00\x01\x05\x00", 4) +  // null map, items
      "\x0c_ferry_nulls\x0d"
      "Array(String)" +
      std::string(8, '\0');
  EXPECT_EQ(buf.data(), want);
}

TEST(ClickHouseNative, RepeatedKeysKeepTheLastRow) {
  auto t = TableWithMeta("t", {Col("k", types::Utf8(), true), Col("v", types::Int64())});
  auto row = [](const char* k, int64_t v) {
    return MetaRow(1, "s", static_cast<uint64_t>(v), {Value::String(k), Value::Int(v)});
  };
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr a, MakeBatch(t, {row("x", 1), row("y", 2), row("x", 3)}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {row("z", 4), row("y", 5)}));
  int64_t dropped = 0;
  auto rows = RowsToWrite(*t, {a, b}, &dropped);
  EXPECT_EQ(dropped, 2);
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, RoundTrip(t, {a, b}, Features("18.16")));
  EXPECT_TRUE(ferry::testing::SameRows({row("x", 3), row("z", 4), row("y", 5)}, got));
  auto plain = TableWithMeta("p", {Col("k", types::Utf8()), Col("v", types::Int64())});
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr c, MakeBatch(plain, {row("x", 1), row("x", 1)}));
  RowsToWrite(*plain, {c}, &dropped);
  EXPECT_EQ(dropped, 0) << "append tables keep duplicates";
}

TEST(ClickHouseNative, BadBatchesFailBeforeEncoding) {
  auto t = TableWithMeta("t", {Col("id", types::Int64()), Col("must", types::Utf8(), false, true)});
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {MetaRow(1, "s", 1, {Value::Int(1), Value::Null()})}));
  ByteBuffer buf;
  int64_t dropped = 0;
  Status st = EncodeBlock(LayoutOf(t, Features("18.16")), RowsToWrite(*t, {b}, &dropped), "table t", &buf);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("table t: column must: null value in a NOT NULL column"), std::string::npos)
      << st.message();
  auto other = TableWithMeta("t", {Col("id", types::Utf8()), Col("must", types::Utf8())});
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr o,
                             MakeBatch(other, {MetaRow(1, "s", 1, {Value::String("x"), Value::String("y")})}));
  st = CheckBatches(LayoutOf(t, Features("18.16")), {o});
  EXPECT_NE(st.message().find("column id"), std::string::npos) << st.message();
}

TEST(ClickHouseNative, NullPathsAndTheirInverse) {
  auto inner = types::Struct({{"f", types::List(types::Int64())}, {"g", types::Int64()}});
  auto t = std::make_shared<TableSchema>();
  t->name = "t";
  t->columns = {Col("c", types::List(inner))};
  FERRY_ASSERT_OK_AND_ASSIGN(
      BatchPtr b,
      MakeBatch(t, {{Value::List({Value::Null(), Value::List({Value::Null(), Value::Int(1)})})}, {Value::Null()}}));
  std::vector<std::string> paths;
  NullPaths(*b->column(0), *t->columns[0].type, 0, "c", &paths);
  EXPECT_EQ(paths, (std::vector<std::string>{"c[0]", "c[1].f"}));
  paths.clear();
  NullPaths(*b->column(0), *t->columns[0].type, 1, "c", &paths);
  EXPECT_EQ(paths, (std::vector<std::string>{"c"}));
  const Value v = Value::List({Value::List({Value::List({}), Value::Int(0)})});
  EXPECT_EQ(WithNullAt(v, *t->columns[0].type, "[0].f"), Value::List({Value::List({Value::Null(), Value::Int(0)})}));
  EXPECT_EQ(WithNullAt(v, *t->columns[0].type, "[5]"), v) << "unknown paths change nothing";
}

TEST(ClickHouseNative, TypeParser) {
  auto t = ParseType("Nullable(Tuple(a Array(Nullable(String)), `b c` DateTime64(6, 'UTC'), FixedString(16)))");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->name, "Nullable");
  const TypeNode& tup = t->args[0];
  ASSERT_EQ(tup.args.size(), 3u);
  EXPECT_EQ(tup.args[0].element_name, "a");
  EXPECT_EQ(tup.args[0].name, "Array");
  EXPECT_EQ(tup.args[1].element_name, "b c");
  EXPECT_EQ(tup.args[1].literals, (std::vector<std::string>{"6", "'UTC'"}));
  EXPECT_EQ(tup.args[2].literals, (std::vector<std::string>{"16"}));
  EXPECT_FALSE(ParseType("Array(Int64").ok());
  EXPECT_FALSE(DecodeNative(std::string("\x01\x02\x01x\x05Int64\x01", 10)).ok()) << "truncated data is an error";
}

// Drains a body source into one string.
std::string Drain(BodySource& body) {
  std::string out;
  body.Rewind();
  for (;;) {
    ByteBuffer piece;
    auto more = body.Next(&piece);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok()) return out;
    out.append(piece.data());
    if (!*more) return out;
  }
}

TEST(ClickHouseNative, BodyStreamsBlocksAndStartsOver) {
  auto t = TableWithMeta("t", {Col("id", types::Int64()), Col("tags", types::List(types::Utf8()))});
  const auto rows = ferry::testing::RandomRows(*t, 1000, 3);
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr a, MakeBatch(t, std::vector<Row>(rows.begin(), rows.begin() + 300)));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, std::vector<Row>(rows.begin() + 300, rows.end())));
  const TableLayout layout = LayoutOf(t, Features("18.16"));
  int64_t dropped = 0;
  NativeBody body(layout, RowsToWrite(*t, {a, b}, &dropped), "table t");
  EXPECT_EQ(body.rows(), 1000);
  const std::string once = Drain(body);
  ByteBuffer whole;
  FERRY_ASSERT_OK(EncodeBlock(layout, RowsToWrite(*t, {a, b}, &dropped), "table t", &whole));
  EXPECT_EQ(once, whole.data()) << "column by column, the same single block";
  EXPECT_EQ(Drain(body), once) << "a resend produces the same bytes";
  FERRY_ASSERT_OK_AND_ASSIGN(auto cols, DecodeNative(once));
  EXPECT_EQ(cols[0].values.size(), 1000u);
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, RowsFromColumns(layout, std::move(cols)));
  EXPECT_TRUE(ferry::testing::SameRows(rows, got));

  GzipBody gz(&body);
  const std::string packed = Drain(gz);
  EXPECT_EQ(Drain(gz), packed);
  ASSERT_GT(packed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string unpacked(once.size() + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  zs.avail_in = static_cast<uInt>(packed.size());
  zs.next_out = reinterpret_cast<Bytef*>(unpacked.data());
  zs.avail_out = static_cast<uInt>(unpacked.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  unpacked.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(unpacked, once);
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
