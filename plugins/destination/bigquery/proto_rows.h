// Rows for the Storage Write API: a protobuf descriptor derived from the
// table's schema, and each row serialized against it, straight from the
// batch's Arrow buffers (no message objects).
//
// Fields are numbered 1..N in column order, proto2 `optional` (a NULL cell
// is an absent field) or `repeated`, typed as BigQuery's protobuf mapping
// wants for the column's BigQuery type (type_map.h):
//   BOOLEAN bool · INTEGER int64 · FLOAT double · STRING, JSON string ·
//   BYTES bytes · NUMERIC string (decimal text) · TIMESTAMP int64
//   (microseconds since the epoch) · DATE int32 (days since the epoch) ·
//   RECORD a nested message (a nested type of the row's descriptor: the
//   API receives one self-contained DescriptorProto).
// The values are the same as row_json.h writes: uuid, inet and mac as text,
// lists of lists as one JSON document, NULL elements of REPEATED fields left
// out.
#pragma once

#include <cstdint>
#include <string>

#include <google/protobuf/descriptor.pb.h>

#include "ferry/batch.h"
#include "ferry/schema.h"

namespace ferry::plugins::bigquery {

google::protobuf::DescriptorProto RowDescriptor(const TableSchema& table);

// Appends row `row` of `batch` in protobuf wire format (RowDescriptor's
// message) to `out`.
void EncodeRow(const Batch& batch, int64_t row, std::string* out);

}  // namespace ferry::plugins::bigquery
