// How Ferry types are stored in SQLite: declared column types and the text
// forms of timestamps, dates and UUIDs.
//
//   Ferry type                          declared type  stored as
//   int8..int64, uint8..uint32          INTEGER        integer
//   uint64                              INTEGER        integer; values above INT64_MAX as a
//                                                      BLOB of their decimal digits (INTEGER
//                                                      affinity would turn text into a lossy REAL)
//   float32, float64                    REAL           real; +-inf as real; NaN as the TEXT 'NaN'
//                                                      (SQLite turns a bound NaN into NULL)
//   bool                                BOOLEAN        integer 0 / 1
//   utf8                                TEXT           text
//   binary, fixed_size_binary, mac      BLOB           blob (raw bytes)
//   timestamp[us, UTC]                  TIMESTAMP      text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC,
//                                                      always six digits: sorts and compares
//                                                      as text, and datetime() reads it)
//   date32                              DATE           text 'YYYY-MM-DD'
//   uuid                                TEXT           text, canonical lowercase 8-4-4-4-12
//   json                                TEXT           the JSON text as received
//   inet                                TEXT           the CIDR text
//   list<...>, struct<...>              TEXT           JSON text (json_encoder.h)
//
// Years outside 0000..9999 are written with a sign or more digits ("-0001",
// "10000"); they round-trip but do not sort as text. TIMESTAMP, DATE and
// BOOLEAN have NUMERIC affinity, which leaves these texts alone.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry::plugins::sqlite {

// The declared column type ("INTEGER", "TIMESTAMP", ...).
const char* DeclaredType(const DataType& type);

// Longest text FormatTimestamp / FormatDate write, with room to spare.
inline constexpr size_t kMaxTimeText = 48;

// Writes microseconds since the epoch as 'YYYY-MM-DD HH:MM:SS.ffffff' into
// `out` (at least kMaxTimeText bytes); returns the length.
size_t FormatTimestamp(int64_t micros, char* out);
// Writes days since the epoch as 'YYYY-MM-DD'; returns the length.
size_t FormatDate(int64_t days, char* out);
std::string TimestampText(int64_t micros);
std::string DateText(int64_t days);

// Inverses. Also accept 'T' for the space, 1 to 9 fraction digits
// (truncated to microseconds), no fraction, and a trailing 'Z'.
Result<int64_t> ParseTimestamp(std::string_view text);
Result<int64_t> ParseDate(std::string_view text);

// 16 raw bytes -> 36 lowercase characters written to `out`.
void FormatUuid(std::string_view bytes16, char* out);


}  // namespace ferry::plugins::sqlite
