// Migration: makes the server's tables match the schemas a sync declares.
//
// For each table Ferry reads what exists (system.tables, system.columns) and
// diffs it with the layout (type_map.h) and engine it wants:
//   create:        CREATE TABLE IF NOT EXISTS ... ENGINE ... [PARTITION BY]
//                  ORDER BY (primary key) | (order rule) | tuple() [TTL] [SETTINGS]
//   safe, applied: a new column that is neither NOT NULL nor part of the
//                  primary key -> ALTER TABLE ADD COLUMN (old rows read null;
//                  for a new list or struct column `_ferry_nulls` records
//                  that, through a DEFAULT when `_ferry_nulls` is new, else
//                  through one ALTER TABLE UPDATE mutation);
//   safe, ignored: a column the schema no longer has (inserts leave it at its
//                  default), a changed partition / order / ttl rule (rules
//                  apply when a table is created);
//   unsafe:        a changed column type (nullability included), a new NOT
//                  NULL column, a changed primary key (= sorting key of a
//                  ReplacingMergeTree table), a changed engine.
// Unsafe changes in MigrateMode::kSafe fail the whole call with
// Status::SchemaChange listing every change of every table, before anything
// is altered; kForced drops and recreates those tables (data lost).
// ClickHouse DDL is not transactional: a failure half way leaves the tables
// before it migrated, and the next run picks up from there.
// With `cluster`, every statement runs ON CLUSTER.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "plugins/destination/clickhouse/clickhouse_spec.h"
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

// A table as the server has it.
struct ExistingTable {
  std::string engine;                                        // "ReplacingMergeTree"
  std::string engine_full;                                   // with parameters, keys and settings
  std::string sorting_key;                                   // "region, id"; "" for tuple()
  std::vector<std::pair<std::string, std::string>> columns;  // name, type (table order)
};

struct DdlContext {
  const Spec* spec;
  const ServerFeatures* features;
  std::string database;
  // snapshot_views: new tables without a partition rule are partitioned by
  // the day of _cq_sync_time (snapshot_views.h).
  bool snapshot_partition = false;
};

struct TablePlan {
  enum class Action { kNone, kCreate, kAddColumns, kRecreate };
  TableLayout layout;
  Action action = Action::kNone;
  std::vector<int> add;                // logical columns to add
  bool add_nulls_column = false;       // `_ferry_nulls` is missing
  std::vector<std::string> mark_null;  // new list/struct columns old rows must read as null
  std::vector<std::string> unsafe;     // "column c: type changed from Int64 to String"
};

// Every listed table that exists in `database`.
Result<std::map<std::string, ExistingTable>> ReadExisting(Client& client, const std::string& database,
                                                          const std::vector<std::string>& tables);

Result<std::string> CreateTableSql(const TableLayout& layout, const DdlContext& ctx);
TablePlan PlanTable(const TableLayout& want, const std::optional<ExistingTable>& have, const DdlContext& ctx);
// The ALTER TABLE ... ADD COLUMN statement of a kAddColumns plan, and the
// mutation that makes old rows read its new list / struct columns as null
// ("" when the new `_ferry_nulls` column's DEFAULT does that, or none is new).
std::string AddColumnsSql(const TablePlan& plan, const DdlContext& ctx);
std::string MarkNullSql(const TablePlan& plan, const DdlContext& ctx);
// The column names of a sorting key as system.tables prints it, without
// blanks and backquotes: "`region`, id" and "(region, id)" -> {"region", "id"}
// (current servers print ORDER BY (id) as "(id)", 18.16 as "id").
std::vector<std::string> SortingKeyColumns(const std::string& sorting_key);

// Whether inserts into a table with this engine clause are deduplicated by
// insert_deduplication_token (Replicated / Shared engines, or the
// non-replicated window Ferry sets on servers that have tokens).
bool DeduplicatesInserts(const ExistingTable& table, const ServerFeatures& f);

// Migrates every table as described above; returns per table whether its
// inserts deduplicate (DeduplicatesInserts after migration).
Result<std::map<std::string, bool>> MigrateTables(Client& client, const std::vector<TableSchemaPtr>& tables,
                                                  MigrateMode mode, const DdlContext& ctx,
                                                  const std::string& destination_name);

// Unescapes one field of ClickHouse's TabSeparated output.
std::string UnescapeTsv(std::string_view field);

}  // namespace ferry::plugins::clickhouse
