// test_testdata_table: one row per client with one column of every Ferry
// type, for type round-trip tests of destinations.
//
// Column names follow CloudQuery's schema.TestTable where the type exists
// there; fixed_size_binary is Ferry's. No primary keys (so _cq_id is the PK).
// The values are fixed (CloudQuery generates them from a seed) and every
// destination can store them:
//
//   int8 -8, int16 -1600, int32 -320000, int64 -6400000000,
//   uint8 8, uint16 1600, uint32 3200000, uint64 6400000000,
//   float32 1.5, float64 3.25,
//   binary 00 01 02 ff, string "hello, wörld", boolean true,
//   uuid 123e4567-e89b-42d3-a456-426614174000, inet 192.0.2.0/24,
//   mac 02:00:5e:10:00:01, json {"key":"value","list":[1,2],"n":1},
//   date32 2024-01-02 (19724), timestamp_us 2024-01-02T03:04:05.123456Z,
//   fixed_size_binary de ad be ef,
//   struct {id: 1, string: "nested", boolean: false},
//   int64_list [1, 2, 3], string_list ["a", "b", "c"],
//   client_id the client (1..num_clients).
#pragma once

#include "ferry/value.h"
#include "plugins/source/test/tables/common.h"

namespace ferry::plugins::test {

sdk::TableDef TestdataTable(SpecPtr spec);

// The row test_testdata_table writes for `client_id` (own columns, in order).
Row TestdataRow(int64_t client_id);

}  // namespace ferry::plugins::test
