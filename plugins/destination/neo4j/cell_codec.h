// Ferry values as Neo4j property values, and back.
//
// Neo4j properties hold booleans, integers (int64), floats, strings, byte
// arrays, temporal values and homogeneous lists of those without nulls; not
// maps, nested lists or lists of byte arrays. So:
//   bool, int8..int64, uint8..uint32   Boolean, Integer
//   uint64                              Integer; above 2^63-1 the decimal String
//   float32, float64                    Float (float32 widened exactly)
//   utf8, json, inet                    String (json: the document's text)
//   mac                                 String "00:94:fd:c2:fa:2f"
//   uuid                                String, canonical lowercase
//   binary, fixed_size_binary           ByteArray
//   timestamp                           DateTime in zone "UTC" (as CloudQuery's Go driver sends it)
//   date32                              Date
//   struct                              String, JSON text (plugins/common/json_cell)
//   list                                a List when Neo4j can store it (primitive elements, no null,
//                                       no byte arrays, uint64 within Integer); else its JSON text
// A null cell is no property at all. DecodeCell reads every form back
// exactly (the conformance suite round-trips every type).
#pragma once

#include <cstdint>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "ferry/value.h"
#include "plugins/destination/neo4j/packstream.h"

namespace ferry::plugins::neo4j {

// Packs the non-null cell `row` of `array`. `utc_datetime`: Bolt 5 or 4.4
// with the "utc" patch (DateTime structures 'i'); else the legacy 'f'.
void PackCell(const ArrayData& array, int64_t row, bool utc_datetime, bolt::Packer& p);

// A timestamp (microseconds since the epoch, UTC) as a DateTime in zone "UTC".
void PackTimestamp(int64_t micros, bool utc_datetime, bolt::Packer& p);

// The Ferry Value (builder.h's form for `type`) of a property read back.
Result<Value> DecodeCell(const DataType& type, const bolt::PackValue& v);

}  // namespace ferry::plugins::neo4j
