// test_synthetic_table: Ferry's high-volume, deterministic benchmark table.
//
// synthetic_rows rows per client (none when 0), every value derived from a
// cheap hash of (seed, client_id, row), so two runs with the same spec
// produce identical data (apart from random _cq_id values unless
// deterministic_cq_id is set). Rows are appended through the RowWriter's
// column fast path (no Value objects), which runs at millions of rows/s.
//
// Columns: id int64 PK ((client_id-1)*synthetic_rows + row + 1, unique over
// clients), client_id int64, name utf8 (7 to 48 bytes), created_at
// timestamp, amount float64 (about 10% null), count int32, active bool,
// tags list<utf8> (0 to 3 items), attributes json, uuid uuid (version 4 form).
#pragma once

#include <cstdint>
#include <string_view>

#include "plugins/source/test/tables/common.h"

namespace ferry::plugins::test {

sdk::TableDef SyntheticTable(SpecPtr spec);

// One row of test_synthetic_table as plain data: what the resolver appends.
struct SyntheticRecord {
  int64_t id;
  int64_t client_id;
  char name[48];
  int name_len;
  int64_t created_at_us;
  bool amount_null;
  double amount;
  int32_t count;
  bool active;
  int num_tags;
  std::string_view tags[3];
  char attributes[64];
  int attributes_len;
  char uuid[16];
};

// Fills `out` with row `row` (0-based) of client `client_id`.
void MakeSyntheticRecord(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row,
                         SyntheticRecord* out);

// The same row as Values in column order (for tests and slow paths).
Row SyntheticRow(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row);

}  // namespace ferry::plugins::test
