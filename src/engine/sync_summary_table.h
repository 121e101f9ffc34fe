// `send_sync_summary: true`: the sync's summary as one row of the destination
// table `cloudquery_sync_summaries`, as CloudQuery writes it (reference 2.3):
// the --summary-location fields as columns, maps and lists as json, plus the
// meta columns _cq_sync_time, _cq_source_name (and _cq_sync_group_id).
#pragma once

#include <string>

#include "engine/summary.h"
#include "ferry/batch.h"
#include "ferry/schema.h"

namespace ferry::engine {

inline constexpr const char* kSyncSummaryTable = "cloudquery_sync_summaries";

// Schema (with meta columns) of the summary table.
TableSchemaPtr SyncSummarySchema(bool with_group_id);
// The row for `destination_index` of `summary`.
BatchPtr SyncSummaryBatch(const SyncSummary& summary, size_t destination_index, const TableSchemaPtr& schema,
                          const std::string& cli_version);

}  // namespace ferry::engine
