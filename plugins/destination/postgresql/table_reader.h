// Reading tables back as Ferry rows: ReadState reads the cursors with it, and
// tests compare what was written with what PostgreSQL stored.
//
// Rows come back through binary results and decode into builder.h's Value
// forms for the schema's column types (the inverse of copy_encoder.h and
// plugins/common/json_cell.h): timestamps as Int microseconds, uuids as 16 bytes, inet as
// "address/bits" text, jsonb documents of json columns as PostgreSQL prints
// them. Not thread-safe (uses the connection).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"
#include "plugins/destination/postgresql/connection.h"

namespace ferry::plugins::postgresql {

// Every row of `table` (columns in schema order; row order unspecified).
Result<std::vector<Row>> ReadTable(Connection& conn, const TableSchema& table);

// Decodes one binary value of a column of `type`.
Result<Value> DecodeBinary(const DataType& type, std::string_view bytes);

}  // namespace ferry::plugins::postgresql
