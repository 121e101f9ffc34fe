// Test-only helpers of the write-fault tests: a request body that fails
// after `good` pieces (an encoding error found mid-stream: the request must
// then insert nothing), and a write under the engine's retry policy.
#pragma once

#include <chrono>

#include "engine/retrying.h"
#include "ferry/destination.h"
#include "plugins/destination/clickhouse/http_transport.h"

namespace ferry::plugins::clickhouse::testing {

class FailingBody final : public BodySource {
 public:
  FailingBody(BodySource* inner, int good) : inner_(inner), good_(good) {}
  void Rewind() override {
    inner_->Rewind();
    served_ = 0;
  }
  Result<bool> Next(ByteBuffer* out) override {
    if (served_++ == good_) return Status::Invalid("injected encoding error");
    return inner_->Next(out);
  }

 private:
  BodySource* inner_;
  int good_;
  int served_ = 0;
};

// `req` written as the engine writes it: attempts 0, 1, ... of the same
// request, at most 3 retries, 1 ms backoff.
inline Status WriteWithEngineRetry(Destination& d, WriteRequest req) {
  RetryPolicy policy;
  policy.max_retries = 3;
  policy.initial_backoff = std::chrono::milliseconds(1);
  return engine::CallWithRetry(policy, nullptr, [&](int attempt) {
    req.attempt = attempt;
    return d.Write(req);
  });
}

}  // namespace ferry::plugins::clickhouse::testing
