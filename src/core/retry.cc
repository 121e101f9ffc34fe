#include "ferry/retry.h"

#include <algorithm>
#include <thread>

namespace ferry {

namespace {

std::string Ms(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  const int64_t s = ms / 1000;
  if (s >= 60 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace

std::string RetryPolicy::ToString() const {
  return "max_retries " + std::to_string(max_retries) + ", backoff " + Ms(initial_backoff) + ".." + Ms(max_backoff) +
         ", retry_timeout " + (deadline.count() > 0 ? Ms(deadline) : std::string("none"));
}

RetrySchedule::RetrySchedule(RetryPolicy policy, uint64_t seed, Clock::time_point start)
    : policy_(policy), rng_(seed ? seed : std::random_device{}()), start_(start) {}

std::optional<std::chrono::milliseconds> RetrySchedule::Next(std::optional<std::chrono::milliseconds> hint,
                                                             Clock::time_point now) {
  using std::chrono::milliseconds;
  if (retries_ >= policy_.max_retries) return std::nullopt;
  milliseconds remaining = milliseconds::max();
  if (policy_.deadline.count() > 0) {
    remaining = policy_.deadline - std::chrono::duration_cast<milliseconds>(now - start_);
    if (remaining.count() <= 0) return std::nullopt;
  }
  // Cap = min(max_backoff, initial * 2^n), computed without overflow.
  int64_t cap = std::max<int64_t>(0, policy_.initial_backoff.count());
  const int64_t max = std::max<int64_t>(cap, policy_.max_backoff.count());
  for (int i = 0; i < retries_ && cap < max; ++i) cap = cap > max / 2 ? max : cap * 2;
  cap = std::min(cap, max);
  int64_t delay = cap > 0 ? std::uniform_int_distribution<int64_t>(0, cap)(rng_) : 0;
  if (hint) {
    if (*hint >= remaining) return std::nullopt;  // the server asks us to wait past the deadline
    delay = std::max<int64_t>(delay, hint->count());
  }
  delay = std::min<int64_t>(delay, remaining.count());
  ++retries_;
  return milliseconds(delay);
}

bool SleepUnlessCancelled(std::chrono::milliseconds d, const std::atomic<bool>* cancel) {
  const auto end = std::chrono::steady_clock::now() + d;
  for (;;) {
    if (cancel && cancel->load()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
}

void AddRetryOptions(OptionTable* table) {
  const RetryPolicy d;
  table->push_back({.name = "max_retries",
                    .type = OptionType::kInt,
                    .default_value = d.max_retries,
                    .description = "Retries of a write (or delete, migration, state read) that failed with a "
                                   "transient error (connection lost, server busy, deadlock) before it fails; "
                                   "0 never retries",
                    .min = 0});
  table->push_back({.name = "retry_initial_backoff",
                    .type = OptionType::kDuration,
                    .default_value = "200ms",
                    .description = "Upper bound of the first retry's delay; each later bound doubles up to "
                                   "retry_max_backoff, and the delay is drawn at random below it (full jitter)",
                    .min = 0});
  table->push_back({.name = "retry_max_backoff",
                    .type = OptionType::kDuration,
                    .default_value = "10s",
                    .description = "Largest delay between two attempts",
                    .min = 0});
  table->push_back({.name = "retry_timeout",
                    .type = OptionType::kDuration,
                    .default_value = "60s",
                    .description = "How long the destination may stay unreachable or busy: an operation that "
                                   "still fails this long after its first attempt fails, and the destination "
                                   "with it; 0 lets only max_retries decide",
                    .min = 0});
}

RetryPolicy RetryPolicyFromOptions(const Options& options) {
  RetryPolicy p;
  if (options.Has("max_retries")) p.max_retries = static_cast<int>(options.GetInt("max_retries"));
  if (options.Has("retry_initial_backoff"))
    p.initial_backoff = std::chrono::milliseconds(options.GetDurationMs("retry_initial_backoff"));
  if (options.Has("retry_max_backoff"))
    p.max_backoff = std::chrono::milliseconds(options.GetDurationMs("retry_max_backoff"));
  if (options.Has("retry_timeout")) p.deadline = std::chrono::milliseconds(options.GetDurationMs("retry_timeout"));
  return p;
}

}  // namespace ferry
