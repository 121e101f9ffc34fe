// Counters of a source's calls to a remote API, per (table, client) task.
#pragma once

#include <cstdint>

namespace ferry {

// What one (table, client) task's calls to a remote API cost: counted by the
// shared HTTP client into the task's figures (http::Request::figures), sent
// once per task with SyncSink::TableFigures and shown per table in the sync
// summary. One task fills its figures from one thread at a time.
struct ApiCallFigures {
  int64_t requests = 0;         // attempts sent
  int64_t retries = 0;          // attempts after the first of a request
  int64_t throttled = 0;        // answers that said "slow down"
  int64_t failures = 0;         // requests that ended in an error
  int64_t bytes_received = 0;   // response bodies
  int64_t retry_wait_ms = 0;    // time spent in backoff
  int64_t rate_wait_ms = 0;     // time spent waiting for the client-side rate limit
  bool empty() const { return requests == 0 && failures == 0; }
  ApiCallFigures& operator+=(const ApiCallFigures& o) {
    requests += o.requests;
    retries += o.retries;
    throttled += o.throttled;
    failures += o.failures;
    bytes_received += o.bytes_received;
    retry_wait_ms += o.retry_wait_ms;
    rate_wait_ms += o.rate_wait_ms;
    return *this;
  }
};

}  // namespace ferry
