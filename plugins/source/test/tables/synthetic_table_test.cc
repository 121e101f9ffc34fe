#include "plugins/source/test/tables/synthetic_table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "testing/fake_sink.h"
#include "plugins/source/test/test_source.h"

namespace ferry::plugins::test {
namespace {

using testing::FakeSink;
using testing::MakeSource;
using testing::SyncAll;

// Own columns of every synced row, keyed by id.
std::map<int64_t, std::vector<Value>> OwnRows(const FakeSink& sink) {
  std::map<int64_t, std::vector<Value>> out;
  for (const auto& b : sink.batches) {
    if (b->schema()->name != kSyntheticTable) continue;
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      std::vector<Value> row;
      for (size_t c = 2; c < b->columns().size(); ++c) row.push_back(GetValue(*b->column(c), r));
      out[row[0].as_int()] = std::move(row);
    }
  }
  return out;
}

TEST(SyntheticTable, EmptyByDefault) {
  auto src = MakeSource(TestSourcePlugin(), nlohmann::json::object());
  ASSERT_TRUE(src.ok());
  FakeSink sink;
  ASSERT_TRUE(SyncAll(**src, sink, {kSyntheticTable}).ok());
  EXPECT_EQ(sink.Rows(kSyntheticTable), 0);
  ASSERT_EQ(sink.DoneFor(kSyntheticTable).size(), 1u);
  EXPECT_TRUE(sink.DoneFor(kSyntheticTable)[0].status.ok());
}

TEST(SyntheticTable, RowsAreDeterministicAndMatchTheGenerator) {
  nlohmann::json spec = {{"num_clients", 3}, {"synthetic_rows", 5000}, {"seed", 42}};
  auto run = [&]() {
    auto src = MakeSource(TestSourcePlugin(), spec);
    EXPECT_TRUE(src.ok()) << src.status().ToString();
    FakeSink sink;
    EXPECT_TRUE(SyncAll(**src, sink, {kSyntheticTable}).ok());
    for (const auto& b : sink.batches) {
      std::string why;
      EXPECT_TRUE(b->Validate(&why)) << why;
    }
    for (const auto& d : sink.done) EXPECT_EQ(d.rows, 5000);
    return OwnRows(sink);
  };
  auto a = run();
  ASSERT_EQ(a.size(), 15000u);
  EXPECT_EQ(a.begin()->first, 1);
  EXPECT_EQ(a.rbegin()->first, 15000);
  EXPECT_TRUE(a == run()) << "two runs with the same spec give the same rows";

  int64_t nulls = 0;
  std::set<size_t> name_lengths, tag_counts;
  for (const auto& [id, row] : a) {
    int64_t client = (id - 1) / 5000 + 1, r = (id - 1) % 5000;
    ASSERT_TRUE(row == SyntheticRow(42, 5000, client, r)) << "id " << id;
    if (row[4].is_null()) ++nulls;
    name_lengths.insert(row[2].as_string().size());
    tag_counts.insert(row[7].items().size());
    EXPECT_EQ(row[9].as_string().size(), 16u);
  }
  EXPECT_GT(nulls, 1000);  // about 10% of 15000
  EXPECT_LT(nulls, 2000);
  EXPECT_GT(name_lengths.size(), 10u);
  EXPECT_EQ(tag_counts, (std::set<size_t>{0, 1, 2, 3}));
}

TEST(SyntheticTable, SeedChangesTheValues) {
  SyntheticRecord a, b;
  MakeSyntheticRecord(1, 10, 1, 0, &a);
  MakeSyntheticRecord(2, 10, 1, 0, &b);
  EXPECT_EQ(a.id, b.id);
  EXPECT_NE(std::string(a.uuid, 16), std::string(b.uuid, 16));
}

// Not a benchmark, a smoke check that the fast path is fast: prints rows/s.
TEST(SyntheticTable, Throughput) {
  auto src = MakeSource(TestSourcePlugin(), {{"num_clients", 4}, {"synthetic_rows", 250000}});
  ASSERT_TRUE(src.ok());
  FakeSink sink;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(SyncAll(**src, sink, {kSyntheticTable}).ok());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(sink.Rows(kSyntheticTable), 1000000);
  std::printf("test_synthetic_table: 1M rows in %.3f s (%.2f M rows/s)\n", secs, 1.0 / secs);
}

}  // namespace
}  // namespace ferry::plugins::test
