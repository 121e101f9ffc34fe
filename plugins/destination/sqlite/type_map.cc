#include "plugins/destination/sqlite/type_map.h"

#include "ferry/text_codec.h"

namespace ferry::plugins::sqlite {

const char* DeclaredType(const DataType& type) {
  switch (type.id) {
    case TypeId::kBool: return "BOOLEAN";
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kUInt64:
      return "INTEGER";
    case TypeId::kFloat32: case TypeId::kFloat64: return "REAL";
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: case TypeId::kMac: return "BLOB";
    case TypeId::kTimestamp: return "TIMESTAMP";
    case TypeId::kDate32: return "TEXT";   // as CloudQuery declares it (its reader knows no DATE)
    case TypeId::kUtf8: case TypeId::kUuid: case TypeId::kJson: case TypeId::kInet:
    case TypeId::kList: case TypeId::kStruct:
      return "TEXT";
    // CloudQuery's sqlite declares TEXT for every type it has no rule for;
    // Ferry writes AppendArrowScalarText's canonical text there.
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      return "TEXT";
  }
  return "TEXT";
}

}  // namespace ferry::plugins::sqlite
