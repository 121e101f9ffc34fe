// CallWithRetry: runs one destination operation under the sync's retry
// policy (include/ferry/retry.h). The engine is the only layer that retries
// destination calls; destinations classify (Status::Transient = try again).
//
// A transient failure is retried with full-jitter backoff until the policy's
// max_retries or retry_timeout is spent, or the sync is cancelled. The report
// says how many retries there were, how long the operation was kept waiting,
// and whether it gave up on a transient error (an outage longer than the
// policy allows) rather than failing permanently.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "ferry/retry.h"
#include "ferry/status.h"

namespace ferry::engine {

struct RetryReport {
  int retries = 0;
  std::chrono::milliseconds unavailable{0};   // first transient failure -> success or give-up
  bool gave_up_transient = false;             // still transient when retries/deadline ran out
  bool cancelled = false;                     // stopped waiting because the sync was cancelled
};

// `op` gets the attempt number (0 first). On give-up the returned status is
// the last failure with " (gave up after N retries in T: <policy>)" appended.
Status CallWithRetry(const RetryPolicy& policy, const std::atomic<bool>* cancel,
                     const std::function<Status(int attempt)>& op, RetryReport* report = nullptr);

// "3.2s", "250ms", "1m5s": a short duration for messages.
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace ferry::engine
