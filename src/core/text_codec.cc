#include "ferry/text_codec.h"

#include <cstdint>
#include <cstring>

namespace ferry {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;

char* Put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// Year with at least four digits, '-' for years before 0000.
char* PutYear(char* p, int64_t y) {
  if (y >= 0 && y <= 9999) {
    int v = static_cast<int>(y);
    p = Put2(p, v / 100);
    return Put2(p, v % 100);
  }
  uint64_t u = y < 0 ? 0 - static_cast<uint64_t>(y) : static_cast<uint64_t>(y);
  if (y < 0) *p++ = '-';
  char digits[24];
  int n = 0;
  while (u > 0 || n < 4) {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  }
  while (n > 0) *p++ = digits[--n];
  return p;
}

char* PutDate(char* p, int64_t days) {
  const CivilDate c = CivilFromDays(days);
  p = PutYear(p, c.year);
  *p++ = '-';
  p = Put2(p, c.month);
  *p++ = '-';
  return Put2(p, c.day);
}

// Reads exactly `n` digits at `s[*pos]`.
bool Digits(std::string_view s, size_t* pos, size_t n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// 'YYYY-MM-DD' (year as PutYear writes it) at the start of `s`.
bool ParseDatePart(std::string_view s, size_t* pos, int64_t* days) {
  bool neg = *pos < s.size() && s[*pos] == '-';
  if (neg) ++*pos;
  size_t start = *pos;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') ++*pos;
  size_t ylen = *pos - start;
  if (ylen < 4 || ylen > 12) return false;
  int64_t year = 0;
  for (size_t i = start; i < *pos; ++i) year = year * 10 + (s[i] - '0');
  if (neg) year = -year;
  int64_t month, day;
  if (!Expect(s, pos, '-') || !Digits(s, pos, 2, &month) || !Expect(s, pos, '-') || !Digits(s, pos, 2, &day))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  *days = DaysFromCivil(year, static_cast<int>(month), static_cast<int>(day));
  const CivilDate back = CivilFromDays(*days);
  return back.year == year && back.month == month && back.day == day;  // rejects 2023-02-30
}

Status BadText(const char* what, std::string_view text) {
  return Status::Invalid(std::string("not a ") + what + ": \"" + std::string(text.substr(0, 64)) + "\"");
}

}  // namespace

// The day count starts at 0000-03-01 so that the leap day is the last day of
// a year; a 400-year era has 146097 days.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                        // [0, 399]
  const int64_t doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;  // [0, 365]
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
  CivilDate c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

void AppendBase64(std::string_view in, std::string* out) {
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out->push_back(kB64[v >> 18]);
    out->push_back(kB64[(v >> 12) & 63]);
    out->push_back(kB64[(v >> 6) & 63]);
    out->push_back(kB64[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest == 0) return;
  const uint32_t v = (b[i] << 16) | (rest == 2 ? b[i + 1] << 8 : 0);
  out->push_back(kB64[v >> 18]);
  out->push_back(kB64[(v >> 12) & 63]);
  out->push_back(rest == 2 ? kB64[(v >> 6) & 63] : '=');
  out->push_back('=');
}

Result<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return Status::Invalid("base64 text length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = B64Index(c)) < 0) {
        return Status::Invalid("invalid base64 text");
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

namespace {

// Bytes a JSON string cannot hold as they are: controls, '"' and '\\'.
constexpr bool NeedsJsonEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Whether any of the 8 bytes of `v` needs an escape (exact: the borrows of
// the subtractions start only at a byte that matches).
inline bool AnyNeedsJsonEscape(uint64_t v) {
  constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
  const uint64_t quote = v ^ (k01 * '"'), backslash = v ^ (k01 * '\\');
  return (((v - k01 * 0x20) & ~v) | ((quote - k01) & ~quote) | ((backslash - k01) & ~backslash)) & k80;
}

void AppendJsonEscape(unsigned char c, std::string* out, JsonNul nul) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out->append("\\\""); break;
    case '\\': out->append("\\\\"); break;
    case '\n': out->append("\\n"); break;
    case '\r': out->append("\\r"); break;
    case '\t': out->append("\\t"); break;
    case '\b': out->append("\\b"); break;
    case '\f': out->append("\\f"); break;
    default:
      if (c == 0 && nul == JsonNul::kDrop) break;
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out, JsonNul nul) {
  out->push_back('"');
  // Runs of characters that need no escape are appended whole; eight bytes
  // at a time are checked while there is no escape among them.
  const char* d = s.data();
  const size_t n = s.size();
  size_t run = 0, i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t v;
      std::memcpy(&v, d + i, 8);
      if (!AnyNeedsJsonEscape(v)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(d[i]);
    if (NeedsJsonEscape(c)) {
      out->append(d + run, i - run);
      run = i + 1;
      AppendJsonEscape(c, out, nul);
    }
    ++i;
  }
  out->append(d + run, n - run);
  out->push_back('"');
}

size_t FormatTimestamp(int64_t micros, char* out, TimestampStyle style) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  char* p = PutDate(out, days);
  const int64_t secs = rem / 1000000;
  int frac = static_cast<int>(rem % 1000000);
  *p++ = style == TimestampStyle::kSql ? ' ' : 'T';
  p = Put2(p, static_cast<int>(secs / 3600));
  *p++ = ':';
  p = Put2(p, static_cast<int>(secs / 60 % 60));
  *p++ = ':';
  p = Put2(p, static_cast<int>(secs % 60));
  *p++ = '.';
  for (int i = 5; i >= 0; --i) {
    p[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  p += 6;
  if (style == TimestampStyle::kRfc3339Nano) {
    while (p[-1] == '0') --p;
    if (p[-1] == '.') --p;
  }
  if (style != TimestampStyle::kSql) *p++ = 'Z';
  return static_cast<size_t>(p - out);
}

size_t FormatDate(int64_t days, char* out) { return static_cast<size_t>(PutDate(out, days) - out); }

std::string TimestampText(int64_t micros, TimestampStyle style) {
  char buf[kMaxTimeText];
  return std::string(buf, FormatTimestamp(micros, buf, style));
}

std::string DateText(int64_t days) {
  char buf[kMaxTimeText];
  return std::string(buf, FormatDate(days, buf));
}

Result<int64_t> ParseTimestamp(std::string_view s) {
  size_t pos = 0;
  int64_t days, h, m, sec;
  if (!ParseDatePart(s, &pos, &days)) return BadText("timestamp", s);
  if (pos >= s.size() || (s[pos] != ' ' && s[pos] != 'T')) return BadText("timestamp", s);
  ++pos;
  if (!Digits(s, &pos, 2, &h) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &m) || !Expect(s, &pos, ':') ||
      !Digits(s, &pos, 2, &sec) || h > 23 || m > 59 || sec > 59)
    return BadText("timestamp", s);
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) frac = frac * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return BadText("timestamp", s);
    for (size_t i = n; i < 6; ++i) frac *= 10;
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size()) return BadText("timestamp", s);
  int64_t micros;
  int64_t in_day = ((h * 60 + m) * 60 + sec) * 1000000 + frac;
  // For days < 0 count from the end of the day, so that the product stays in
  // range for the earliest representable timestamps.
  if (days < 0) {
    ++days;
    in_day -= kMicrosPerDay;
  }
  if (__builtin_mul_overflow(days, kMicrosPerDay, &micros) || __builtin_add_overflow(micros, in_day, &micros))
    return Status::Invalid("timestamp out of range: \"" + std::string(s) + "\"");
  return micros;
}

Result<int64_t> ParseDate(std::string_view s) {
  size_t pos = 0;
  int64_t days;
  if (!ParseDatePart(s, &pos, &days) || pos != s.size()) return BadText("date", s);
  return days;
}

void FormatUuid(std::string_view b, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    const auto c = static_cast<unsigned char>(b[i]);
    *p++ = kHex[c >> 4];
    *p++ = kHex[c & 15];
  }
}

std::string MacText(std::string_view b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 3);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i) out.push_back(':');
    const auto c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> ParseMacText(std::string_view t) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  // Groups of two hex digits separated by one ':' or '-'.
  if (t.empty() || (t.size() + 1) % 3 != 0) return BadText("MAC address", t);
  for (size_t i = 0; i < t.size(); i += 3) {
    const int hi = nibble(t[i]), lo = nibble(t[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < t.size() && t[i + 2] != ':' && t[i + 2] != '-')) return BadText("MAC address", t);
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace ferry
