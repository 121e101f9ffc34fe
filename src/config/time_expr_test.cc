#include "config/time_expr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ferry::config {
namespace {

using std::chrono::system_clock;
using ::testing::HasSubstr;

// 2024-01-31T10:20:30.123456789Z
system_clock::time_point Now() {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      std::chrono::seconds(1706696430) + std::chrono::nanoseconds(123456789)));
}

std::string Eval(const std::string& expr) {
  auto r = EvaluateTimeExpression(expr, Now());
  EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(TimeExprTest, Now) { EXPECT_EQ(Eval("now"), "2024-01-31T10:20:30Z"); }

TEST(TimeExprTest, AbsoluteTimesKeepTheirOffset) {
  EXPECT_EQ(Eval("2023-05-06T07:08:09Z"), "2023-05-06T07:08:09Z");
  EXPECT_EQ(Eval("2023-05-06T07:08:09.5+02:00"), "2023-05-06T07:08:09+02:00");
  EXPECT_EQ(Eval("2023-05-06"), "2023-05-06T00:00:00Z");
  EXPECT_EQ(Eval("2023-05-06T07:08:09-05:30|2006-01-02 15:04 UTC-07:00"), "2023-05-06 07:08 UTC-05:30");
}

TEST(TimeExprTest, RelativeDurations) {
  EXPECT_EQ(Eval("3 days ago"), "2024-01-28T10:20:30Z");
  EXPECT_EQ(Eval("1 day ago"), "2024-01-30T10:20:30Z");
  EXPECT_EQ(Eval("2 hours ago"), "2024-01-31T08:20:30Z");
  EXPECT_EQ(Eval("1 hour 30 minutes ago"), "2024-01-31T08:50:30Z");
  EXPECT_EQ(Eval("90 minutes from now"), "2024-01-31T11:50:30Z");
  EXPECT_EQ(Eval("-24h"), "2024-01-30T10:20:30Z");
  EXPECT_EQ(Eval("1h30m ago"), "2024-01-31T08:50:30Z");
  EXPECT_EQ(Eval("1 year ago"), "2023-01-31T10:20:30Z");
  // Calendar months overflow like Go's AddDate: Jan 31 + 1 month = Feb 31 = Mar 2 (2024 is a leap year).
  EXPECT_EQ(Eval("1 month from now"), "2024-03-02T10:20:30Z");
  EXPECT_EQ(Eval("2 months ago"), "2023-12-01T10:20:30Z");
  EXPECT_EQ(Eval("40 days ago"), "2023-12-22T10:20:30Z");
}

TEST(TimeExprTest, Layouts) {
  EXPECT_EQ(Eval("now|2006-01-02"), "2024-01-31");
  EXPECT_EQ(Eval("now|Jan _2 15:04:05.000"), "Jan 31 10:20:30.123");
  EXPECT_EQ(Eval("now|Monday, 02-Jan-06 03:04:05 PM MST"), "Wednesday, 31-Jan-24 10:20:30 AM UTC");
  EXPECT_EQ(Eval("now|20060102T150405Z0700"), "20240131T102030Z");
  EXPECT_EQ(Eval("now|2006-01-02T15:04:05.999999999Z07:00"), "2024-01-31T10:20:30.123456789Z");
  EXPECT_EQ(Eval("2024-02-29|002 Jan 2"), "060 Feb 29");
}

TEST(TimeExprTest, Errors) {
  for (const char* bad : {"yesterday", "3 fortnights ago", "3", "ago", "2024-13-01", "2024-02-30",
                          "2024-01-01T25:00:00Z", "5 days ago ago", "now|"}) {
    auto r = EvaluateTimeExpression(bad, Now());
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_THAT(r.status().message(), HasSubstr("invalid time")) << bad;
    }
  }
}

}  // namespace
}  // namespace ferry::config
