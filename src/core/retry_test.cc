#include "ferry/retry.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

using std::chrono::milliseconds;
using Clock = RetrySchedule::Clock;

TEST(RetrySchedule, FullJitterBoundsDoubleUpToTheMaximum) {
  RetryPolicy p;
  p.max_retries = 12;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(1000);
  p.deadline = milliseconds(0);
  // Over many seeds, each delay stays under its cap and the caps are reached.
  int64_t seen_max[12] = {};
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    RetrySchedule s(p, seed);
    for (int n = 0; n < 12; ++n) {
      auto d = s.Next();
      ASSERT_TRUE(d.has_value());
      const int64_t cap = std::min<int64_t>(1000, 100LL << std::min(n, 10));
      EXPECT_LE(d->count(), cap) << "retry " << n;
      EXPECT_GE(d->count(), 0);
      seen_max[n] = std::max(seen_max[n], static_cast<int64_t>(d->count()));
    }
    EXPECT_FALSE(s.Next().has_value()) << "max_retries is spent";
  }
  EXPECT_GT(seen_max[0], 80);    // jitter spans the range, not a constant
  EXPECT_GT(seen_max[11], 900);
}

TEST(RetrySchedule, ZeroRetriesNeverRetries) {
  RetryPolicy p;
  p.max_retries = 0;
  RetrySchedule s(p, 7);
  EXPECT_FALSE(s.Next().has_value());
}

TEST(RetrySchedule, DeadlineEndsTheScheduleAndCutsTheLastDelay) {
  RetryPolicy p;
  p.max_retries = 1000;
  p.initial_backoff = milliseconds(10000);
  p.max_backoff = milliseconds(10000);
  p.deadline = milliseconds(5000);
  const auto t0 = Clock::now();
  RetrySchedule s(p, 3, t0);
  auto d = s.Next(std::nullopt, t0 + milliseconds(4000));
  ASSERT_TRUE(d.has_value());
  EXPECT_LE(d->count(), 1000);   // cut to the 1 s left
  EXPECT_FALSE(s.Next(std::nullopt, t0 + milliseconds(5000)).has_value());
}

TEST(RetrySchedule, HintIsALowerBoundAndAHintPastTheDeadlineStops) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(1);
  p.max_backoff = milliseconds(1);
  p.deadline = milliseconds(10000);
  const auto t0 = Clock::now();
  RetrySchedule s(p, 5, t0);
  auto d = s.Next(milliseconds(3000), t0);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->count(), 3000);
  EXPECT_FALSE(s.Next(milliseconds(20000), t0).has_value());
}

TEST(RetrySchedule, NoOverflowWithManyRetries) {
  RetryPolicy p;
  p.max_retries = 100000;
  p.initial_backoff = milliseconds(1LL << 40);
  p.max_backoff = milliseconds(INT64_MAX / 4);
  p.deadline = milliseconds(0);
  RetrySchedule s(p, 11);
  for (int i = 0; i < 200; ++i) {
    auto d = s.Next();
    ASSERT_TRUE(d.has_value());
    EXPECT_GE(d->count(), 0);
  }
}

TEST(RetryOptions, DeclaredOnceAndRead) {
  OptionTable t;
  AddRetryOptions(&t);
  auto o = ValidateOptions(t, nlohmann::json{{"max_retries", 3}, {"retry_timeout", "5s"}}, "destination \"d\"", {});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  RetryPolicy p = RetryPolicyFromOptions(*o);
  EXPECT_EQ(p.max_retries, 3);
  EXPECT_EQ(p.deadline, milliseconds(5000));
  EXPECT_EQ(p.initial_backoff, milliseconds(200));
  EXPECT_EQ(p.max_backoff, milliseconds(10000));
  EXPECT_EQ(p.ToString(), "max_retries 3, backoff 200ms..10s, retry_timeout 5s");
  auto bad = ValidateOptions(t, nlohmann::json{{"max_retries", -1}}, "destination \"d\"", {});
  EXPECT_FALSE(bad.ok());
}

TEST(SleepUnlessCancelled, WakesOnCancel) {
  std::atomic<bool> cancel{true};
  auto t0 = Clock::now();
  EXPECT_FALSE(SleepUnlessCancelled(milliseconds(5000), &cancel));
  EXPECT_LT(Clock::now() - t0, milliseconds(1000));
  EXPECT_TRUE(SleepUnlessCancelled(milliseconds(1), nullptr));
}

}  // namespace
}  // namespace ferry
