// Retry policy: the one definition of how often and how long Ferry tries an
// operation again after a transient failure.
//
// Who retries: the layer that owns the operation's attempts, once. The engine
// retries destination calls (Write, DeleteStale, DeleteRecord, Migrate,
// ReadState); the HTTP client retries requests of API integrations.
// Integrations never loop themselves: they classify each failure
// (Status::Transient = safe to try again, anything else = permanent) and, where
// a failure left the outcome unknown (a commit whose answer was lost), resolve
// it on the next attempt before doing anything (see destination.h).
//
// Backoff is exponential with full jitter: the delay before retry n is drawn
// uniformly from [0, min(max_backoff, initial_backoff * 2^n)], and is raised to
// a server's hint (HTTP Retry-After) when one is given. Attempts stop when
// `max_retries` retries were made or `deadline` has passed since the first
// attempt, whichever comes first; the last delay is cut to the deadline.
//
// RetrySchedule is a value for one operation on one thread; RetryPolicy is
// plain data, shared freely.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry {

struct RetryPolicy {
  int max_retries = 10;                          // retries after the first attempt; 0 = never retry
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  // Total time from the first attempt after which no new attempt starts;
  // zero means no deadline (only max_retries bounds the attempts).
  std::chrono::milliseconds deadline{60000};

  // "max_retries 10, backoff 200ms..10s, deadline 1m0s", for messages.
  std::string ToString() const;
};

class RetrySchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // `seed` 0 picks a random one; tests pass a fixed seed.
  explicit RetrySchedule(RetryPolicy policy, uint64_t seed = 0, Clock::time_point start = Clock::now());

  // The delay before the next attempt, or nullopt when no attempt is left
  // (retries or deadline spent). `hint` (e.g. Retry-After) is a lower bound
  // on the delay; a hint past the deadline ends the schedule.
  std::optional<std::chrono::milliseconds> Next(std::optional<std::chrono::milliseconds> hint = std::nullopt,
                                                Clock::time_point now = Clock::now());

  int retries() const { return retries_; }   // delays handed out so far
  Clock::time_point start() const { return start_; }
  const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  std::mt19937_64 rng_;
  Clock::time_point start_;
  int retries_ = 0;
};

// Sleeps `d`, waking early (returning false) when `cancel` becomes true.
bool SleepUnlessCancelled(std::chrono::milliseconds d, const std::atomic<bool>* cancel);

// The options every destination accepts for its engine-owned retries,
// declared once (see AddRetryOptions) and read with RetryPolicyFromOptions.
//   max_retries           integer, default 10
//   retry_initial_backoff duration, default 200ms
//   retry_max_backoff     duration, default 10s
//   retry_timeout         duration, default 60s: how long a destination may
//                         stay unreachable or busy before its write fails
void AddRetryOptions(OptionTable* table);
RetryPolicy RetryPolicyFromOptions(const Options& options);

}  // namespace ferry
