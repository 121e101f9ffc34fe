#include "rpc/record_split.h"

#include <gtest/gtest.h>

#include <thread>

#include "ferry/types.h"
#include "protocol/arrow_ipc.h"
#include "testing/batch_gen.h"

namespace ferry::rpc {
namespace {

using testing::Col;
using testing::MakeBatch;
using testing::RowsOf;

TableSchemaPtr Table(const std::string& name = "t") {
  auto s = std::make_shared<TableSchema>();
  s->name = name;
  s->columns = {Col("id", types::Int64(), true), Col("text", types::Utf8())};
  return s;
}

BatchPtr Rows(const TableSchemaPtr& schema, int n, size_t text_bytes) {
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i)
    rows.push_back({Value::Int(i), Value::String(std::string(text_bytes, static_cast<char>('a' + i % 26)))});
  auto b = MakeBatch(schema, rows);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return *b;
}

// Decodes every piece and concatenates the rows.
std::vector<Row> Decode(const std::vector<std::string>& pieces, const TableSchemaPtr& schema) {
  std::vector<Row> out;
  for (const auto& p : pieces) {
    auto b = protocol::DecodeRecordStream(p, schema);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!b.ok()) continue;
    for (auto& r : RowsOf(**b)) out.push_back(std::move(r));
  }
  return out;
}

TEST(RecordSplit, SmallBatchIsOneMessage) {
  auto schema = Table();
  auto batch = Rows(schema, 10, 5);
  std::vector<std::string> pieces;
  ASSERT_TRUE(EncodeRecords(*batch, 1 << 20, [&](std::string s) { pieces.push_back(std::move(s)); return Status::OK(); }).ok());
  EXPECT_EQ(pieces.size(), 1u);
  EXPECT_EQ(Decode(pieces, schema), RowsOf(*batch));
}

TEST(RecordSplit, BigBatchIsSplitUnderTheLimitInRowOrder) {
  auto schema = Table();
  auto batch = Rows(schema, 1000, 300);  // ~300 KB
  for (int64_t limit : {int64_t{8} << 10, int64_t{50} << 10, int64_t{100} << 10}) {
    SCOPED_TRACE(limit);
    std::vector<std::string> pieces;
    ASSERT_TRUE(EncodeRecords(*batch, limit, [&](std::string s) { pieces.push_back(std::move(s)); return Status::OK(); }).ok());
    EXPECT_GE(pieces.size(), static_cast<size_t>(300 * 1000 / limit));
    for (const auto& p : pieces) EXPECT_LE(static_cast<int64_t>(p.size()), limit);
    EXPECT_EQ(Decode(pieces, schema), RowsOf(*batch)) << "nothing lost, nothing reordered";
  }
  // Slices split too (offsets re-based per piece).
  auto slice = batch->Slice(123, 456);
  std::vector<std::string> pieces;
  ASSERT_TRUE(EncodeRecords(*slice, 20 << 10, [&](std::string s) { pieces.push_back(std::move(s)); return Status::OK(); }).ok());
  EXPECT_GT(pieces.size(), 1u);
  EXPECT_EQ(Decode(pieces, schema), RowsOf(*slice));
}

TEST(RecordSplit, RowLargerThanTheLimitIsAnErrorNamingTableAndRow) {
  auto schema = Table("big_rows");
  std::vector<Row> rows = {{Value::Int(1), Value::String("small")},
                           {Value::Int(2), Value::String(std::string(100000, 'x'))}};
  auto batch = MakeBatch(schema, rows);
  ASSERT_TRUE(batch.ok());
  int emitted = 0;
  Status st = EncodeRecords(**batch, 10000, [&](std::string) { ++emitted; return Status::OK(); });
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("big_rows"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("row 1"), std::string::npos) << st.message();
  EXPECT_EQ(emitted, 1) << "the row before it was emitted, in order";
}

TEST(RecordSplit, EmitErrorStopsEncoding) {
  auto schema = Table();
  auto batch = Rows(schema, 1000, 300);
  int calls = 0;
  Status st = EncodeRecords(*batch, 10 << 10, [&](std::string) {
    return ++calls == 2 ? Status::IOError("peer gone") : Status::OK();
  });
  EXPECT_EQ(st.message(), "peer gone");
  EXPECT_EQ(calls, 2);
}

TEST(EncodingCache, SameBuffersAndSchemaAreEncodedOnce) {
  EncodingCache cache;
  auto schema = Table();
  auto batch = Rows(schema, 100, 10);
  // Two destinations get distinct Batch objects over the same columns.
  auto a = std::make_shared<const Batch>(schema, batch->columns(), batch->num_rows());
  auto b = std::make_shared<const Batch>(schema, batch->columns(), batch->num_rows());
  auto pa = cache.Encode(a, 1 << 20);
  auto pb = cache.Encode(b, 1 << 20);
  ASSERT_TRUE(pa.ok() && pb.ok());
  EXPECT_EQ(pa->get(), pb->get()) << "encoded once, shared";
  EXPECT_EQ(cache.hits(), 1);

  // Another schema (append mode strips the key) or another slice: encoded apart.
  auto no_pk = std::make_shared<TableSchema>(*schema);
  no_pk->columns[0].primary_key = false;
  auto c = cache.Encode(std::make_shared<const Batch>(no_pk, batch->columns(), batch->num_rows()), 1 << 20);
  auto d = cache.Encode(batch->Slice(1, 50), 1 << 20);
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_NE(c->get(), pa->get());
  EXPECT_NE(d->get(), pa->get());
  EXPECT_EQ(cache.hits(), 1);
  EXPECT_EQ(Decode(**d, schema), RowsOf(*batch->Slice(1, 50)));
}

// Destinations asking at the same moment: one encodes, the others wait for
// its messages instead of encoding the batch again.
TEST(EncodingCache, ConcurrentRequestsEncodeOnce) {
  EncodingCache cache;
  auto schema = Table();
  auto batch = Rows(schema, 20000, 50);
  std::vector<EncodingCache::Pieces> got(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      auto own = std::make_shared<const Batch>(schema, batch->columns(), batch->num_rows());
      auto p = cache.Encode(own, 64 << 10);
      if (p.ok()) got[i] = *p;
    });
  for (auto& t : threads) t.join();
  for (const auto& p : got) {
    ASSERT_TRUE(p);
    EXPECT_EQ(p.get(), got[0].get());
  }
  EXPECT_EQ(cache.hits(), static_cast<int64_t>(got.size()) - 1);
  EXPECT_EQ(Decode(*got[0], schema), RowsOf(*batch));
}

}  // namespace
}  // namespace ferry::rpc
