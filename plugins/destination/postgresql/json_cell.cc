#include "plugins/destination/postgresql/json_cell.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "ferry/text_codec.h"

namespace ferry::plugins::postgresql {

namespace {

constexpr int64_t kMicrosPerDay = 86400000000LL;

void AppendString(std::string_view s, std::string* out) { AppendJsonString(s, out, JsonNul::kDrop); }

// A base64 JSON string.
void AppendBase64String(std::string_view bytes, std::string* out) {
  out->push_back('"');
  AppendBase64(bytes, out);
  out->push_back('"');
}

void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) out->append("\"NaN\"");
  else if (std::isinf(v)) out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  else if (v == 0 && std::signbit(v)) out->append("\"-0\"");
  else {
    char buf[32];
    out->append(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
  }
}

template <typename T>
void AppendInt(T v, std::string* out) {
  char buf[24];
  out->append(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

Result<Value> FromJson(const DataType& type, const nlohmann::json& j);

Result<double> JsonDouble(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return HUGE_VAL;
    if (s == "-Infinity") return -HUGE_VAL;
    if (s == "-0") return -0.0;
  }
  return Status::Invalid("not a float in jsonb: " + j.dump());
}

Result<int64_t> ParseTimestampText(std::string_view s) {
  int y, mo, d, h, mi, sec, us;
  if (std::sscanf(std::string(s).c_str(), "%d-%d-%dT%d:%d:%d.%6dZ", &y, &mo, &d, &h, &mi, &sec, &us) != 7)
    return Status::Invalid("not a timestamp in jsonb: " + std::string(s));
  return DaysFromCivil(y, mo, d) * kMicrosPerDay + ((h * 60LL + mi) * 60 + sec) * 1000000 + us;
}

Result<Value> FromJson(const DataType& type, const nlohmann::json& j) {
  if (j.is_null()) return Value::Null();
  switch (type.id) {
    case TypeId::kBool: return Value::Bool(j.get<bool>());
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
      return Value::Int(j.get<int64_t>());
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kUInt64:
      return Value::UInt(j.get<uint64_t>());
    case TypeId::kFloat32: case TypeId::kFloat64: {
      FERRY_ASSIGN_OR_RETURN(double v, JsonDouble(j));
      return Value::Double(type.id == TypeId::kFloat32 ? static_cast<double>(static_cast<float>(v)) : v);
    }
    case TypeId::kUtf8: case TypeId::kInet: return Value::String(j.get<std::string>());
    case TypeId::kJson: return Value::String(j.is_string() ? j.get<std::string>() : j.dump());
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: case TypeId::kMac: {
      FERRY_ASSIGN_OR_RETURN(std::string bytes, DecodeBase64(j.get<std::string>()));
      return Value::String(std::move(bytes));
    }
    case TypeId::kTimestamp: {
      FERRY_ASSIGN_OR_RETURN(int64_t us, ParseTimestampText(j.get<std::string>()));
      return Value::Int(us);
    }
    case TypeId::kDate32: {
      int y, m, d;
      if (std::sscanf(j.get<std::string>().c_str(), "%d-%d-%d", &y, &m, &d) != 3)
        return Status::Invalid("not a date in jsonb: " + j.dump());
      return Value::Int(DaysFromCivil(y, m, d));
    }
    case TypeId::kUuid: {
      std::string hex, out;
      for (char c : j.get<std::string>())
        if (c != '-') hex += c;
      if (hex.size() != 32) return Status::Invalid("not a uuid in jsonb: " + j.dump());
      for (size_t i = 0; i < 32; i += 2) {
        unsigned byte = 0;
        auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16);
        if (ec != std::errc() || p != hex.data() + i + 2) return Status::Invalid("not a uuid in jsonb: " + j.dump());
        out.push_back(static_cast<char>(byte));
      }
      return Value::String(std::move(out));
    }
    case TypeId::kList: {
      if (!j.is_array()) return Status::Invalid("not an array in jsonb: " + j.dump());
      std::vector<Value> items;
      for (const auto& e : j) {
        FERRY_ASSIGN_OR_RETURN(Value v, FromJson(*type.children[0].type, e));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items));
    }
    case TypeId::kStruct: {
      if (!j.is_object()) return Status::Invalid("not an object in jsonb: " + j.dump());
      std::vector<Value> fields;
      for (const auto& f : type.children) {
        auto it = j.find(f.name);
        if (it == j.end()) {
          fields.push_back(Value::Null());
          continue;
        }
        FERRY_ASSIGN_OR_RETURN(Value v, FromJson(*f.type, *it));
        fields.push_back(std::move(v));
      }
      return Value::List(std::move(fields));
    }
  }
  return Status::Internal("unhandled type in jsonb decoding");
}

}  // namespace

std::string TimestampText(int64_t micros) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  const int64_t rem = FloorMod(micros, kMicrosPerDay);
  const CivilDate c = CivilFromDays(days);
  const int64_t secs = rem / 1000000;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(c.year),
                c.month, c.day,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(rem % 1000000));
  return buf;
}

std::string DateText(int64_t days) {
  const CivilDate c = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month, c.day);
  return buf;
}

std::string UuidText(std::string_view b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[static_cast<unsigned char>(b[i]) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(b[i]) & 15]);
  }
  return out;
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

void AppendJsonCell(const ArrayData& a, int64_t row, std::string* out) {
  if (a.IsNull(row)) {
    out->append("null");
    return;
  }
  switch (a.type->id) {
    case TypeId::kBool: out->append(a.BoolValue(row) ? "true" : "false"); return;
    case TypeId::kInt8: AppendInt(a.Value<int8_t>(row), out); return;
    case TypeId::kInt16: AppendInt(a.Value<int16_t>(row), out); return;
    case TypeId::kInt32: AppendInt(a.Value<int32_t>(row), out); return;
    case TypeId::kInt64: AppendInt(a.Value<int64_t>(row), out); return;
    case TypeId::kUInt8: AppendInt(a.Value<uint8_t>(row), out); return;
    case TypeId::kUInt16: AppendInt(a.Value<uint16_t>(row), out); return;
    case TypeId::kUInt32: AppendInt(a.Value<uint32_t>(row), out); return;
    case TypeId::kUInt64: AppendInt(a.Value<uint64_t>(row), out); return;
    case TypeId::kFloat32: AppendDouble(static_cast<double>(a.Value<float>(row)), out); return;
    case TypeId::kFloat64: AppendDouble(a.Value<double>(row), out); return;
    case TypeId::kUtf8: case TypeId::kInet: AppendString(a.StringValue(row), out); return;
    case TypeId::kBinary: case TypeId::kMac: AppendBase64String(a.StringValue(row), out); return;
    case TypeId::kFixedSizeBinary: AppendBase64String(a.FixedValue(row), out); return;
    case TypeId::kTimestamp: AppendString(TimestampText(a.Value<int64_t>(row)), out); return;
    case TypeId::kDate32: AppendString(DateText(a.Value<int32_t>(row)), out); return;
    case TypeId::kUuid: AppendString(UuidText(a.FixedValue(row)), out); return;
    case TypeId::kJson: {
      const std::string_view text = a.StringValue(row);
      if (nlohmann::json::accept(text)) out->append(StripJsonNul(text));
      else AppendString(text, out);
      return;
    }
    case TypeId::kList: {
      const auto [begin, end] = a.ListRange(row);
      out->push_back('[');
      for (int64_t i = begin; i < end; ++i) {
        if (i > begin) out->push_back(',');
        AppendJsonCell(*a.children[0], i, out);
      }
      out->push_back(']');
      return;
    }
    case TypeId::kStruct: {
      out->push_back('{');
      for (size_t f = 0; f < a.children.size(); ++f) {
        if (f) out->push_back(',');
        AppendString(a.type->children[f].name, out);
        out->push_back(':');
        AppendJsonCell(*a.children[f], row, out);  // children are sliced with the struct
      }
      out->push_back('}');
      return;
    }
  }
}

Result<Value> ParseJsonCell(const DataType& type, std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("jsonb value is not JSON: " + std::string(json.substr(0, 80)));
  try {
    return FromJson(type, j);
  } catch (const nlohmann::json::exception& e) {  // a value of the wrong JSON type
    return Status::Invalid(std::string("unexpected jsonb value: ") + e.what());
  }
}

}  // namespace ferry::plugins::postgresql
