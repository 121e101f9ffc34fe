#include "plugins/destination/clickhouse/compressed_frame.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>

#include "plugins/destination/clickhouse/cityhash.h"

namespace ferry::plugins::clickhouse {

namespace {

constexpr size_t kHeader = 9;  // method, compressed size, uncompressed size

void Put32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

Status CompressOne(Codec codec, std::string_view data, ByteBuffer* out) {
  size_t bound = data.size();
  if (codec == Codec::kLz4) bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(data.size())));
  if (codec == Codec::kZstd) bound = ZSTD_compressBound(data.size());
  const size_t start = out->size();
  char* frame = out->Grow(16 + kHeader + bound);
  char* body = frame + 16 + kHeader;
  size_t n = data.size();
  if (codec == Codec::kLz4) {
    const int r = LZ4_compress_default(data.data(), body, static_cast<int>(data.size()), static_cast<int>(bound));
    if (r <= 0) return Status::Internal("LZ4 compression failed");
    n = static_cast<size_t>(r);
  } else if (codec == Codec::kZstd) {
    const size_t r = ZSTD_compress(body, bound, data.data(), data.size(), 1);
    if (ZSTD_isError(r)) return Status::Internal(std::string("ZSTD compression failed: ") + ZSTD_getErrorName(r));
    n = r;
  } else {
    std::memcpy(body, data.data(), data.size());
  }
  frame[16] = static_cast<char>(codec);
  Put32(frame + 17, static_cast<uint32_t>(kHeader + n));
  Put32(frame + 21, static_cast<uint32_t>(data.size()));
  const Hash128 h = CityHash128(frame + 16, kHeader + n);
  std::memcpy(frame, &h.low, 8);
  std::memcpy(frame + 8, &h.high, 8);
  out->Truncate(start + 16 + kHeader + n);
  return Status::OK();
}

}  // namespace

Status CompressFrames(Codec codec, std::string_view data, ByteBuffer* out) {
  for (size_t at = 0; at < data.size(); at += kFrameInputBytes)
    FERRY_RETURN_NOT_OK(CompressOne(codec, data.substr(at, kFrameInputBytes), out));
  return Status::OK();
}

Status ReadFrame(WireReader& in, std::string* out) {
  char head[16 + kHeader];
  FERRY_RETURN_NOT_OK(in.Read(head, sizeof head));
  uint32_t csize, usize;
  std::memcpy(&csize, head + 17, 4);
  std::memcpy(&usize, head + 21, 4);
  const auto method = static_cast<uint8_t>(head[16]);
  if (csize < kHeader || csize > kMaxFrameBytes || usize > kMaxFrameBytes)
    return Status::Invalid("native protocol: a compressed frame has a bad size (" + std::to_string(csize) + " / " +
                           std::to_string(usize) + " bytes)");
  // Read in pieces: a corrupt size fails at the stream's end, not at a 1 GiB allocation.
  std::string frame(head + 16, kHeader);
  while (frame.size() < csize) {
    const size_t at = frame.size();
    frame.resize(at + std::min<size_t>(csize - at, size_t{1} << 20));
    FERRY_RETURN_NOT_OK(in.Read(frame.data() + at, frame.size() - at));
  }
  Hash128 want;
  std::memcpy(&want.low, head, 8);
  std::memcpy(&want.high, head + 8, 8);
  if (!(CityHash128(frame.data(), frame.size()) == want))
    return Status::Invalid("native protocol: a compressed frame's checksum does not match (data corrupted on the way)");
  const size_t at = out->size();
  out->resize(at + usize);
  const char* src = frame.data() + kHeader;
  const size_t n = csize - kHeader;
  if (method == static_cast<uint8_t>(Codec::kLz4)) {
    const int r = LZ4_decompress_safe(src, out->data() + at, static_cast<int>(n), static_cast<int>(usize));
    if (r < 0 || static_cast<uint32_t>(r) != usize) return Status::Invalid("native protocol: a bad LZ4 frame");
  } else if (method == static_cast<uint8_t>(Codec::kZstd)) {
    const size_t r = ZSTD_decompress(out->data() + at, usize, src, n);
    if (ZSTD_isError(r) || r != usize) return Status::Invalid("native protocol: a bad ZSTD frame");
  } else if (method == static_cast<uint8_t>(Codec::kNone)) {
    if (n != usize) return Status::Invalid("native protocol: an uncompressed frame has the wrong size");
    std::memcpy(out->data() + at, src, n);
  } else {
    return Status::Invalid("native protocol: unknown compression method 0x" +
                           std::string(1, "0123456789abcdef"[method >> 4]) + "0123456789abcdef"[method & 15] +
                           " (Ferry reads none, LZ4 and ZSTD)");
  }
  return Status::OK();
}

Status FramedReader::Read(char* out, size_t n) {
  while (n > 0) {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
      FERRY_RETURN_NOT_OK(ReadFrame(in_, &buf_));
      continue;
    }
    const size_t k = std::min(n, buf_.size() - pos_);
    std::memcpy(out, buf_.data() + pos_, k);
    pos_ += k;
    out += k;
    n -= k;
  }
  return Status::OK();
}

}  // namespace ferry::plugins::clickhouse
