// Small encodings that several integrations share: calendar dates and their
// text, timestamps as text, UUID text, base64 and JSON string literals. Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "ferry/types.h"
#include "ferry/value.h"

namespace ferry {

// Floor division (rounds toward negative infinity); b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
// a - FloorDiv(a, b) * b for b > 0, in [0, b), without the multiplication
// (which overflows for a near INT64_MIN).
inline int64_t FloorMod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return r < 0 ? r + b : r;
}

// A proleptic Gregorian date; month 1..12, day 1..31.
struct CivilDate {
  int64_t year;
  int month;
  int day;
  bool operator==(const CivilDate&) const = default;
};

// Days since 1970-01-01 of a valid civil date, and back (exact for every
// int64 day count that fits a year in int64; counted in 400-year eras).
int64_t DaysFromCivil(int64_t year, int month, int day);
CivilDate CivilFromDays(int64_t days);

// Longest text FormatTimestamp / FormatDate write, with room to spare.
inline constexpr size_t kMaxTimeText = 48;

enum class TimestampStyle {
  kSql,     // 'YYYY-MM-DD HH:MM:SS.ffffff' (SQL databases' text form)
  kIsoUtc,  // 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (RFC 3339)
  // RFC 3339 as Go's time.RFC3339Nano prints it (CloudQuery's JSON and CSV
  // files): the fraction without trailing zeros, none when it is zero.
  kRfc3339Nano,  // 'YYYY-MM-DDTHH:MM:SS[.f...]Z'
};
// Microseconds since the epoch (UTC) as text, written to `out` (at least
// kMaxTimeText bytes); returns the length. Years outside 0000-9999 get more
// digits, and a '-' before 0000.
size_t FormatTimestamp(int64_t micros, char* out, TimestampStyle style = TimestampStyle::kSql);
std::string TimestampText(int64_t micros, TimestampStyle style = TimestampStyle::kSql);
// Days since the epoch as 'YYYY-MM-DD'.
size_t FormatDate(int64_t days, char* out);
std::string DateText(int64_t days);
// Inverses. Accept ' ' or 'T' between date and time, no fraction or 1 to 9
// fraction digits (truncated to microseconds), and a trailing 'Z'; reject
// impossible dates (2023-02-30) and out-of-range values.
Result<int64_t> ParseTimestamp(std::string_view text);
Result<int64_t> ParseDate(std::string_view text);

// 16 raw bytes -> 36 lowercase characters (8-4-4-4-12) written to `out`.
void FormatUuid(std::string_view bytes16, char* out);

// A MAC address's raw bytes as Go's net.HardwareAddr prints them
// ("00:94:fd:c2:fa:2f", lowercase), and back (either case; '-' also accepted).
std::string MacText(std::string_view bytes);
Result<std::string> ParseMacText(std::string_view text);

// Base64, standard alphabet with padding (RFC 4648 section 4).
void AppendBase64(std::string_view bytes, std::string* out);
// Strict: padded, standard alphabet only; anything else is Invalid.
Result<std::string> DecodeBase64(std::string_view text);

// What a JSON string literal does with U+0000.
enum class JsonNul {
  kEscape,  // "\u0000", as JSON allows
  kDrop,    // removed (PostgreSQL's jsonb cannot hold it)
};
// Appends `utf8` as a JSON string literal: quotes, '"' and '\' escaped,
// control characters as \n, \t, ... or \u00XX. Bytes >= 0x80 pass as they are.
void AppendJsonString(std::string_view utf8, std::string* out, JsonNul nul = JsonNul::kEscape);

// ---- Text of the Arrow types Ferry carries as they are ----
//
// One canonical text per value of time32, time64, duration, the three
// intervals and decimal128 (FamilyOf(id) != kNone), for destinations that
// store them as text (SQLite) and for the JSON of nested cells:
//   time32/time64    "HH:MM:SS" plus '.' and the unit's digits (none for s, 3
//                    for ms, 6 for us, 9 for ns): "03:04:05.123456789"; a
//                    value outside one day keeps counting hours ("25:00:00")
//                    and a negative one starts with '-'
//   duration         the count of its unit and the unit: "12s", "-1500ms",
//                    "7us", "9ns"
//   month_interval   "1 month", "14 months", "-2 months" ("month" for +-1)
//   day_time_interval        "2 days 300ms" (every part, zeros too: "0 days 0ms")
//   month_day_nano_interval  "1 month 2 days 3ns"
//   decimal128(p, s) the exact value with s fraction digits: "-12.3400000000"
//                    for s = 10; s = 0: "-12"; s < 0: the digits followed by
//                    -s zeros
// Parsing takes exactly that text back (time and decimal also accept fewer
// fraction digits) and rejects what does not fit the type.

// The raw little-endian bytes of one value (FixedWidthOf(type) bytes, as
// ArrayData::FixedValue gives them) as text; `type` must be of a family
// above.
void AppendArrowScalarText(const DataType& type, std::string_view raw, std::string* out);
// The same for a Value (kInt for time, duration and month interval; the raw
// bytes as kString for day_time, month_day_nano and decimal128).
std::string ArrowScalarText(const DataType& type, const Value& v);
// The inverse: the Value those types take.
Result<Value> ParseArrowScalarText(const DataType& type, std::string_view text);

// ---- arrow-go's text of the same types (what CloudQuery's destinations write) ----
//
// arrow-go's ValueStr, which CloudQuery's Kafka CSV, Neo4j and PostgreSQL
// text columns hold, and its JSON values (GetOneForMarshal) for Kafka JSON:
//   time32/time64    as above within one day (Go formats the time of day);
//                    outside a day as above too (Go would wrap around)
//   duration         as above: "12s"
//   month_interval   ValueStr the count alone, "14"; JSON {"months":14}
//   day_time         {"days":2,"milliseconds":300}
//   month_day_nano   {"months":1,"days":2,"nanoseconds":3}
//   decimal128(p,s)  Go's big.Float Text('g', p) of the exact value: "12.34",
//                    "-0.5", "1e-10", "9.9e+04" (trailing zeros dropped; an
//                    exponent when it is below -4 or at least p)
// `json` picks the JSON value (strings quoted, objects as they are) over ValueStr.
void AppendArrowGoText(const DataType& type, std::string_view raw, bool json, std::string* out);
// Reads ValueStr or JSON text of those (and the canonical text above) back.
Result<Value> ParseArrowGoText(const DataType& type, std::string_view text);

// Raw bytes of the multi-part values (what their Values hold).
std::string IntervalDayTimeBytes(int32_t days, int32_t millis);
// The parts of an interval's raw bytes, in order: month_interval {months},
// day_time {days, milliseconds}, month_day_nano {months, days, nanoseconds};
// the unused ones 0.
std::array<int64_t, 3> IntervalParts(TypeId id, std::string_view raw);

// A time of day (time32/time64 count of `unit`) in microseconds, finer
// units truncated toward zero; and back.
inline int64_t TimeOfDayMicros(int64_t count, TimeUnit unit) {
  const int64_t per_second = TimeUnitsPerSecond(unit);
  return per_second >= 1000000 ? count / (per_second / 1000000) : count * (1000000 / per_second);
}
inline int64_t TimeOfDayFromMicros(int64_t micros, TimeUnit unit) {
  const int64_t per_second = TimeUnitsPerSecond(unit);
  return per_second >= 1000000 ? micros * (per_second / 1000000) : micros / (1000000 / per_second);
}
std::string IntervalMonthDayNanoBytes(int32_t months, int32_t days, int64_t nanos);
std::string Decimal128Bytes(__int128 unscaled);

}  // namespace ferry
