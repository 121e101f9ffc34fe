#include "ferry/types.h"

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
    case TypeId::kFixedSizeBinary: case TypeId::kUuid: return Layout::kFixedBinary;
    case TypeId::kList: return Layout::kList;
    case TypeId::kStruct: return Layout::kStruct;
    default: return Layout::kFixedWidth;
  }
}

int32_t FixedWidthOf(const DataType& type) {
  switch (type.id) {
    case TypeId::kInt8: case TypeId::kUInt8: return 1;
    case TypeId::kInt16: case TypeId::kUInt16: return 2;
    case TypeId::kInt32: case TypeId::kUInt32: case TypeId::kFloat32: case TypeId::kDate32: return 4;
    case TypeId::kInt64: case TypeId::kUInt64: case TypeId::kFloat64: case TypeId::kTimestamp: return 8;
    case TypeId::kUuid: return 16;
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
  }
  return "unknown";
}

bool DataType::Equals(const DataType& o) const {
  if (id != o.id || byte_width != o.byte_width || children.size() != o.children.size()) return false;
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
#undef FERRY_SINGLETON

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
