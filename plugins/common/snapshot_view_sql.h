// The SQL of snapshot views (ferry/snapshot_views.h) for destinations that
// speak standard SQL with window functions: SQLite (3.25+) and PostgreSQL.
// ClickHouse writes its own (its 18.16 has no window functions).
//
// Every identifier goes through the dialect's quoting and every value is a
// literal made here with '' doubling (table names are Ferry identifiers,
// ^[a-z_][a-z0-9_]*$, so nothing else can reach the text). The views name
// their columns one by one, so they are recreated whenever the table
// migrates (a new column then appears in them).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/destination.h"
#include "ferry/schema.h"
#include "ferry/status.h"

namespace ferry::plugins {

struct ViewDialect {
  std::function<std::string(std::string_view)> quote;   // identifier -> "quoted"
  // A table or column name as the database stores it (PostgreSQL cuts long
  // names); identity when empty.
  std::function<std::string(std::string_view)> name;
  // A derived object name (the views): base + suffix, kept unique and short.
  std::function<std::string(std::string_view base, std::string_view suffix)> derived;
  const char* distinct = "IS DISTINCT FROM";   // null-safe "differs" operator ("IS NOT" in SQLite)
};

std::string LatestViewName(const TableSchema& table, const ViewDialect& d);
std::string ChangesViewName(const TableSchema& table, const ViewDialect& d);

// CREATE VIEW <table>_latest AS ...
std::string LatestViewSql(const TableSchema& table, const ViewDialect& d);
// CREATE VIEW <table>_changes AS ...; only for snapshot::HasChangesView.
std::string ChangesViewSql(const TableSchema& table, const ViewDialect& d);

// What a destination's catalog and connection offer for the views.
struct ViewCatalog {
  // The kind of the object called `name` ("" when there is none).
  std::function<Result<std::string>(const std::string& name)> kind;
  std::string view_kind;   // what `kind` says for a view
  std::function<Status(const std::string& sql, const std::string& context)> exec;
};

// MigrateOptions::Views kCreate and kDrop: drops the views of `tables` (the
// changes view first: nothing depends on it); kDrop only when an earlier
// sync made views (the snapshot table exists). A name taken by something
// that is not a view is an error that names it.
Status DropSnapshotViews(const ViewCatalog& catalog, const ViewDialect& d, const std::vector<TableSchemaPtr>& tables,
                         MigrateOptions::Views mode);
// Creates the index (SnapshotIndexSql) and views of every table of `tables`
// with snapshot::HasViews.
Status CreateSnapshotViews(const ViewCatalog& catalog, const ViewDialect& d, const std::vector<TableSchemaPtr>& tables);

// CREATE INDEX IF NOT EXISTS <index> ON <table> (_cq_source_name,
// _cq_sync_time, <source key>...): the views find one sync's rows, and one
// key in it, without reading the other syncs.
std::string SnapshotIndexSql(const TableSchema& table, const ViewDialect& d);

// 'text' with quotes doubled.
std::string SqlLiteral(std::string_view text);

}  // namespace ferry::plugins
