#include "plugins/destination/bigquery/table_reader.h"

#include <cmath>
#include <cerrno>
#include <cstdlib>

#include "ferry/text_codec.h"
#include "ferry/uuid.h"
#include "plugins/common/json_cell.h"
#include "plugins/destination/bigquery/type_map.h"

namespace ferry::plugins::bigquery {

using nlohmann::json;

namespace {

Result<int64_t> ToInt(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || end == s.c_str() || *end) return Status::Invalid("not an integer: " + s);
  return static_cast<int64_t>(v);
}

Result<Value> Decode(const DataType& t, const json& v, const std::string& where);

// A NUMERIC's text (digits, an optional fraction, an optional exponent) as
// the integer it holds; a non-zero fraction is an error.
Result<uint64_t> NumericInteger(const std::string& s, const std::string& where) {
  const size_t e = s.find_first_of("eE");
  const std::string mantissa = s.substr(0, e);
  long exponent = 0;
  if (e != std::string::npos) {
    char* end = nullptr;
    exponent = std::strtol(s.c_str() + e + 1, &end, 10);
    if (*end) return Status::Invalid(where + ": not a NUMERIC: " + s);
  }
  const size_t dot = mantissa.find('.');
  std::string digits = mantissa.substr(0, dot);
  long scale = 0;
  if (dot != std::string::npos) {
    digits += mantissa.substr(dot + 1);
    scale = static_cast<long>(mantissa.size() - dot - 1);
  }
  scale -= exponent;
  for (; scale > 0; --scale) {
    if (digits.empty() || digits.back() != '0') {
      if (digits.empty()) break;
      return Status::Invalid(where + ": NUMERIC " + s + " is not an integer");
    }
    digits.pop_back();
  }
  for (; scale < 0; ++scale) digits.push_back('0');
  if (digits.empty()) digits = "0";
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
  if (errno || *end) return Status::Invalid(where + ": not a NUMERIC integer: " + s);
  return static_cast<uint64_t>(v);
}

Result<Value> DecodeScalar(const DataType& t, const std::string& s, const std::string& where) {
  switch (t.id) {
    case TypeId::kBool: return Value::Bool(s == "true");
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64: {
      FERRY_ASSIGN_OR_RETURN(int64_t v, ToInt(s));
      return Value::Int(v);
    }
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: {
      FERRY_ASSIGN_OR_RETURN(int64_t v, ToInt(s));
      return Value::UInt(static_cast<uint64_t>(v));
    }
    case TypeId::kUInt64: {  // NUMERIC: "123", "123.000000000" or "0E-9"
      FERRY_ASSIGN_OR_RETURN(uint64_t v, NumericInteger(s, where));
      return Value::UInt(v);
    }
    case TypeId::kFloat32: case TypeId::kFloat64: {
      if (s == "NaN") return Value::Double(std::nan(""));
      if (s == "Infinity") return Value::Double(HUGE_VAL);
      if (s == "-Infinity") return Value::Double(-HUGE_VAL);
      return Value::Double(std::strtod(s.c_str(), nullptr));
    }
    case TypeId::kUtf8: case TypeId::kInet: case TypeId::kJson: return Value::String(s);
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: {
      FERRY_ASSIGN_OR_RETURN(std::string b, DecodeBase64(s));
      return Value::String(std::move(b));
    }
    case TypeId::kUuid: {
      FERRY_ASSIGN_OR_RETURN(std::string b, uuid::Parse(s));
      return Value::String(std::move(b));
    }
    case TypeId::kMac: {
      FERRY_ASSIGN_OR_RETURN(std::string b, ParseMacText(s));
      return Value::String(std::move(b));
    }
    case TypeId::kTimestamp: {
      if (s.find_first_of(".eE") == std::string::npos) {
        FERRY_ASSIGN_OR_RETURN(int64_t v, ToInt(s));
        return Value::Int(v);
      }
      // Float seconds (a server that ignores useInt64Timestamp).
      return Value::Int(static_cast<int64_t>(std::llround(std::strtod(s.c_str(), nullptr) * 1e6)));
    }
    case TypeId::kDate32: {
      FERRY_ASSIGN_OR_RETURN(int64_t d, ParseDate(s));
      return Value::Int(d);
    }
    case TypeId::kTime32: case TypeId::kTime64: {
      auto v = ParseTimeText(t, s);
      if (!v.ok()) return Status::Invalid(where + ": not a TIME: " + s);
      return Value::Int(*v);
    }
    case TypeId::kDuration: {
      FERRY_ASSIGN_OR_RETURN(int64_t v, ToInt(s));
      return Value::Int(v);
    }
    case TypeId::kDecimal128: {   // BIGNUMERIC's text: "12.34", "-0.5", "1E-10"
      auto v = ParseArrowGoText(t, s);
      if (!v.ok()) return Status::Invalid(where + ": BIGNUMERIC " + s + " does not fit " + t.ToString());
      return *v;
    }
    case TypeId::kList: case TypeId::kStruct: break;
    case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano:
      break;   // RECORDs: Decode
  }
  return Status::Invalid(where + ": unexpected scalar for " + t.ToString());
}

Result<Value> Decode(const DataType& t, const json& v, const std::string& where) {
  if (v.is_null()) {
    if (t.id == TypeId::kList && ListIsRepeated(t)) return Value::List({});
    return Value::Null();
  }
  if (StoredAsJson(t) && t.id != TypeId::kJson) {
    if (!v.is_string()) return Status::Invalid(where + ": expected a JSON document's text");
    return ParseJsonCell(t, v.get<std::string>());
  }
  if (t.id == TypeId::kList) {
    if (!v.is_array()) return Status::Invalid(where + ": expected an array");
    std::vector<Value> items;
    for (const json& e : v) {
      FERRY_ASSIGN_OR_RETURN(Value x, Decode(*t.children[0].type, e.is_object() ? e.value("v", json()) : e, where));
      items.push_back(std::move(x));
    }
    return Value::List(std::move(items));
  }
  if (!IntervalFields(t.id).empty()) {   // RECORD<months, days, ...> of INTEGERs
    const size_t n = IntervalFields(t.id).size();
    if (!v.is_object() || !v.contains("f") || v["f"].size() != n)
      return Status::Invalid(where + ": expected a RECORD of " + std::to_string(n) + " INTEGER fields for " + t.ToString());
    int64_t parts[3] = {0, 0, 0};
    for (size_t i = 0; i < n; ++i) {
      const json cell = v["f"][i].value("v", json());
      if (!cell.is_string()) return Status::Invalid(where + "." + IntervalFields(t.id)[i] + ": NULL in an interval");
      FERRY_ASSIGN_OR_RETURN(parts[i], ToInt(cell.get<std::string>()));
    }
    const auto i32 = [](int64_t x) { return static_cast<int32_t>(x); };
    if (t.id == TypeId::kIntervalMonth) return Value::Int(i32(parts[0]));
    if (t.id == TypeId::kIntervalDayTime) return Value::String(IntervalDayTimeBytes(i32(parts[0]), i32(parts[1])));
    return Value::String(IntervalMonthDayNanoBytes(i32(parts[0]), i32(parts[1]), parts[2]));
  }
  if (t.id == TypeId::kStruct) {
    if (!v.is_object() || !v.contains("f")) return Status::Invalid(where + ": expected a RECORD {\"f\": [...]}");
    const json& f = v["f"];
    std::vector<Value> fields;
    for (size_t i = 0; i < t.children.size(); ++i) {
      const json cell = i < f.size() ? f[i].value("v", json()) : json();
      FERRY_ASSIGN_OR_RETURN(Value x, Decode(*t.children[i].type, cell, where + "." + t.children[i].name));
      fields.push_back(std::move(x));
    }
    return Value::List(std::move(fields));
  }
  if (t.id == TypeId::kJson && !v.is_string()) return Value::String(v.dump());
  if (!v.is_string()) return Status::Invalid(where + ": expected a string cell, got " + v.dump());
  return DecodeScalar(t, v.get<std::string>(), where);
}

}  // namespace

Result<std::vector<Row>> ReadTableRows(BigQueryApi& api, const TableSchema& table) {
  FERRY_ASSIGN_OR_RETURN(auto resource, api.GetTable(table.name));
  if (!resource) return Status::NotFound("table " + table.name + " does not exist");
  const json fields = (*resource)["schema"].value("fields", json::array());
  std::vector<int> position;   // the field of each column, -1 when missing
  for (const Column& c : table.columns) {
    int at = -1;
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].value("name", "") == c.name) at = static_cast<int>(i);
    position.push_back(at);
  }
  std::vector<Row> rows;
  std::string token;
  do {
    FERRY_ASSIGN_OR_RETURN(json page, api.ListRows(table.name, token, 10000));
    for (const json& r : page.value("rows", json::array())) {
      const json& f = r["f"];
      Row row;
      for (size_t c = 0; c < table.columns.size(); ++c) {
        const json cell = position[c] >= 0 ? f[position[c]].value("v", json()) : json();
        FERRY_ASSIGN_OR_RETURN(Value v, Decode(*table.columns[c].type, cell,
                                               "table " + table.name + " column " + table.columns[c].name));
        row.push_back(std::move(v));
      }
      rows.push_back(std::move(row));
    }
    token = page.value("pageToken", "");
  } while (!token.empty());
  return rows;
}

}  // namespace ferry::plugins::bigquery
