#include "ferry/text_codec.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

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
  // Rows of a batch mostly share their day (a sync time, creation times of
  // one period): the last day's text is kept per thread.
  thread_local int64_t cached_days = std::numeric_limits<int64_t>::min();
  thread_local char cached[32];
  thread_local size_t cached_len = 0;
  if (days == cached_days) {
    std::memcpy(p, cached, cached_len);
    return p + cached_len;
  }
  const CivilDate c = CivilFromDays(days);
  char* const start = p;
  p = PutYear(p, c.year);
  *p++ = '-';
  p = Put2(p, c.month);
  *p++ = '-';
  p = Put2(p, c.day);
  cached_len = static_cast<size_t>(p - start);
  std::memcpy(cached, start, cached_len);
  cached_days = days;
  return p;
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

namespace {
// The two hex digits of every byte value.
constexpr auto kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int v = 0; v < 256; ++v) {
    t[2 * v] = kHex[v >> 4];
    t[2 * v + 1] = kHex[v & 15];
  }
  return t;
}();
}  // namespace

void FormatUuid(std::string_view b, char* out) {
  const auto* u = reinterpret_cast<const unsigned char*>(b.data());
  char* p = out;
  auto put = [&](int from, int to) {
    for (int i = from; i < to; ++i, p += 2) std::memcpy(p, &kHexPairs[2 * u[i]], 2);
  };
  put(0, 4);
  *p++ = '-';
  put(4, 6);
  *p++ = '-';
  put(6, 8);
  *p++ = '-';
  put(8, 10);
  *p++ = '-';
  put(10, 16);
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

// ---- Text of time, duration, interval and decimal128 values ----

namespace {

int FractionDigits(TimeUnit u) {
  switch (u) {
    case TimeUnit::kSecond: return 0;
    case TimeUnit::kMilli: return 3;
    case TimeUnit::kMicro: return 6;
    case TimeUnit::kNano: return 9;
  }
  return 0;
}

template <typename T>
T Load(std::string_view raw, size_t at) {
  T v;
  std::memcpy(&v, raw.data() + at, sizeof(T));
  return v;
}

void AppendUnsigned128(unsigned __int128 u, std::string* out) {
  char digits[48];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  } while (u != 0);
  while (n > 0) out->push_back(digits[--n]);
}

void AppendInt64(int64_t v, std::string* out) {
  const uint64_t m = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (v < 0) out->push_back('-');
  AppendUnsigned128(m, out);
}

void AppendTimeOfDay(int64_t count, TimeUnit unit, std::string* out) {
  // Magnitude in unsigned arithmetic: INT64_MIN has none in int64.
  uint64_t m = count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  if (count < 0) out->push_back('-');
  const uint64_t per_second = static_cast<uint64_t>(TimeUnitsPerSecond(unit));
  const uint64_t frac = m % per_second, secs = m / per_second;
  const uint64_t hours = secs / 3600;
  char buf[8];
  if (hours < 10) out->push_back('0');
  AppendUnsigned128(hours, out);
  out->push_back(':');
  Put2(buf, static_cast<int>(secs / 60 % 60));
  out->append(buf, 2);
  out->push_back(':');
  Put2(buf, static_cast<int>(secs % 60));
  out->append(buf, 2);
  const int digits = FractionDigits(unit);
  if (digits > 0) {
    out->push_back('.');
    std::string f;
    AppendUnsigned128(frac, &f);
    out->append(static_cast<size_t>(digits) - f.size(), '0');
    out->append(f);
  }
}

void AppendCount(int64_t v, const char* one, const char* many, std::string* out) {
  AppendInt64(v, out);
  out->push_back(' ');
  out->append(v == 1 || v == -1 ? one : many);
}

void AppendDecimal(__int128 v, int32_t scale, std::string* out) {
  unsigned __int128 m = v < 0 ? 0 - static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  if (v < 0) out->push_back('-');
  std::string d;
  AppendUnsigned128(m, &d);
  if (scale <= 0) {
    out->append(d);
    if (m != 0) out->append(static_cast<size_t>(-static_cast<int64_t>(scale)), '0');
    return;
  }
  const size_t sc = static_cast<size_t>(scale);
  if (d.size() <= sc) d.insert(0, sc + 1 - d.size(), '0');
  out->append(d, 0, d.size() - sc);
  out->push_back('.');
  out->append(d, d.size() - sc, sc);
}

// ---- parsing helpers ----

// An optionally signed decimal integer at s[*pos] into *out (|value| <= limit).
bool SignedDigits(std::string_view s, size_t* pos, unsigned __int128 limit, bool* neg, unsigned __int128* out) {
  *neg = *pos < s.size() && s[*pos] == '-';
  if (*neg) ++*pos;
  const size_t start = *pos;
  unsigned __int128 v = 0;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
    v = v * 10 + static_cast<unsigned>(s[*pos] - '0');
    if (v > limit) return false;
    ++*pos;
  }
  *out = v;
  return *pos > start;
}

bool Int64At(std::string_view s, size_t* pos, int64_t* out) {
  bool neg;
  unsigned __int128 m;
  if (!SignedDigits(s, pos, static_cast<unsigned __int128>(INT64_MAX) + 1, &neg, &m)) return false;
  if (!neg && m > static_cast<unsigned __int128>(INT64_MAX)) return false;
  *out = neg ? static_cast<int64_t>(0 - static_cast<uint64_t>(m)) : static_cast<int64_t>(m);
  return true;
}

bool Int32At(std::string_view s, size_t* pos, int32_t* out) {
  int64_t v;
  if (!Int64At(s, pos, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int32_t>(v);
  return true;
}

bool Word(std::string_view s, size_t* pos, std::string_view w) {
  if (s.substr(*pos, w.size()) != w) return false;
  *pos += w.size();
  return true;
}

// "<n> month" / "<n> months" (either accepted), and the same for days.
bool CountAt(std::string_view s, size_t* pos, const char* one, const char* many, int32_t* out) {
  if (!Int32At(s, pos, out) || !Expect(s, pos, ' ')) return false;
  return Word(s, pos, many) || Word(s, pos, one);
}

bool ParseTimeOfDay(std::string_view s, TimeUnit unit, int64_t* out) {
  size_t pos = 0;
  const bool neg = Word(s, &pos, "-");
  const size_t start = pos;
  uint64_t hours = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    hours = hours * 10 + static_cast<uint64_t>(s[pos] - '0');
    if (hours > (1ULL << 40)) return false;
    ++pos;
  }
  if (pos - start < 2) return false;
  int64_t mm, ss;
  if (!Expect(s, &pos, ':') || !Digits(s, &pos, 2, &mm) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &ss) ||
      mm > 59 || ss > 59)
    return false;
  const int digits = FractionDigits(unit);
  int64_t frac = 0;
  if (pos < s.size()) {
    if (digits == 0 || !Expect(s, &pos, '.')) return false;
    const size_t fstart = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - fstart < static_cast<size_t>(digits))
      frac = frac * 10 + (s[pos++] - '0');
    const size_t n = pos - fstart;
    if (n == 0 || pos != s.size()) return false;
    for (size_t k = n; k < static_cast<size_t>(digits); ++k) frac *= 10;
  }
  const __int128 v = (static_cast<__int128>(hours) * 3600 + mm * 60 + ss) * TimeUnitsPerSecond(unit) + frac;
  const __int128 r = neg ? -v : v;
  if (r < INT64_MIN || r > INT64_MAX) return false;
  *out = static_cast<int64_t>(r);
  return true;
}

// The decimal digits of an unscaled value (leading zeros allowed) as an
// int128, when its significant digits fit `precision` (at most 38).
bool UnscaledFromDigits(const std::string& digits, int32_t precision, bool neg, __int128* out) {
  const size_t first = digits.find_first_not_of('0');
  const std::string_view sig = first == std::string::npos ? std::string_view() : std::string_view(digits).substr(first);
  if (sig.size() > static_cast<size_t>(precision) || sig.size() > 38) return false;
  __int128 v = 0;
  for (char c : sig) v = v * 10 + (c - '0');
  *out = neg ? -v : v;
  return true;
}

bool ParseDecimal(std::string_view s, int32_t precision, int32_t scale, __int128* out) {
  size_t pos = 0;
  const bool neg = Word(s, &pos, "-");
  std::string digits;
  size_t int_digits = 0, frac_digits = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    digits.push_back(s[pos++]);
    ++int_digits;
  }
  if (int_digits == 0) return false;
  if (pos < s.size()) {
    if (scale <= 0 || !Expect(s, &pos, '.')) return false;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      digits.push_back(s[pos++]);
      ++frac_digits;
    }
    if (frac_digits == 0 || frac_digits > static_cast<size_t>(scale) || pos != s.size()) return false;
  }
  if (scale > 0) {
    digits.append(static_cast<size_t>(scale) - frac_digits, '0');
  } else if (scale < 0) {
    // The text is the value; the unscaled integer drops -scale zeros.
    const size_t z = static_cast<size_t>(-static_cast<int64_t>(scale));
    const bool zero = digits.find_first_not_of('0') == std::string::npos;
    if (!zero) {
      if (digits.size() <= z || digits.find_first_not_of('0', digits.size() - z) != std::string::npos) return false;
      digits.resize(digits.size() - z);
    }
  }
  return UnscaledFromDigits(digits, precision, neg, out);
}

}  // namespace

std::string IntervalDayTimeBytes(int32_t days, int32_t millis) {
  std::string b(8, '\0');
  std::memcpy(b.data(), &days, 4);
  std::memcpy(b.data() + 4, &millis, 4);
  return b;
}

std::string IntervalMonthDayNanoBytes(int32_t months, int32_t days, int64_t nanos) {
  std::string b(16, '\0');
  std::memcpy(b.data(), &months, 4);
  std::memcpy(b.data() + 4, &days, 4);
  std::memcpy(b.data() + 8, &nanos, 8);
  return b;
}

std::array<int64_t, 3> IntervalParts(TypeId id, std::string_view raw) {
  switch (id) {
    case TypeId::kIntervalMonth: return {Load<int32_t>(raw, 0), 0, 0};
    case TypeId::kIntervalDayTime: return {Load<int32_t>(raw, 0), Load<int32_t>(raw, 4), 0};
    case TypeId::kIntervalMonthDayNano: return {Load<int32_t>(raw, 0), Load<int32_t>(raw, 4), Load<int64_t>(raw, 8)};
    default: return {0, 0, 0};
  }
}

std::string Decimal128Bytes(__int128 unscaled) {
  std::string b(16, '\0');
  std::memcpy(b.data(), &unscaled, 16);  // little-endian host (Ferry reads little-endian streams only)
  return b;
}

void AppendArrowScalarText(const DataType& type, std::string_view raw, std::string* out) {
  switch (type.id) {
    case TypeId::kTime32: AppendTimeOfDay(Load<int32_t>(raw, 0), type.unit, out); return;
    case TypeId::kTime64: AppendTimeOfDay(Load<int64_t>(raw, 0), type.unit, out); return;
    case TypeId::kDuration:
      AppendInt64(Load<int64_t>(raw, 0), out);
      out->append(TimeUnitName(type.unit));
      return;
    case TypeId::kIntervalMonth: AppendCount(Load<int32_t>(raw, 0), "month", "months", out); return;
    case TypeId::kIntervalDayTime:
      AppendCount(Load<int32_t>(raw, 0), "day", "days", out);
      out->push_back(' ');
      AppendInt64(Load<int32_t>(raw, 4), out);
      out->append("ms");
      return;
    case TypeId::kIntervalMonthDayNano:
      AppendCount(Load<int32_t>(raw, 0), "month", "months", out);
      out->push_back(' ');
      AppendCount(Load<int32_t>(raw, 4), "day", "days", out);
      out->push_back(' ');
      AppendInt64(Load<int64_t>(raw, 8), out);
      out->append("ns");
      return;
    case TypeId::kDecimal128: AppendDecimal(Load<__int128>(raw, 0), type.scale, out); return;
    default: out->append("<no text form for " + type.ToString() + ">"); return;
  }
}

std::string ArrowScalarText(const DataType& type, const Value& v) {
  std::string out;
  switch (type.id) {
    case TypeId::kTime32: case TypeId::kIntervalMonth: {
      const int32_t x = static_cast<int32_t>(v.as_int());
      AppendArrowScalarText(type, std::string_view(reinterpret_cast<const char*>(&x), 4), &out);
      break;
    }
    case TypeId::kTime64: case TypeId::kDuration: {
      const int64_t x = v.as_int();
      AppendArrowScalarText(type, std::string_view(reinterpret_cast<const char*>(&x), 8), &out);
      break;
    }
    default:
      if (static_cast<int32_t>(v.as_string().size()) != FixedWidthOf(type)) return "<bad " + type.ToString() + " value>";
      AppendArrowScalarText(type, v.as_string(), &out);
  }
  return out;
}

namespace {

// Go's big.Float Text('g', precision) of unscaled x 10^-scale. arrow-go
// divides in 128-bit binary floating point first; rounded to at most 38
// digits that gives the exact decimal value, which is what is written here.
void AppendGoDecimal(__int128 v, int32_t precision, int32_t scale, std::string* out) {
  if (v == 0) {
    out->push_back('0');
    return;
  }
  unsigned __int128 m = v < 0 ? 0 - static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  if (v < 0) out->push_back('-');
  std::string d;
  AppendUnsigned128(m, &d);
  const int exp = static_cast<int>(d.size()) - scale;  // value = 0.d x 10^exp
  while (d.size() > 1 && d.back() == '0') d.pop_back();
  const int n = static_cast<int>(d.size());
  int prec = precision, eprec = precision;
  if (eprec > n && n >= exp) eprec = n;
  const int e = exp - 1;
  if (e < -4 || e >= eprec) {  // %e
    if (prec > n) prec = n;
    out->push_back(d[0]);
    if (prec - 1 > 0) {
      out->push_back('.');
      for (int i = 1; i < prec; ++i) out->push_back(i < n ? d[static_cast<size_t>(i)] : '0');
    }
    out->push_back('e');
    out->push_back(e < 0 ? '-' : '+');
    const int x = e < 0 ? -e : e;
    if (x < 10) out->push_back('0');
    out->append(std::to_string(x));
    return;
  }
  if (prec > exp) prec = n;  // %f
  const int frac = std::max(prec - exp, 0);
  if (exp > 0) {
    for (int i = 0; i < exp; ++i) out->push_back(i < n ? d[static_cast<size_t>(i)] : '0');
  } else {
    out->push_back('0');
  }
  if (frac > 0) {
    out->push_back('.');
    for (int i = 0; i < frac; ++i) {
      const int j = exp + i;
      out->push_back(j >= 0 && j < n ? d[static_cast<size_t>(j)] : '0');
    }
  }
}

// [-]digits[.digits][e[+-]digits] as unscaled x 10^-scale, within precision.
bool ParseGoDecimal(std::string_view s, int32_t precision, int32_t scale, __int128* out) {
  size_t pos = 0;
  const bool neg = Word(s, &pos, "-");
  std::string digits;
  int64_t exp10 = 0;  // value = digits x 10^exp10
  bool any = false;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') digits.push_back(s[pos++]), any = true;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') digits.push_back(s[pos++]), --exp10, any = true;
  }
  if (!any) return false;
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    if (pos < s.size() && s[pos] == '+') ++pos;
    int64_t x;
    if (!Int64At(s, &pos, &x) || x < -1000 || x > 1000) return false;
    exp10 += x;
  }
  if (pos != s.size()) return false;
  exp10 += scale;  // unscaled = digits x 10^exp10
  if (exp10 < 0) {
    const size_t cut = static_cast<size_t>(-exp10);
    if (digits.size() < cut) digits.insert(0, cut - digits.size(), '0');
    if (digits.find_first_not_of('0', digits.size() - cut) != std::string::npos) return false;
    digits.resize(digits.size() - cut);
  } else {
    digits.append(static_cast<size_t>(exp10), '0');
  }
  return UnscaledFromDigits(digits, precision, neg, out);
}

// {"k1":N,"k2":N}: a Go struct of integers as encoding/json writes it.
void AppendGoObject(std::initializer_list<std::pair<const char*, int64_t>> fields, std::string* out) {
  char sep = '{';
  for (const auto& [key, value] : fields) {
    out->push_back(sep);
    sep = ',';
    out->push_back('"');
    out->append(key);
    out->append("\":");
    AppendInt64(value, out);
  }
  out->push_back('}');
}

// A JSON object of integers with exactly `keys` (in any order, each once),
// compact as Go writes it: {"k1":N,"k2":N}.
bool ParseGoObject(std::string_view s, const std::vector<std::string_view>& keys, std::vector<int64_t>* vals) {
  size_t pos = 0;
  vals->assign(keys.size(), 0);
  std::vector<bool> seen(keys.size(), false);
  if (!Expect(s, &pos, '{')) return false;
  for (size_t n = 0; n < keys.size(); ++n) {
    if (n && !Expect(s, &pos, ',')) return false;
    if (!Expect(s, &pos, '"')) return false;
    const size_t end = s.find('"', pos);
    if (end == std::string_view::npos) return false;
    const std::string_view key = s.substr(pos, end - pos);
    pos = end + 1;
    size_t k = 0;
    while (k < keys.size() && keys[k] != key) ++k;
    if (k == keys.size() || seen[k] || !Expect(s, &pos, ':')) return false;
    seen[k] = true;
    if (!Int64At(s, &pos, &(*vals)[k])) return false;
  }
  return Expect(s, &pos, '}') && pos == s.size();
}

}  // namespace

void AppendArrowGoText(const DataType& type, std::string_view raw, bool json, std::string* out) {
  const bool quoted = json && (type.id == TypeId::kTime32 || type.id == TypeId::kTime64 ||
                               type.id == TypeId::kDuration || type.id == TypeId::kDecimal128);
  if (quoted) out->push_back('"');
  switch (type.id) {
    case TypeId::kIntervalMonth:
      if (json) AppendGoObject({{"months", Load<int32_t>(raw, 0)}}, out);
      else AppendInt64(Load<int32_t>(raw, 0), out);
      break;
    case TypeId::kIntervalDayTime:
      AppendGoObject({{"days", Load<int32_t>(raw, 0)}, {"milliseconds", Load<int32_t>(raw, 4)}}, out);
      break;
    case TypeId::kIntervalMonthDayNano:
      AppendGoObject({{"months", Load<int32_t>(raw, 0)}, {"days", Load<int32_t>(raw, 4)},
                      {"nanoseconds", Load<int64_t>(raw, 8)}}, out);
      break;
    case TypeId::kDecimal128: AppendGoDecimal(Load<__int128>(raw, 0), type.precision, type.scale, out); break;
    default: AppendArrowScalarText(type, raw, out); break;  // time, duration: the same text
  }
  if (quoted) out->push_back('"');
}

Result<Value> ParseArrowGoText(const DataType& type, std::string_view s) {
  auto bad = [&]() {
    return Status::Invalid("not a " + type.ToString() + " value: \"" + std::string(s.substr(0, 64)) + "\"");
  };
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  std::vector<int64_t> v;
  switch (type.id) {
    case TypeId::kIntervalMonth: {
      size_t pos = 0;
      int32_t m;
      if (Int32At(s, &pos, &m) && pos == s.size()) return Value::Int(m);
      if (ParseGoObject(s, {"months"}, &v) && v[0] >= INT32_MIN && v[0] <= INT32_MAX) return Value::Int(v[0]);
      break;
    }
    case TypeId::kIntervalDayTime:
      if (ParseGoObject(s, {"days", "milliseconds"}, &v) && v[0] >= INT32_MIN && v[0] <= INT32_MAX &&
          v[1] >= INT32_MIN && v[1] <= INT32_MAX)
        return Value::String(IntervalDayTimeBytes(static_cast<int32_t>(v[0]), static_cast<int32_t>(v[1])));
      break;
    case TypeId::kIntervalMonthDayNano:
      if (ParseGoObject(s, {"months", "days", "nanoseconds"}, &v) && v[0] >= INT32_MIN && v[0] <= INT32_MAX &&
          v[1] >= INT32_MIN && v[1] <= INT32_MAX)
        return Value::String(IntervalMonthDayNanoBytes(static_cast<int32_t>(v[0]), static_cast<int32_t>(v[1]), v[2]));
      break;
    case TypeId::kDecimal128: {
      __int128 d;
      if (ParseGoDecimal(s, type.precision, type.scale, &d)) return Value::String(Decimal128Bytes(d));
      break;
    }
    default: break;
  }
  auto canonical = ParseArrowScalarText(type, s);
  if (canonical.ok()) return canonical;
  return bad();
}

Result<Value> ParseArrowScalarText(const DataType& type, std::string_view s) {
  auto bad = [&]() {
    return Status::Invalid("not a " + type.ToString() + " value: \"" + std::string(s.substr(0, 64)) + "\"");
  };
  size_t pos = 0;
  switch (type.id) {
    case TypeId::kTime32: case TypeId::kTime64: {
      int64_t v;
      if (!ParseTimeOfDay(s, type.unit, &v)) return bad();
      if (type.id == TypeId::kTime32 && (v < INT32_MIN || v > INT32_MAX)) return bad();
      return Value::Int(v);
    }
    case TypeId::kDuration: {
      int64_t v;
      if (!Int64At(s, &pos, &v) || s.substr(pos) != TimeUnitName(type.unit)) return bad();
      return Value::Int(v);
    }
    case TypeId::kIntervalMonth: {
      int32_t m;
      if (!CountAt(s, &pos, "month", "months", &m) || pos != s.size()) return bad();
      return Value::Int(m);
    }
    case TypeId::kIntervalDayTime: {
      int32_t d, ms;
      if (!CountAt(s, &pos, "day", "days", &d) || !Expect(s, &pos, ' ') || !Int32At(s, &pos, &ms) ||
          s.substr(pos) != "ms")
        return bad();
      return Value::String(IntervalDayTimeBytes(d, ms));
    }
    case TypeId::kIntervalMonthDayNano: {
      int32_t m, d;
      int64_t ns;
      if (!CountAt(s, &pos, "month", "months", &m) || !Expect(s, &pos, ' ') ||
          !CountAt(s, &pos, "day", "days", &d) || !Expect(s, &pos, ' ') || !Int64At(s, &pos, &ns) ||
          s.substr(pos) != "ns")
        return bad();
      return Value::String(IntervalMonthDayNanoBytes(m, d, ns));
    }
    case TypeId::kDecimal128: {
      __int128 v;
      if (!ParseDecimal(s, type.precision, type.scale, &v)) return bad();
      return Value::String(Decimal128Bytes(v));
    }
    default:
      return Status::Invalid("type " + type.ToString() + " has no Arrow scalar text form");
  }
}

}  // namespace ferry
