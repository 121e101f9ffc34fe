#include "config/time_expr.h"

#include <cctype>
#include <cstdint>
#include <map>
#include <sstream>
#include <vector>

#include "ferry/options.h"
#include "ferry/text_codec.h"

namespace ferry::config {
namespace {

// An instant with the UTC offset it is shown in.
struct Instant {
  int64_t sec = 0;     // Unix seconds
  int32_t nsec = 0;    // [0, 1e9)
  int32_t offset = 0;  // seconds east of UTC
};

using Civil = CivilDate;

// Days since 1970-01-01 of a date whose month and day may overflow; the
// result is normalised the way Go's time.Date does it.
int64_t NormalizedDays(int64_t y, int64_t m, int64_t d) {
  y += FloorDiv(m - 1, 12);
  m = m - 1 - FloorDiv(m - 1, 12) * 12 + 1;
  return ::ferry::DaysFromCivil(y, static_cast<int>(m), 1) + (d - 1);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

Instant AddDate(Instant t, int64_t years, int64_t months, int64_t days) {
  int64_t local = t.sec + t.offset;
  int64_t day = FloorDiv(local, 86400);
  int64_t sod = local - day * 86400;
  Civil c = CivilFromDays(day);
  int64_t nd = NormalizedDays(c.year + years, c.month + months, 1) + (c.day - 1) + days;
  t.sec = nd * 86400 + sod - t.offset;
  return t;
}

// Reads exactly `n` digits at s[*i].
bool Digits(const std::string& s, size_t* i, size_t n, int64_t* out) {
  if (*i + n > s.size()) return false;
  int64_t v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[*i + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

bool Expect(const std::string& s, size_t* i, char c) {
  if (*i >= s.size() || s[*i] != c) return false;
  ++*i;
  return true;
}

// "YYYY-MM-DD" and optionally "THH:MM:SS[.frac](Z|±HH:MM)".
bool ParseAbsolute(const std::string& s, Instant* out) {
  size_t i = 0;
  int64_t y, mo, d, h = 0, mi = 0, se = 0, ns = 0, offset = 0;
  if (!Digits(s, &i, 4, &y) || !Expect(s, &i, '-') || !Digits(s, &i, 2, &mo) || !Expect(s, &i, '-') ||
      !Digits(s, &i, 2, &d))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > DaysIn(y, static_cast<int>(mo))) return false;
  if (i < s.size()) {
    if (!Expect(s, &i, 'T') || !Digits(s, &i, 2, &h) || !Expect(s, &i, ':') || !Digits(s, &i, 2, &mi) ||
        !Expect(s, &i, ':') || !Digits(s, &i, 2, &se))
      return false;
    if (h > 23 || mi > 59 || se > 59) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int digits = 0;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && digits < 9) {
        ns = ns * 10 + (s[i++] - '0');
        ++digits;
      }
      if (digits == 0) return false;
      for (int k = digits; k < 9; ++k) ns *= 10;
    }
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i++] == '-' ? -1 : 1;
      int64_t oh, om;
      if (!Digits(s, &i, 2, &oh) || !Expect(s, &i, ':') || !Digits(s, &i, 2, &om) || oh > 23 || om > 59)
        return false;
      offset = sign * (oh * 3600 + om * 60);
    } else {
      return false;
    }
    if (i != s.size()) return false;
  }
  out->sec = NormalizedDays(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
  out->nsec = static_cast<int32_t>(ns);
  out->offset = static_cast<int32_t>(offset);
  return true;
}

// Relative: segments and an optional trailing "ago" / "from now".
Result<Instant> ParseRelative(const std::string& expr, Instant now) {
  static const std::map<std::string, int64_t> kClockUnits = {
      {"ns", 1}, {"nanosecond", 1}, {"nanoseconds", 1},
      {"us", 1000}, {"\xC2\xB5s", 1000}, {"\xCE\xBCs", 1000}, {"microsecond", 1000}, {"microseconds", 1000},
      {"ms", 1000000}, {"millisecond", 1000000}, {"milliseconds", 1000000},
      {"s", 1000000000}, {"second", 1000000000}, {"seconds", 1000000000},
      {"m", 60000000000}, {"minute", 60000000000}, {"minutes", 60000000000},
      {"h", 3600000000000}, {"hour", 3600000000000}, {"hours", 3600000000000}};
  std::istringstream in(expr);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  auto bad = [&](const std::string& why) { return Status::Invalid("invalid time \"" + expr + "\": " + why); };
  if (words.empty()) return bad("empty");
  int sign = 1;
  if (words.back() == "ago") {
    sign = -1;
    words.pop_back();
  } else if (words.size() >= 2 && words[words.size() - 2] == "from" && words.back() == "now") {
    words.resize(words.size() - 2);
  }
  if (words.empty()) return bad("missing a duration before the direction");
  __int128 ns = 0;
  int64_t days = 0, months = 0, years = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    bool all_digits = !w.empty() && w.find_first_not_of("0123456789") == std::string::npos;
    if (all_digits) {
      if (w.size() > 12) return bad("number too large");
      if (i + 1 == words.size()) return bad("missing a unit after " + w);
      int64_t n = std::stoll(w);
      const std::string& unit = words[++i];
      if (auto it = kClockUnits.find(unit); it != kClockUnits.end()) {
        ns += static_cast<__int128>(n) * it->second;
      } else if (unit == "d" || unit == "day" || unit == "days") {
        days += n;
      } else if (unit == "M" || unit == "month" || unit == "months") {
        months += n;
      } else if (unit == "Y" || unit == "year" || unit == "years") {
        years += n;
      } else {
        return bad("unknown unit \"" + unit + "\"");
      }
      continue;
    }
    if (w == "ago" || w == "from" || w == "now") return bad("\"" + w + "\" must come last");
    auto ms = ParseDurationMs(w);
    if (!ms.ok()) return bad("cannot read \"" + w + "\"; use now, a date, RFC 3339, or e.g. \"3 days ago\"");
    ns += static_cast<__int128>(*ms) * 1000000;
  }
  __int128 total = static_cast<__int128>(now.sec) * 1000000000 + now.nsec + sign * ns;
  Instant t;
  t.sec = static_cast<int64_t>(total >= 0 ? total / 1000000000 : -((-total + 999999999) / 1000000000));
  t.nsec = static_cast<int32_t>(total - static_cast<__int128>(t.sec) * 1000000000);
  return AddDate(t, sign * years, sign * months, sign * days);
}

std::string Pad(int64_t v, int width, char fill = '0') {
  std::string s = std::to_string(v < 0 ? -v : v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), fill);
  return v < 0 ? "-" + s : s;
}

std::string Zone(int32_t offset, bool z_for_utc, bool colon, bool with_minutes, bool with_seconds) {
  if (z_for_utc && offset == 0) return "Z";
  std::string out = offset < 0 ? "-" : "+";
  int32_t a = offset < 0 ? -offset : offset;
  out += Pad(a / 3600, 2);
  if (with_minutes) out += (colon ? ":" : "") + Pad(a / 60 % 60, 2);
  if (with_seconds) out += (colon ? ":" : "") + Pad(a % 60, 2);
  return out;
}

// Formats with a Go reference-time layout (Mon Jan 2 15:04:05 MST 2006).
std::string Format(const Instant& t, const std::string& layout) {
  static const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                  "July",    "August",   "September", "October", "November", "December"};
  static const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  int64_t local = t.sec + t.offset;
  int64_t day = FloorDiv(local, 86400);
  int64_t sod = local - day * 86400;
  Civil c = CivilFromDays(day);
  int64_t hour = sod / 3600, minute = sod / 60 % 60, second = sod % 60;
  int weekday = static_cast<int>(((day + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  int64_t yday = day - NormalizedDays(c.year, 1, 1) + 1;
  auto starts = [&](size_t i, const char* tok) { return layout.compare(i, std::char_traits<char>::length(tok), tok) == 0; };
  auto lower_next = [&](size_t i) { return i < layout.size() && std::islower(static_cast<unsigned char>(layout[i])); };
  std::string out;
  for (size_t i = 0; i < layout.size();) {
    auto emit = [&](const std::string& s, size_t len) { out += s; i += len; };
    if (starts(i, "January")) emit(kMonths[c.month - 1], 7);
    else if (starts(i, "Jan") && !lower_next(i + 3)) emit(std::string(kMonths[c.month - 1]).substr(0, 3), 3);
    else if (starts(i, "Monday")) emit(kDays[weekday], 6);
    else if (starts(i, "Mon") && !lower_next(i + 3)) emit(std::string(kDays[weekday]).substr(0, 3), 3);
    else if (starts(i, "MST")) emit(t.offset == 0 ? "UTC" : Zone(t.offset, false, false, true, false), 3);
    else if (starts(i, "2006")) emit(Pad(c.year, 4), 4);
    else if (starts(i, "002")) emit(Pad(yday, 3), 3);
    else if (starts(i, "01")) emit(Pad(c.month, 2), 2);
    else if (starts(i, "02")) emit(Pad(c.day, 2), 2);
    else if (starts(i, "03")) emit(Pad(hour % 12 == 0 ? 12 : hour % 12, 2), 2);
    else if (starts(i, "04")) emit(Pad(minute, 2), 2);
    else if (starts(i, "05")) emit(Pad(second, 2), 2);
    else if (starts(i, "06")) emit(Pad(c.year % 100, 2), 2);
    else if (starts(i, "15")) emit(Pad(hour, 2), 2);
    else if (starts(i, "_2") && !starts(i + 1, "2006")) emit(Pad(c.day, 2, ' '), 2);
    else if (starts(i, "Z07:00:00")) emit(Zone(t.offset, true, true, true, true), 9);
    else if (starts(i, "-07:00:00")) emit(Zone(t.offset, false, true, true, true), 9);
    else if (starts(i, "Z070000")) emit(Zone(t.offset, true, false, true, true), 7);
    else if (starts(i, "-070000")) emit(Zone(t.offset, false, false, true, true), 7);
    else if (starts(i, "Z07:00")) emit(Zone(t.offset, true, true, true, false), 6);
    else if (starts(i, "-07:00")) emit(Zone(t.offset, false, true, true, false), 6);
    else if (starts(i, "Z0700")) emit(Zone(t.offset, true, false, true, false), 5);
    else if (starts(i, "-0700")) emit(Zone(t.offset, false, false, true, false), 5);
    else if (starts(i, "Z07")) emit(Zone(t.offset, true, false, false, false), 3);
    else if (starts(i, "-07")) emit(Zone(t.offset, false, false, false, false), 3);
    else if (starts(i, "PM")) emit(hour >= 12 ? "PM" : "AM", 2);
    else if (starts(i, "pm")) emit(hour >= 12 ? "pm" : "am", 2);
    else if ((layout[i] == '.' || layout[i] == ',') && i + 1 < layout.size() &&
             (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      char d = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == d) ++j;
      if (j < layout.size() && std::isdigit(static_cast<unsigned char>(layout[j]))) {
        out += layout[i++];  // not a fraction: e.g. ".01" followed by digits
        continue;
      }
      std::string frac = Pad(t.nsec, 9).substr(0, j - i - 1);
      if (d == '9') {
        while (!frac.empty() && frac.back() == '0') frac.pop_back();
        if (!frac.empty()) out += layout[i] + frac;
      } else {
        out += layout[i] + frac;
      }
      i = j;
    } else if (layout[i] == '1') emit(std::to_string(c.month), 1);
    else if (layout[i] == '2') emit(std::to_string(c.day), 1);
    else if (layout[i] == '3') emit(std::to_string(hour % 12 == 0 ? 12 : hour % 12), 1);
    else if (layout[i] == '4') emit(std::to_string(minute), 1);
    else if (layout[i] == '5') emit(std::to_string(second), 1);
    else out += layout[i++];
  }
  return out;
}

}  // namespace

Result<std::string> EvaluateTimeExpression(const std::string& text, std::chrono::system_clock::time_point now) {
  std::string expr = text, layout = "2006-01-02T15:04:05Z07:00";
  if (auto bar = text.find('|'); bar != std::string::npos) {
    expr = text.substr(0, bar);
    layout = text.substr(bar + 1);
    if (layout.empty()) return Status::Invalid("invalid time \"" + text + "\": empty layout after \"|\"");
  }
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  expr = trim(expr);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  Instant base;
  base.sec = FloorDiv(ns, 1000000000);
  base.nsec = static_cast<int32_t>(ns - base.sec * 1000000000);
  Instant t;
  if (expr == "now") {
    t = base;
  } else if (!expr.empty() && std::isdigit(static_cast<unsigned char>(expr[0])) && expr.size() >= 10 &&
             expr[4] == '-' && expr.find(' ') == std::string::npos) {
    if (!ParseAbsolute(expr, &t)) {
      return Status::Invalid("invalid time \"" + expr + "\": expected a date (2006-01-02) or RFC 3339 (2006-01-02T15:04:05Z)");
    }
  } else {
    FERRY_ASSIGN_OR_RETURN(t, ParseRelative(expr, base));
  }
  return Format(t, layout);
}

}  // namespace ferry::config
