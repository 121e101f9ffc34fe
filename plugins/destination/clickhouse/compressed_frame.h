// ClickHouse's compressed-block framing, used by the native protocol when the
// connection string asks for `compress`: every Data block travels as one or
// more frames of
//   16 bytes  CityHash128 (v1.0.2) of everything after it, low word first
//    1 byte   method: 0x02 none, 0x82 LZ4, 0x90 ZSTD
//    4 bytes  compressed size, the 9 header bytes included (UInt32 LE)
//    4 bytes  uncompressed size (UInt32 LE)
//    n bytes  the compressed data
// A block may span frames; a frame never holds two blocks' tails in a way the
// reader must know about (the reader is a byte stream, FramedReader).
// LZ4 through liblz4, ZSTD through libzstd. Pure functions plus one stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/byte_buffer.h"
#include "plugins/destination/clickhouse/wire_reader.h"

namespace ferry::plugins::clickhouse {

enum class Codec : uint8_t { kNone = 0x02, kLz4 = 0x82, kZstd = 0x90 };

// Largest frame accepted from the server (ClickHouse's own limit is 1 GiB).
constexpr uint32_t kMaxFrameBytes = 1u << 30;
// Uncompressed bytes per frame Ferry writes (ClickHouse's max_compress_block_size).
constexpr size_t kFrameInputBytes = 1 << 20;

// Appends `data` as frames of at most kFrameInputBytes each (none for empty data).
Status CompressFrames(Codec codec, std::string_view data, ByteBuffer* out);

// Reads one frame from `in` and appends its uncompressed bytes to `out`;
// a wrong checksum, unknown method or bad size is Invalid.
Status ReadFrame(WireReader& in, std::string* out);

// The uncompressed byte stream inside the frames read from `in`.
class FramedReader final : public WireReader {
 public:
  explicit FramedReader(WireReader& in) : in_(in) {}
  Status Read(char* out, size_t n) override;
  // Whether every byte of the frames read so far was consumed (a block must
  // end at a frame's end).
  bool at_frame_end() const { return pos_ == buf_.size(); }

 private:
  WireReader& in_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace ferry::plugins::clickhouse
