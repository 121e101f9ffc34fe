#include "plugins/source/test/tables/wide_table.h"

#include <gtest/gtest.h>

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
    if (b->schema()->name != kWideTable) continue;
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      std::vector<Value> row;
      for (size_t c = 2; c < b->columns().size(); ++c) row.push_back(GetValue(*b->column(c), r));
      out[row[0].as_int()] = std::move(row);
    }
  }
  return out;
}

TEST(WideTable, EmptyByDefault) {
  auto src = MakeSource(TestSourcePlugin(), nlohmann::json::object());
  ASSERT_TRUE(src.ok());
  FakeSink sink;
  ASSERT_TRUE(SyncAll(**src, sink, {kWideTable}).ok());
  EXPECT_EQ(sink.Rows(kWideTable), 0);
  ASSERT_EQ(sink.DoneFor(kWideTable).size(), 1u);
  EXPECT_TRUE(sink.DoneFor(kWideTable)[0].status.ok());
}

TEST(WideTable, SchemaHasStringsJsonAndLists) {
  auto src = MakeSource(TestSourcePlugin(), nlohmann::json::object());
  ASSERT_TRUE(src.ok());
  TableSchemaPtr wide;
  for (const auto& t : (*src)->Tables())
    if (t->name == kWideTable) wide = t;
  ASSERT_TRUE(wide);
  ASSERT_EQ(wide->columns.size(), 2u + kWideColumns);  // _cq_id, _cq_parent_id
  EXPECT_EQ(wide->PrimaryKeys(), (std::vector<std::string>{"id"}));
  int strings = 0, jsons = 0, lists = 0;
  for (const auto& c : wide->columns) {
    EXPECT_FALSE(c.description.empty()) << c.name;
    const std::string t = c.type->ToString();
    if (t == "utf8") ++strings;
    if (t == "json" || t.find("json") != std::string::npos) ++jsons;
    if (t.rfind("list", 0) == 0) ++lists;
  }
  EXPECT_GE(strings, 9);
  EXPECT_EQ(jsons, 3);
  EXPECT_EQ(lists, 4);
}

TEST(WideTable, RowsAreDeterministicAndMatchTheGenerator) {
  nlohmann::json spec = {{"num_clients", 2}, {"wide_rows", 3000}, {"seed", 7}};
  auto run = [&]() {
    auto src = MakeSource(TestSourcePlugin(), spec);
    EXPECT_TRUE(src.ok()) << src.status().ToString();
    FakeSink sink;
    EXPECT_TRUE(SyncAll(**src, sink, {kWideTable}).ok());
    for (const auto& b : sink.batches) {
      std::string why;
      EXPECT_TRUE(b->Validate(&why)) << why;
    }
    for (const auto& d : sink.done) EXPECT_EQ(d.rows, 3000);
    return OwnRows(sink);
  };
  auto a = run();
  ASSERT_EQ(a.size(), 6000u);
  EXPECT_EQ(a.begin()->first, 1);
  EXPECT_EQ(a.rbegin()->first, 6000);
  EXPECT_TRUE(a == run()) << "two runs with the same spec give the same rows";

  int64_t null_updated = 0, null_ratio = 0, text_bytes = 0;
  std::set<size_t> tag_counts, port_counts, addr_counts, zone_counts;
  for (const auto& [id, row] : a) {
    int64_t client = (id - 1) / 3000 + 1, r = (id - 1) % 3000;
    ASSERT_TRUE(row == WideRow(7, 3000, client, r)) << "id " << id;
    ASSERT_EQ(row.size(), static_cast<size_t>(kWideColumns));
    if (row[9].is_null()) ++null_updated;
    if (row[13].is_null()) ++null_ratio;
    for (int c : {2, 3, 4, 5, 6, 7, 15, 16, 17, 22, 23, 24}) text_bytes += row[c].as_string().size();
    for (int c : {15, 16, 17}) {
      auto j = nlohmann::json::parse(row[c].as_string(), nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "column " << c << " of id " << id << ": " << row[c].as_string();
    }
    EXPECT_TRUE(nlohmann::json::parse(row[15].as_string()).is_object());
    EXPECT_TRUE(nlohmann::json::parse(row[17].as_string()).is_array());
    tag_counts.insert(row[18].items().size());
    port_counts.insert(row[19].items().size());
    addr_counts.insert(row[20].items().size());
    zone_counts.insert(row[21].items().size());
    EXPECT_EQ(row[23].as_string().size(), 12u);
  }
  EXPECT_GT(null_updated, 150);  // about 5% of 6000
  EXPECT_LT(null_updated, 450);
  EXPECT_GT(null_ratio, 900);  // about 20%
  EXPECT_LT(null_ratio, 1500);
  EXPECT_GT(text_bytes / 6000, 450) << "rows are wide";
  EXPECT_EQ(tag_counts.size(), 9u);   // 0..8
  EXPECT_EQ(port_counts.size(), 7u);  // 0..6
  EXPECT_EQ(addr_counts.size(), 5u);  // 0..4
  EXPECT_EQ(zone_counts, (std::set<size_t>{1, 2, 3}));
}

TEST(WideTable, SeedChangesTheValues) {
  WideRecord a, b;
  MakeWideRecord(1, 10, 1, 0, &a);
  MakeWideRecord(2, 10, 1, 0, &b);
  EXPECT_EQ(a.id, b.id);
  EXPECT_NE(std::string(a.url), std::string(b.url));
}

}  // namespace
}  // namespace ferry::plugins::test
