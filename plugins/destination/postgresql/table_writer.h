// TableWriter: writes the batches of one table by binary COPY.
//
// Without a primary key (append mode: the engine strips keys) the rows are
// COPYed straight into the table. With one, they are COPYed into a session
// temporary staging table (same columns, no constraints, plus the row's
// ordinal, ON COMMIT DELETE ROWS) and merged with one statement:
//   INSERT INTO t (...) SELECT DISTINCT ON (pk) ... FROM stage
//   ORDER BY pk, ordinal DESC ON CONFLICT (pk) DO UPDATE SET c = EXCLUDED.c, ...
// so a key repeated within a request keeps its last row, as CloudQuery's
// row-by-row upserts would. Write() runs inside the caller's transaction;
// the staging table must exist first (StagingSql(), run outside it, since a
// rolled-back CREATE would vanish). Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/destination/postgresql/connection.h"
#include "plugins/destination/postgresql/copy_encoder.h"

namespace ferry::plugins::postgresql {

class TableWriter {
 public:
  explicit TableWriter(TableSchemaPtr schema);

  const TableSchemaPtr& schema() const { return schema_; }
  bool upsert() const { return upsert_; }
  // The session-temporary staging table's name (upsert only).
  const std::string& staging_name() const { return staging_; }
  // CREATE TEMP TABLE IF NOT EXISTS for the staging table (upsert only).
  std::string StagingSql() const;
  // True when `other` has the same columns (names, types, keys).
  bool Compatible(const TableSchema& other) const;

  // Copies (and merges) every row of `batches`. `on_copy` runs after the
  // first chunk of COPY data was sent (a fault-injection seam for tests).
  Status Write(Connection& conn, const std::vector<BatchPtr>& batches, const std::function<void()>& on_copy);

 private:
  Status Copy(Connection& conn, const std::string& sql, const std::vector<BatchPtr>& batches,
              const std::function<void()>& on_copy);

  TableSchemaPtr schema_;
  bool upsert_;
  std::string staging_;
  std::string copy_sql_;    // COPY into the table or the staging table
  std::string merge_sql_;   // upsert only
  CopyEncoder encoder_;
  CopyBuffer buffer_;
};

}  // namespace ferry::plugins::postgresql
