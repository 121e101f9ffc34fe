// Small encodings that several integrations share: calendar dates, base64
// and JSON string literals. Pure functions, thread-safe.
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
