#include "plugins/common/catalog_value.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "ferry/text_codec.h"

namespace ferry::plugins {
namespace {

using json = nlohmann::json;

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

bool ParseUInt(const std::string& s, uint64_t* out) {
  if (s.empty() || s[0] == '-') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

// RFC 3339 with 'Z' or a numeric offset ("2024-01-02T03:04:05.123-08:00").
}  // namespace

Result<int64_t> ParseRfc3339(const std::string& text) {
  if (text.size() > 6) {
    const char sign = text[text.size() - 6];
    if ((sign == '+' || sign == '-') && text[text.size() - 3] == ':' && text.find('T') != std::string::npos) {
      int64_t hh = 0, mm = 0;
      if (ParseInt(text.substr(text.size() - 5, 2), &hh) && ParseInt(text.substr(text.size() - 2, 2), &mm)) {
        FERRY_ASSIGN_OR_RETURN(int64_t local, ParseTimestamp(text.substr(0, text.size() - 6)));
        const int64_t offset_us = (hh * 3600 + mm * 60) * 1000000;
        return sign == '+' ? local - offset_us : local + offset_us;
      }
    }
  }
  return ParseTimestamp(text);
}

Result<Value> ConvertJson(ValueKind kind, const json& v) {
  if (v.is_null()) return Value::Null();
  switch (kind) {
    case ValueKind::kUtf8:
      return Value::String(v.is_string() ? v.get<std::string>() : v.dump());
    case ValueKind::kJson:
      return Value::String(v.dump());
    case ValueKind::kInt64: {
      if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) break;
        return Value::Int(v.get<int64_t>());
      }
      int64_t x;
      if (v.is_string() && ParseInt(v.get<std::string>(), &x)) return Value::Int(x);
      // "1700000000.123": epoch seconds with a fraction (SQS attributes from
      // some servers) are truncated to the integer part.
      if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        const size_t dot = s.find('.');
        if (dot != std::string::npos && dot > 0 && s.find_first_not_of("0123456789", dot + 1) == std::string::npos &&
            ParseInt(s.substr(0, dot), &x))
          return Value::Int(x);
      }
      uint64_t u;  // a uint64 above 2^63: wrapped, as CloudQuery's cast
      if (v.is_number_unsigned()) return Value::Int(static_cast<int64_t>(v.get<uint64_t>()));
      if (v.is_string() && ParseUInt(v.get<std::string>(), &u)) return Value::Int(static_cast<int64_t>(u));
      break;
    }
    case ValueKind::kDurationNs: {  // proto3 JSON Duration: "-12.000000345s"
      if (!v.is_string()) break;
      std::string s = v.get<std::string>();
      if (s.size() < 2 || s.back() != 's') break;
      s.pop_back();
      const bool neg = !s.empty() && s[0] == '-';
      if (neg) s = s.substr(1);
      const size_t dot = s.find('.');
      int64_t secs = 0, nanos = 0;
      if (!ParseInt(s.substr(0, dot), &secs)) break;
      if (dot != std::string::npos) {
        std::string frac = s.substr(dot + 1);
        if (frac.empty() || frac.size() > 9) break;
        frac.append(9 - frac.size(), '0');
        if (!ParseInt(frac, &nanos)) break;
      }
      if (secs > INT64_MAX / 1000000000 - 1) break;
      const int64_t ns = secs * 1000000000 + nanos;
      return Value::Int(neg ? -ns : ns);
    }
    case ValueKind::kBinary: {
      if (!v.is_string()) break;
      std::string text = v.get<std::string>();
      for (char& c : text) {  // Google also sends the URL-safe alphabet
        if (c == '-') c = '+';
        if (c == '_') c = '/';
      }
      while (text.size() % 4 != 0) text.push_back('=');
      auto bytes = DecodeBase64(text);
      if (bytes.ok()) return Value::String(*std::move(bytes));
      break;
    }
    case ValueKind::kUInt64: {
      if (v.is_number_unsigned()) return Value::UInt(v.get<uint64_t>());
      uint64_t x;
      if (v.is_string() && ParseUInt(v.get<std::string>(), &x)) return Value::UInt(x);
      break;
    }
    case ValueKind::kFloat64: {
      if (v.is_number()) return Value::Double(v.get<double>());
      if (v.is_string()) {  // proto3 JSON: "NaN", "Infinity", "-Infinity", or a number as text
        const std::string s = v.get<std::string>();
        if (s == "NaN") return Value::Double(std::nan(""));
        if (s == "Infinity") return Value::Double(HUGE_VAL);
        if (s == "-Infinity") return Value::Double(-HUGE_VAL);
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == '\0') return Value::Double(d);
      }
      break;
    }
    case ValueKind::kBool:
      if (v.is_boolean()) return Value::Bool(v.get<bool>());
      // 0 / 1 (AWS's GetAccountSummary flags).
      if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) return Value::Bool(v.get<int64_t>() == 1);
      if (v.is_string() && (v == "true" || v == "false")) return Value::Bool(v == "true");
      break;
    case ValueKind::kUtf8List: {
      if (!v.is_array()) break;
      std::vector<Value> items;
      items.reserve(v.size());
      for (const auto& e : v) items.push_back(e.is_null() ? Value::Null() : Value::String(e.is_string() ? e.get<std::string>() : e.dump()));
      return Value::List(std::move(items));
    }
    case ValueKind::kInt64List: {
      if (!v.is_array()) break;
      std::vector<Value> items;
      for (const auto& e : v) {
        FERRY_ASSIGN_OR_RETURN(Value x, ConvertJson(ValueKind::kInt64, e));
        items.push_back(std::move(x));
      }
      return Value::List(std::move(items));
    }
    case ValueKind::kTimestamp: {
      if (!v.is_string()) break;
      auto t = ParseRfc3339(v.get<std::string>());
      if (t.ok()) return Value::Int(*t);
      break;
    }
  }
  return Status::Invalid("value " + v.dump().substr(0, 100) + " does not fit the column's type");
}


Result<ValueKind> KindOf(const std::string& type, const std::string& where) {
  static const std::pair<const char*, ValueKind> kKinds[] = {
      {"utf8", ValueKind::kUtf8},       {"int64", ValueKind::kInt64},
      {"uint64", ValueKind::kUInt64},   {"float64", ValueKind::kFloat64},
      {"bool", ValueKind::kBool},       {"json", ValueKind::kJson},
      {"list<utf8>", ValueKind::kUtf8List}, {"list<int64>", ValueKind::kInt64List},
      {"timestamp", ValueKind::kTimestamp}, {"duration_ns", ValueKind::kDurationNs},
      {"binary", ValueKind::kBinary}};
  for (const auto& [name, kind] : kKinds)
    if (type == name) return kind;
  return Status::Invalid(where + ": unknown type \"" + type + "\"");
}

DataTypePtr TypeOf(ValueKind kind) {
  switch (kind) {
    case ValueKind::kUtf8: return types::Utf8();
    case ValueKind::kInt64: return types::Int64();
    case ValueKind::kUInt64: return types::UInt64();
    case ValueKind::kFloat64: return types::Float64();
    case ValueKind::kBool: return types::Bool();
    case ValueKind::kJson: return types::Json();
    case ValueKind::kUtf8List: return types::List(types::Utf8());
    case ValueKind::kInt64List: return types::List(types::Int64());
    case ValueKind::kTimestamp: return types::Timestamp();
    case ValueKind::kDurationNs: return types::Int64();
    case ValueKind::kBinary: return types::Binary();
  }
  return types::Utf8();
}

Result<std::string> CatalogString(const json& j, const char* key, const std::string& where, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return Status::Invalid(where + ": no \"" + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return Status::Invalid(where + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

const json* JsonAt(const json& doc, const std::vector<std::string>& path) {
  const json* cur = &doc;
  for (const auto& step : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(step);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::vector<std::string> SplitDots(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.emplace_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace ferry::plugins
