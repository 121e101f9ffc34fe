// Ferry's logical data types.
//
// Each type has an Arrow physical layout (see batch.h). Extension types follow
// CloudQuery's: uuid (storage fixed_size_binary[16]), json (binary holding
// JSON text), inet (binary holding CIDR text), mac (binary holding the raw
// hardware address). Types are immutable and shared: DataTypePtr is a
// shared_ptr<const DataType>; the factories return cached singletons for the
// parameterless types. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ferry {

enum class TypeId : uint8_t {
  kBool,
  kInt8, kInt16, kInt32, kInt64,
  kUInt8, kUInt16, kUInt32, kUInt64,
  kFloat32, kFloat64,
  kUtf8,
  kBinary,
  kTimestamp,        // microseconds since the Unix epoch, UTC (Arrow timestamp[us, tz=UTC])
  kDate32,           // days since the Unix epoch
  kFixedSizeBinary,
  kList,
  kStruct,
  // CloudQuery extension types.
  kUuid,             // storage: fixed_size_binary[16]
  kJson,             // storage: binary
  kInet,             // storage: binary (CIDR text)
  kMac,              // storage: binary (raw bytes)
  // Arrow types kept as they are, unit and all (DataType::unit, precision,
  // scale). Values: the first four are integers (Value kInt) in their
  // layout's width; the last three are raw little-endian bytes (Value
  // kString of FixedWidthOf bytes), see IntervalDayTime & co. below.
  kTime32,               // time of day, int32 count of unit (s or ms)
  kTime64,               // time of day, int64 count of unit (us or ns)
  kDuration,             // int64 count of unit
  kIntervalMonth,        // Arrow interval YEAR_MONTH: int32 months
  kIntervalDayTime,      // Arrow interval DAY_TIME: int32 days, int32 milliseconds
  kIntervalMonthDayNano, // Arrow interval MONTH_DAY_NANO: int32 months, int32 days, int64 nanoseconds
  kDecimal128,           // 16-byte two's complement unscaled value; value = unscaled * 10^-scale
};

// Unit of time32, time64 and duration (Arrow's TimeUnit, same order).
enum class TimeUnit : uint8_t { kSecond, kMilli, kMicro, kNano };
// "s", "ms", "us", "ns".
const char* TimeUnitName(TimeUnit unit);
// Units per second: 1, 1000, 1000000, 1000000000.
int64_t TimeUnitsPerSecond(TimeUnit unit);

struct Field;
struct DataType;
using DataTypePtr = std::shared_ptr<const DataType>;

struct Field {
  std::string name;
  DataTypePtr type;
  bool nullable = true;
};

struct DataType {
  TypeId id;
  int32_t byte_width = 0;         // kFixedSizeBinary only
  TimeUnit unit = TimeUnit::kSecond;  // kTime32, kTime64, kDuration only
  int32_t precision = 0;          // kDecimal128 only (1..38)
  int32_t scale = 0;              // kDecimal128 only (may be negative)
  std::vector<Field> children;    // kList: one child "item"; kStruct: the fields

  // Arrow's type string as CloudQuery prints it: "int64", "utf8",
  // "timestamp[us, tz=UTC]", "list<item: int64, nullable>", "uuid", ...
  std::string ToString() const;
  bool Equals(const DataType& other) const;
};

// How values of a type are laid out in memory (Arrow columnar format).
enum class Layout : uint8_t {
  kBitmap,          // bool: values bitmap
  kFixedWidth,      // ints, floats, timestamp, date32, time32/64, duration, interval month:
                    // one buffer of fixed-size values
  kVarBinary,       // utf8, binary, json, inet, mac: int32 offsets + data
  kFixedBinary,     // fixed_size_binary, uuid, interval day_time and month_day_nano,
                    // decimal128: byte_width * length bytes, values as raw bytes
  kList,            // int32 offsets + one child array
  kStruct,          // one child array per field
};

Layout LayoutOf(TypeId id);
// Width in bytes of one value for kFixedWidth/kFixedBinary layouts; 0 otherwise.
int32_t FixedWidthOf(const DataType& type);
bool IsInteger(TypeId id);
bool IsSignedInteger(TypeId id);
bool IsExtension(TypeId id);
// The extension name CloudQuery writes in ARROW:extension:name, or "".
const char* ExtensionName(TypeId id);

// The families of Arrow types Ferry carries but not every destination stores
// (DestinationCapabilities::type_families). kNone for every other type.
enum class TypeFamily : uint8_t { kNone, kTime, kDuration, kInterval, kDecimal };
TypeFamily FamilyOf(TypeId id);
// "time", "duration", "interval", "decimal".
const char* TypeFamilyName(TypeFamily f);

namespace types {
DataTypePtr Bool();
DataTypePtr Int8();
DataTypePtr Int16();
DataTypePtr Int32();
DataTypePtr Int64();
DataTypePtr UInt8();
DataTypePtr UInt16();
DataTypePtr UInt32();
DataTypePtr UInt64();
DataTypePtr Float32();
DataTypePtr Float64();
DataTypePtr Utf8();
DataTypePtr Binary();
DataTypePtr Timestamp();
DataTypePtr Date32();
DataTypePtr FixedSizeBinary(int32_t byte_width);
DataTypePtr List(DataTypePtr value_type, bool value_nullable = true);
DataTypePtr Struct(std::vector<Field> fields);
DataTypePtr Uuid();
DataTypePtr Json();
DataTypePtr Inet();
DataTypePtr Mac();
// unit: kSecond or kMilli for Time32, kMicro or kNano for Time64.
DataTypePtr Time32(TimeUnit unit);
DataTypePtr Time64(TimeUnit unit);
DataTypePtr Duration(TimeUnit unit);
DataTypePtr IntervalMonth();
DataTypePtr IntervalDayTime();
DataTypePtr IntervalMonthDayNano();
DataTypePtr Decimal128(int32_t precision, int32_t scale);
}  // namespace types

}  // namespace ferry
