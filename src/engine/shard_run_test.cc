#include "engine/shard_run.h"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

ShardRecord Rec(int n, int t, int64_t time, std::map<std::string, std::string> tables) {
  return ShardRecord{"aws", Shard{n, t}, time, "inv" + std::to_string(n), {{"pg", std::move(tables)}}};
}

std::vector<StateEntry> Entries(const std::string& run, const std::vector<ShardRecord>& recs) {
  std::vector<StateEntry> out{{"some_table:client1", "cursor", 1}};   // a cursor, not a record
  for (const auto& r : recs) out.push_back(ShardRecordEntry(run, r));
  return out;
}

TEST(ShardRunTest, RecordsRoundTripThroughStateEntries) {
  auto in = Rec(2, 3, 1700, {{"a", ""}, {"b", "client 4 failed: boom"}});
  auto got = ShardRecordsOf("run1", "aws", 3, Entries("run1", {in}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  const ShardRecord& r = got->at(2);
  EXPECT_EQ(r.shard.ToString(), "2/3");
  EXPECT_EQ(r.sync_time_us, 1700);
  EXPECT_EQ(r.invocation_id, "inv2");
  EXPECT_EQ(r.tables, in.tables);
  // Another run's records are not this run's.
  EXPECT_TRUE(ShardRecordsOf("run2", "aws", 3, Entries("run1", {in}))->empty());
  // Another source's records (one state table, two sources) are not this source's.
  EXPECT_TRUE(ShardRecordsOf("run1", "gcp", 3, Entries("run1", {in}))->empty());
  // An entry emptied by `ferry state reset` is no record.
  auto entries = Entries("run1", {in});
  entries.back().value.clear();
  EXPECT_TRUE(ShardRecordsOf("run1", "aws", 3, entries)->empty());
}

TEST(ShardRunTest, ARunIdReusedWithAnotherTotalIsAnError) {
  auto got = ShardRecordsOf("run1", "aws", 4, Entries("run1", {Rec(1, 3, 1, {})}));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("same T"), std::string::npos) << got.status().message();
}

TEST(ShardRunTest, DeletesOnlyWhenEveryShardCompletedTheTable) {
  std::map<int, ShardRecord> recs;
  recs[1] = Rec(1, 3, 300, {{"a", ""}, {"b", ""}});
  recs[3] = Rec(3, 3, 100, {{"a", ""}, {"b", "client 9 failed: 503"}});
  auto waiting = DecideShardRun("r", 3, recs, "pg", "a");
  EXPECT_FALSE(waiting.remove);
  EXPECT_NE(waiting.reason.find("shard 2/3 of run \"r\" has not finished"), std::string::npos) << waiting.reason;

  recs[2] = Rec(2, 3, 200, {{"a", ""}, {"b", ""}});
  auto a = DecideShardRun("r", 3, recs, "pg", "a");
  EXPECT_TRUE(a.remove);
  EXPECT_EQ(a.before_us, 100);   // the earliest shard's sync time: every row of this run is newer
  auto b = DecideShardRun("r", 3, recs, "pg", "b");
  EXPECT_FALSE(b.remove);
  EXPECT_EQ(b.reason, "shard 3/3: client 9 failed: 503");
  auto other = DecideShardRun("r", 3, recs, "clickhouse", "a");
  EXPECT_FALSE(other.remove);
  EXPECT_NE(other.reason.find("did not sync the table"), std::string::npos) << other.reason;
}

}  // namespace
}  // namespace ferry::engine
