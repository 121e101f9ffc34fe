// Migration: makes the database's tables match the schemas a sync declares.
//
// For each table: create it when missing; otherwise read its columns
// (pragma_table_info) and diff.
//   safe, applied:   a new column that is neither NOT NULL nor part of the
//                    primary key -> ALTER TABLE ADD COLUMN.
//   safe, ignored:   a column the schema no longer has (it stays; inserts
//                    name their columns, so it gets NULL), unless it is
//                    NOT NULL (then new rows could not be inserted: unsafe).
//   unsafe:          a changed declared type, a new NOT NULL column, NOT NULL
//                    added or removed, a changed primary-key column set.
// Unsafe changes in MigrateMode::kSafe fail the whole call with
// Status::SchemaChange listing every change of every table, before anything is
// altered; in kForced those tables are dropped and recreated (data lost).
// Everything runs in one transaction: all tables migrate or none.
//
// DDL quotes every identifier (QuoteIdent). Declared types come from
// type_map.h and are compared case-insensitively. Primary-key columns are
// declared NOT NULL. Not thread-safe (uses the connection).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/common/schema_diff.h"
#include "plugins/destination/sqlite/connection.h"

namespace ferry::plugins::sqlite {

using ::ferry::plugins::ExistingColumn;
using ::ferry::plugins::TablePlan;

// The table's columns, or nullopt when it does not exist.
Result<std::optional<std::vector<ExistingColumn>>> ReadColumns(Connection& conn, const std::string& table);

// Diffs the wanted schema against the existing columns (nullopt: no table).
// Unsafe changes make the action kRecreate.
TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have);

std::string CreateTableSql(const TableSchema& table);
std::string AddColumnSql(const std::string& table, const Column& column);

// Migrates every table as described above. `destination_name` names the
// destination in the fix of a SchemaChange error. `before` and `after`, when
// set, run in the same transaction before and after the tables change (the
// snapshot views are dropped and recreated around them).
Status MigrateTables(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateMode mode,
                     const std::string& destination_name, const std::function<Status()>& before = nullptr,
                     const std::function<Status()>& after = nullptr);

}  // namespace ferry::plugins::sqlite
