// Migration: makes the database's tables match the schemas a sync declares.
//
// For each table: create it when missing; otherwise read its columns from the
// catalog (pg_attribute, format_type, the primary-key index) and diff.
//   safe, applied:   a new column that is neither NOT NULL nor part of the
//                    primary key -> ALTER TABLE ADD COLUMN.
//   safe, ignored:   a column the schema no longer has (it stays and gets
//                    NULL), unless it is NOT NULL (new rows could not be
//                    inserted: unsafe).
//   unsafe:          a changed column type, a new NOT NULL column, NOT NULL
//                    added or removed, a changed primary-key column set.
// Unsafe changes in MigrateMode::kSafe fail the whole call with
// Status::SchemaChange listing every change of every table, before anything
// is altered; in kForced those tables are dropped and recreated (data lost).
// Everything runs in one transaction under an advisory lock, so concurrent
// Ferry processes migrate one after the other and all tables migrate or none.
//
// Names longer than 63 bytes are cut as PostgreSQL cuts them (PgName); two
// columns that become the same name are an error. The primary key is the
// constraint "<table>_cqpk" (CloudQuery's name); the optional performance
// index is "<table>_cqpi" on (_cq_source_name, _cq_sync_time).
// Not thread-safe (uses the connection).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/common/schema_diff.h"
#include "plugins/destination/postgresql/connection.h"

namespace ferry::plugins::postgresql {

// ExistingColumn.type is format_type(): "bigint", "text[]", ...
using ::ferry::plugins::ExistingColumn;
using ::ferry::plugins::TablePlan;

// The table's columns (resolved through search_path), or nullopt when absent.
Result<std::optional<std::vector<ExistingColumn>>> ReadColumns(Connection& conn, const std::string& table);

TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have);

// `cq_id_unique`: _cq_id (a unique column) gets its UNIQUE constraint.
std::string CreateTableSql(const TableSchema& table, bool cq_id_unique = true);

// Fails when two names of `table` (or of its columns) collide after PgName.
Status CheckNames(const TableSchema& table);

// Migrates every table as described above. `destination_name` names the
// destination in the fix of a SchemaChange error.
struct CreateOptions {
  bool performance_indexes = false;   // <table>_cqpi on (_cq_source_name, _cq_sync_time)
  bool cq_id_unique = true;           // UNIQUE(_cq_id) in new tables
  // Run in the migration's transaction before and after the tables change
  // (the snapshot views are dropped and made again around them).
  std::function<Status()> before, after;
};
Status MigrateTables(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateMode mode,
                     const CreateOptions& create, const std::string& destination_name);

}  // namespace ferry::plugins::postgresql
