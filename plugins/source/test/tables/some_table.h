// test_some_table (with its relation test_sub_table) and test_paid_table:
// CloudQuery's test-plugin tables, row for row.
//
// test_some_table, per client: num_rows rows, resource_id 1..num_rows,
// column2 "test_column_data_{(resource_id-1) % 3}", client_id.
// test_sub_table, per parent row: num_sub_rows rows, parent_resource_id,
// sub_resource_id 0..num_sub_rows-1, data_column "sub_data_{i % 3}" and
// extra_column_0..num_sub_cols-1. CloudQuery fills the extra columns with one
// random non-negative int64 per parent row; Ferry derives it from
// (seed, client_id, parent resource_id, column), so equal specs give equal data.
// test_paid_table: the columns and rows of test_some_table, is_paid, no relation.
#pragma once

#include <cstdint>

#include "plugins/source/test/tables/common.h"

namespace ferry::plugins::test {

sdk::TableDef SomeTable(SpecPtr spec);   // includes the test_sub_table relation
sdk::TableDef PaidTable(SpecPtr spec);

// The value of extra_column_<column> for the sub rows of one parent row.
int64_t ExtraColumnValue(int64_t seed, int64_t client_id, int64_t parent_resource_id, int64_t column);

}  // namespace ferry::plugins::test
