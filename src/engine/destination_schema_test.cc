#include "engine/destination_schema.h"

#include <gtest/gtest.h>

#include "ferry/builder.h"

namespace ferry::engine {
namespace {

std::vector<std::string> Names(const TableSchema& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(c.name);
  return out;
}

// A source that already has _cq_source_name and _cq_sync_time (CloudQuery's
// MemDB synced back, or another CloudQuery destination's table read as a
// source) gets them once, with this sync's values; a duplicate column failed
// the destination's CREATE TABLE before.
TEST(DestinationSchema, SourceMetaColumnsAreReplacedByThisSyncs) {
  TableSchema src;
  src.name = "t";
  src.columns = {{.name = "_cq_source_name", .type = types::Utf8()},
                 {.name = "id", .type = types::Int64(), .primary_key = true},
                 {.name = "_cq_sync_time", .type = types::Timestamp()}};
  auto src_ptr = std::make_shared<TableSchema>(src);
  ArrayBuilder name(types::Utf8()), id(types::Int64()), time(types::Timestamp());
  for (int i = 0; i < 3; ++i) {
    name.AppendBytes("old-source");
    id.AppendInt(i);
    time.AppendInt(1000 + i);
  }
  auto batch = std::make_shared<Batch>(src_ptr, std::vector<ArrayPtr>{name.Finish(), id.Finish(), time.Finish()}, 3);

  for (bool group : {false, true}) {
    SCOPED_TRACE(group ? "with sync group" : "without sync group");
    DestinationSettings s;
    if (group) s.sync_group_id = "g1";
    auto ds = DestinationSchema(src, s);
    std::vector<std::string> want = {"_cq_sync_time", "_cq_source_name"};
    if (group) want.push_back("_cq_sync_group_id");
    want.push_back("id");
    EXPECT_EQ(Names(*ds), want);

    MetaColumns meta(42'000'000, "new-source", s.sync_group_id);
    auto out = meta.Apply(batch, ds);
    ASSERT_EQ(out->columns().size(), want.size());
    std::string why;
    ASSERT_TRUE(out->Validate(&why)) << why;
    for (int64_t r = 0; r < 3; ++r) {
      EXPECT_EQ(out->column(0)->Value<int64_t>(r), 42'000'000);
      EXPECT_EQ(out->column(1)->StringValue(r), "new-source");
      EXPECT_EQ(out->column(want.size() - 1)->Value<int64_t>(r), r);
    }
  }
}

TEST(DestinationSchema, SourceSyncGroupColumnIsKeptWithoutASyncGroup) {
  TableSchema src;
  src.name = "t";
  src.columns = {{.name = "_cq_sync_group_id", .type = types::Utf8()}, {.name = "id", .type = types::Int64()}};
  auto ds = DestinationSchema(src, DestinationSettings{});
  EXPECT_EQ(Names(*ds), (std::vector<std::string>{"_cq_sync_time", "_cq_source_name", "_cq_sync_group_id", "id"}));
}

}  // namespace
}  // namespace ferry::engine
