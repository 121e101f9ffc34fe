// JSON text of list and struct cells, which SQLite stores in TEXT columns.
//
// Lists become JSON arrays and structs JSON objects (fields in declaration
// order); null cells and elements become null. Element encodings:
//   integers        JSON numbers (uint64 exactly, never via double)
//   floats          shortest round-trip numbers; NaN, Infinity and -Infinity
//                   as the strings "NaN", "Infinity", "-Infinity"
//   bool            true / false
//   utf8, inet      JSON strings (control characters, '"' and '\' escaped)
//   binary, fixed_size_binary, mac
//                   base64 strings (standard alphabet, padded)
//   timestamp, date the text forms of type_map.h
//   uuid            canonical lowercase text
//   json            the JSON text embedded as is when it is valid JSON,
//                   otherwise as a JSON string
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "ferry/text_codec.h"

namespace ferry::plugins::sqlite {

// Appends the JSON of cell `row` of `array` (any type) to `out`.
void AppendJson(const ArrayData& array, int64_t row, std::string* out);

using ::ferry::AppendBase64;
using ::ferry::DecodeBase64;

}  // namespace ferry::plugins::sqlite
