// TableWriter: the cached insert statement of one table and the binders of
// its columns.
//
// The statement is a plain INSERT when the schema has no primary key (append
// mode: the engine strips keys), and an upsert otherwise:
//   INSERT INTO "t" (...) VALUES (...) ON CONFLICT ("pk", ...) DO UPDATE SET
//   "c" = excluded."c", ...
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

// The INSERT (or upsert) statement for `table`, parameters ?1..?n in column order.
std::string InsertSql(const TableSchema& table);

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
  TableWriter(Connection* conn, TableSchemaPtr schema, Statement stmt);

  Connection* conn_;
  TableSchemaPtr schema_;
  Statement stmt_;
  std::vector<ColumnBinder> binders_;
};

}  // namespace ferry::plugins::sqlite
