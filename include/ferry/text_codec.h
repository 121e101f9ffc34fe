// Small encodings that several integrations share: calendar dates and their
// text, timestamps as text, UUID text, base64 and JSON string literals. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/status.h"

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

}  // namespace ferry
