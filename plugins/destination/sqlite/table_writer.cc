#include "plugins/destination/sqlite/table_writer.h"

#include <algorithm>

namespace ferry::plugins::sqlite {

namespace {

// Rows per multi-row statement: one step inserts this many, which halves the
// per-row cost of stepping and resetting. Capped by SQLite's default limit of
// 32766 parameters per statement.
constexpr int kMultiRows = 64;
constexpr int kMaxParams = 32766;

// Errors that abort only the failing statement (not the transaction), so the
// rows can be retried one by one to name the row at fault.
bool StatementLevel(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: case SQLITE_MISMATCH: case SQLITE_TOOBIG: case SQLITE_RANGE: return true;
    default: return false;
  }
}

}  // namespace

std::string InsertSql(const TableSchema& table, int rows) {
  std::string sql = "INSERT INTO " + QuoteIdent(table.name) + " (";
  for (size_t i = 0; i < table.columns.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(table.columns[i].name);
  sql += ") VALUES ";
  int param = 0;
  for (int r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (size_t i = 0; i < table.columns.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(++param);
    sql += ")";
  }
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
  const std::string context = "table " + schema->name + ": prepare insert";
  const int ncols = static_cast<int>(schema->columns.size());
  const int multi_rows = std::max(1, std::min(kMultiRows, kMaxParams / std::max(ncols, 1)));
  FERRY_ASSIGN_OR_RETURN(Statement single, conn->Prepare(InsertSql(*schema, 1), context));
  FERRY_ASSIGN_OR_RETURN(Statement multi, conn->Prepare(InsertSql(*schema, multi_rows), context));
  return std::unique_ptr<TableWriter>(
      new TableWriter(conn, std::move(schema), std::move(single), std::move(multi), multi_rows));
}

TableWriter::TableWriter(Connection* conn, TableSchemaPtr schema, Statement single, Statement multi, int multi_rows)
    : conn_(conn), schema_(std::move(schema)), single_(std::move(single)), multi_(std::move(multi)),
      multi_rows_(multi_rows) {
  binders_.reserve(schema_->columns.size() * static_cast<size_t>(multi_rows_));
  for (int r = 0; r < multi_rows_; ++r)
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

int TableWriter::BindRows(sqlite3_stmt* stmt, const Batch& batch, int64_t first, int rows, int64_t* bad_row,
                          int* bad_col) {
  const auto& cols = batch.columns();
  const int ncols = static_cast<int>(cols.size());
  int param = 0;
  for (int k = 0; k < rows; ++k) {
    for (int c = 0; c < ncols; ++c, ++param) {
      int rc = binders_[param].Bind(stmt, param + 1, *cols[c], first + k);
      if (rc != SQLITE_OK) {
        *bad_row = first + k;
        *bad_col = c;
        return rc;
      }
    }
  }
  return SQLITE_OK;
}

Status TableWriter::Write(const Batch& batch, int64_t first_row) {
  const auto& cols = batch.columns();
  if (cols.size() != schema_->columns.size())
    return Status::Invalid("table " + schema_->name + ": batch has " + std::to_string(cols.size()) +
                           " columns, the table schema " + std::to_string(schema_->columns.size()));
  for (size_t c = 0; c < cols.size(); ++c) {
    if (!cols[c]->type->Equals(*schema_->columns[c].type))
      return Status::Invalid("table " + schema_->name + ": column " + schema_->columns[c].name + " is " +
                             schema_->columns[c].type->ToString() + " but the batch holds " +
                             cols[c]->type->ToString());
  }
  const int64_t nrows = batch.num_rows();
  int64_t bad_row = 0;
  int bad_col = 0;
  auto bind_error = [&](int rc) {
    return conn_->Error(rc, "table " + schema_->name + ": row " + std::to_string(first_row + bad_row) +
                                ": column " + schema_->columns[bad_col].name);
  };
  int64_t r = 0;
  while (r < nrows) {
    const bool multi = multi_rows_ > 1 && r + multi_rows_ <= nrows;
    sqlite3_stmt* stmt = multi ? multi_.get() : single_.get();
    const int rows = multi ? multi_rows_ : 1;
    int rc = BindRows(stmt, batch, r, rows, &bad_row, &bad_col);
    if (rc != SQLITE_OK) return bind_error(rc);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt);
      r += rows;
      continue;
    }
    if (multi && StatementLevel(rc)) {
      // The statement was undone as a whole: insert these rows one at a
      // time so that the error names the row at fault.
      sqlite3_reset(stmt);
      for (int k = 0; k < rows; ++k) {
        rc = BindRows(single_.get(), batch, r + k, 1, &bad_row, &bad_col);
        if (rc != SQLITE_OK) return bind_error(rc);
        rc = sqlite3_step(single_.get());
        if (rc != SQLITE_DONE) {
          Status st = conn_->Error(rc, "table " + schema_->name + ": insert row " + std::to_string(first_row + r + k));
          sqlite3_reset(single_.get());
          return st;
        }
        sqlite3_reset(single_.get());
      }
      // Unreachable in practice (the rows failed together); written anyway.
      r += rows;
      continue;
    }
    Status st = conn_->Error(rc, "table " + schema_->name + ": insert rows " + std::to_string(first_row + r) +
                                     ".." + std::to_string(first_row + r + rows - 1));
    sqlite3_reset(stmt);
    return st;
  }
  return Status::OK();
}

}  // namespace ferry::plugins::sqlite
