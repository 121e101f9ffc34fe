// Messages a source emits, mirroring CloudQuery protocol v3's Sync.Response,
// plus the in-band control messages that make Ferry's guarantees possible
// (docs/architecture.md, "Cursors"): TableDone after the last row of a (table, client).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/api_call_figures.h"
#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/state.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry {

// Predicate of a delete_record message: column == value, grouped by AND / OR.
struct DeletePredicate {
  std::string column;
  Value value;
};
struct DeletePredicateGroup {
  enum class Grouping { kAnd, kOr } grouping = Grouping::kAnd;
  std::vector<DeletePredicate> predicates;
};
struct DeleteRecord {
  std::string table_name;
  std::vector<DeletePredicateGroup> where;   // groups are ORed together
};

// Where a source sends what it produces. Implemented by the engine.
// Thread-safe: resolvers on many threads call it concurrently. Insert may
// block (back-pressure) and returns Cancelled when the sync is aborting; a
// source must stop producing then.
class SyncSink {
 public:
  virtual ~SyncSink() = default;
  virtual Status Insert(BatchPtr batch) = 0;
  // Insert of rows that belong to one client (a multiplexed table). The engine
  // uses the client to match rows with that client's cursors.
  virtual Status InsertFor(const std::string& client_id, BatchPtr batch) { return Insert(std::move(batch)); }
  virtual Status DeleteRecord(ferry::DeleteRecord msg) = 0;
  // Declares, before its first TableDone, every client the source will report
  // for `table` (clients may be empty: the table has nothing to sync). A pair
  // that was planned and never reported keeps the table's stale rows. Sources
  // that cannot tell in advance do not call it; their tables then need at
  // least one TableDone to count as complete.
  virtual void TablePlanned(const std::string& table, const std::vector<std::string>& clients) {}
  // The last rows of (table, client) have been inserted; `status` says
  // whether the table resolved completely for that client.
  virtual void TableDone(const std::string& table, const std::string& client_id,
                         const Status& status, int64_t rows) = 0;
  // The rows of (table, client) inserted before this call are covered by the
  // cursor `entry` (docs/architecture.md, "Cursors"): the engine commits it to the
  // state backend only once those rows are durably written.
  virtual Status Checkpoint(const std::string& table, const std::string& client_id, StateEntry entry) {
    return Status::Unsupported("this sink does not take checkpoints");
  }
  // What the API calls of one (table, client) task cost; sent once, before
  // that task's TableDone, when the task made any call.
  virtual void TableFigures(const std::string& table, const ApiCallFigures& figures) {}
  // A non-fatal problem (unreadable entry, skipped row); counted in the summary.
  virtual void Warning(const std::string& table, const std::string& message) = 0;
  virtual bool Cancelled() const = 0;
};

using SyncClock = std::chrono::system_clock;
// Microseconds since the epoch, UTC (the _cq_sync_time value).
int64_t ToMicros(SyncClock::time_point t);

}  // namespace ferry
