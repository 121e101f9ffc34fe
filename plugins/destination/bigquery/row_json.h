// Rows as tabledata.insertAll takes them: {"json": {column: value, ...}}
// with each value in the form BigQuery's JSON import reads for the column's
// type (type_map.h): integers as numbers, uint64 (NUMERIC) as decimal text,
// floats as numbers or "NaN" / "Infinity" / "-Infinity", bytes as base64,
// TIMESTAMP as RFC 3339 text with microseconds, DATE as YYYY-MM-DD, uuid,
// inet and mac as text, JSON columns as the document's text, REPEATED as
// arrays (NULL lists as [], NULL elements left out), RECORD as objects.
// NULL cells are left out of the row.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/batch.h"

namespace ferry::plugins::bigquery {

// Appends {"json":{...}} of row `row` of `batch` to `out`; with `insert_id`
// non-empty, {"insertId":"...","json":{...}}.
void AppendRowJson(const Batch& batch, int64_t row, const std::string& insert_id, std::string* out);

}  // namespace ferry::plugins::bigquery
