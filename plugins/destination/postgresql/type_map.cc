#include "plugins/destination/postgresql/type_map.h"

#include <cstdio>

namespace ferry::plugins::postgresql {

namespace {

const char* ScalarType(TypeId id) {
  switch (id) {
    case TypeId::kBool: return "boolean";
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kUInt8: return "smallint";
    case TypeId::kInt32: case TypeId::kUInt16: return "integer";
    case TypeId::kInt64: case TypeId::kUInt32: return "bigint";
    case TypeId::kUInt64: return "numeric(20,0)";
    case TypeId::kFloat32: return "real";
    case TypeId::kFloat64: return "double precision";
    case TypeId::kUtf8: return "text";
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: return "bytea";
    case TypeId::kTimestamp: return "timestamp without time zone";
    case TypeId::kDate32: return "date";
    case TypeId::kUuid: return "uuid";
    case TypeId::kJson: return "jsonb";
    case TypeId::kInet: return "inet";
    case TypeId::kMac: return "macaddr";
    case TypeId::kList: case TypeId::kStruct: return "jsonb";
    case TypeId::kTime32: case TypeId::kTime64: return "time without time zone";
    case TypeId::kDecimal128: return "numeric";  // with (p,s): ColumnType
    case TypeId::kDuration: case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime:
    case TypeId::kIntervalMonthDayNano:
      return "text";
  }
  return "text";
}

// numeric(p,s) as format_type() prints it; PostgreSQL before 15 takes
// 0 <= s <= p only, so other scales get an unconstrained numeric.
std::string DecimalType(const DataType& type) {
  if (type.precision < 1 || type.precision > 1000 || type.scale < 0 || type.scale > type.precision) return "numeric";
  return "numeric(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
}

std::string ScalarColumnType(const DataType& type) {
  return type.id == TypeId::kDecimal128 ? DecimalType(type) : std::string(ScalarType(type.id));
}

}  // namespace

bool StoredAsJson(const DataType& type) {
  if (type.id == TypeId::kStruct) return true;
  if (type.id != TypeId::kList) return false;
  const TypeId item = type.children[0].type->id;
  return item == TypeId::kList || item == TypeId::kStruct;
}

std::string ColumnType(const DataType& type) {
  if (StoredAsJson(type)) return "jsonb";
  if (type.id == TypeId::kList) return ScalarColumnType(*type.children[0].type) + "[]";
  return ScalarColumnType(type);
}

uint32_t ScalarOid(const DataType& type) {
  switch (type.id) {
    case TypeId::kBool: return oid::kBool;
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kUInt8: return oid::kInt2;
    case TypeId::kInt32: case TypeId::kUInt16: return oid::kInt4;
    case TypeId::kInt64: case TypeId::kUInt32: return oid::kInt8;
    case TypeId::kUInt64: return oid::kNumeric;
    case TypeId::kFloat32: return oid::kFloat4;
    case TypeId::kFloat64: return oid::kFloat8;
    case TypeId::kUtf8: return oid::kText;
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: return oid::kBytea;
    case TypeId::kTimestamp: return oid::kTimestamp;
    case TypeId::kDate32: return oid::kDate;
    case TypeId::kUuid: return oid::kUuid;
    case TypeId::kInet: return oid::kInet;
    case TypeId::kMac: return oid::kMacaddr;
    case TypeId::kJson: case TypeId::kList: case TypeId::kStruct: return oid::kJsonb;
    case TypeId::kTime32: case TypeId::kTime64: return oid::kTime;
    case TypeId::kDecimal128: return oid::kNumeric;
    case TypeId::kDuration: case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime:
    case TypeId::kIntervalMonthDayNano:
      return oid::kText;
  }
  return oid::kText;
}

uint32_t ArrayOid(uint32_t elem) {
  switch (elem) {
    case oid::kBool: return 1000;
    case oid::kBytea: return 1001;
    case oid::kInt2: return 1005;
    case oid::kInt4: return 1007;
    case oid::kText: return 1009;
    case oid::kInt8: return 1016;
    case oid::kFloat4: return 1021;
    case oid::kFloat8: return 1022;
    case oid::kMacaddr: return 1040;
    case oid::kInet: return 1041;
    case oid::kTimestamp: return 1115;
    case oid::kDate: return 1182;
    case oid::kTime: return 1183;
    case oid::kNumeric: return 1231;
    case oid::kUuid: return 2951;
    case oid::kJsonb: return 3807;
  }
  return 1009;
}

uint32_t TypeOid(const DataType& type) {
  if (StoredAsJson(type)) return oid::kJsonb;
  if (type.id == TypeId::kList) return ArrayOid(ScalarOid(*type.children[0].type));
  return ScalarOid(type);
}

DataTypePtr TypeOfColumnType(const std::string& t) {
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "[]") == 0)
    return types::List(TypeOfColumnType(t.substr(0, t.size() - 2)));
  if (t == "boolean") return types::Bool();
  if (t == "smallint") return types::Int16();
  if (t == "integer") return types::Int32();
  if (t == "bigint") return types::Int64();
  if (t == "numeric(20,0)") return types::UInt64();
  if (t.rfind("numeric(", 0) == 0) {
    int p = 0, s = 0;
    if (std::sscanf(t.c_str(), "numeric(%d,%d)", &p, &s) == 2 && p >= 1 && p <= 38) return types::Decimal128(p, s);
  }
  if (t.rfind("numeric", 0) == 0) return types::UInt64();
  if (t == "time without time zone") return types::Time64(TimeUnit::kMicro);
  if (t == "real") return types::Float32();
  if (t == "double precision") return types::Float64();
  if (t == "bytea") return types::Binary();
  if (t.rfind("timestamp", 0) == 0) return types::Timestamp();
  if (t == "date") return types::Date32();
  if (t == "uuid") return types::Uuid();
  if (t == "jsonb" || t == "json") return types::Json();
  if (t == "inet" || t == "cidr") return types::Inet();
  if (t == "macaddr") return types::Mac();
  return types::Utf8();
}

}  // namespace ferry::plugins::postgresql
