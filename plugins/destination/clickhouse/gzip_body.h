// GzipBody: gzip-compresses another BodySource as the transport reads it
// (one gzip member, zlib's fastest level), for `compression: gzip`: the
// request goes out with `Content-Encoding: gzip`, which ClickHouse decodes
// since before 18.16. Streaming keeps memory at one block, as for the plain
// body. Not thread-safe; `inner` must outlive it.
#pragma once

#include <zlib.h>

#include "plugins/destination/clickhouse/http_transport.h"

namespace ferry::plugins::clickhouse {

class GzipBody final : public BodySource {
 public:
  explicit GzipBody(BodySource* inner);
  ~GzipBody() override;
  GzipBody(const GzipBody&) = delete;
  GzipBody& operator=(const GzipBody&) = delete;

  void Rewind() override;
  Result<bool> Next(ByteBuffer* out) override;

 private:
  BodySource* inner_;
  z_stream zs_{};
  bool ready_ = false;     // deflateInit2 succeeded
  bool finished_ = false;  // the gzip trailer is written
  ByteBuffer raw_;
};

}  // namespace ferry::plugins::clickhouse
