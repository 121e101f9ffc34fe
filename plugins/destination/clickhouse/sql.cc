#include "plugins/destination/clickhouse/sql.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "ferry/builder.h"
#include "ferry/text_codec.h"
#include "ferry/uuid.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

std::string QuoteIdent(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "`";
}

std::string QualifiedName(std::string_view db, std::string_view table) {
  return QuoteIdent(db) + "." + QuoteIdent(table);
}

std::string QuoteString(std::string_view text) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "'";
  out.reserve(text.size() + 2);
  for (unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "'";
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_') return false;
  return true;
}

Result<std::string> Literal(const DataType& type, const Value& v, const ServerFeatures& f) {
  if (IsComposite(type.id)) return Status::Unsupported("predicates on list and struct columns are not supported");
  FERRY_RETURN_NOT_OK(CheckValue(type, v));
  switch (type.id) {
    case TypeId::kBool:
      return std::string(v.as_bool() ? "1" : "0");
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return std::to_string(v.kind() == Value::Kind::kUInt ? static_cast<int64_t>(v.as_uint()) : v.as_int());
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64:
      return std::to_string(v.kind() == Value::Kind::kInt ? static_cast<uint64_t>(v.as_int()) : v.as_uint());
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      const double d = v.kind() == Value::Kind::kDouble ? v.as_double()
                       : v.kind() == Value::Kind::kInt  ? static_cast<double>(v.as_int())
                                                        : static_cast<double>(v.as_uint());
      if (std::isnan(d)) return std::string("nan");
      if (std::isinf(d)) return std::string(d > 0 ? "inf" : "-inf");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      const std::string lit = buf;
      return type.id == TypeId::kFloat32 ? "toFloat32(" + lit + ")" : lit;
    }
    case TypeId::kUtf8:
    case TypeId::kBinary:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
    case TypeId::kFixedSizeBinary:
      return QuoteString(v.as_string());
    case TypeId::kUuid:
      return "toUUID(" + QuoteString(uuid::ToString(v.as_string())) + ")";
    case TypeId::kTimestamp:
      if (f.datetime64) return "toDateTime64(" + QuoteString(TimestampText(v.as_int())) + ", 6, 'UTC')";
      return std::to_string(v.as_int());
    case TypeId::kDate32:
      if (f.date32) return "toDate32(" + QuoteString(DateText(v.as_int())) + ")";
      return std::to_string(v.as_int());
    case TypeId::kList:
    case TypeId::kStruct:
      break;
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128: {
      const std::string text = ArrowScalarText(type, v);
      if (StoredAsText(type)) return QuoteString(text);
      return "CAST(" + QuoteString(text) + " AS Decimal(" + std::to_string(type.precision) + ", " +
             std::to_string(type.scale) + "))";
    }
  }
  return Status::Unsupported("no literal for type " + type.ToString());
}

Result<std::string> DeleteStaleWhere(const std::string& source, int64_t sync_time_us, const ServerFeatures& f) {
  FERRY_ASSIGN_OR_RETURN(std::string when, Literal(*types::Timestamp(), Value::Int(sync_time_us), f));
  return QuoteIdent(meta::kSourceName) + " = " + QuoteString(source) + " AND " + QuoteIdent(meta::kSyncTime) + " < " +
         when;
}

}  // namespace ferry::plugins::clickhouse
