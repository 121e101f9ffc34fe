// JSON text of cells stored in jsonb columns (structs, lists of lists or of
// structs; type_map.h), and its inverse.
//
// Lists become arrays, structs objects (field names as keys); nulls null.
// Elements:
//   integers          numbers (uint64 exactly, never through double)
//   floats            shortest round-trip numbers (float32 widened to double);
//                     NaN, Infinity, -Infinity and -0 as the strings "NaN",
//                     "Infinity", "-Infinity", "-0" (jsonb numbers cannot hold them)
//   bool              true / false
//   utf8, inet        strings, U+0000 removed (jsonb rejects it)
//   binary, fixed_size_binary, mac   base64 strings (standard alphabet, padded)
//   timestamp         "YYYY-MM-DDTHH:MM:SS.ffffffZ"; date "YYYY-MM-DD"
//   uuid              canonical lowercase text
//   json              the document itself when it is valid JSON, else a string
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry::plugins::postgresql {

// Appends the JSON of cell `row` of `array` to `out` (null cell: "null").
void AppendJsonCell(const ArrayData& array, int64_t row, std::string* out);

// Parses JSON written by AppendJsonCell back into a Value of `type`.
Result<Value> ParseJsonCell(const DataType& type, std::string_view json);

// JSON text with every \u0000 escape inside strings removed (jsonb refuses
// them); other text is returned unchanged. Not a validator.
std::string StripJsonNul(std::string_view json);

// Text forms used inside JSON; also used by tests.
std::string TimestampText(int64_t micros);    // 2024-01-02T03:04:05.678901Z
std::string DateText(int64_t days);           // 2024-01-02
std::string UuidText(std::string_view bytes16);

}  // namespace ferry::plugins::postgresql
