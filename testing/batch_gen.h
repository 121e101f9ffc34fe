// Test data: schemas with CloudQuery's meta columns, batches built from rows,
// an all-types table with edge values, and a seeded random row generator.
//
// Everything here is deterministic (seeded) and test-only. Rows use the Value
// forms of builder.h (uuid = 16 raw bytes, timestamp = Int microseconds,
// date32 = Int days, struct = List of fields), which is also what GetValue
// and the conformance readers return, so written and read rows compare with ==.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry::testing {

Column Col(std::string name, DataTypePtr type, bool primary_key = false, bool not_null = false);

// `name` with the meta columns real syncs send first (_cq_sync_time,
// _cq_source_name, _cq_id, _cq_parent_id), then `columns`. The meta columns
// are never keys here; mark `columns` as primary keys for overwrite tables.
TableSchemaPtr TableWithMeta(const std::string& name, std::vector<Column> columns);
inline constexpr size_t kMetaColumns = 4;

// The meta values followed by `values`, for a TableWithMeta row.
Row MetaRow(int64_t sync_time_us, const std::string& source, uint64_t id, Row values);

// Deterministic 16 bytes of a UUIDv4 derived from `n`.
std::string UuidBytes(uint64_t n);

// A batch of `rows` (built with BatchBuilder::AppendRow; errors name the row).
Result<BatchPtr> MakeBatch(const TableSchemaPtr& schema, const std::vector<Row>& rows);
// Every row of `batch`, read back with GetValue.
std::vector<Row> RowsOf(const Batch& batch);

// A table with one column of every Ferry type (and nested lists and structs),
// after the meta columns and an int64 `id`; no primary key.
TableSchemaPtr AllTypesTable(const std::string& name);
// Edge values for AllTypesTable: nulls everywhere, empty strings and lists,
// unicode, integer limits, NaN / infinities / -0.0, timestamps before 1970
// and with microseconds, years 0001 and 9999, nested nulls.
std::vector<Row> AllTypesRows(int64_t sync_time_us, const std::string& source);

// A random Value of `type`; nullable values are null with probability
// `null_rate`. Strings include non-ASCII text and quotes.
Value RandomValue(const DataType& type, std::mt19937_64& rng, double null_rate, bool nullable = true);
// `n` random rows for `schema` (column k of row r nullable per the schema);
// when the schema has a column named "id" it holds first_id + r.
std::vector<Row> RandomRows(const TableSchema& schema, int64_t n, uint64_t seed, int64_t first_id = 0);

// The microseconds of a UTC date-time (for readable test constants).
int64_t Micros(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int micro = 0);

}  // namespace ferry::testing
