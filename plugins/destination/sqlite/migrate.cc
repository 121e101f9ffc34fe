#include "plugins/destination/sqlite/migrate.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// SQLite identifiers are case-insensitive (for ASCII).
bool SameName(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

std::string KeyList(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

std::set<std::string> LowerSet(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const auto& n : names) out.insert(Lower(n));
  return out;
}

const ExistingColumn* FindExisting(const std::vector<ExistingColumn>& have, const std::string& name) {
  for (const auto& c : have)
    if (SameName(c.name, name)) return &c;
  return nullptr;
}

}  // namespace

Result<std::optional<std::vector<ExistingColumn>>> ReadColumns(Connection& conn, const std::string& table) {
  const std::string context = "table " + table + ": read columns";
  FERRY_ASSIGN_OR_RETURN(Statement stmt,
                         conn.Prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", context));
  int rc = sqlite3_bind_text(stmt.get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) return conn.Error(rc, context);
  std::vector<ExistingColumn> cols;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    ExistingColumn c;
    c.name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    const unsigned char* type = sqlite3_column_text(stmt.get(), 1);
    c.type = type ? reinterpret_cast<const char*>(type) : "";
    c.not_null = sqlite3_column_int(stmt.get(), 2) != 0;
    c.pk = sqlite3_column_int(stmt.get(), 3);
    cols.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return conn.Error(rc, context);
  if (cols.empty()) return std::optional<std::vector<ExistingColumn>>();
  return std::optional<std::vector<ExistingColumn>>(std::move(cols));
}

TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have) {
  TablePlan plan;
  plan.table = want;
  if (!have) {
    plan.action = TablePlan::Action::kCreate;
    return plan;
  }
  // Primary keys, compared as sets: the key's column order does not change
  // which rows conflict.
  std::vector<std::pair<int, std::string>> old_pk_pos;
  for (const auto& c : *have)
    if (c.pk > 0) old_pk_pos.emplace_back(c.pk, c.name);
  std::sort(old_pk_pos.begin(), old_pk_pos.end());
  std::vector<std::string> old_pk;
  for (auto& [pos, name] : old_pk_pos) old_pk.push_back(name);
  const std::vector<std::string> new_pk = want->PrimaryKeys();
  const std::set<std::string> old_pk_set = LowerSet(old_pk), new_pk_set = LowerSet(new_pk);
  if (old_pk_set != new_pk_set)
    plan.unsafe.push_back("primary key changed from " + KeyList(old_pk) + " to " + KeyList(new_pk));

  for (const auto& col : want->columns) {
    const ExistingColumn* old = FindExisting(*have, col.name);
    if (!old) {
      if (col.not_null) plan.unsafe.push_back("column " + col.name + ": new NOT NULL column");
      else if (!col.primary_key) plan.add.push_back(col);
      // A new primary-key column is reported by the key change above.
      continue;
    }
    const std::string want_type = DeclaredType(*col.type);
    if (Lower(old->type) != Lower(want_type))
      plan.unsafe.push_back("column " + col.name + ": type changed from " + old->type + " to " + want_type);
    const bool was_pk = old->pk > 0, is_pk = col.primary_key;
    if (was_pk == is_pk) {  // otherwise the key change explains the NOT NULL change
      const bool want_not_null = col.not_null || col.primary_key;
      if (want_not_null && !old->not_null) plan.unsafe.push_back("column " + col.name + ": NOT NULL added");
      if (!want_not_null && old->not_null) plan.unsafe.push_back("column " + col.name + ": NOT NULL removed");
    }
  }
  for (const auto& old : *have) {
    if (want->FindColumn(old.name) >= 0) continue;
    bool found = false;
    for (const auto& c : want->columns) found = found || SameName(c.name, old.name);
    if (!found && old.not_null && old.pk == 0)
      plan.unsafe.push_back("column " + old.name + ": removed, but it is NOT NULL, so new rows could not be inserted");
  }
  if (!plan.unsafe.empty()) plan.action = TablePlan::Action::kRecreate;
  else if (!plan.add.empty()) plan.action = TablePlan::Action::kAddColumns;
  return plan;
}

std::string CreateTableSql(const TableSchema& table) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QuoteIdent(table.name) + " (";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& c = table.columns[i];
    if (i) sql += ", ";
    sql += QuoteIdent(c.name) + " " + DeclaredType(*c.type);
    if (c.not_null || c.primary_key) sql += " NOT NULL";
  }
  const std::vector<std::string> pk = table.PrimaryKeys();
  if (!pk.empty()) {
    sql += ", PRIMARY KEY (";
    for (size_t i = 0; i < pk.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(pk[i]);
    sql += ")";
  }
  return sql + ")";
}

std::string AddColumnSql(const std::string& table, const Column& column) {
  return "ALTER TABLE " + QuoteIdent(table) + " ADD COLUMN " + QuoteIdent(column.name) + " " +
         DeclaredType(*column.type);
}

Status MigrateTables(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateMode mode,
                     const std::string& destination_name) {
  for (const auto& t : tables) {
    if (!t || t->columns.empty())
      return Status::Invalid("table " + (t ? t->name : std::string("(null)")) + ": a table needs at least one column");
  }
  Transaction tx(&conn);
  FERRY_RETURN_NOT_OK(tx.Begin().WithContext("migrate"));
  std::vector<TablePlan> plans;
  std::string unsafe_text;
  size_t unsafe_tables = 0;
  for (const auto& t : tables) {
    FERRY_ASSIGN_OR_RETURN(auto have, ReadColumns(conn, t->name));
    plans.push_back(PlanTable(t, have));
    if (plans.back().unsafe.empty()) continue;
    ++unsafe_tables;
    for (const auto& change : plans.back().unsafe) unsafe_text += "\n  table " + t->name + ": " + change;
  }
  if (unsafe_tables > 0 && mode == MigrateMode::kSafe) {
    return Status::SchemaChange(
        "cannot migrate " + std::to_string(unsafe_tables) + (unsafe_tables == 1 ? " table" : " tables") +
        " without losing data:" + unsafe_text + "\nset migrate_mode: forced in destination \"" +
        destination_name + "\" to drop and recreate " +
        (unsafe_tables == 1 ? "this table (its data is lost)" : "these tables (their data is lost)"));
  }
  for (const auto& plan : plans) {
    const std::string& name = plan.table->name;
    switch (plan.action) {
      case TablePlan::Action::kNone:
        break;
      case TablePlan::Action::kRecreate:
        FERRY_RETURN_NOT_OK(conn.Exec("DROP TABLE " + QuoteIdent(name), "table " + name + ": drop"));
        [[fallthrough]];
      case TablePlan::Action::kCreate:
        FERRY_RETURN_NOT_OK(conn.Exec(CreateTableSql(*plan.table), "table " + name + ": create"));
        break;
      case TablePlan::Action::kAddColumns:
        for (const auto& c : plan.add)
          FERRY_RETURN_NOT_OK(conn.Exec(AddColumnSql(name, c), "table " + name + ": add column " + c.name));
        break;
    }
  }
  return tx.Commit().WithContext("migrate");
}

}  // namespace ferry::plugins::sqlite
