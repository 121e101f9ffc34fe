// ByteBuffer: the growable byte buffer Native blocks are encoded into.
//
// Appends write straight into malloc'd memory: no zero-filling and one
// capacity test per append, because the encoder appends hundreds of millions
// of small values. Not thread-safe; not copyable.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace ferry::plugins::clickhouse {

// A growable byte buffer: appends write straight into malloc'd memory (no
// zero-filling, no per-byte bounds checks beyond one capacity test).
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  void Clear() { size_ = 0; }
  void Reserve(size_t extra) {
    if (size_ + extra > cap_) Realloc(size_ + extra);
  }
  // Grows by n bytes and returns a pointer to them (contents undefined).
  char* Grow(size_t n) {
    Reserve(n);
    char* p = data_ + size_;
    size_ += n;
    return p;
  }
  void Append(const void* p, size_t n) {
    if (n) std::memcpy(Grow(n), p, n);
  }
  void AppendZeros(size_t n) {
    if (n) std::memset(Grow(n), 0, n);
  }
  void Byte(uint8_t b) { *Grow(1) = static_cast<char>(b); }
  void Varint(uint64_t v) {
    Reserve(10);
    while (v >= 0x80) {
      data_[size_++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    data_[size_++] = static_cast<char>(v);
  }
  void String(std::string_view s) {
    Reserve(10 + s.size());
    uint64_t v = s.size();
    while (v >= 0x80) {
      data_[size_++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    data_[size_++] = static_cast<char>(v);
    if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
    size_ += s.size();
  }
  template <typename T>
  void Fixed(T v) {
    Append(&v, sizeof(T));
  }
  // Keeps the first n bytes (n <= size()).
  void Truncate(size_t n) { size_ = std::min(n, size_); }
  std::string_view data() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  void Realloc(size_t need) {
    size_t cap = std::max<size_t>(need, cap_ * 2);
    char* p = static_cast<char*>(std::realloc(data_, cap));
    if (!p) throw std::bad_alloc();
    data_ = p;
    cap_ = cap;
  }
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace ferry::plugins::clickhouse
