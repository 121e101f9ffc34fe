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
//   date32                              TEXT           text 'YYYY-MM-DD' (DATE in older tables)
//   uuid                                TEXT           text, canonical lowercase 8-4-4-4-12
//   json                                TEXT           the JSON text as received
//   inet                                TEXT           the CIDR text
//   list<...>, struct<...>              TEXT           JSON text (plugins/common/json_cell.h)
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
#include "ferry/text_codec.h"
#include "ferry/types.h"

namespace ferry::plugins::sqlite {

// The declared column type ("INTEGER", "TIMESTAMP", ...).
const char* DeclaredType(const DataType& type);

// Time and UUID text (ferry/text_codec.h): TIMESTAMP columns hold
// 'YYYY-MM-DD HH:MM:SS.ffffff', DATE columns 'YYYY-MM-DD'.
using ::ferry::DateText;
using ::ferry::FormatDate;
using ::ferry::FormatTimestamp;
using ::ferry::FormatUuid;
using ::ferry::kMaxTimeText;
using ::ferry::ParseDate;
using ::ferry::ParseTimestamp;
using ::ferry::TimestampText;


}  // namespace ferry::plugins::sqlite
