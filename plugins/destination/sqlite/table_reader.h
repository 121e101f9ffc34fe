// Reading rows back out of SQLite as Ferry Values: the inverse of
// ColumnBinder and plugins/common/json_cell.h. Used by ReadState and by the tests (the
// conformance suite compares what it reads with what it wrote).
//
// Values come back in the form builder.h's GetValue gives for the column
// type: ints as Int / UInt, timestamps as Int microseconds, dates as Int
// days, uuids as 16 raw bytes, structs as List of their fields. A cell whose
// storage does not fit the type (text in an INTEGER column, an unparsable
// timestamp) is an error naming the column, never a silent conversion.
// Not thread-safe (uses the connection).
#pragma once

#include <string>
#include <vector>

#include <sqlite3.h>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"
#include "plugins/destination/sqlite/connection.h"

namespace ferry::plugins::sqlite {

// Cell `col` of the current row of `stmt` as a Value of `type`.
Result<Value> ReadCell(sqlite3_stmt* stmt, int col, const DataType& type);

// Every row of `table` (its columns, in schema order), in insertion order
// (rowid). `where` is an
// optional SQL condition written by the caller (tests), not user data.
Result<std::vector<Row>> ReadTable(Connection& conn, const TableSchema& table, const std::string& where = "");

}  // namespace ferry::plugins::sqlite
