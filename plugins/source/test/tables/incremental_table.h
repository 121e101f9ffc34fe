// test_incremental_table: an incremental table whose rows grow between runs.
//
// Per client, ids 1..incremental_rows exist. The cursor is the last id
// synced; a sync fetches ids above the committed cursor, in order, and
// checkpoints the cursor every `checkpoint_every` rows and at the end. Row
// values are a pure function of (client, id), so an interrupted and resumed
// sync must end with exactly the rows of an uninterrupted one.
#pragma once

#include "plugins/source/test/tables/common.h"

namespace ferry::plugins::test {

sdk::TableDef IncrementalTable(SpecPtr spec);

// The row of (client_id, id), own columns in order.
Row IncrementalRow(int64_t client_id, int64_t id);

}  // namespace ferry::plugins::test
