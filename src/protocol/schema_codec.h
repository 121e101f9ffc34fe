// Ferry TableSchema <-> Arrow IPC flatbuffer Schema, with CloudQuery metadata.
//
// Writing follows the CloudQuery Go SDK (docs/protocol.md): table
// metadata `cq:table_name`, `cq:table_title`, `cq:table_description`,
// `cq:extension:constraint_name` (always; empty, as Ferry tables have no
// constraint name), `cq:table_depends_on` (when there is a parent),
// `cq:extension:incremental` and `cq:table_paid` ("true", only when set);
// per column `cq:extension:primary_key`, `cq:extension:unique`,
// `cq:extension:incremental`, `cq:extension:primary_key_component` ("true" or
// "false", always) and `cq:extension:type_schema` (when not empty: an empty
// value would read as a type schema that fails to parse). Keys are sorted, as
// Go's arrow.MetadataFrom does. Extension types carry ARROW:extension:name and
// ARROW:extension:metadata over their storage type, at every nesting level.
//
// Reading accepts plain Arrow schemas too (no cq metadata: all flags false).
// Each field also yields a WireField saying how its values are laid out on the
// wire when that differs from Ferry's type (timestamps in other units, date64),
// which the record decoder converts. Column descriptions are not part of
// CloudQuery's Arrow metadata and do not survive a round trip.
// Internal to src/protocol; stateless and thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "protocol/arrow/schema_generated.h"

namespace ferry::protocol::ipc {

// The deepest field nesting (list/struct levels) Ferry decodes.
inline constexpr int kMaxNestingDepth = 32;

// How the values of one decoded field are stored on the wire.
enum class WireConvert : uint8_t {
  kNone,              // same layout as Ferry's type
  kTimestampSeconds,  // int64 seconds -> microseconds
  kTimestampMillis,   // int64 milliseconds -> microseconds
  kTimestampNanos,    // int64 nanoseconds -> microseconds (floor)
  kDate64,            // int64 milliseconds -> int32 days (floor)
  kLargeOffsets,      // large_utf8 / large_binary: int64 offsets -> int32 (data must stay under 2 GiB)
  kFloat16,           // IEEE half -> float32 (exact)
};

struct WireField {
  WireConvert convert = WireConvert::kNone;
  std::vector<WireField> children;  // parallel to DataType::children
};

struct DecodedSchema {
  TableSchemaPtr table;
  std::vector<WireField> wire;  // one per column
  bool has_table_name = false;  // cq:table_name was present
};

flatbuffers::Offset<arrowfb::Schema> BuildSchema(flatbuffers::FlatBufferBuilder& fbb,
                                                 const TableSchema& schema);

// `schema` must come from a verified flatbuffer.
Result<DecodedSchema> ParseSchema(const arrowfb::Schema& schema);

}  // namespace ferry::protocol::ipc
