#include "ferry/shard.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <random>

namespace ferry {
namespace {

TEST(ShardTest, ParsesNOverT) {
  auto s = ParseShard("2/4", "--shard");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->num, 2);
  EXPECT_EQ(s->total, 4);
  EXPECT_EQ(s->ToString(), "2/4");
  for (const char* bad : {"0/4", "5/4", "2", "2/", "/4", "a/b", "2/4x", "-1/4", "1/0", ""}) {
    auto r = ParseShard(bad, "--shard");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--shard"), std::string::npos) << r.status().message();
  }
}

struct EnvGuard {
  EnvGuard() { Clear(); }
  ~EnvGuard() { Clear(); }
  static void Clear() {
    unsetenv("FERRY_SHARD");
    unsetenv("JOB_COMPLETION_INDEX");
    unsetenv("FERRY_SHARD_TOTAL");
  }
};

TEST(ShardTest, FromEnvironment) {
  EnvGuard g;
  auto none = ShardFromEnvironment();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->sharded());
  setenv("FERRY_SHARD", "3/8", 1);
  EXPECT_EQ(ShardFromEnvironment()->ToString(), "3/8");
  unsetenv("FERRY_SHARD");
  // Kubernetes Indexed Job: 0-based index, 1-based shard.
  setenv("JOB_COMPLETION_INDEX", "0", 1);
  setenv("FERRY_SHARD_TOTAL", "4", 1);
  EXPECT_EQ(ShardFromEnvironment()->ToString(), "1/4");
  setenv("JOB_COMPLETION_INDEX", "3", 1);
  EXPECT_EQ(ShardFromEnvironment()->ToString(), "4/4");
  setenv("JOB_COMPLETION_INDEX", "4", 1);
  EXPECT_FALSE(ShardFromEnvironment().ok());
  unsetenv("FERRY_SHARD_TOTAL");
  auto half = ShardFromEnvironment();
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("FERRY_SHARD_TOTAL"), std::string::npos) << half.status().message();
}

std::vector<WorkPair> Pairs(int tables, int clients) {
  std::vector<WorkPair> out;
  for (int t = 0; t < tables; ++t)
    for (int c = 0; c < clients; ++c) out.push_back(WorkPair{"table_" + std::to_string(t), "c" + std::to_string(c), 1});
  return out;
}

// Balanced: with equal weights no shard has more than one pair more than another.
TEST(ShardTest, EqualWeightsSplitEvenly) {
  for (int total : {1, 2, 3, 4, 8}) {
    for (auto [tables, clients] : {std::pair{7, 1}, {10, 100}, {3, 5}}) {
      auto pairs = Pairs(tables, clients);
      auto shard = AssignShards(pairs, total);
      std::vector<int> count(total, 0);
      for (int s : shard) {
        ASSERT_GE(s, 0);
        ASSERT_LT(s, total);
        ++count[s];
      }
      auto [lo, hi] = std::minmax_element(count.begin(), count.end());
      EXPECT_LE(*hi - *lo, 1) << tables << "x" << clients << " over " << total;
    }
  }
}

// Stable: the shard of a pair does not depend on the order the pairs came in.
TEST(ShardTest, SplitDoesNotDependOnInputOrder) {
  auto pairs = Pairs(10, 100);
  pairs[17].weight = 40;
  pairs[500].weight = 7.5;
  auto first = AssignShards(pairs, 4);
  std::map<std::pair<std::string, std::string>, int> want;
  for (size_t i = 0; i < pairs.size(); ++i) want[{pairs[i].table, pairs[i].client}] = first[i];
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(pairs.begin(), pairs.end(), rng);
    auto again = AssignShards(pairs, 4);
    for (size_t i = 0; i < pairs.size(); ++i) ASSERT_EQ(again[i], (want[{pairs[i].table, pairs[i].client}]));
  }
}

// Weighted: a pair known to be heavy gets a shard of its own, the light ones
// fill the others.
TEST(ShardTest, HeavyPairsAreSpreadFirst) {
  std::vector<WorkPair> pairs = Pairs(1, 12);
  pairs.push_back({"big", "c0", 12});
  pairs.push_back({"big", "c1", 12});
  auto shard = AssignShards(pairs, 3);
  EXPECT_NE(shard[12], shard[13]);
  std::vector<double> load(3, 0);
  for (size_t i = 0; i < pairs.size(); ++i) load[shard[i]] += pairs[i].weight;
  auto [lo, hi] = std::minmax_element(load.begin(), load.end());
  EXPECT_LE(*hi - *lo, 1) << load[0] << " " << load[1] << " " << load[2];
}

}  // namespace
}  // namespace ferry
