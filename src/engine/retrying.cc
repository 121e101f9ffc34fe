#include "engine/retrying.h"

#include "engine/log.h"

namespace ferry::engine {

std::string FormatDuration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60000) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1fs", ms / 1000.0);
    return buf;
  }
  const int64_t s = ms / 1000;
  return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

Status CallWithRetry(const RetryPolicy& policy, const std::atomic<bool>* cancel,
                     const std::function<Status(int attempt)>& op, RetryReport* report) {
  RetryReport local;
  RetryReport& r = report ? *report : local;
  r = RetryReport{};
  using Clock = std::chrono::steady_clock;
  RetrySchedule schedule(policy);
  Clock::time_point first_failure{};
  for (int attempt = 0;; ++attempt) {
    Status st = op(attempt);
    if (attempt > 0)
      r.unavailable = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - first_failure);
    if (st.ok() || !st.IsRetryable()) return st;
    if (attempt == 0) first_failure = Clock::now();
    auto delay = schedule.Next();
    if (!delay) {
      r.gave_up_transient = true;
      return Status(st.code(), st.message() + " (gave up after " + std::to_string(r.retries) + " retries in " +
                                   FormatDuration(r.unavailable) + "; " + policy.ToString() + ")");
    }
    log::Debug("retrying in " + FormatDuration(*delay) + " after: " + st.message());
    if (!SleepUnlessCancelled(*delay, cancel)) {
      r.cancelled = true;
      return Status(st.code(), st.message() + " (not retried further: the sync was cancelled)");
    }
    ++r.retries;
  }
}

}  // namespace ferry::engine
