#include "engine/summary.h"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

TEST(AggregateMessages, SameMessageForManyTablesIsOneLine) {
  std::vector<std::string> in;
  for (int i = 0; i < 332; ++i)
    in.push_back("destination \"sqlite\", table t" + std::to_string(i) +
                 ": cursor not advanced because rows it covers were not written");
  in.push_back("destination \"sqlite\" failed: unavailable for longer than its retry_timeout");
  in.push_back("source \"s\", table a (client c1): boom");
  in.push_back("source \"s\", table b (client c1): boom");
  in.push_back("source \"s\", table a (client c1): other");
  auto out = AggregateMessages(in);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0],
            "destination \"sqlite\", tables t0 ... t331 (332 tables): cursor not advanced because rows it covers "
            "were not written");
  EXPECT_EQ(out[1], "destination \"sqlite\" failed: unavailable for longer than its retry_timeout");
  EXPECT_EQ(out[2], "source \"s\", tables a, b (client c1): boom");
  EXPECT_EQ(out[3], "source \"s\", table a (client c1): other");
}

TEST(AggregateMessages, FewTablesAreAllNamed) {
  auto out = AggregateMessages({"destination \"d\", table a: stale rows kept: cancelled",
                                "destination \"d\", table b: stale rows kept: cancelled",
                                "destination \"d\", table b: stale rows kept: cancelled"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "destination \"d\", tables a, b: stale rows kept: cancelled (3 times)");
}

TEST(AggregateMessages, RepeatsOfOneMessageCount) {
  auto out = AggregateMessages({"x happened", "x happened", "y"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "x happened (2 times)");
  EXPECT_EQ(out[1], "y");
}

TEST(SyncSummaryText, PrintsEachDistinctErrorOnce) {
  SyncSummary s;
  for (int i = 0; i < 100; ++i) s.errors.push_back("destination \"d\", table t" + std::to_string(i) + ": failed");
  const std::string text = s.ToText();
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_LT(lines, 5u) << text;
  EXPECT_NE(text.find("error: destination \"d\", tables t0 ... t99 (100 tables): failed"), std::string::npos) << text;
}

TEST(SyncSummaryText, ShowsApiCallsOnlyForTablesThatMadeThem) {
  SyncSummary s;
  s.tables["quiet"].rows = 3;
  EXPECT_EQ(s.ToText().find("API CALLS"), std::string::npos);
  TableSummary& t = s.tables["aws_ec2_instances"];
  t.api.requests = 12;
  t.api.retries = 3;
  t.api.throttled = 2;
  t.api.retry_wait_ms = 1500;
  t.api.rate_wait_ms = 500;
  const std::string text = s.ToText();
  const size_t header = text.find("API CALLS");
  ASSERT_NE(header, std::string::npos) << text;
  const size_t row = text.find("aws_ec2_instances", header);
  ASSERT_NE(row, std::string::npos) << text;
  const std::string line = text.substr(row, text.find('\n', row) - row);
  EXPECT_NE(line.find(" 12 "), std::string::npos) << line;
  EXPECT_NE(line.find("2.00s"), std::string::npos) << line;
  EXPECT_EQ(text.find("quiet", header), std::string::npos) << "a table without calls has no API line\n" << text;
}

}  // namespace
}  // namespace ferry::engine
