// Test-only: a request body that fails after `good` pieces, as an encoding
// error found mid-stream does (the request must then insert nothing).
#pragma once

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

}  // namespace ferry::plugins::clickhouse::testing
