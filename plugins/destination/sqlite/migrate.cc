#include "plugins/destination/sqlite/migrate.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

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

DiffRules Rules() {
  return {.column_type = [](const DataType& t) { return DeclaredType(t); },
          .case_insensitive = true,
          // Same values under either declared type: dates are 'YYYY-MM-DD'
          // text (Ferry declared DATE before, CloudQuery and Ferry now TEXT);
          // fixed-size binary is stored as a BLOB value, which a column
          // CloudQuery declared `text` keeps as it is (no affinity applies to
          // blobs).
          .equivalent_types = [](const std::string& have, const std::string& want, const DataType& type) {
            if (type.id == TypeId::kDate32) return (have == "date" || have == "text") && (want == "date" || want == "text");
            if (type.id == TypeId::kFixedSizeBinary) return have == "text" && want == "blob";
            return false;
          }};
}

TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have) {
  return ::ferry::plugins::PlanTable(want, have, Rules());
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
                     const std::string& destination_name, const std::function<Status()>& before,
                     const std::function<Status()>& after) {
  for (const auto& t : tables) {
    if (!t || t->columns.empty())
      return Status::Invalid("table " + (t ? t->name : std::string("(null)")) + ": a table needs at least one column");
  }
  Transaction tx(&conn);
  FERRY_RETURN_NOT_OK(tx.Begin().WithContext("migrate"));
  FERRY_ASSIGN_OR_RETURN(
      std::vector<TablePlan> plans,
      PlanMigration(tables, mode == MigrateMode::kSafe, destination_name,
                    [&](const std::string& table) { return ReadColumns(conn, table); }, Rules()));
  if (before) FERRY_RETURN_NOT_OK(before());
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
  if (after) FERRY_RETURN_NOT_OK(after());
  return tx.Commit().WithContext("migrate");
}

}  // namespace ferry::plugins::sqlite
