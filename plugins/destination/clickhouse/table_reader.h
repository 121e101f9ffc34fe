// Reads a table written by the destination back into Ferry rows (tests and
// tools): `SELECT <layout columns> FROM t [FINAL] FORMAT Native`, decoded and
// mapped back to the Value forms of builder.h: flattened list<struct>
// columns are zipped, UInt8/Bool cells of bool columns become Bool, and the
// paths in `_ferry_nulls` become nulls again.
//
// FINAL makes a ReplacingMergeTree table show one row per key (the one with
// the highest `_cq_sync_time`), as readers of an overwrite table must ask.
#pragma once

#include <string>
#include <vector>

#include "ferry/status.h"
#include "ferry/value.h"
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/native_decoder.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

Result<std::vector<Row>> ReadTable(Client& client, const std::string& database, const TableLayout& layout, bool final);

// The mapping step of ReadTable, on already decoded columns.
Result<std::vector<Row>> RowsFromColumns(const TableLayout& layout, std::vector<DecodedColumn> columns);

// `v` (a cell of `type`) with the value at `path` (relative: "[2].f") set to
// null; an unknown path leaves `v` unchanged.
Value WithNullAt(const Value& v, const DataType& type, std::string_view path);

}  // namespace ferry::plugins::clickhouse
