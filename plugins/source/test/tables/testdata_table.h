// test_testdata_table: one row per client with the columns of CloudQuery's
// schema.TestTable (without maps), as CloudQuery's test source has them: id,
// one column of every scalar type, a struct of them all, a list of each
// (json excepted) and of the struct, then client_id. No primary keys (so
// _cq_id is the PK). Types Ferry carries in another form (date64, large
// binary and string, timestamps of other units) are the form Ferry makes of
// them when a plugin sends them. CloudQuery generates the values from a seed;
// Ferry's are fixed (plugins/source/test/README.md lists them) and every
// destination stores them.
#pragma once

#include <vector>

#include "ferry/value.h"
#include "plugins/source/test/tables/common.h"

namespace ferry::plugins::test {

sdk::TableDef TestdataTable(SpecPtr spec);

// The row test_testdata_table writes for `client_id` (own columns, in order).
Row TestdataRow(int64_t client_id);
// Its own columns, in order.
std::vector<Column> TestdataColumns();

}  // namespace ferry::plugins::test
