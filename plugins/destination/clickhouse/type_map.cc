#include "plugins/destination/clickhouse/type_map.h"

#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse {

namespace {

bool ContainsNullableComposite(const DataType& type) {
  for (const auto& f : type.children) {
    if (IsComposite(f.type->id) && f.nullable) return true;
    if (ContainsNullableComposite(*f.type)) return true;
  }
  return false;
}

std::string TupleFieldName(const std::string& name) { return IsPlainIdentifier(name) ? name : QuoteIdent(name); }

}  // namespace

bool IsComposite(TypeId id) { return id == TypeId::kList || id == TypeId::kStruct; }

int DecimalWidth(const DataType& type) {
  if (type.id != TypeId::kDecimal128 || type.precision < 1 || type.precision > 38 || type.scale < 0 ||
      type.scale > type.precision)
    return 0;
  return type.precision <= 9 ? 4 : type.precision <= 18 ? 8 : 16;
}

bool StoredAsText(const DataType& type) {
  switch (type.id) {
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano:
      return true;
    case TypeId::kDecimal128: return DecimalWidth(type) == 0;
    default: return false;
  }
}

bool ColumnNullable(const Column& c, bool keyed_table) {
  // In a table with a primary key _cq_sync_time is the ReplacingMergeTree
  // version, which cannot be Nullable; the engine sets it on every row.
  if (keyed_table && c.name == meta::kSyncTime) return false;
  return !c.not_null && !c.primary_key && !IsComposite(c.type->id);
}

std::string ClickHouseType(const DataType& type, bool nullable, const ServerFeatures& f) {
  std::string t;
  switch (type.id) {
    case TypeId::kBool:
      t = f.bool_type ? "Bool" : "UInt8";
      break;
    case TypeId::kInt8:
      t = "Int8";
      break;
    case TypeId::kInt16:
      t = "Int16";
      break;
    case TypeId::kInt32:
      t = "Int32";
      break;
    case TypeId::kInt64:
      t = "Int64";
      break;
    case TypeId::kUInt8:
      t = "UInt8";
      break;
    case TypeId::kUInt16:
      t = "UInt16";
      break;
    case TypeId::kUInt32:
      t = "UInt32";
      break;
    case TypeId::kUInt64:
      t = "UInt64";
      break;
    case TypeId::kFloat32:
      t = "Float32";
      break;
    case TypeId::kFloat64:
      t = "Float64";
      break;
    case TypeId::kUtf8:
    case TypeId::kBinary:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
      t = "String";
      break;
    case TypeId::kTimestamp:
      t = f.datetime64 ? "DateTime64(6, 'UTC')" : "Int64";
      break;
    case TypeId::kDate32:
      t = f.date32 ? "Date32" : "Int32";
      break;
    case TypeId::kFixedSizeBinary:
      t = "FixedString(" + std::to_string(type.byte_width) + ")";
      break;
    case TypeId::kUuid:
      t = "UUID";
      break;
    case TypeId::kList: {
      const Field& item = type.children[0];
      return "Array(" + ClickHouseType(*item.type, item.nullable, f) + ")";
    }
    case TypeId::kStruct: {
      std::string out = "Tuple(";
      for (size_t i = 0; i < type.children.size(); ++i) {
        const Field& field = type.children[i];
        if (i) out += ", ";
        if (f.named_tuples) out += TupleFieldName(field.name) + " ";
        out += ClickHouseType(*field.type, field.nullable, f);
      }
      return out + ")";
    }
    case TypeId::kDecimal128:
      t = DecimalWidth(type) ? "Decimal(" + std::to_string(type.precision) + ", " + std::to_string(type.scale) + ")"
                             : "String";
      break;
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano:
      t = "String";
      break;
  }
  return nullable ? "Nullable(" + t + ")" : t;
}

bool NeedsNullPaths(const Column& c) {
  if (IsComposite(c.type->id) && !c.not_null && !c.primary_key) return true;
  return ContainsNullableComposite(*c.type);
}

TableLayout LayoutOf(const TableSchemaPtr& schema, const ServerFeatures& f) {
  TableLayout l;
  l.schema = schema;
  const bool keyed = !schema->PrimaryKeys().empty();
  for (size_t i = 0; i < schema->columns.size(); ++i) {
    const Column& c = schema->columns[i];
    const int first = static_cast<int>(l.columns.size());
    const bool nullable = ColumnNullable(c, keyed);
    const std::string declared = ClickHouseType(*c.type, nullable, f);
    l.declared.push_back(declared);
    l.nullable.push_back(nullable);
    const DataType& t = *c.type;
    if (f.flattens_array_tuple && t.id == TypeId::kList && t.children[0].type->id == TypeId::kStruct &&
        !t.children[0].type->children.empty()) {
      const DataType& st = *t.children[0].type;
      for (size_t k = 0; k < st.children.size(); ++k) {
        const Field& field = st.children[k];
        l.columns.push_back({c.name + "." + std::to_string(k + 1),
                             "Array(" + ClickHouseType(*field.type, field.nullable, f) + ")", static_cast<int>(i),
                             static_cast<int>(k)});
      }
    } else {
      l.columns.push_back({c.name, declared, static_cast<int>(i), -1});
    }
    l.ranges.emplace_back(first, static_cast<int>(l.columns.size()));
    l.null_paths = l.null_paths || NeedsNullPaths(c);
  }
  if (l.null_paths) l.columns.push_back({kNullsColumn, kNullsType, -1, -1});
  return l;
}

std::string NormalizeType(const std::string& type) {
  std::string out;
  char quote = 0;
  for (char c : type) {
    if (quote) {
      out.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '`') quote = c;
    if (c == ' ' || c == '\t' || c == '\n') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace ferry::plugins::clickhouse
