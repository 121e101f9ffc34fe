// The rows of one write request: which rows of which batches go into the
// INSERT. Pure functions over immutable batches.
#pragma once

#include <cstdint>
#include <vector>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

// Rows [begin, end) of one batch.
struct RowRange {
  const Batch* batch;
  int64_t begin;
  int64_t end;
};

// Checks that every batch has the layout's schema (column count and types);
// errors name the table and column.
Status CheckBatches(const TableLayout& layout, const std::vector<BatchPtr>& batches);

// The rows to write for a table with a primary key: when a key occurs more
// than once in the request, only its last occurrence (the later row wins, as
// an upsert would); the rows of every batch otherwise.
std::vector<RowRange> RowsToWrite(const TableSchema& schema, const std::vector<BatchPtr>& batches, int64_t* dropped);

}  // namespace ferry::plugins::clickhouse
