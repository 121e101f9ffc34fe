// Schema diff shared by the SQL destinations: what a migration must do to
// make an existing table match the schema a sync declares.
//
// Rules (docs/semantics.md, "Migrations"):
//   safe, applied:  a new column that is neither NOT NULL nor part of the
//                   primary key -> add it.
//   safe, ignored:  a column the schema no longer has, unless it is NOT NULL
//                   (new rows could not be inserted: unsafe); a nullable
//                   column the schema declares NOT NULL (it takes every row
//                   the schema allows: CloudQuery's SQLite key columns).
//   safe, altered:  with DiffRules::alter_in_place, NOT NULL removed and a key
//                   moved to _cq_id alone.
//   unsafe:         a changed declared type, a new NOT NULL column, NOT NULL
//                   removed, a changed primary-key column set
//                   (compared as a set: key order does not change which rows
//                   conflict).
// Each destination supplies its declared type names and how its database
// stores names; the SQL that applies a plan stays in the destination.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"

namespace ferry::plugins {

// A column as the database has it.
struct ExistingColumn {
  std::string name;
  std::string type;     // declared type, as the database reports it
  bool not_null = false;
  int pk = 0;           // 1-based position in the primary key, 0 when not in it
};

// What a migration will do to one table.
struct TablePlan {
  // kAddColumns: change the table in place: add `add`, and where the rules
  // allow, drop NOT NULL from `drop_not_null` and move the key to _cq_id.
  enum class Action { kNone, kCreate, kAddColumns, kRecreate };
  TableSchemaPtr table;
  Action action = Action::kNone;
  std::vector<Column> add;             // kAddColumns
  std::vector<std::string> drop_not_null;   // stored names (alter_in_place only)
  bool key_to_cq_id = false;           // drop the primary key, make _cq_id the key (alter_in_place only)
  std::vector<std::string> unsafe;     // e.g. "column c: type changed from INTEGER to TEXT"
};

struct DiffRules {
  // The declared type the destination creates for a Ferry type.
  std::function<std::string(const DataType&)> column_type;
  // The name the database stores for a schema name (e.g. cut to 63 bytes);
  // identity when empty.
  std::function<std::string(const std::string&)> stored_name;
  // Names and declared types compare case-insensitively (SQLite).
  bool case_insensitive = false;
  // Declared types that hold the same values of Ferry type `type`, e.g.
  // SQLite's DATE and TEXT for dates stored as 'YYYY-MM-DD' text (names
  // case-folded when case_insensitive).
  std::function<bool(const std::string& existing, const std::string& wanted, const DataType& type)> equivalent_types;
  // The database can alter a table in place without losing rows
  // (PostgreSQL): NOT NULL removed is then safe (DROP NOT NULL), and so is
  // a key moved to _cq_id alone (pk_mode: cq-id-only on a table that had a
  // key: _cq_id is unique and NOT NULL in every row), as CloudQuery's
  // PostgreSQL destination does.
  bool alter_in_place = false;
};

// Diffs the wanted schema against the existing columns (nullopt: no table).
// Unsafe changes make the action kRecreate.
TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have,
                    const DiffRules& rules);

// The plans of every table, reading each table's columns with `read` (nullopt:
// no such table). In safe mode a plan that would lose data is refused before
// anything is changed, with one SchemaChange error listing every unsafe
// change and the fix (migrate_mode: forced in destination `destination`).
using ReadColumnsFn = std::function<Result<std::optional<std::vector<ExistingColumn>>>(const std::string& table)>;
Result<std::vector<TablePlan>> PlanMigration(const std::vector<TableSchemaPtr>& tables, bool safe_mode,
                                             const std::string& destination, const ReadColumnsFn& read,
                                             const DiffRules& rules);

// A batch written to `table` must have its columns, names and types in
// order; the error names the table and the first column that differs.
Status CheckBatchMatchesTable(const TableSchema& table, const Batch& batch);

}  // namespace ferry::plugins
