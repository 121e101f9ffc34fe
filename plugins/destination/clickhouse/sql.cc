#include "plugins/destination/clickhouse/sql.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "ferry/builder.h"
#include "ferry/uuid.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

namespace {

// Days since 1970-01-01 -> civil date (proleptic Gregorian), Howard Hinnant's
// well-known algorithm written from its description.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t year = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = year + (*m <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

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

std::string DateText(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string TimestampText(int64_t micros) {
  const int64_t days = FloorDiv(micros, 86400LL * 1000000);
  const int64_t rest = micros - days * 86400LL * 1000000;
  const int64_t secs = rest / 1000000, us = rest % 1000000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %02lld:%02lld:%02lld.%06lld", DateText(days).c_str(),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(us));
  return buf;
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
  }
  return Status::Unsupported("no literal for type " + type.ToString());
}

}  // namespace ferry::plugins::clickhouse
