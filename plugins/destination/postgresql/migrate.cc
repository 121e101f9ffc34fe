#include "plugins/destination/postgresql/migrate.h"

#include <algorithm>
#include <set>

#include "plugins/destination/postgresql/type_map.h"

namespace ferry::plugins::postgresql {

namespace {

std::string PerformanceIndexSql(const TableSchema& t) {
  return "CREATE INDEX IF NOT EXISTS " + QuoteIdent(DerivedName(PgName(t.name), "_cqpi")) + " ON " +
         QuoteIdent(PgName(t.name)) + " (" + QuoteIdent(meta::kSourceName) + ", " + QuoteIdent(meta::kSyncTime) + ")";
}

}  // namespace

Result<std::optional<std::vector<ExistingColumn>>> ReadColumns(Connection& conn, const std::string& table) {
  static const std::string kSql =
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
      // int2vector subscripts start at 0: count the position from the lower bound.
      "CASE WHEN a.attnum = ANY(i.indkey) THEN array_position(i.indkey::int2[], a.attnum) "
      "- array_lower(i.indkey::int2[], 1) + 1 ELSE 0 END "
      "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
      "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
  Param p{.oid = oid::kText, .value = QuoteIdent(PgName(table))};
  FERRY_ASSIGN_OR_RETURN(PgResult r, conn.QueryParams(kSql, {p}, false, "table " + table + ": read columns"));
  if (PQntuples(r.get()) == 0) return std::optional<std::vector<ExistingColumn>>();
  std::vector<ExistingColumn> cols;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    cols.push_back(ExistingColumn{.name = PQgetvalue(r.get(), i, 0),
                                  .type = PQgetvalue(r.get(), i, 1),
                                  .not_null = PQgetvalue(r.get(), i, 2)[0] == 't',
                                  .pk = std::atoi(PQgetvalue(r.get(), i, 3))});
  }
  return std::optional<std::vector<ExistingColumn>>(std::move(cols));
}

DiffRules Rules() {
  return {.column_type = [](const DataType& t) { return ColumnType(t); },
          .stored_name = [](const std::string& n) { return PgName(n); },
          .alter_in_place = true};
}

TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have) {
  return ::ferry::plugins::PlanTable(want, have, Rules());
}

std::string CreateTableSql(const TableSchema& table, bool cq_id_unique) {
  const std::string name = PgName(table.name);
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QuoteIdent(name) + " (";
  const std::vector<std::string> pk = table.PrimaryKeys();
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& c = table.columns[i];
    sql += (i ? ", " : "") + QuoteIdent(PgName(c.name)) + " " + ColumnType(*c.type);
    if (c.not_null || c.primary_key) sql += " NOT NULL";
    // As CloudQuery's destination: _cq_id is UNIQUE (foreign keys can point
    // at it) unless it is the whole primary key already.
    if (c.unique && cq_id_unique && !(pk.size() == 1 && pk[0] == c.name)) sql += " UNIQUE";
  }
  if (!pk.empty()) {
    sql += ", CONSTRAINT " + QuoteIdent(DerivedName(name, "_cqpk")) + " PRIMARY KEY (";
    for (size_t i = 0; i < pk.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(PgName(pk[i]));
    sql += ")";
  }
  return sql + ")";
}

Status CheckNames(const TableSchema& table) {
  if (table.columns.empty()) return Status::Invalid("table " + table.name + ": a table needs at least one column");
  std::set<std::string> seen;
  for (const auto& c : table.columns)
    if (!seen.insert(PgName(c.name)).second)
      return Status::Invalid("table " + table.name + ": column " + c.name + " is \"" + PgName(c.name) +
                             "\" in PostgreSQL (names are cut to 63 bytes), the same as another column");
  return Status::OK();
}

Status MigrateTables(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateMode mode,
                     const CreateOptions& create, const std::string& destination_name) {
  std::set<std::string> names;
  for (const auto& t : tables) {
    if (!t) return Status::Invalid("migrate: null table");
    FERRY_RETURN_NOT_OK(CheckNames(*t));
    if (!names.insert(PgName(t->name)).second)
      return Status::Invalid("table " + t->name + " is \"" + PgName(t->name) +
                             "\" in PostgreSQL (names are cut to 63 bytes), the same as another table");
  }
  // One migration at a time per database (key: "ferry" in ASCII).
  FERRY_RETURN_NOT_OK(conn.Exec("BEGIN; SELECT pg_advisory_xact_lock(1718773113)", "migrate: begin"));
  Status st = [&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(
        std::vector<TablePlan> plans,
        PlanMigration(tables, mode == MigrateMode::kSafe, destination_name,
                      [&](const std::string& table) { return ReadColumns(conn, table); }, Rules()));
    if (create.before) FERRY_RETURN_NOT_OK(create.before());
    for (const auto& plan : plans) {
      const TableSchema& t = *plan.table;
      const std::string q = QuoteIdent(PgName(t.name));
      switch (plan.action) {
        case TablePlan::Action::kNone: break;
        case TablePlan::Action::kRecreate:
          FERRY_RETURN_NOT_OK(conn.Exec("DROP TABLE " + q, "table " + t.name + ": drop"));
          [[fallthrough]];
        case TablePlan::Action::kCreate:
          FERRY_RETURN_NOT_OK(conn.Exec(CreateTableSql(t, create.cq_id_unique), "table " + t.name + ": create"));
          break;
        case TablePlan::Action::kAddColumns:
          if (plan.key_to_cq_id) {
            // pk_mode: cq-id-only on a keyed table, as CloudQuery's destination
            // moves it: the old key constraint goes, _cq_id becomes the key.
            FERRY_ASSIGN_OR_RETURN(
                PgResult pk, conn.QueryParams("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) "
                                              "AND contype = 'p'",
                                              {Param{.oid = oid::kText, .value = q}}, false,
                                              "table " + t.name + ": read primary key"));
            if (PQntuples(pk.get()) == 1)
              FERRY_RETURN_NOT_OK(conn.Exec("ALTER TABLE " + q + " DROP CONSTRAINT " +
                                                QuoteIdent(PQgetvalue(pk.get(), 0, 0)),
                                            "table " + t.name + ": drop primary key"));
          }
          for (const auto& c : plan.drop_not_null)
            FERRY_RETURN_NOT_OK(conn.Exec("ALTER TABLE " + q + " ALTER COLUMN " + QuoteIdent(c) + " DROP NOT NULL",
                                          "table " + t.name + ": drop NOT NULL of " + c));
          if (plan.key_to_cq_id)
            FERRY_RETURN_NOT_OK(conn.Exec("ALTER TABLE " + q + " ADD CONSTRAINT " +
                                              QuoteIdent(DerivedName(PgName(t.name), "_cqpk")) + " PRIMARY KEY (" +
                                              QuoteIdent(meta::kId) + ")",
                                          "table " + t.name + ": make _cq_id the primary key"));
          for (const auto& c : plan.add)
            FERRY_RETURN_NOT_OK(conn.Exec("ALTER TABLE " + q + " ADD COLUMN IF NOT EXISTS " +
                                              QuoteIdent(PgName(c.name)) + " " + ColumnType(*c.type),
                                          "table " + t.name + ": add column " + c.name));
          break;
      }
      if (create.performance_indexes && t.FindColumn(meta::kSourceName) >= 0 && t.FindColumn(meta::kSyncTime) >= 0)
        FERRY_RETURN_NOT_OK(conn.Exec(PerformanceIndexSql(t), "table " + t.name + ": create performance index"));
    }
    if (create.after) FERRY_RETURN_NOT_OK(create.after());
    return conn.Exec("COMMIT", "migrate: commit");
  }();
  if (!st.ok() && conn.ok()) conn.Exec("ROLLBACK", "migrate: rollback").IgnoreError();  // the error above is what counts
  return st;
}

}  // namespace ferry::plugins::postgresql
