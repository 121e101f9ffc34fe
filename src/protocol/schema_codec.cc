#include "protocol/schema_codec.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace ferry::protocol::ipc {

namespace fb = arrowfb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

constexpr const char* kExtName = "ARROW:extension:name";
constexpr const char* kExtMetadata = "ARROW:extension:metadata";
constexpr const char* kTableName = "cq:table_name";
constexpr const char* kTableTitle = "cq:table_title";
constexpr const char* kTableDescription = "cq:table_description";
constexpr const char* kTableDependsOn = "cq:table_depends_on";
constexpr const char* kTablePaid = "cq:table_paid";
constexpr const char* kConstraintName = "cq:extension:constraint_name";
constexpr const char* kIncremental = "cq:extension:incremental";
constexpr const char* kPrimaryKey = "cq:extension:primary_key";
constexpr const char* kUnique = "cq:extension:unique";
constexpr const char* kPkComponent = "cq:extension:primary_key_component";
constexpr const char* kTypeSchema = "cq:extension:type_schema";

using KeyValues = std::vector<std::pair<std::string, std::string>>;

const char* Flag(bool b) { return b ? "true" : "false"; }

Offset<flatbuffers::Vector<Offset<fb::KeyValue>>> BuildMetadata(FlatBufferBuilder& fbb, KeyValues kv) {
  if (kv.empty()) return 0;
  std::sort(kv.begin(), kv.end());
  std::vector<Offset<fb::KeyValue>> out;
  out.reserve(kv.size());
  // Keys and "true"/"false" repeat on every column: shared strings store each once.
  for (const auto& [k, v] : kv)
    out.push_back(fb::CreateKeyValue(fbb, fbb.CreateSharedString(k), fbb.CreateSharedString(v)));
  return fbb.CreateVector(out);
}

fb::TimeUnit WireUnit(TimeUnit u) {
  switch (u) {
    case TimeUnit::kSecond: return fb::TimeUnit_SECOND;
    case TimeUnit::kMilli: return fb::TimeUnit_MILLISECOND;
    case TimeUnit::kMicro: return fb::TimeUnit_MICROSECOND;
    case TimeUnit::kNano: return fb::TimeUnit_NANOSECOND;
  }
  return fb::TimeUnit_SECOND;
}

// The Arrow storage type of `t` (the union type id and its table).
std::pair<fb::Type, Offset<void>> BuildType(FlatBufferBuilder& fbb, const DataType& t) {
  switch (t.id) {
    case TypeId::kBool: return {fb::Type_Bool, fb::CreateBool(fbb).Union()};
    case TypeId::kInt8: return {fb::Type_Int, fb::CreateInt(fbb, 8, true).Union()};
    case TypeId::kInt16: return {fb::Type_Int, fb::CreateInt(fbb, 16, true).Union()};
    case TypeId::kInt32: return {fb::Type_Int, fb::CreateInt(fbb, 32, true).Union()};
    case TypeId::kInt64: return {fb::Type_Int, fb::CreateInt(fbb, 64, true).Union()};
    case TypeId::kUInt8: return {fb::Type_Int, fb::CreateInt(fbb, 8, false).Union()};
    case TypeId::kUInt16: return {fb::Type_Int, fb::CreateInt(fbb, 16, false).Union()};
    case TypeId::kUInt32: return {fb::Type_Int, fb::CreateInt(fbb, 32, false).Union()};
    case TypeId::kUInt64: return {fb::Type_Int, fb::CreateInt(fbb, 64, false).Union()};
    case TypeId::kFloat32: return {fb::Type_FloatingPoint, fb::CreateFloatingPoint(fbb, fb::Precision_SINGLE).Union()};
    case TypeId::kFloat64: return {fb::Type_FloatingPoint, fb::CreateFloatingPoint(fbb, fb::Precision_DOUBLE).Union()};
    case TypeId::kUtf8: return {fb::Type_Utf8, fb::CreateUtf8(fbb).Union()};
    case TypeId::kBinary:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac: return {fb::Type_Binary, fb::CreateBinary(fbb).Union()};
    case TypeId::kTimestamp: {
      auto tz = fbb.CreateString("UTC");
      return {fb::Type_Timestamp, fb::CreateTimestamp(fbb, fb::TimeUnit_MICROSECOND, tz).Union()};
    }
    case TypeId::kDate32: return {fb::Type_Date, fb::CreateDate(fbb, fb::DateUnit_DAY).Union()};
    case TypeId::kFixedSizeBinary:
      return {fb::Type_FixedSizeBinary, fb::CreateFixedSizeBinary(fbb, t.byte_width).Union()};
    case TypeId::kUuid: return {fb::Type_FixedSizeBinary, fb::CreateFixedSizeBinary(fbb, 16).Union()};
    case TypeId::kList: return {fb::Type_List, fb::CreateList(fbb).Union()};
    case TypeId::kStruct: return {fb::Type_Struct_, fb::CreateStruct_(fbb).Union()};
    case TypeId::kTime32:
      return {fb::Type_Time, fb::CreateTime(fbb, WireUnit(t.unit), 32).Union()};
    case TypeId::kTime64:
      return {fb::Type_Time, fb::CreateTime(fbb, WireUnit(t.unit), 64).Union()};
    case TypeId::kDuration: return {fb::Type_Duration, fb::CreateDuration(fbb, WireUnit(t.unit)).Union()};
    case TypeId::kIntervalMonth:
      return {fb::Type_Interval, fb::CreateInterval(fbb, fb::IntervalUnit_YEAR_MONTH).Union()};
    case TypeId::kIntervalDayTime:
      return {fb::Type_Interval, fb::CreateInterval(fbb, fb::IntervalUnit_DAY_TIME).Union()};
    case TypeId::kIntervalMonthDayNano:
      return {fb::Type_Interval, fb::CreateInterval(fbb, fb::IntervalUnit_MONTH_DAY_NANO).Union()};
    case TypeId::kDecimal128:
      return {fb::Type_Decimal, fb::CreateDecimal(fbb, t.precision, t.scale, 128).Union()};
  }
  return {fb::Type_NONE, 0};
}

Offset<fb::Field> BuildField(FlatBufferBuilder& fbb, const std::string& name, const DataType& type,
                             bool nullable, KeyValues metadata) {
  // Children first: a flatbuffer table cannot be built while another is open.
  std::vector<Offset<fb::Field>> children;
  for (const Field& c : type.children) children.push_back(BuildField(fbb, c.name, *c.type, c.nullable, {}));
  if (IsExtension(type.id)) {
    metadata.emplace_back(kExtName, ExtensionName(type.id));
    metadata.emplace_back(kExtMetadata, std::string(ExtensionName(type.id)) + "-serialized");
  }
  auto name_off = fbb.CreateString(name);
  auto [type_id, type_off] = BuildType(fbb, type);
  auto children_off = fbb.CreateVector(children);
  auto metadata_off = BuildMetadata(fbb, std::move(metadata));
  fb::FieldBuilder b(fbb);
  b.add_name(name_off);
  b.add_nullable(nullable);
  b.add_type_type(type_id);
  b.add_type(type_off);
  b.add_children(children_off);
  if (!metadata_off.IsNull()) b.add_custom_metadata(metadata_off);
  return b.Finish();
}

}  // namespace

Offset<fb::Schema> BuildSchema(FlatBufferBuilder& fbb, const TableSchema& schema) {
  std::vector<Offset<fb::Field>> fields;
  fields.reserve(schema.columns.size());
  for (const Column& c : schema.columns) {
    KeyValues md = {{kPrimaryKey, Flag(c.primary_key)},
                    {kUnique, Flag(c.unique)},
                    {kIncremental, Flag(c.incremental_key)},
                    {kPkComponent, Flag(c.primary_key_component)}};
    if (!c.type_schema.empty()) md.emplace_back(kTypeSchema, c.type_schema);
    fields.push_back(BuildField(fbb, c.name, *c.type, !c.not_null, std::move(md)));
  }
  // Ferry has no primary-key constraint name; Go writes the key even when its
  // name is empty, and so does Ferry.
  KeyValues md = {{kTableName, schema.name},
                  {kTableTitle, schema.title},
                  {kTableDescription, schema.description},
                  {kConstraintName, ""}};
  if (!schema.parent.empty()) md.emplace_back(kTableDependsOn, schema.parent);
  if (schema.is_incremental) md.emplace_back(kIncremental, "true");
  if (schema.is_paid) md.emplace_back(kTablePaid, "true");
  auto fields_off = fbb.CreateVector(fields);
  auto md_off = BuildMetadata(fbb, std::move(md));
  return fb::CreateSchema(fbb, fb::Endianness_Little, fields_off, md_off);
}

// ---- Parsing ----

namespace {

// Arrow's names for the members of union Type, for error messages.
const char* ArrowTypeName(int id) {
  static const char* const kNames[] = {
      "none", "null", "int", "floating_point", "binary", "utf8", "bool", "decimal", "date",
      "time", "timestamp", "interval", "list", "struct", "union", "fixed_size_binary",
      "fixed_size_list", "map", "duration", "large_binary", "large_utf8", "large_list",
      "run_end_encoded", "binary_view", "utf8_view", "list_view", "large_list_view"};
  if (id >= 0 && id < static_cast<int>(std::size(kNames))) return kNames[id];
  return "unknown";
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// Value of `key` in a metadata vector, or nullptr.
const flatbuffers::String* Lookup(const flatbuffers::Vector<Offset<fb::KeyValue>>* md, std::string_view key) {
  if (!md) return nullptr;
  for (const fb::KeyValue* kv : *md) {
    if (kv && kv->key() && kv->key()->string_view() == key) return kv->value();
  }
  return nullptr;
}
bool IsTrue(const flatbuffers::Vector<Offset<fb::KeyValue>>* md, std::string_view key) {
  const auto* v = Lookup(md, key);
  return v && v->string_view() == "true";
}

struct ParsedField {
  Field field;
  WireField wire;
};

Result<ParsedField> ParseField(const fb::Field& f, const std::string& path, int depth) {
  auto bad = [&](const std::string& m) { return Status::Invalid("arrow ipc: field " + path + ": " + m); };
  auto unsupported = [&](const std::string& m) {
    return Status::Unsupported("arrow ipc: field " + path + ": " + m);
  };
  if (depth > kMaxNestingDepth) return bad("nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  if (f.dictionary()) return unsupported("dictionary-encoded fields are not supported");

  ParsedField out;
  out.field.name = Str(f.name());
  out.field.nullable = f.nullable();
  const auto* kids = f.children();
  const size_t nkids = kids ? kids->size() : 0;
  const int type_id = static_cast<int>(f.type_type());

  DataTypePtr type;
  switch (f.type_type()) {
    case fb::Type_Int: {
      const fb::Int* t = f.type_as_Int();
      if (!t) return bad("int type without parameters");
      const bool s = t->is_signed();
      switch (t->bit_width()) {
        case 8: type = s ? types::Int8() : types::UInt8(); break;
        case 16: type = s ? types::Int16() : types::UInt16(); break;
        case 32: type = s ? types::Int32() : types::UInt32(); break;
        case 64: type = s ? types::Int64() : types::UInt64(); break;
        default: return bad("int bit width " + std::to_string(t->bit_width()) + " is not 8, 16, 32 or 64");
      }
      break;
    }
    case fb::Type_FloatingPoint: {
      const fb::FloatingPoint* t = f.type_as_FloatingPoint();
      if (!t) return bad("floating point type without parameters");
      if (t->precision() == fb::Precision_SINGLE) type = types::Float32();
      else if (t->precision() == fb::Precision_DOUBLE) type = types::Float64();
      else if (t->precision() == fb::Precision_HALF) {
        type = types::Float32();  // every half value is exact in a float
        out.wire.convert = WireConvert::kFloat16;
      }
      else return bad("invalid floating point precision");
      break;
    }
    case fb::Type_Binary: type = types::Binary(); break;
    case fb::Type_Utf8: type = types::Utf8(); break;
    case fb::Type_Bool: type = types::Bool(); break;
    case fb::Type_Date: {
      const fb::Date* t = f.type_as_Date();
      if (!t) return bad("date type without parameters");
      type = types::Date32();
      if (t->unit() == fb::DateUnit_MILLISECOND) out.wire.convert = WireConvert::kDate64;
      else if (t->unit() != fb::DateUnit_DAY) return bad("invalid date unit");
      break;
    }
    case fb::Type_Timestamp: {
      // Every unit and time zone becomes Ferry's microseconds since the epoch:
      // Arrow stores zoned timestamps as UTC instants; zone-naive ones are
      // taken as UTC.
      const fb::Timestamp* t = f.type_as_Timestamp();
      if (!t) return bad("timestamp type without parameters");
      type = types::Timestamp();
      switch (t->unit()) {
        case fb::TimeUnit_SECOND: out.wire.convert = WireConvert::kTimestampSeconds; break;
        case fb::TimeUnit_MILLISECOND: out.wire.convert = WireConvert::kTimestampMillis; break;
        case fb::TimeUnit_MICROSECOND: break;
        case fb::TimeUnit_NANOSECOND: out.wire.convert = WireConvert::kTimestampNanos; break;
        default: return bad("invalid timestamp unit");
      }
      break;
    }
    case fb::Type_Time: {
      const fb::Time* t = f.type_as_Time();
      if (!t) return bad("time type without parameters");
      const int bits = t->bit_width();
      switch (t->unit()) {
        case fb::TimeUnit_SECOND: case fb::TimeUnit_MILLISECOND:
          if (bits != 32) return bad("time in s or ms needs bit width 32, got " + std::to_string(bits));
          type = types::Time32(t->unit() == fb::TimeUnit_SECOND ? TimeUnit::kSecond : TimeUnit::kMilli);
          break;
        case fb::TimeUnit_MICROSECOND: case fb::TimeUnit_NANOSECOND:
          if (bits != 64) return bad("time in us or ns needs bit width 64, got " + std::to_string(bits));
          type = types::Time64(t->unit() == fb::TimeUnit_MICROSECOND ? TimeUnit::kMicro : TimeUnit::kNano);
          break;
        default: return bad("invalid time unit");
      }
      break;
    }
    case fb::Type_Duration: {
      const fb::Duration* t = f.type_as_Duration();
      if (!t) return bad("duration type without parameters");
      switch (t->unit()) {
        case fb::TimeUnit_SECOND: type = types::Duration(TimeUnit::kSecond); break;
        case fb::TimeUnit_MILLISECOND: type = types::Duration(TimeUnit::kMilli); break;
        case fb::TimeUnit_MICROSECOND: type = types::Duration(TimeUnit::kMicro); break;
        case fb::TimeUnit_NANOSECOND: type = types::Duration(TimeUnit::kNano); break;
        default: return bad("invalid duration unit");
      }
      break;
    }
    case fb::Type_Interval: {
      const fb::Interval* t = f.type_as_Interval();
      if (!t) return bad("interval type without parameters");
      switch (t->unit()) {
        case fb::IntervalUnit_YEAR_MONTH: type = types::IntervalMonth(); break;
        case fb::IntervalUnit_DAY_TIME: type = types::IntervalDayTime(); break;
        case fb::IntervalUnit_MONTH_DAY_NANO: type = types::IntervalMonthDayNano(); break;
        default: return bad("invalid interval unit " + std::to_string(static_cast<int>(t->unit())));
      }
      break;
    }
    case fb::Type_Decimal: {
      const fb::Decimal* t = f.type_as_Decimal();
      if (!t) return bad("decimal type without parameters");
      if (t->bit_width() != 128)
        return unsupported("decimal" + std::to_string(t->bit_width()) + "(" + std::to_string(t->precision()) +
                           ", " + std::to_string(t->scale()) +
                           ") is not supported: Ferry carries decimal128 only; leave the table out "
                           "with skip_tables");
      if (t->precision() < 1 || t->precision() > 38)
        return bad("decimal128 precision " + std::to_string(t->precision()) + " is not in 1..38");
      type = types::Decimal128(t->precision(), t->scale());
      break;
    }
    case fb::Type_FixedSizeBinary: {
      const fb::FixedSizeBinary* t = f.type_as_FixedSizeBinary();
      if (!t || t->byte_width() <= 0) return bad("fixed_size_binary needs a positive byte width");
      type = types::FixedSizeBinary(t->byte_width());
      break;
    }
    case fb::Type_List: {
      if (nkids != 1 || !kids->Get(0)) return bad("a list needs exactly one child field");
      FERRY_ASSIGN_OR_RETURN(ParsedField item, ParseField(*kids->Get(0), path + ".item", depth + 1));
      // Ferry's list element is always named "item" (types::List); Arrow
      // writers that use "element" map onto the same Ferry type.
      type = types::List(item.field.type, item.field.nullable);
      out.wire.children.push_back(std::move(item.wire));
      break;
    }
    case fb::Type_Struct_: {
      std::vector<Field> fields;
      for (size_t i = 0; i < nkids; ++i) {
        const fb::Field* k = kids->Get(static_cast<flatbuffers::uoffset_t>(i));
        if (!k) return bad("null child field");
        FERRY_ASSIGN_OR_RETURN(ParsedField c, ParseField(*k, path + "." + Str(k->name()), depth + 1));
        fields.push_back(std::move(c.field));
        out.wire.children.push_back(std::move(c.wire));
      }
      type = types::Struct(std::move(fields));
      break;
    }
    case fb::Type_LargeBinary:
    case fb::Type_LargeUtf8:
      // Same values with 64-bit offsets; one record batch of a plugin stays
      // far below 2 GiB, which the decoder checks.
      type = type_id == fb::Type_LargeUtf8 ? types::Utf8() : types::Binary();
      out.wire.convert = WireConvert::kLargeOffsets;
      break;
    case fb::Type_NONE: return bad("field has no type");
    default:
      return unsupported(std::string("Arrow type ") + ArrowTypeName(type_id) + " (type id " +
                         std::to_string(type_id) +
                         ") is not supported: Ferry carries booleans, integers, floats, strings and "
                         "binaries (large too), timestamps (any unit, kept in microseconds), dates, "
                         "times, durations, intervals, decimal128, fixed-size binaries, lists, structs "
                         "and CloudQuery's uuid, json, inet and mac (docs/protocol.md, \"Types\"); "
                         "leave the table out with skip_tables");
  }

  // Checked after the type: a type Ferry does not carry (map has children)
  // is reported as that, not as a malformed field.
  if (type_id != fb::Type_List && type_id != fb::Type_Struct_ && nkids != 0)
    return bad(std::string("type ") + ArrowTypeName(type_id) + " cannot have child fields");

  // CloudQuery's extension types; unknown extensions read as their storage.
  if (const auto* ext = Lookup(f.custom_metadata(), kExtName)) {
    const std::string_view name = ext->string_view();
    if (name == "uuid") {
      if (type->id != TypeId::kFixedSizeBinary || type->byte_width != 16)
        return bad("extension uuid needs storage fixed_size_binary[16], got " + type->ToString());
      type = types::Uuid();
    } else if (name == "json" || name == "inet" || name == "mac") {
      if (type->id != TypeId::kBinary)
        return bad("extension " + std::string(name) + " needs storage binary, got " + type->ToString());
      type = name == "json" ? types::Json() : name == "inet" ? types::Inet() : types::Mac();
    }
  }
  out.field.type = std::move(type);
  return out;
}

}  // namespace

Result<DecodedSchema> ParseSchema(const fb::Schema& schema) {
  if (schema.endianness() != fb::Endianness_Little)
    return Status::Unsupported("arrow ipc: big-endian streams are not supported");
  const auto* md = schema.custom_metadata();
  auto table = std::make_shared<TableSchema>();
  DecodedSchema out;
  if (const auto* name = Lookup(md, kTableName)) {
    table->name = name->str();
    out.has_table_name = true;
  }
  table->title = Str(Lookup(md, kTableTitle));
  table->description = Str(Lookup(md, kTableDescription));
  table->parent = Str(Lookup(md, kTableDependsOn));
  table->is_incremental = IsTrue(md, kIncremental);
  table->is_paid = IsTrue(md, kTablePaid);

  std::set<std::string> names;
  if (const auto* fields = schema.fields()) {
    for (const fb::Field* f : *fields) {
      if (!f) return Status::Invalid("arrow ipc: null field in schema");
      const std::string name = Str(f->name());
      if (!names.insert(name).second)
        return Status::Invalid("arrow ipc: duplicate column name \"" + name + "\"");
      auto parsed = ParseField(*f, name, 1);
      if (!parsed.ok()) {
        if (!out.has_table_name) return parsed.status();
        // "arrow ipc: field x: ..." becomes "arrow ipc: table t: field x: ...".
        std::string msg = parsed.status().message();
        const std::string prefix = "arrow ipc: ";
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
        return Status(parsed.status().code(), prefix + "table " + table->name + ": " + msg);
      }
      ParsedField p = std::move(*parsed);
      const auto* fmd = f->custom_metadata();
      Column c;
      c.name = name;
      c.type = std::move(p.field.type);
      c.not_null = !p.field.nullable;
      c.primary_key = IsTrue(fmd, kPrimaryKey);
      c.unique = IsTrue(fmd, kUnique);
      c.incremental_key = IsTrue(fmd, kIncremental);
      c.primary_key_component = IsTrue(fmd, kPkComponent);
      c.type_schema = Str(Lookup(fmd, kTypeSchema));
      table->columns.push_back(std::move(c));
      out.wire.push_back(std::move(p.wire));
    }
  }
  out.table = std::move(table);
  return out;
}

}  // namespace ferry::protocol::ipc
