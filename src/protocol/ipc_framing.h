// Arrow IPC stream framing: encapsulated messages and end-of-stream.
//
// An encapsulated message is the 0xFFFFFFFF continuation marker, an int32
// little-endian metadata length, a flatbuffer `Message` padded with zeros so
// that the body starts 8-byte aligned, then the body (whose buffers the
// message describes). A stream is messages followed by the end-of-stream
// marker 0xFFFFFFFF 0x00000000. Internal to src/protocol; callers use
// arrow_ipc.h.
//
// MessageReader reads untrusted bytes: every length is checked against what is
// left of the input, each flatbuffer is run through flatbuffers::Verifier
// before it is read, and nothing is allocated from a length field beyond a
// copy of one message's metadata (made only when it is not 8-byte aligned in
// memory, so flatbuffers never reads misaligned scalars). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "protocol/arrow/message_generated.h"

namespace ferry::protocol::ipc {

inline constexpr uint32_t kContinuation = 0xFFFFFFFFu;
// The largest flatbuffer metadata Ferry accepts (real schemas are kilobytes).
inline constexpr int64_t kMaxMetadataBytes = 64 << 20;

inline int64_t PadTo8(int64_t n) { return (n + 7) & ~int64_t{7}; }

// Appends continuation, length and the padded flatbuffer `metadata`. The
// caller appends the body right after (already padded to 8 bytes).
void AppendMessage(std::string* out, const uint8_t* metadata, size_t size);
// Bytes AppendMessage writes for a flatbuffer of `size` bytes.
inline int64_t FramedMetadataSize(size_t size) { return 8 + PadTo8(static_cast<int64_t>(size)); }
void AppendEndOfStream(std::string* out);

struct MessageView {
  const arrowfb::Message* message = nullptr;  // verified; valid until the next Next()
  std::string_view body;                      // message.body_length bytes of the input
};

class MessageReader {
 public:
  explicit MessageReader(std::string_view stream) : in_(stream) {}

  // Reads the next message into *out and returns true, or returns false at
  // the end-of-stream marker or at the end of the input (both end a stream).
  // Also accepts the pre-1.0 framing without the continuation marker.
  Result<bool> Next(MessageView* out);
  // Bytes consumed so far.
  size_t position() const { return pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  std::vector<uint64_t> aligned_;  // 8-byte aligned copy of misaligned metadata
};

}  // namespace ferry::protocol::ipc
