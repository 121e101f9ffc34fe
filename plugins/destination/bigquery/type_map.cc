#include "plugins/destination/bigquery/type_map.h"

#include "ferry/text_codec.h"
#include "plugins/destination/bigquery/bigquery_api.h"

namespace ferry::plugins::bigquery {

using nlohmann::json;

namespace {

// The legacy type name tables.insert takes and tables.get returns.
std::string ScalarType(const DataType& t) {
  switch (t.id) {
    case TypeId::kBool: return "BOOLEAN";
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: return "INTEGER";
    case TypeId::kUInt64: return "NUMERIC";
    case TypeId::kFloat32: case TypeId::kFloat64: return "FLOAT";
    case TypeId::kUtf8: case TypeId::kUuid: case TypeId::kInet: case TypeId::kMac: return "STRING";
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: return "BYTES";
    case TypeId::kTimestamp: return "TIMESTAMP";
    case TypeId::kDate32: return "DATE";
    case TypeId::kJson: return "JSON";
    case TypeId::kTime32: case TypeId::kTime64: return "TIME";
    case TypeId::kDuration: return "INTEGER";        // the count of the column's unit
    case TypeId::kDecimal128: return "BIGNUMERIC";   // holds every decimal128(p, s) exactly
    case TypeId::kList: case TypeId::kStruct: break;
    case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano:
      break;   // RECORDs: IntervalFields
  }
  return "JSON";
}

std::string Legacy(const std::string& type) {
  if (type == "INT64") return "INTEGER";
  if (type == "FLOAT64") return "FLOAT";
  if (type == "BOOL") return "BOOLEAN";
  if (type == "STRUCT") return "RECORD";
  return type;
}

std::string DdlScalar(const DataType& t) {
  const std::string legacy = ScalarType(t);
  if (legacy == "INTEGER") return "INT64";
  if (legacy == "FLOAT") return "FLOAT64";
  if (legacy == "BOOLEAN") return "BOOL";
  return legacy;
}

}  // namespace

const std::vector<std::string>& IntervalFields(TypeId id) {
  static const std::vector<std::string> month = {"months"}, day_time = {"days", "milliseconds"},
                                        mdn = {"months", "days", "nanoseconds"}, none;
  switch (id) {
    case TypeId::kIntervalMonth: return month;
    case TypeId::kIntervalDayTime: return day_time;
    case TypeId::kIntervalMonthDayNano: return mdn;
    default: return none;
  }
}

void AppendTimeText(const ArrayData& a, int64_t i, std::string* out) {
  const int64_t v = a.type->id == TypeId::kTime32 ? a.Value<int32_t>(i) : a.Value<int64_t>(i);
  const int64_t micros = TimeOfDayMicros(v, a.type->unit);
  static const DataTypePtr kMicros = types::Time64(TimeUnit::kMicro);
  AppendArrowScalarText(*kMicros, std::string_view(reinterpret_cast<const char*>(&micros), 8), out);
}

Result<int64_t> ParseTimeText(const DataType& type, std::string_view text) {
  static const DataTypePtr kMicros = types::Time64(TimeUnit::kMicro);
  FERRY_ASSIGN_OR_RETURN(Value v, ParseArrowScalarText(*kMicros, text));
  return TimeOfDayFromMicros(v.as_int(), type.unit);
}

bool ListIsRepeated(const DataType& list) {
  return list.id == TypeId::kList && list.children[0].type->id != TypeId::kList;
}

bool StoredAsJson(const DataType& type) {
  return type.id == TypeId::kJson || (type.id == TypeId::kList && !ListIsRepeated(type)) ||
         (type.id == TypeId::kStruct && type.children.empty());
}

json FieldSchema(const std::string& name, const DataType& type, const std::string& description) {
  json f = {{"name", name}, {"mode", "NULLABLE"}};
  const DataType* t = &type;
  if (type.id == TypeId::kList && ListIsRepeated(type)) {
    f["mode"] = "REPEATED";
    t = type.children[0].type.get();
  }
  if (t->id == TypeId::kStruct && !t->children.empty()) {
    f["type"] = "RECORD";
    json fields = json::array();
    for (const Field& c : t->children) fields.push_back(FieldSchema(c.name, *c.type));
    f["fields"] = std::move(fields);
  } else if (!IntervalFields(t->id).empty()) {
    f["type"] = "RECORD";
    json fields = json::array();
    for (const std::string& name : IntervalFields(t->id))
      fields.push_back({{"name", name}, {"mode", "NULLABLE"}, {"type", "INTEGER"}});
    f["fields"] = std::move(fields);
  } else if (t->id == TypeId::kList || t->id == TypeId::kStruct) {
    f["type"] = "JSON";   // a list of lists, or a struct with no fields
  } else {
    f["type"] = ScalarType(*t);
  }
  if (!description.empty()) f["description"] = description;
  return f;
}

std::string FieldTypeText(const json& field) {
  std::string text;
  if (field.value("mode", "NULLABLE") == "REPEATED") text = "REPEATED ";
  const std::string type = Legacy(field.value("type", ""));
  text += type;
  if (type == "RECORD") {
    text += "<";
    bool first = true;
    for (const json& c : field.value("fields", json::array())) {
      if (!first) text += ", ";
      first = false;
      text += c.value("name", "") + " " + FieldTypeText(c);
    }
    text += ">";
  }
  return text;
}

std::string ColumnTypeText(const DataType& type) { return FieldTypeText(FieldSchema("", type)); }

std::string DdlType(const DataType& type) {
  if (type.id == TypeId::kList && ListIsRepeated(type)) {
    const DataType& e = *type.children[0].type;
    return "ARRAY<" + DdlType(e) + ">";
  }
  if (type.id == TypeId::kStruct && !type.children.empty()) {
    std::string s = "STRUCT<";
    for (size_t i = 0; i < type.children.size(); ++i) {
      if (i) s += ", ";
      s += BigQueryApi::QuoteIdentifier(type.children[i].name) + " " + DdlType(*type.children[i].type);
    }
    return s + ">";
  }
  if (!IntervalFields(type.id).empty()) {
    std::string s = "STRUCT<";
    for (const std::string& name : IntervalFields(type.id)) s += (s.size() > 7 ? ", " : "") + name + " INT64";
    return s + ">";
  }
  if (type.id == TypeId::kList || type.id == TypeId::kStruct) return "JSON";
  return DdlScalar(type);
}

}  // namespace ferry::plugins::bigquery
