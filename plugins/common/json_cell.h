// JSON text of list and struct cells (and of any cell inside them), for
// destinations that store nested values as one JSON document (SQLite TEXT,
// PostgreSQL jsonb), and its inverse. One encoding, a few switches where
// the storage differs.
//
// Lists become arrays, structs objects (fields in declaration order), nulls
// null. Elements:
//   integers          numbers (uint64 exactly, never through double)
//   floats            shortest round-trip numbers (float32 as float32);
//                     NaN, Infinity, -Infinity as those strings; -0 as -0.0
//                     or, with negative_zero_as_string, the string "-0"
//   bool              true / false
//   utf8, inet        strings; U+0000 as the style says
//   binary, fixed_size_binary, mac   base64 strings (standard alphabet, padded);
//                     mac as text with mac_as_text
//   timestamp         TimestampText in the style's form; date 'YYYY-MM-DD'
//   uuid              canonical lowercase text
//   json              the document itself when it is valid JSON, else a string
//   time32/64, duration, intervals, decimal128   strings of their
//                     AppendArrowScalarText form ("03:04:05.123", "12s",
//                     "1 month 2 days 3ns", "-12.3400000000")
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "ferry/text_codec.h"
#include "ferry/value.h"

namespace ferry::plugins {

struct JsonCellStyle {
  TimestampStyle timestamp = TimestampStyle::kSql;
  // kDrop for stores that refuse U+0000 (jsonb): removed from strings and
  // from embedded JSON documents.
  JsonNul nul = JsonNul::kEscape;
  // For stores whose JSON numbers lose the sign of zero (jsonb).
  bool negative_zero_as_string = false;
  // CloudQuery's JSON and CSV files (arrow-go through Go maps): MAC
  // addresses as "00:94:fd:c2:fa:2f" rather than base64, and struct fields
  // in name order rather than declaration order.
  bool mac_as_text = false;
  bool sort_struct_fields = false;
  // Times, durations, intervals and decimals as arrow-go's JSON values
  // (text_codec.h AppendArrowGoText): interval objects, 'g' decimals.
  bool arrow_go_values = false;
};

// The style of CloudQuery's JSON files (filetypes): RFC3339Nano timestamps,
// MAC text, sorted struct fields, arrow-go's times, durations, intervals and decimals.
inline JsonCellStyle CloudQueryFileStyle() {
  JsonCellStyle s;
  s.timestamp = TimestampStyle::kRfc3339Nano;
  s.mac_as_text = true;
  s.sort_struct_fields = true;
  s.arrow_go_values = true;
  return s;
}

// Appends the JSON of cell `row` of `array` (any type) to `out`.
void AppendJsonCell(const ArrayData& array, int64_t row, const JsonCellStyle& style, std::string* out);

// Parses JSON written by AppendJsonCell (in any style) back into a Value of
// `type`; a JSON value that cannot hold `type` is Invalid, naming both.
Result<Value> ParseJsonCell(const DataType& type, std::string_view json);

// JSON text with every \u0000 escape inside strings removed; other text is
// returned unchanged. Not a validator.
std::string StripJsonNul(std::string_view json);

}  // namespace ferry::plugins
