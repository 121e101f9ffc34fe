#include "plugins/destination/clickhouse/gzip_body.h"

namespace ferry::plugins::clickhouse {

GzipBody::GzipBody(BodySource* inner) : inner_(inner) {
  // windowBits 15 + 16: a gzip header and trailer around the deflate stream.
  ready_ = deflateInit2(&zs_, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipBody::~GzipBody() {
  if (ready_) deflateEnd(&zs_);
}

void GzipBody::Rewind() {
  inner_->Rewind();
  if (ready_) deflateReset(&zs_);
  finished_ = false;
}

Result<bool> GzipBody::Next(ByteBuffer* out) {
  if (!ready_) return Status::Internal("zlib: deflateInit2 failed");
  if (finished_) return false;
  raw_.Clear();
  FERRY_ASSIGN_OR_RETURN(bool more, inner_->Next(&raw_));
  const std::string_view in = raw_.data();
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_.avail_in = static_cast<uInt>(in.size());
  const int flush = more ? Z_NO_FLUSH : Z_FINISH;
  for (;;) {
    constexpr size_t kStep = 1 << 16;
    const size_t before = out->size();
    zs_.next_out = reinterpret_cast<Bytef*>(out->Grow(kStep));
    zs_.avail_out = kStep;
    const int rc = deflate(&zs_, flush);
    out->Truncate(before + kStep - zs_.avail_out);
    if (rc == Z_STREAM_ERROR) return Status::Internal("zlib: deflate failed");
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs_.avail_in == 0 && zs_.avail_out > 0)) break;
  }
  if (!more) finished_ = true;
  return true;
}

}  // namespace ferry::plugins::clickhouse
