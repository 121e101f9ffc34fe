// Ferry Batch <-> Arrow IPC RecordBatch metadata and body.
//
// Encoding walks the columns in pre-order, one FieldNode per array and the
// layout's buffers per array (validity, then offsets and/or values; list and
// struct children follow their parent), exactly as the Arrow columnar format
// flattens them. A body buffer references the batch's own memory when the
// array is not sliced (offset 0, offsets starting at 0); slices get re-based
// copies of their validity bitmaps (when not byte-aligned) and offsets, so the
// body always describes arrays at offset 0 as IPC requires. A validity buffer
// has length 0 when the array has no nulls. Every buffer starts 8-byte aligned
// in the body and is zero-padded to a multiple of 8.
//
// Decoding checks the node and buffer counts against the schema, every buffer
// against the body, every length and null count, every offset, and converts
// wire units (WireField) before copying values into Ferry's aligned buffers;
// at most the body's size is allocated, plus a small constant per array.
// Internal to src/protocol; stateless and thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "protocol/arrow/message_generated.h"
#include "protocol/schema_codec.h"

namespace ferry::protocol::ipc {

// The largest row count (and array length) Ferry decodes.
inline constexpr int64_t kMaxRows = (int64_t{1} << 31) - 1;

struct EncodedBody {
  std::vector<arrowfb::FieldNode> nodes;
  std::vector<arrowfb::Buffer> buffers;  // offsets into the padded body
  std::vector<std::string_view> pieces;  // the bytes of each buffer
  std::deque<std::string> owned;         // re-based copies that pieces point into
  int64_t size = 0;                      // body length, padded
};

// Plans the body of `batch`. The batch must outlive `out`. Fails when a
// column's buffers are too short for its length and offset.
Status PlanBody(const Batch& batch, EncodedBody* out);
// Appends the planned body (pieces and zero padding) to `out`.
void AppendBody(const EncodedBody& body, std::string* out);

// Decodes the columns of a verified RecordBatch whose body is `body`.
Result<std::vector<ArrayPtr>> DecodeColumns(const arrowfb::RecordBatch& rb, std::string_view body,
                                            const TableSchema& schema, const std::vector<WireField>& wire);

}  // namespace ferry::protocol::ipc
