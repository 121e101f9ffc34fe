// Ferry types -> BigQuery columns, as CloudQuery's BigQuery destination maps
// Arrow types (its types.go), where BigQuery can hold the value:
//
//   bool                        BOOLEAN
//   int8..int64, uint8..uint32  INTEGER
//   uint64                      NUMERIC (INTEGER cannot hold 2^63..2^64-1)
//   float32, float64            FLOAT
//   utf8                        STRING
//   binary, fixed_size_binary   BYTES
//   timestamp                   TIMESTAMP (microseconds, UTC)
//   date32                      DATE
//   time32, time64              TIME (microseconds; time64[ns] keeps whole
//                               microseconds; 00:00:00 to 23:59:59.999999)
//   duration                    INTEGER, the count of the column's unit
//   month_interval              RECORD<months INTEGER>
//   day_time_interval           RECORD<days INTEGER, milliseconds INTEGER>
//   month_day_nano_interval     RECORD<months INTEGER, days INTEGER,
//                               nanoseconds INTEGER>
//   decimal128(p, s)            BIGNUMERIC (76 digits, 38 after the point:
//                               every decimal128 exactly)
//   uuid, inet, mac             STRING (canonical text; mac as 00:1a:2b:3c:4d:5e)
//   json                        JSON
//   struct                      RECORD of its fields (JSON when it has none)
//   list<T>                     T with mode REPEATED
//   list<list<T>>               JSON (BigQuery has no arrays of arrays;
//                               CloudQuery's destination fails on them)
//
// Every column is NULLABLE (CloudQuery's too). A REPEATED column cannot hold
// a NULL list nor NULL elements: a NULL list is written as [] and NULL
// elements are left out (docs: plugin README, "Lists").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry::plugins::bigquery {

// The INTEGER fields of the RECORD an interval type is stored as (CloudQuery's
// names); empty for other types.
const std::vector<std::string>& IntervalFields(TypeId id);

// A TIME value's text, "HH:MM:SS.ffffff": cell i of a time32/time64 array,
// to whole microseconds (time64[ns] rounded toward midnight). The value must
// be within one day (CheckValueRanges).
void AppendTimeText(const ArrayData& a, int64_t i, std::string* out);
// The inverse for a column of `type`: "HH:MM:SS[.f...]" as the count of its unit.
Result<int64_t> ParseTimeText(const DataType& type, std::string_view text);

// Whether a list column is stored as REPEATED (else as one JSON document).
bool ListIsRepeated(const DataType& list);
// Whether a column or field of `type` is stored as a JSON document.
bool StoredAsJson(const DataType& type);

// The BigQuery field of a column: {"name", "type", "mode", "fields"?, "description"?}.
nlohmann::json FieldSchema(const std::string& name, const DataType& type, const std::string& description = "");

// How a field reads in migration plans and errors, from a field resource
// (tables.get's or FieldSchema's): "INTEGER", "REPEATED STRING",
// "RECORD<a INTEGER, b REPEATED FLOAT>". Standard SQL names (INT64, FLOAT64,
// BOOL, STRUCT) read as the legacy names tables.get uses.
std::string FieldTypeText(const nlohmann::json& field);
// FieldTypeText(FieldSchema("", type)).
std::string ColumnTypeText(const DataType& type);

// The type in DDL (ALTER TABLE ADD COLUMN): INT64, ARRAY<STRING>,
// STRUCT<`a` INT64, ...>.
std::string DdlType(const DataType& type);

}  // namespace ferry::plugins::bigquery
