// Source integrations.
//
// A Source is created by its registry factory, initialised once with its
// validated options, then asked for its tables and to sync a selection of
// them into a SyncSink. The interface mirrors CloudQuery protocol v3 (Init,
// GetTables, Sync) so that an out-of-process plugin can stand behind it.
//
// Built-in sources usually derive from sdk::TableSource (sdk/table_source.h),
// which resolves declared tables concurrently and builds the batches.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/message.h"
#include "ferry/options.h"
#include "ferry/schema.h"
#include "ferry/shard.h"
#include "ferry/status.h"

namespace ferry {

struct SourceInit {
  std::string name;           // the spec's `name` (becomes _cq_source_name)
  std::string invocation_id;
  bool no_connection = false;  // only tables are needed (docs, migrate)
};

struct SyncRequest {
  std::vector<std::string> tables;   // selected, flattened, parents first
  bool deterministic_cq_id = false;
  SyncClock::time_point sync_time;
  // Cursors read from the state backend; empty without one (then incremental
  // tables sync in full).
  StateSnapshot state;
  bool has_state_backend = false;
  // --shard N/T: sync only this shard's (table, client) pairs (ferry/shard.h).
  // Tables with no pair in this shard are still reported as planned, with no
  // clients, so the engine knows they were not skipped by mistake.
  Shard shard;
  // The sync's memory budget (bytes; 0: not known). What a source buffers
  // before handing batches to the sink is not in the budget: a source keeps
  // it to a share of this (TableSource: half of it over its threads).
  int64_t memory_budget_bytes = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual Status Init(const Options& options, const SourceInit& init) = 0;
  // All tables this source can sync, flattened, parents before children.
  // Schemas include _cq_id and _cq_parent_id.
  virtual std::vector<TableSchemaPtr> Tables() const = 0;
  // Emits inserts for the requested tables and a TableDone for every
  // (table, client). Returns non-OK only for failures of the whole source;
  // per-table failures go to TableDone.
  virtual Status Sync(const SyncRequest& request, SyncSink& sink) = 0;
};

}  // namespace ferry
