// Arrow IPC streams for CloudQuery's plugin protocol v3: Ferry schemas and
// batches to and from the bytes of GetTables, migrate_table and insert
// messages (docs/protocol.md).
//
// Every stream is complete: a schema message, for records one record batch
// message, then the end-of-stream marker, in the Arrow IPC encapsulated
// message format (continuation 0xFFFFFFFF, int32 metadata length, flatbuffer
// metadata padded to 8 bytes, 8-byte aligned body buffers, little-endian,
// metadata version V5, no compression). Schemas carry CloudQuery's `cq:*`
// metadata and extension types; see schema_codec.h for the exact keys.
//
// Decoding treats its input as untrusted: flatbuffers are verified, every
// length, offset and buffer is checked against the input, nesting is limited
// to 32 levels and rows to 2^31 - 1, memory allocated is bounded by the input
// size, and the result passes Batch::Validate. Errors are values
// (kInvalidArgument for malformed input, kUnsupported for valid Arrow that
// Ferry cannot represent, naming the column and Arrow type). Plain Arrow
// streams without cq metadata decode too (all column flags false). Mapping of
// Arrow types Ferry has no exact equivalent for: timestamps of any unit and
// time zone become microseconds UTC (zone-naive values are taken as UTC;
// seconds/milliseconds that overflow are an error, nanoseconds are floored);
// date64 becomes date32 (floored); large_utf8 / large_binary become utf8 /
// binary (a batch's values must stay under 2 GiB); float16 becomes float32
// (exact); list element fields are renamed "item".
// Rejected: large_list, decimal, dictionaries,
// compressed bodies, big-endian streams, and other types Ferry lacks.
//
// All functions are stateless and safe to call concurrently.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"

namespace ferry::protocol {

// Schema message + end-of-stream: a table as GetTables and migrate_table send it.
Result<std::string> EncodeSchemaStream(const TableSchema& schema);

// Schema message + one record batch + end-of-stream: an insert's record.
// Sliced batches are encoded as if they started at row 0.
Result<std::string> EncodeRecordStream(const Batch& batch);

// Decodes a schema stream. Requires cq:table_name, as CloudQuery does.
Result<TableSchemaPtr> DecodeSchemaStream(std::string_view stream);

// Decodes a record stream holding exactly one record batch. With `expected`,
// the stream's columns must match it in number, names and types (and its
// cq:table_name, when present, must be expected->name); the batch then carries
// `expected` as its schema. Without it, the batch carries the stream's schema
// (table name "" when the stream has no cq metadata).
Result<BatchPtr> DecodeRecordStream(std::string_view stream, TableSchemaPtr expected = nullptr);

// Decodes a record stream whose expected schema is `lookup(cq:table_name)`:
// how a host matches a plugin's insert with its table (only the columns are
// compared, not the table metadata, which plugins re-send incompletely).
// kNotFound when lookup returns nullptr.
Result<BatchPtr> DecodeRecordStreamByName(std::string_view stream,
                                          const std::function<TableSchemaPtr(const std::string&)>& lookup);

}  // namespace ferry::protocol
