#include "plugins/destination/sqlite/table_writer.h"

namespace ferry::plugins::sqlite {

std::string InsertSql(const TableSchema& table) {
  std::string sql = "INSERT INTO " + QuoteIdent(table.name) + " (";
  std::string values;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) {
      sql += ", ";
      values += ", ";
    }
    sql += QuoteIdent(table.columns[i].name);
    values += "?" + std::to_string(i + 1);
  }
  sql += ") VALUES (" + values + ")";
  const std::vector<std::string> pk = table.PrimaryKeys();
  if (pk.empty()) return sql;
  sql += " ON CONFLICT (";
  for (size_t i = 0; i < pk.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(pk[i]);
  sql += ") DO ";
  std::string set;
  for (const auto& c : table.columns) {
    if (c.primary_key) continue;
    if (!set.empty()) set += ", ";
    set += QuoteIdent(c.name) + " = excluded." + QuoteIdent(c.name);
  }
  return sql + (set.empty() ? "NOTHING" : "UPDATE SET " + set);
}

Result<std::unique_ptr<TableWriter>> TableWriter::Create(Connection* conn, TableSchemaPtr schema) {
  FERRY_ASSIGN_OR_RETURN(Statement stmt, conn->Prepare(InsertSql(*schema), "table " + schema->name + ": prepare insert"));
  return std::unique_ptr<TableWriter>(new TableWriter(conn, std::move(schema), std::move(stmt)));
}

TableWriter::TableWriter(Connection* conn, TableSchemaPtr schema, Statement stmt)
    : conn_(conn), schema_(std::move(schema)), stmt_(std::move(stmt)) {
  binders_.reserve(schema_->columns.size());
  for (const auto& c : schema_->columns) binders_.emplace_back(*c.type);
}

bool TableWriter::Compatible(const TableSchema& other) const {
  if (&other == schema_.get()) return true;
  if (other.name != schema_->name || other.columns.size() != schema_->columns.size()) return false;
  for (size_t i = 0; i < other.columns.size(); ++i) {
    const Column& a = other.columns[i];
    const Column& b = schema_->columns[i];
    if (a.name != b.name || a.primary_key != b.primary_key || !a.type->Equals(*b.type)) return false;
  }
  return true;
}

Status TableWriter::Write(const Batch& batch, int64_t first_row) {
  const auto& cols = batch.columns();
  if (cols.size() != binders_.size())
    return Status::Invalid("table " + schema_->name + ": batch has " + std::to_string(cols.size()) +
                           " columns, the table schema " + std::to_string(binders_.size()));
  for (size_t c = 0; c < cols.size(); ++c) {
    if (!cols[c]->type->Equals(*schema_->columns[c].type))
      return Status::Invalid("table " + schema_->name + ": column " + schema_->columns[c].name + " is " +
                             schema_->columns[c].type->ToString() + " but the batch holds " +
                             cols[c]->type->ToString());
  }
  sqlite3_stmt* stmt = stmt_.get();
  const int ncols = static_cast<int>(cols.size());
  const int64_t nrows = batch.num_rows();
  for (int64_t r = 0; r < nrows; ++r) {
    for (int c = 0; c < ncols; ++c) {
      int rc = binders_[c].Bind(stmt, c + 1, *cols[c], r);
      if (rc != SQLITE_OK)
        return conn_->Error(rc, "table " + schema_->name + ": row " + std::to_string(first_row + r) +
                                    ": column " + schema_->columns[c].name);
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      Status st = conn_->Error(rc, "table " + schema_->name + ": insert row " + std::to_string(first_row + r));
      sqlite3_reset(stmt);
      return st;
    }
    sqlite3_reset(stmt);
  }
  return Status::OK();
}

}  // namespace ferry::plugins::sqlite
