// test_wide_table: Ferry's deterministic benchmark table of wide rows.
//
// wide_rows rows per client (none when 0). Where test_synthetic_table is
// narrow (10 columns, ~130 bytes a row), this one is what cloud API tables
// look like: 25 columns, ~900 bytes a row as text, most of them strings,
// JSON documents and lists. Every value derives from a splitmix64 hash of
// (seed, client_id, row), so two runs with the same spec give the same rows.
// Rows are appended through the RowWriter's column fast path.
//
// Columns: id int64 PK ((client_id-1)*wide_rows + row + 1), client_id int64,
// name, email, description (8 to 40 words), region, status, url (utf8),
// created_at, updated_at (timestamp, ~5% null), size_bytes int64,
// version int32, score float64, ratio float64 (~20% null), enabled bool,
// labels json (object of 0 to 6 labels), config json (nested object with an
// array), metrics json (array of 0 to 8 numbers), tags list<utf8> (0 to 8),
// ports list<int64> (0 to 6), addresses list<utf8> (0 to 4 IPv4 strings),
// zones list<utf8> (1 to 3), owner utf8, account_id utf8, arn utf8.
#pragma once

#include <cstdint>
#include <string_view>

#include "plugins/source/test/tables/common.h"

namespace ferry::plugins::test {

sdk::TableDef WideTable(SpecPtr spec);

// One row of test_wide_table as plain data: what the resolver appends. The
// string views point into `buf`, so a WideRecord must not be copied.
struct WideRecord {
  WideRecord() = default;
  WideRecord(const WideRecord&) = delete;
  WideRecord& operator=(const WideRecord&) = delete;

  int64_t id;
  int64_t client_id;
  std::string_view name, email, description, region, status, url;
  int64_t created_at_us;
  bool updated_at_null;
  int64_t updated_at_us;
  int64_t size_bytes;
  int32_t version;
  double score;
  bool ratio_null;
  double ratio;
  bool enabled;
  std::string_view labels, config, metrics;  // json
  int num_tags;
  std::string_view tags[8];
  int num_ports;
  int64_t ports[6];
  int num_addresses;
  std::string_view addresses[4];
  int num_zones;
  std::string_view zones[3];
  std::string_view owner, account_id, arn;

  char buf[4096];
  int used;
};

// Number of own columns (without _cq_id / _cq_parent_id).
inline constexpr int kWideColumns = 25;

// Fills `out` with row `row` (0-based) of client `client_id`.
void MakeWideRecord(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row, WideRecord* out);

// The same row as Values in column order (for tests and slow paths).
Row WideRow(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row);

}  // namespace ferry::plugins::test
