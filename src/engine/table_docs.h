// Table documentation, as `ferry tables` writes it: CloudQuery's
// `tables --format json` (__tables.json) and `--format markdown` (README.md
// plus one <table>.md per table), generated from a source's table schemas.
//
// Input is the flattened list a Source returns (relations name their parent
// in TableSchema::parent). Tables are nested under their parent and sorted by
// name at every level, as CloudQuery's generator does; a table whose parent is
// not in the list is documented at the top level. Columns are documented as
// given (for sources built on sdk::TableSource that includes _cq_id and
// _cq_parent_id). Pure functions of their input; safe to call concurrently.
//
// JSON (one array of tables; CloudQuery's keys exactly as its CLI writes
// them, false flags and empty type_schema omitted, then Ferry's additions,
// always present):
//   table:  name, title, description, columns, relations (nested tables),
//           is_paid?, is_incremental?, | parent, incremental_keys
//   column: name, type (DataType::ToString), is_primary_key?,
//           is_incremental_key?, is_primary_key_component?, type_schema?,
//           | description, not_null, unique
// is_primary_key follows CloudQuery: true for primary keys and primary-key
// components, but not for _cq_id when the table has components.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ferry/schema.h"

namespace ferry::engine {

// `view_destinations`: the destinations that keep snapshot views of these
// tables (snapshot_views: true; ferry/snapshot_views.h); when not empty each
// table's docs name its views (JSON: "snapshot_views": {"latest", "changes"
// (absent for incremental or keyless tables), "destinations"}).

// The content of __tables.json (two-space indented, trailing newline).
std::string TablesJson(const std::vector<TableSchemaPtr>& tables, const std::vector<std::string>& view_destinations = {});

// File name -> content: "README.md" (the table tree, relations indented) and
// "<table>.md" for every table (title, description, primary key, incremental
// cursor columns, parent and relation links, and a Name | Type | Description
// column table with (PK), (Incremental Key), (Not Null), (Unique) markers).
std::map<std::string, std::string> TablesMarkdown(const std::string& plugin_name,
                                                  const std::vector<TableSchemaPtr>& tables,
                                                  const std::vector<std::string>& view_destinations = {});

}  // namespace ferry::engine
