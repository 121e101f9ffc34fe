#include "ferry/schema.h"

namespace ferry {

int TableSchema::FindColumn(const std::string& column_name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == column_name) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> TableSchema::PrimaryKeys() const {
  std::vector<std::string> out;
  for (const auto& c : columns)
    if (c.primary_key) out.push_back(c.name);
  return out;
}

std::vector<std::string> TableSchema::IncrementalKeys() const {
  std::vector<std::string> out;
  for (const auto& c : columns)
    if (c.incremental_key) out.push_back(c.name);
  return out;
}

bool IsValidIdentifier(const std::string& name) {
  if (name.empty()) return false;
  char c0 = name[0];
  if (!((c0 >= 'a' && c0 <= 'z') || c0 == '_')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace ferry

#include "ferry/state.h"

namespace ferry {

TableSchemaPtr StateTableSchema(const std::string& table_name) {
  auto s = std::make_shared<TableSchema>();
  s->name = table_name;
  s->description = "Cursors of incremental tables (Ferry/CloudQuery state backend)";
  Column key{.name = "key", .type = types::Utf8(), .description = "Cursor key: <table> or <table>:<client>"};
  key.primary_key = true;
  key.not_null = true;
  s->columns = {key,
                {.name = "value", .type = types::Utf8(), .description = "Cursor value"},
                {.name = "version", .type = types::UInt64(), .description = "Bumped on every change"}};
  return s;
}

}  // namespace ferry
