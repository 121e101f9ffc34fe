#include "ferry/types.h"

#include <array>
#include <mutex>

namespace ferry {

namespace {
DataTypePtr Make(TypeId id) {
  auto t = std::make_shared<DataType>();
  t->id = id;
  return t;
}
}  // namespace

Layout LayoutOf(TypeId id) {
  switch (id) {
    case TypeId::kBool: return Layout::kBitmap;
    case TypeId::kUtf8: case TypeId::kBinary: case TypeId::kJson:
    case TypeId::kInet: case TypeId::kMac: return Layout::kVarBinary;
    case TypeId::kFixedSizeBinary: case TypeId::kUuid: case TypeId::kIntervalDayTime:
    case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128: return Layout::kFixedBinary;
    case TypeId::kList: return Layout::kList;
    case TypeId::kStruct: return Layout::kStruct;
    default: return Layout::kFixedWidth;
  }
}

int32_t FixedWidthOf(const DataType& type) {
  switch (type.id) {
    case TypeId::kInt8: case TypeId::kUInt8: return 1;
    case TypeId::kInt16: case TypeId::kUInt16: return 2;
    case TypeId::kInt32: case TypeId::kUInt32: case TypeId::kFloat32: case TypeId::kDate32:
    case TypeId::kTime32: case TypeId::kIntervalMonth: return 4;
    case TypeId::kInt64: case TypeId::kUInt64: case TypeId::kFloat64: case TypeId::kTimestamp:
    case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalDayTime: return 8;
    case TypeId::kUuid: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128: return 16;
    case TypeId::kFixedSizeBinary: return type.byte_width;
    default: return 0;
  }
}

bool IsSignedInteger(TypeId id) {
  return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 || id == TypeId::kInt64;
}
bool IsInteger(TypeId id) {
  return IsSignedInteger(id) || id == TypeId::kUInt8 || id == TypeId::kUInt16 ||
         id == TypeId::kUInt32 || id == TypeId::kUInt64;
}
bool IsExtension(TypeId id) {
  return id == TypeId::kUuid || id == TypeId::kJson || id == TypeId::kInet || id == TypeId::kMac;
}
const char* ExtensionName(TypeId id) {
  switch (id) {
    case TypeId::kUuid: return "uuid";
    case TypeId::kJson: return "json";
    case TypeId::kInet: return "inet";
    case TypeId::kMac: return "mac";
    default: return "";
  }
}

const char* TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond: return "s";
    case TimeUnit::kMilli: return "ms";
    case TimeUnit::kMicro: return "us";
    case TimeUnit::kNano: return "ns";
  }
  return "?";
}

int64_t TimeUnitsPerSecond(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond: return 1;
    case TimeUnit::kMilli: return 1000;
    case TimeUnit::kMicro: return 1000000;
    case TimeUnit::kNano: return 1000000000;
  }
  return 1;
}

TypeFamily FamilyOf(TypeId id) {
  switch (id) {
    case TypeId::kTime32: case TypeId::kTime64: return TypeFamily::kTime;
    case TypeId::kDuration: return TypeFamily::kDuration;
    case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano:
      return TypeFamily::kInterval;
    case TypeId::kDecimal128: return TypeFamily::kDecimal;
    default: return TypeFamily::kNone;
  }
}

const char* TypeFamilyName(TypeFamily f) {
  switch (f) {
    case TypeFamily::kNone: return "none";
    case TypeFamily::kTime: return "time";
    case TypeFamily::kDuration: return "duration";
    case TypeFamily::kInterval: return "interval";
    case TypeFamily::kDecimal: return "decimal";
  }
  return "?";
}

std::string DataType::ToString() const {
  switch (id) {
    case TypeId::kBool: return "bool";
    case TypeId::kInt8: return "int8";
    case TypeId::kInt16: return "int16";
    case TypeId::kInt32: return "int32";
    case TypeId::kInt64: return "int64";
    case TypeId::kUInt8: return "uint8";
    case TypeId::kUInt16: return "uint16";
    case TypeId::kUInt32: return "uint32";
    case TypeId::kUInt64: return "uint64";
    case TypeId::kFloat32: return "float32";
    case TypeId::kFloat64: return "float64";
    case TypeId::kUtf8: return "utf8";
    case TypeId::kBinary: return "binary";
    case TypeId::kTimestamp: return "timestamp[us, tz=UTC]";
    case TypeId::kDate32: return "date32";
    case TypeId::kFixedSizeBinary: return "fixed_size_binary[" + std::to_string(byte_width) + "]";
    case TypeId::kList: {
      const Field& f = children.at(0);
      return "list<" + f.name + ": " + f.type->ToString() + (f.nullable ? ", nullable>" : ">");
    }
    case TypeId::kStruct: {
      std::string s = "struct<";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i) s += ", ";
        s += children[i].name + ": " + children[i].type->ToString();
      }
      return s + ">";
    }
    case TypeId::kUuid: return "uuid";
    case TypeId::kJson: return "json";
    case TypeId::kInet: return "inet";
    case TypeId::kMac: return "mac";
    case TypeId::kTime32: return std::string("time32[") + TimeUnitName(unit) + "]";
    case TypeId::kTime64: return std::string("time64[") + TimeUnitName(unit) + "]";
    case TypeId::kDuration: return std::string("duration[") + TimeUnitName(unit) + "]";
    case TypeId::kIntervalMonth: return "month_interval";
    case TypeId::kIntervalDayTime: return "day_time_interval";
    case TypeId::kIntervalMonthDayNano: return "month_day_nano_interval";
    case TypeId::kDecimal128:
      return "decimal(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
  }
  return "unknown";
}

bool DataType::Equals(const DataType& o) const {
  if (id != o.id || byte_width != o.byte_width || unit != o.unit || precision != o.precision ||
      scale != o.scale || children.size() != o.children.size())
    return false;
  for (size_t i = 0; i < children.size(); ++i) {
    if (children[i].name != o.children[i].name || children[i].nullable != o.children[i].nullable ||
        !children[i].type->Equals(*o.children[i].type))
      return false;
  }
  return true;
}

namespace types {
#define FERRY_SINGLETON(fn, id)            \
  DataTypePtr fn() {                       \
    static const DataTypePtr t = Make(id); \
    return t;                              \
  }
FERRY_SINGLETON(Bool, TypeId::kBool)
FERRY_SINGLETON(Int8, TypeId::kInt8)
FERRY_SINGLETON(Int16, TypeId::kInt16)
FERRY_SINGLETON(Int32, TypeId::kInt32)
FERRY_SINGLETON(Int64, TypeId::kInt64)
FERRY_SINGLETON(UInt8, TypeId::kUInt8)
FERRY_SINGLETON(UInt16, TypeId::kUInt16)
FERRY_SINGLETON(UInt32, TypeId::kUInt32)
FERRY_SINGLETON(UInt64, TypeId::kUInt64)
FERRY_SINGLETON(Float32, TypeId::kFloat32)
FERRY_SINGLETON(Float64, TypeId::kFloat64)
FERRY_SINGLETON(Utf8, TypeId::kUtf8)
FERRY_SINGLETON(Binary, TypeId::kBinary)
FERRY_SINGLETON(Timestamp, TypeId::kTimestamp)
FERRY_SINGLETON(Date32, TypeId::kDate32)
FERRY_SINGLETON(Uuid, TypeId::kUuid)
FERRY_SINGLETON(Json, TypeId::kJson)
FERRY_SINGLETON(Inet, TypeId::kInet)
FERRY_SINGLETON(Mac, TypeId::kMac)
FERRY_SINGLETON(IntervalMonth, TypeId::kIntervalMonth)
FERRY_SINGLETON(IntervalDayTime, TypeId::kIntervalDayTime)
FERRY_SINGLETON(IntervalMonthDayNano, TypeId::kIntervalMonthDayNano)
#undef FERRY_SINGLETON

namespace {
DataTypePtr WithUnit(TypeId id, TimeUnit unit) {
  static const auto make = [](TypeId i) {
    std::array<DataTypePtr, 4> a;
    for (int u = 0; u < 4; ++u) {
      auto t = std::make_shared<DataType>();
      t->id = i;
      t->unit = static_cast<TimeUnit>(u);
      a[u] = t;
    }
    return a;
  };
  static const std::array<DataTypePtr, 4> t32 = make(TypeId::kTime32);
  static const std::array<DataTypePtr, 4> t64 = make(TypeId::kTime64);
  static const std::array<DataTypePtr, 4> dur = make(TypeId::kDuration);
  const auto& a = id == TypeId::kTime32 ? t32 : id == TypeId::kTime64 ? t64 : dur;
  return a[static_cast<size_t>(unit) & 3];
}
}  // namespace

DataTypePtr Time32(TimeUnit unit) { return WithUnit(TypeId::kTime32, unit); }
DataTypePtr Time64(TimeUnit unit) { return WithUnit(TypeId::kTime64, unit); }
DataTypePtr Duration(TimeUnit unit) { return WithUnit(TypeId::kDuration, unit); }
DataTypePtr Decimal128(int32_t precision, int32_t scale) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kDecimal128;
  t->precision = precision;
  t->scale = scale;
  return t;
}

DataTypePtr FixedSizeBinary(int32_t byte_width) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kFixedSizeBinary;
  t->byte_width = byte_width;
  return t;
}
DataTypePtr List(DataTypePtr value_type, bool value_nullable) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kList;
  t->children.push_back(Field{"item", std::move(value_type), value_nullable});
  return t;
}
DataTypePtr Struct(std::vector<Field> fields) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kStruct;
  t->children = std::move(fields);
  return t;
}
}  // namespace types

}  // namespace ferry
