#include "plugins/common/json_cell.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/uuid.h"

namespace ferry::plugins {

namespace {

using Json = nlohmann::ordered_json;   // keeps the document's key order

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  out->append(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

template <typename F>
void AppendFloat(F v, const JsonCellStyle& style, std::string* out) {
  if (std::isnan(v)) out->append("\"NaN\"");
  else if (std::isinf(v)) out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  else if (v == 0 && std::signbit(v)) out->append(style.negative_zero_as_string ? "\"-0\"" : "-0.0");
  else AppendNumber(v, out);  // shortest text that parses back to v ("-0" would parse as the integer 0)
}

void AppendString(std::string_view s, const JsonCellStyle& style, std::string* out) {
  AppendJsonString(s, out, style.nul);
}

// Text that needs no escape (digits, '-', ':', 'T', hex...): quoted as it is.
void AppendPlainString(std::string_view s, std::string* out) {
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

void AppendBase64String(std::string_view bytes, std::string* out) {
  out->push_back('"');
  AppendBase64(bytes, out);
  out->push_back('"');
}

// True only when `s` is certainly one JSON value that nlohmann::json::accept
// takes, checked without building anything: ASCII text, escapes other than
// \u, numbers without an exponent (one could overflow, which nlohmann
// refuses), nesting up to 64 deep. False means "ask nlohmann", which decides
// the rare rest (non-ASCII text, \u escapes, exponents, invalid documents).
bool SurelyAcceptedJson(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  char open[64];   // the containers around p: '{' or '['
  int depth = 0;
  auto ws = [&] {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  };
  auto digits = [&] {
    const char* from = p;
    while (p < end && *p >= '0' && *p <= '9') ++p;
    return p > from;
  };
  auto string = [&] {   // at '"'
    for (++p; p < end; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') {
        ++p;
        return true;
      }
      if (c == '\\') {
        if (++p == end) return false;
        const char e = *p;
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return false;
      } else if (c < 0x20 || c >= 0x7f) {
        return false;
      }
    }
    return false;
  };
  auto key = [&] {   // `"name" :` and the blanks after it
    if (p == end || *p != '"' || !string()) return false;
    ws();
    if (p == end || *p != ':') return false;
    ++p;
    ws();
    return true;
  };
  auto literal = [&](std::string_view word) {
    if (static_cast<size_t>(end - p) < word.size() || std::string_view(p, word.size()) != word) return false;
    p += word.size();
    return true;
  };
  ws();
  for (;;) {
    // A value at p.
    if (p == end) return false;
    const char c = *p;
    if (c == '{' || c == '[') {
      ++p;
      ws();
      if (p < end && *p == (c == '{' ? '}' : ']')) {
        ++p;
      } else {
        if (depth == static_cast<int>(sizeof open)) return false;
        open[depth++] = c;
        if (c == '{' && !key()) return false;
        continue;
      }
    } else if (c == '"') {
      if (!string()) return false;
    } else if (c == 't') {
      if (!literal("true")) return false;
    } else if (c == 'f') {
      if (!literal("false")) return false;
    } else if (c == 'n') {
      if (!literal("null")) return false;
    } else {
      const char* from = p;
      if (*p == '-') ++p;
      if (p < end && *p == '0') ++p;
      else if (p == end || *p < '1' || *p > '9' || !digits()) return false;
      if (p < end && *p == '.' && (++p, !digits())) return false;
      if (p < end && (*p == 'e' || *p == 'E')) return false;
      if (p - from > 300) return false;   // at most 1e300: finite as a double
    }
    // After a value: close containers, or a comma and the next value.
    for (;;) {
      ws();
      if (depth == 0) return p == end;
      if (p == end) return false;
      const char top = open[depth - 1];
      if (*p == (top == '{' ? '}' : ']')) {
        ++p;
        --depth;
        continue;
      }
      if (*p != ',') return false;
      ++p;
      ws();
      if (top == '{' && !key()) return false;
      break;
    }
  }
}

Result<Value> FromJson(const Json& j, const DataType& type) {
  if (j.is_null()) return Value::Null();
  auto bad = [&] {
    const std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    return Status::Invalid("JSON " + text.substr(0, 64) + " cannot hold " + type.ToString());
  };
  switch (type.id) {
    case TypeId::kBool:
      if (!j.is_boolean()) return bad();
      return Value::Bool(j.get<bool>());
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
      if (!j.is_number_integer()) return bad();
      if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return bad();
      return Value::Int(j.get<int64_t>());
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kUInt64:
      if (!j.is_number_unsigned()) return bad();
      return Value::UInt(j.get<uint64_t>());
    case TypeId::kFloat32: case TypeId::kFloat64: {
      if (j.is_number()) {
        if (type.id == TypeId::kFloat64) return Value::Double(j.get<double>());
        // float32 from its own text: through double it could round twice.
        const std::string text = j.dump();
        float f = 0;
        if (std::from_chars(text.data(), text.data() + text.size(), f).ec != std::errc()) return bad();
        return Value::Double(f);
      }
      if (j.is_string()) {
        const auto& s = j.get_ref<const Json::string_t&>();
        if (s == "NaN") return Value::Double(std::numeric_limits<double>::quiet_NaN());
        if (s == "Infinity") return Value::Double(std::numeric_limits<double>::infinity());
        if (s == "-Infinity") return Value::Double(-std::numeric_limits<double>::infinity());
        if (s == "-0") return Value::Double(-0.0);
      }
      return bad();
    }
    case TypeId::kUtf8: case TypeId::kInet:
      if (!j.is_string()) return bad();
      return Value::String(j.get<std::string>());
    case TypeId::kBinary: case TypeId::kMac: case TypeId::kFixedSizeBinary: {
      if (!j.is_string()) return bad();
      if (type.id == TypeId::kMac && j.get_ref<const Json::string_t&>().find(':') != std::string::npos) {
        FERRY_ASSIGN_OR_RETURN(std::string bytes, ParseMacText(j.get_ref<const Json::string_t&>()));
        return Value::String(std::move(bytes));
      }
      FERRY_ASSIGN_OR_RETURN(std::string bytes, DecodeBase64(j.get_ref<const Json::string_t&>()));
      return Value::String(std::move(bytes));
    }
    case TypeId::kTimestamp: {
      if (!j.is_string()) return bad();
      FERRY_ASSIGN_OR_RETURN(int64_t us, ParseTimestamp(j.get_ref<const Json::string_t&>()));
      return Value::Int(us);
    }
    case TypeId::kDate32: {
      if (!j.is_string()) return bad();
      FERRY_ASSIGN_OR_RETURN(int64_t days, ParseDate(j.get_ref<const Json::string_t&>()));
      return Value::Int(days);
    }
    case TypeId::kUuid: {
      if (!j.is_string()) return bad();
      FERRY_ASSIGN_OR_RETURN(std::string bytes, uuid::Parse(j.get_ref<const Json::string_t&>()));
      return Value::String(std::move(bytes));
    }
    case TypeId::kJson:
      return Value::String(j.dump());
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      // Canonical text, or arrow-go's (JSON objects for intervals).
      if (j.is_object()) return ParseArrowGoText(type, j.dump());
      if (!j.is_string()) return bad();
      return ParseArrowGoText(type, j.get_ref<const Json::string_t&>());
    case TypeId::kList: {
      if (!j.is_array()) return bad();
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) {
        FERRY_ASSIGN_OR_RETURN(Value v, FromJson(e, *type.children[0].type));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items));
    }
    case TypeId::kStruct: {
      if (!j.is_object()) return bad();
      std::vector<Value> fields;
      for (const auto& f : type.children) {
        auto it = j.find(f.name);
        if (it == j.end()) {
          fields.push_back(Value::Null());
          continue;
        }
        FERRY_ASSIGN_OR_RETURN(Value v, FromJson(*it, *f.type));
        fields.push_back(std::move(v));
      }
      return Value::List(std::move(fields));
    }
  }
  return bad();
}

}  // namespace

namespace {

// The cell types that need more than a few bytes of stack (nlohmann, a
// std::string, a vector): kept out of AppendJsonCell, whose frame every cell
// pays for.
[[gnu::noinline]] void AppendRareJsonCell(const ArrayData& a, int64_t i, const JsonCellStyle& style,
                                          std::string* out) {
  switch (a.type->id) {
    case TypeId::kMac:
      if (style.mac_as_text) AppendString(MacText(a.StringValue(i)), style, out);
      else AppendBase64String(a.StringValue(i), out);
      return;
    case TypeId::kJson: {
      const std::string_view text = a.StringValue(i);
      if (!text.empty() && (SurelyAcceptedJson(text) || nlohmann::json::accept(text))) {
        if (style.nul == JsonNul::kDrop) out->append(StripJsonNul(text));
        else out->append(text);
      } else {
        AppendString(text, style, out);
      }
      return;
    }
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128: {
      if (style.arrow_go_values) {
        AppendArrowGoText(*a.type, a.FixedValue(i), /*json=*/true, out);
        return;
      }
      std::string text;
      AppendArrowScalarText(*a.type, a.FixedValue(i), &text);
      AppendPlainString(text, out);
      return;
    }
    case TypeId::kStruct: {
      out->push_back('{');
      std::vector<size_t> order(a.children.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      if (style.sort_struct_fields)
        std::sort(order.begin(), order.end(),
                  [&](size_t x, size_t y) { return a.type->children[x].name < a.type->children[y].name; });
      for (size_t n = 0; n < order.size(); ++n) {
        const size_t k = order[n];
        if (n) out->push_back(',');
        AppendString(a.type->children[k].name, style, out);
        out->push_back(':');
        // Struct children are sliced with their parent (batch.cc): row i of
        // the struct is row i of each child.
        AppendJsonCell(*a.children[k], i, style, out);
      }
      out->push_back('}');
      return;
    }
    default:
      out->append("null");
  }
}

}  // namespace

void AppendJsonCell(const ArrayData& a, int64_t i, const JsonCellStyle& style, std::string* out) {
  if (a.IsNull(i)) {
    out->append("null");
    return;
  }
  switch (a.type->id) {
    case TypeId::kBool: out->append(a.BoolValue(i) ? "true" : "false"); return;
    case TypeId::kInt8: AppendNumber<int64_t>(a.Value<int8_t>(i), out); return;
    case TypeId::kInt16: AppendNumber<int64_t>(a.Value<int16_t>(i), out); return;
    case TypeId::kInt32: AppendNumber<int64_t>(a.Value<int32_t>(i), out); return;
    case TypeId::kInt64: AppendNumber<int64_t>(a.Value<int64_t>(i), out); return;
    case TypeId::kUInt8: AppendNumber<uint64_t>(a.Value<uint8_t>(i), out); return;
    case TypeId::kUInt16: AppendNumber<uint64_t>(a.Value<uint16_t>(i), out); return;
    case TypeId::kUInt32: AppendNumber<uint64_t>(a.Value<uint32_t>(i), out); return;
    case TypeId::kUInt64: AppendNumber<uint64_t>(a.Value<uint64_t>(i), out); return;
    case TypeId::kFloat32: AppendFloat(a.Value<float>(i), style, out); return;
    case TypeId::kFloat64: AppendFloat(a.Value<double>(i), style, out); return;
    case TypeId::kUtf8: case TypeId::kInet: AppendString(a.StringValue(i), style, out); return;
    case TypeId::kBinary: AppendBase64String(a.StringValue(i), out); return;
    case TypeId::kFixedSizeBinary: AppendBase64String(a.FixedValue(i), out); return;
    case TypeId::kTimestamp: {
      // Quoted in the buffer itself: one append.
      char buf[kMaxTimeText + 2];
      buf[0] = '"';
      const size_t n = FormatTimestamp(a.Value<int64_t>(i), buf + 1, style.timestamp);
      buf[n + 1] = '"';
      out->append(buf, n + 2);
      return;
    }
    case TypeId::kDate32: {
      char buf[kMaxTimeText + 2];
      buf[0] = '"';
      const size_t n = FormatDate(a.Value<int32_t>(i), buf + 1);
      buf[n + 1] = '"';
      out->append(buf, n + 2);
      return;
    }
    case TypeId::kUuid: {
      char buf[38];
      buf[0] = '"';
      FormatUuid(a.FixedValue(i), buf + 1);
      buf[37] = '"';
      out->append(buf, 38);
      return;
    }
    case TypeId::kList: {
      const auto [begin, end] = a.ListRange(i);
      out->push_back('[');
      for (int64_t k = begin; k < end; ++k) {
        if (k != begin) out->push_back(',');
        AppendJsonCell(*a.children[0], k, style, out);
      }
      out->push_back(']');
      return;
    }
    default:
      AppendRareJsonCell(a, i, style, out);
      return;
  }
}

Result<Value> ParseJsonCell(const DataType& type, std::string_view json) {
  Json j = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("not JSON: " + std::string(json.substr(0, 80)));
  try {
    return FromJson(j, type);
  } catch (const nlohmann::json::exception& e) {
    return Status::Invalid(std::string("unexpected JSON value: ") + e.what());
  }
}

std::string StripJsonNul(std::string_view s) {
  if (s.find("\\u0000") == std::string_view::npos) return std::string(s);
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!in_string) {
      in_string = c == '"';
      out.push_back(c);
      continue;
    }
    if (c == '"') in_string = false;
    if (c == '\\' && i + 1 < s.size()) {
      if (s.compare(i, 6, "\\u0000") == 0) {
        i += 5;
        continue;
      }
      out.push_back(c);
      out.push_back(s[++i]);  // the escaped character, never a string end
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace ferry::plugins
