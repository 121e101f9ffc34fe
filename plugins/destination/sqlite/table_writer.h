// TableWriter: the cached insert statement of one table and the binders of
// its columns.
//
// The statement is a plain INSERT when the schema has no primary key (append
// mode: the engine strips keys), and an upsert otherwise:
//   INSERT INTO "t" (...) VALUES (...) ON CONFLICT ("pk", ...) DO UPDATE SET
//   "c" = excluded."c", ...
// Rows go 64 at a time through a multi-row VALUES statement (SQLite applies
// them in order, so a key repeated in a batch ends with its last row), the
// remainder through a one-row statement.
// (CloudQuery's sqlite plugin uses INSERT OR REPLACE, which deletes and
// re-inserts the row; the upsert updates it in place and leaves columns the
// schema no longer has untouched.) Write() runs inside the caller's
// transaction. Not thread-safe; the Connection must outlive the writer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/destination/sqlite/column_binder.h"
#include "plugins/destination/sqlite/connection.h"

namespace ferry::plugins::sqlite {

// The INSERT (or upsert) statement for `table` with `rows` rows of
// parameters ?1..?n, row after row, in column order.
std::string InsertSql(const TableSchema& table, int rows = 1);

class TableWriter {
 public:
  // Prepares the statement; fails when the table does not exist or lacks a column.
  static Result<std::unique_ptr<TableWriter>> Create(Connection* conn, TableSchemaPtr schema);

  const TableSchemaPtr& schema() const { return schema_; }
  // True when `other` has the same columns (names, types, keys) as the
  // schema this writer was prepared for, so it can write its batches.
  bool Compatible(const TableSchema& other) const;

  // Inserts every row of `batch` (which must match schema()). `first_row` is
  // the request-wide index of its first row, for error messages.
  Status Write(const Batch& batch, int64_t first_row);

 private:
  TableWriter(Connection* conn, TableSchemaPtr schema, Statement single, Statement multi, int multi_rows);
  // Binds rows [first, first + rows) of `batch` to `stmt`; on error sets the
  // row and column at fault and returns the SQLite code.
  int BindRows(sqlite3_stmt* stmt, const Batch& batch, int64_t first, int rows, int64_t* bad_row, int* bad_col);

  Connection* conn_;
  TableSchemaPtr schema_;
  Statement single_;                    // one row
  Statement multi_;                     // multi_rows_ rows
  int multi_rows_;
  std::vector<ColumnBinder> binders_;   // one per parameter of multi_ (single_ uses the first row's)
};

}  // namespace ferry::plugins::sqlite
