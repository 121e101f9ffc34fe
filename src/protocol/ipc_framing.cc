#include "protocol/ipc_framing.h"

#include <cstring>

namespace ferry::protocol::ipc {

namespace {
void AppendU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}
uint32_t LoadU32(const char* p) {
  const auto* b = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}
Status Truncated(size_t at, const char* what) {
  return Status::Invalid("arrow ipc: stream truncated at byte " + std::to_string(at) + " (" + what + ")");
}
}  // namespace

void AppendMessage(std::string* out, const uint8_t* metadata, size_t size) {
  const int64_t padded = PadTo8(static_cast<int64_t>(size));
  AppendU32(out, kContinuation);
  AppendU32(out, static_cast<uint32_t>(padded));
  out->append(reinterpret_cast<const char*>(metadata), size);
  out->append(static_cast<size_t>(padded) - size, '\0');
}

void AppendEndOfStream(std::string* out) {
  AppendU32(out, kContinuation);
  AppendU32(out, 0);
}

Result<bool> MessageReader::Next(MessageView* out) {
  const size_t left = in_.size() - pos_;
  if (left == 0) return false;  // end of input ends the stream
  if (left < 4) return Truncated(pos_, "message length");
  size_t at = pos_;
  uint32_t word = LoadU32(in_.data() + at);
  at += 4;
  if (word == kContinuation) {
    if (in_.size() - at < 4) return Truncated(at, "message length");
    word = LoadU32(in_.data() + at);
    at += 4;
  }
  const auto len = static_cast<int32_t>(word);
  if (len == 0) {  // end-of-stream marker
    pos_ = at;
    return false;
  }
  if (len < 0 || len > kMaxMetadataBytes)
    return Status::Invalid("arrow ipc: invalid metadata length " + std::to_string(len) + " at byte " +
                           std::to_string(pos_));
  if (in_.size() - at < static_cast<size_t>(len)) return Truncated(at, "message metadata");

  const uint8_t* meta = reinterpret_cast<const uint8_t*>(in_.data() + at);
  if (reinterpret_cast<uintptr_t>(meta) % 8 != 0) {
    aligned_.assign((static_cast<size_t>(len) + 7) / 8, 0);
    std::memcpy(aligned_.data(), meta, static_cast<size_t>(len));
    meta = reinterpret_cast<const uint8_t*>(aligned_.data());
  }
  flatbuffers::Verifier::Options opts;
  opts.max_depth = 128;  // Ferry's own nesting limit (arrow_ipc.h) is lower
  flatbuffers::Verifier verifier(meta, static_cast<size_t>(len), opts);
  if (!arrowfb::VerifyMessageBuffer(verifier))
    return Status::Invalid("arrow ipc: message metadata at byte " + std::to_string(pos_) +
                           " is not a valid flatbuffer Message");
  const arrowfb::Message* msg = arrowfb::GetMessage(meta);
  at += static_cast<size_t>(len);

  const int64_t body_len = msg->body_length();
  if (body_len < 0) return Status::Invalid("arrow ipc: negative body length");
  if (static_cast<uint64_t>(body_len) > in_.size() - at) return Truncated(at, "message body");
  if (msg->version() < arrowfb::MetadataVersion_V4)
    return Status::Unsupported("arrow ipc: metadata version V" + std::to_string(msg->version() + 1) +
                               " is not supported (V4 and V5 are)");
  out->message = msg;
  out->body = in_.substr(at, static_cast<size_t>(body_len));
  pos_ = at + static_cast<size_t>(body_len);
  return true;
}

}  // namespace ferry::protocol::ipc
