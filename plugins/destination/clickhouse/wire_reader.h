// Byte input of the native protocol: a pull interface the packet decoders
// read from (a socket, a decompressing stream, or bytes in memory for tests
// and the fuzz target), and the protocol's primitive reads (LEB128 varints,
// length-prefixed strings, little-endian fixed-width values).
//
// Every read is bounded: a length read from the wire is checked against the
// caller's limit before anything is allocated, so a hostile or corrupt stream
// fails with an error instead of exhausting memory.
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry::plugins::clickhouse {

class WireReader {
 public:
  virtual ~WireReader() = default;
  // Reads exactly n bytes into out, or fails (a short stream is an error).
  virtual Status Read(char* out, size_t n) = 0;
};

// Reads from bytes in memory; reading past the end is Invalid ("truncated").
class StringReader final : public WireReader {
 public:
  explicit StringReader(std::string_view data) : data_(data) {}
  Status Read(char* out, size_t n) override {
    if (n > data_.size() - pos_) return Status::Invalid("native protocol data is truncated");
    if (n) std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return Status::OK();
  }
  bool done() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

inline Status ReadVarint(WireReader& r, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    char c;
    FERRY_RETURN_NOT_OK(r.Read(&c, 1));
    *v |= static_cast<uint64_t>(static_cast<uint8_t>(c) & 0x7f) << shift;
    if (!(static_cast<uint8_t>(c) & 0x80)) return Status::OK();
  }
  return Status::Invalid("native protocol: a varint is longer than 10 bytes");
}

// Strings the server sends in packets are short; blocks pass their own limit.
constexpr size_t kMaxPacketString = size_t{64} << 20;

inline Status ReadString(WireReader& r, std::string* s, size_t max = kMaxPacketString) {
  uint64_t n;
  FERRY_RETURN_NOT_OK(ReadVarint(r, &n));
  if (n > max) return Status::Invalid("native protocol: a string of " + std::to_string(n) + " bytes is over the limit");
  // Grown as bytes arrive: a lying length fails at the stream's end, not at a huge allocation.
  s->clear();
  while (s->size() < n) {
    const size_t at = s->size();
    s->resize(at + static_cast<size_t>(std::min<uint64_t>(n - at, uint64_t{1} << 20)));
    FERRY_RETURN_NOT_OK(r.Read(s->data() + at, s->size() - at));
  }
  return Status::OK();
}

template <typename T>
Status ReadFixed(WireReader& r, T* v) {
  return r.Read(reinterpret_cast<char*>(v), sizeof(T));  // the wire is little-endian, as is every host Ferry runs on
}

}  // namespace ferry::plugins::clickhouse
