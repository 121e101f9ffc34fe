#include "plugins/destination/neo4j/cell_codec.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "ferry/text_codec.h"
#include "ferry/uuid.h"
#include "plugins/common/json_cell.h"

namespace ferry::plugins::neo4j {
namespace {

using bolt::PackValue;
using Kind = bolt::PackValue::Kind;

JsonCellStyle Style() {
  JsonCellStyle s;
  s.timestamp = TimestampStyle::kIsoUtc;
  s.mac_as_text = true;
  return s;
}

std::string JsonOf(const ArrayData& a, int64_t row) {
  std::string out;
  AppendJsonCell(a, row, Style(), &out);
  return out;
}

// Whether Neo4j can hold elements of this type in a list property.
bool NativeElement(TypeId id) {
  switch (id) {
    case TypeId::kList: case TypeId::kStruct: case TypeId::kBinary: case TypeId::kFixedSizeBinary:
      return false;
    default:
      return true;
  }
}

// A list cell Neo4j can store as a List: primitive elements, none null, and
// uint64 elements within Integer.
bool NativeList(const ArrayData& a, int64_t row) {
  const ArrayData& child = *a.children[0];
  if (!NativeElement(child.type->id)) return false;
  auto [begin, end] = a.ListRange(row);
  for (int64_t i = begin; i < end; ++i) {
    if (child.IsNull(i)) return false;
    if (child.type->id == TypeId::kUInt64 && child.Value<uint64_t>(i) > static_cast<uint64_t>(INT64_MAX)) return false;
  }
  return true;
}

Status Mismatch(const DataType& type, const PackValue& v) {
  return Status::Invalid("a Neo4j value " + v.ToString().substr(0, 80) + " cannot be read as " + type.ToString());
}

Result<int64_t> TimestampMicros(const DataType& type, const PackValue& v) {
  if (v.kind() != Kind::kStruct || v.as_list().size() != 3) return Mismatch(type, v);
  const uint8_t s = v.signature();
  const auto& f = v.as_list();
  if (f[0].kind() != Kind::kInt || f[1].kind() != Kind::kInt) return Mismatch(type, v);
  int64_t seconds = f[0].as_int();
  const auto out_of_range = [&] {
    return Status::Invalid("the Neo4j DateTime " + v.ToString().substr(0, 80) +
                           " is outside what a timestamp in microseconds since 1970 holds");
  };
  if (s == bolt::sig::kLegacyDateTime && f[2].kind() == Kind::kInt) {
    if (__builtin_sub_overflow(seconds, f[2].as_int(), &seconds)) return out_of_range();  // local seconds -> UTC
  } else if (s == bolt::sig::kLegacyDateTimeZoneId) {
    if (f[2].kind() != Kind::kString || (f[2].as_string() != "UTC" && f[2].as_string() != "Z"))
      return Status::Invalid("a legacy DateTime in zone " + f[2].ToString() + " cannot be converted without a zone database");
  } else if (s != bolt::sig::kDateTime && s != bolt::sig::kDateTimeZoneId) {
    return Mismatch(type, v);
  }
  int64_t micros;
  if (__builtin_mul_overflow(seconds, int64_t{1000000}, &micros) ||
      __builtin_add_overflow(micros, FloorDiv(f[1].as_int(), 1000), &micros))
    return out_of_range();
  return micros;
}

}  // namespace

void PackTimestamp(int64_t micros, bool utc_datetime, bolt::Packer& p) {
  p.StructHeader(3, utc_datetime ? bolt::sig::kDateTimeZoneId : bolt::sig::kLegacyDateTimeZoneId);
  p.Int(FloorDiv(micros, 1000000));
  p.Int(FloorMod(micros, 1000000) * 1000);
  p.String("UTC");
}

void PackCell(const ArrayData& a, int64_t row, bool utc, bolt::Packer& p) {
  switch (a.type->id) {
    case TypeId::kBool: p.Bool(a.BoolValue(row)); return;
    case TypeId::kInt8: p.Int(a.Value<int8_t>(row)); return;
    case TypeId::kInt16: p.Int(a.Value<int16_t>(row)); return;
    case TypeId::kInt32: p.Int(a.Value<int32_t>(row)); return;
    case TypeId::kInt64: p.Int(a.Value<int64_t>(row)); return;
    case TypeId::kUInt8: p.Int(a.Value<uint8_t>(row)); return;
    case TypeId::kUInt16: p.Int(a.Value<uint16_t>(row)); return;
    case TypeId::kUInt32: p.Int(a.Value<uint32_t>(row)); return;
    case TypeId::kUInt64: {
      const uint64_t v = a.Value<uint64_t>(row);
      if (v <= static_cast<uint64_t>(INT64_MAX)) {
        p.Int(static_cast<int64_t>(v));
      } else {
        p.String(std::to_string(v));
      }
      return;
    }
    case TypeId::kFloat32: p.Float(static_cast<double>(a.Value<float>(row))); return;
    case TypeId::kFloat64: p.Float(a.Value<double>(row)); return;
    case TypeId::kUtf8: case TypeId::kJson: case TypeId::kInet: p.String(a.StringValue(row)); return;
    case TypeId::kMac: p.String(MacText(a.StringValue(row))); return;
    case TypeId::kBinary: p.Bytes(a.StringValue(row)); return;
    case TypeId::kFixedSizeBinary: p.Bytes(a.FixedValue(row)); return;
    case TypeId::kUuid: {
      char text[36];
      FormatUuid(a.FixedValue(row), text);
      p.String(std::string_view(text, 36));
      return;
    }
    case TypeId::kTimestamp: PackTimestamp(a.Value<int64_t>(row), utc, p); return;
    case TypeId::kDate32:
      p.StructHeader(1, bolt::sig::kDate);
      p.Int(a.Value<int32_t>(row));
      return;
    case TypeId::kStruct: p.String(JsonOf(a, row)); return;
    case TypeId::kList: {
      if (!NativeList(a, row)) {
        p.String(JsonOf(a, row));
        return;
      }
      auto [begin, end] = a.ListRange(row);
      p.ListHeader(static_cast<uint32_t>(end - begin));
      for (int64_t i = begin; i < end; ++i) PackCell(*a.children[0], i, utc, p);
      return;
    }
    // As CloudQuery's destination: arrow-go's ValueStr as a string property.
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128: {
      std::string text;
      AppendArrowGoText(*a.type, a.FixedValue(row), /*json=*/false, &text);
      p.String(text);
      return;
    }
  }
  p.Null();  // unreachable: every type is handled above
}

Result<Value> DecodeCell(const DataType& type, const PackValue& v) {
  if (v.is_null()) return Value::Null();
  switch (type.id) {
    case TypeId::kBool:
      if (v.kind() != Kind::kBool) return Mismatch(type, v);
      return Value::Bool(v.as_bool());
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
      if (v.kind() != Kind::kInt) return Mismatch(type, v);
      return Value::Int(v.as_int());
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kUInt64:
      if (v.kind() == Kind::kInt && v.as_int() >= 0) return Value::UInt(static_cast<uint64_t>(v.as_int()));
      if (type.id == TypeId::kUInt64 && v.kind() == Kind::kString) {
        errno = 0;
        char* end = nullptr;
        unsigned long long u = std::strtoull(v.as_string().c_str(), &end, 10);
        if (errno == 0 && end && *end == '\0' && !v.as_string().empty()) return Value::UInt(u);
      }
      return Mismatch(type, v);
    case TypeId::kFloat32:
      if (v.kind() != Kind::kFloat) return Mismatch(type, v);
      return Value::Double(static_cast<float>(v.as_float()));
    case TypeId::kFloat64:
      if (v.kind() != Kind::kFloat) return Mismatch(type, v);
      return Value::Double(v.as_float());
    case TypeId::kUtf8: case TypeId::kJson: case TypeId::kInet:
      if (v.kind() != Kind::kString) return Mismatch(type, v);
      return Value::String(v.as_string());
    case TypeId::kMac: {
      if (v.kind() != Kind::kString) return Mismatch(type, v);
      FERRY_ASSIGN_OR_RETURN(std::string raw, ParseMacText(v.as_string()));
      return Value::String(std::move(raw));
    }
    case TypeId::kBinary: case TypeId::kFixedSizeBinary:
      if (v.kind() != Kind::kBytes) return Mismatch(type, v);
      return Value::String(v.as_string());
    case TypeId::kUuid: {
      if (v.kind() != Kind::kString) return Mismatch(type, v);
      FERRY_ASSIGN_OR_RETURN(std::string raw, uuid::Parse(v.as_string()));
      return Value::String(std::move(raw));
    }
    case TypeId::kTimestamp: {
      FERRY_ASSIGN_OR_RETURN(int64_t micros, TimestampMicros(type, v));
      return Value::Int(micros);
    }
    case TypeId::kDate32:
      if (v.kind() != Kind::kStruct || v.signature() != bolt::sig::kDate || v.as_list().size() != 1 ||
          v.as_list()[0].kind() != Kind::kInt)
        return Mismatch(type, v);
      return Value::Int(v.as_list()[0].as_int());
    case TypeId::kStruct:
      if (v.kind() != Kind::kString) return Mismatch(type, v);
      return ParseJsonCell(type, v.as_string());
    case TypeId::kList: {
      if (v.kind() == Kind::kString) return ParseJsonCell(type, v.as_string());
      if (v.kind() != Kind::kList) return Mismatch(type, v);
      std::vector<Value> items;
      for (const auto& e : v.as_list()) {
        FERRY_ASSIGN_OR_RETURN(Value x, DecodeCell(*type.children[0].type, e));
        items.push_back(std::move(x));
      }
      return Value::List(std::move(items));
    }
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      if (v.kind() != Kind::kString) return Mismatch(type, v);
      return ParseArrowGoText(type, v.as_string());
  }
  return Mismatch(type, v);
}

}  // namespace ferry::plugins::neo4j
