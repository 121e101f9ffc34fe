#include "plugins/destination/clickhouse/table_reader.h"

#include <charconv>
#include <map>

#include "ferry/text_codec.h"
#include "plugins/destination/clickhouse/sql.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

namespace {

// Generic decoded forms -> the forms GetValue returns for `type`.
Value ToFerry(Value v, const DataType& type) {
  if (v.is_null()) return v;
  switch (type.id) {
    case TypeId::kBool:
      return Value::Bool(v.kind() == Value::Kind::kUInt ? v.as_uint() != 0 : v.as_int() != 0);
    case TypeId::kList: {
      std::vector<Value> items;
      for (const auto& item : v.items()) items.push_back(ToFerry(item, *type.children[0].type));
      return Value::List(std::move(items));
    }
    case TypeId::kStruct: {
      std::vector<Value> fields;
      for (size_t k = 0; k < v.items().size() && k < type.children.size(); ++k)
        fields.push_back(ToFerry(v.items()[k], *type.children[k].type));
      return Value::List(std::move(fields));
    }
    default:
      if (StoredAsText(type) && v.kind() == Value::Kind::kString) {  // canonical text -> the type's Value
        auto parsed = ParseArrowScalarText(type, v.as_string());
        if (parsed.ok()) return parsed.MoveValue();
      }
      return v;
  }
}

// Length of the name at the start of `path` that `name` matches as a whole
// segment, or 0.
size_t Matches(std::string_view path, const std::string& name) {
  if (path.compare(0, name.size(), name) != 0) return 0;
  if (path.size() == name.size() || path[name.size()] == '[' || path[name.size()] == '.') return name.size();
  return 0;
}

}  // namespace

Value WithNullAt(const Value& v, const DataType& type, std::string_view path) {
  if (path.empty()) return Value::Null();
  if (v.kind() != Value::Kind::kList) return v;
  std::vector<Value> items = v.items();
  if (path[0] == '[' && type.id == TypeId::kList) {
    const size_t close = path.find(']');
    if (close == std::string_view::npos) return v;
    size_t i = 0;
    const std::string_view digits = path.substr(1, close - 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
    if (ec != std::errc() || p != digits.data() + digits.size()) return v;
    if (i >= items.size()) return v;
    items[i] = WithNullAt(items[i], *type.children[0].type, path.substr(close + 1));
    return Value::List(std::move(items));
  }
  if (path[0] == '.' && type.id == TypeId::kStruct) {
    size_t best = 0, field = 0;
    for (size_t k = 0; k < type.children.size(); ++k) {
      const size_t m = Matches(path.substr(1), type.children[k].name);
      if (m > best) best = m, field = k;
    }
    if (best == 0 || field >= items.size()) return v;
    items[field] = WithNullAt(items[field], *type.children[field].type, path.substr(1 + best));
    return Value::List(std::move(items));
  }
  return v;
}

Result<std::vector<Row>> RowsFromColumns(const TableLayout& layout, std::vector<DecodedColumn> columns) {
  const TableSchema& schema = *layout.schema;
  std::map<std::string, DecodedColumn*> by_name;
  for (auto& c : columns) by_name[c.name] = &c;
  size_t n = 0;
  for (const auto& pc : layout.columns) {
    auto it = by_name.find(pc.name);
    if (it == by_name.end()) {
      if (columns.empty() || columns[0].values.empty()) return std::vector<Row>{};
      return Status::Invalid("table " + schema.name + ": the result lacks column " + pc.name);
    }
    n = it->second->values.size();
  }
  std::vector<Row> rows(n, Row(schema.columns.size()));
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const auto [first, last] = layout.ranges[c];
    const DataType& type = *schema.columns[c].type;
    if (layout.columns[first].element < 0) {
      auto& values = by_name[layout.columns[first].name]->values;
      for (size_t r = 0; r < n; ++r) rows[r][c] = ToFerry(std::move(values[r]), type);
      continue;
    }
    // Flattened list<struct>: zip `c.1`, `c.2`, ... item by item.
    for (size_t r = 0; r < n; ++r) {
      std::vector<Value> items;
      const size_t count = by_name[layout.columns[first].name]->values[r].items().size();
      for (size_t i = 0; i < count; ++i) {
        std::vector<Value> fields;
        for (int p = first; p < last; ++p) {
          const auto& list = by_name[layout.columns[p].name]->values[r].items();
          fields.push_back(i < list.size() ? list[i] : Value::Null());
        }
        items.push_back(Value::List(std::move(fields)));
      }
      rows[r][c] = ToFerry(Value::List(std::move(items)), type);
    }
  }
  if (!layout.null_paths) return rows;
  const auto& nulls = by_name[kNullsColumn]->values;
  for (size_t r = 0; r < n; ++r) {
    for (const auto& p : nulls[r].items()) {
      const std::string& path = p.as_string();
      size_t best = 0, col = 0;
      for (size_t c = 0; c < schema.columns.size(); ++c) {
        const size_t m = Matches(path, schema.columns[c].name);
        if (m > best) best = m, col = c;
      }
      if (best) rows[r][col] = WithNullAt(rows[r][col], *schema.columns[col].type, std::string_view(path).substr(best));
    }
  }
  return rows;
}

Result<std::vector<Row>> ReadTable(Client& client, const std::string& database, const TableLayout& layout, bool final) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < layout.columns.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(layout.columns[i].name);
  sql += " FROM " + QualifiedName(database, layout.schema->name) + (final ? " FINAL" : "") + " FORMAT Native";
  FERRY_ASSIGN_OR_RETURN(std::string body, client.Query(sql, "table " + layout.schema->name + ": read"));
  FERRY_ASSIGN_OR_RETURN(auto columns, DecodeNative(body));
  return RowsFromColumns(layout, std::move(columns));
}

}  // namespace ferry::plugins::clickhouse
