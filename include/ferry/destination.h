// Destination integrations.
//
// The engine drives a Destination from one writer thread: calls never overlap
// for one instance, except Write calls of a destination that declares
// capabilities.concurrent_writes > 1 (below), which may run on up to that
// many threads at once (never next to any other call). Messages mirror CloudQuery protocol v3's Write stream:
// migrate table, insert batches, delete stale, delete record. Write modes are
// applied by the engine: in `append` the schemas arrive with primary keys and
// unique flags stripped, so a destination upserts when a table has a primary
// key and inserts otherwise.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/message.h"
#include "ferry/options.h"
#include "ferry/schema.h"
#include "ferry/state.h"
#include "ferry/status.h"

namespace ferry {

enum class WriteMode { kAppend, kOverwrite, kOverwriteDeleteStale };
const char* WriteModeName(WriteMode m);
enum class MigrateMode { kSafe, kForced };
enum class PkMode { kDefault, kCqIdOnly };

struct DestinationCapabilities {
  std::set<WriteMode> write_modes;
  bool forced_migration = false;
  bool delete_record = false;
  // Can store cursors (ReadState, and WriteRequest::state in the same
  // transaction as the rows).
  bool state_backend = false;
  // How cursors commit, when not simply in the rows' transaction (docs).
  std::string state_backend_note;
  // Maintains snapshot views (ferry/snapshot_views.h; MigrateOptions::views).
  bool snapshot_views = false;
  // Can hold rows back until a commit it can repeat (Destination::Prepare,
  // CommitPrepared): incremental syncs into it are then exactly-once with
  // the cursors in any state backend (docs/architecture.md, "Cursors").
  bool prepared_writes = false;
  // How many Write calls the destination can run at once (each on its own
  // thread, e.g. one connection each). Above 1 the engine keeps up to that
  // many writes in flight, so the destination's work on one request overlaps
  // the next (src/engine/destination_writer.h says how rows, errors, cursors
  // and retries stay exact). Each Write is still durable when it returns.
  int concurrent_writes = 1;
  // Keeps the part-full last request of a write that said more rows may
  // follow (WriteRequest::more_follow) for the table's next write. The
  // engine ends each stream whose last write said so with a write of no rows
  // (more_follow false), retried as any write, when no rows of it came for
  // batch_timeout, before a delete-record of the table and at the end: kept
  // rows wait no longer than a batch would, and their errors are their
  // table's.
  bool packs_writes = false;
  // Which families of Arrow types beyond the common ones (time32/64,
  // duration, intervals, decimal128: ferry/types.h FamilyOf) it stores. The
  // engine refuses, before any data moves, to send it a table with a column
  // of another family, at any depth of lists and structs.
  std::set<TypeFamily> type_families;
};

// How long a destination call still waits on its server once the sync is
// cancelled (DestinationInit::cancel): until kCancelGrace after the cancel,
// and at least kLateCallGrace from the call's own start. A call begun after
// the grace gets a moment to finish, not a grace of its own, so a cancelled
// sync with many writes queued behind a stuck server ends in seconds, not in
// writes x grace.
inline constexpr std::chrono::seconds kCancelGrace{10};
inline constexpr std::chrono::seconds kLateCallGrace{1};
inline std::chrono::steady_clock::time_point CancelledCallDeadline(std::chrono::steady_clock::time_point cancel_seen,
                                                                   std::chrono::steady_clock::time_point call_start) {
  return std::max(cancel_seen + kCancelGrace, call_start + kLateCallGrace);
}

struct DestinationInit {
  std::string name;
  std::string invocation_id;
  // Set by the engine for a destination with capabilities.prepared_writes
  // when this sync keeps cursors: rows of incremental tables (and their
  // relations) are held back until Prepare / CommitPrepared.
  bool prepare_incremental = false;
  // Set by the engine during a sync: true once the sync is being cancelled
  // (the first SIGINT or SIGTERM). A call blocked waiting on the server (a
  // broker that stopped answering) checks it and fails with
  // Status::Cancelled instead of waiting out its own timeout, so a
  // cancelled sync ends in seconds. What the call reported written before
  // stays written. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

struct MigrateOptions {
  MigrateMode mode = MigrateMode::kSafe;
  // Snapshot views (ferry/snapshot_views.h), for destinations with
  // capabilities.snapshot_views:
  //   kLeave   touch no view (migrating the state or summary table);
  //   kCreate  create or replace <t>_latest and <t>_changes of every table
  //            of the call with snapshot::HasViews, together with the tables
  //            (a new column appears in the views), and snapshot::kTable;
  //   kDrop    drop those views where an earlier sync made them (the option
  //            was turned off); the tables and snapshot::kTable stay.
  enum class Views { kLeave, kCreate, kDrop };
  Views views = Views::kLeave;
};

// One or more batches of the same table, written atomically (one transaction
// where the destination has them).
//
// `state`, when not empty, is upserted into `state_table` (StateTableSchema)
// in the same transaction as the batches: the cursor commits with the rows it
// covers, or not at all. A request may carry state and no batches.
struct WriteRequest {
  TableSchemaPtr table;
  std::vector<BatchPtr> batches;
  TableSchemaPtr state_table;
  std::vector<StateEntry> state;
  // The source client whose rows these are (one client's rows per request;
  // a destination with prepared writes keeps each client's apart).
  std::string client;
  // Set by the engine: the same id on every attempt of one request, and the
  // attempt number (0 first). A destination that left an attempt's outcome
  // unknown resolves it when it sees the same id again.
  uint64_t request_id = 0;
  int attempt = 0;
  // Set by the engine when more rows of this table and client may follow:
  // false only for the writes made once the sources are done (and before a
  // delete-record of the table). A destination with
  // capabilities.packs_writes may then keep a part-full last request for the
  // table's next write; it must also send it in Flush and Close, and bound
  // what it keeps (bigquery: README, "Requests packed across writes").
  bool more_follow = false;
};

struct DeleteStaleRequest {
  TableSchemaPtr table;
  std::string source_name;
  int64_t sync_time_us;   // rows of this source with an older _cq_sync_time go
};

// Errors and retries. The engine owns every retry (include/ferry/retry.h):
// a destination makes one attempt per call and classifies its failure.
//   - Status::Transient: nothing was applied, or a retry of the same call is
//     known to be safe (a lost connection, a busy or restarting server, a
//     deadlock). The engine calls again with backoff until the destination's
//     retry_timeout; a destination unreachable that long fails once.
//   - An attempt whose outcome is unknown (the connection broke after COMMIT
//     was sent): return Transient only if the next attempt of the same
//     request (WriteRequest::request_id) will find out what happened before
//     it writes anything; otherwise a permanent error that says the rows may
//     or may not be there. Never a silent duplicate.
//   - Anything else is permanent: that table fails for this destination.
class Destination {
 public:
  virtual ~Destination() = default;
  virtual Status Init(const Options& options, const DestinationInit& init) = 0;
  // Creates or migrates every table. In safe mode an unsafe change fails the
  // whole call, before any table is touched, with every change listed.
  virtual Status Migrate(const std::vector<TableSchemaPtr>& tables,
                         const MigrateOptions& options) = 0;
  virtual Status Write(const WriteRequest& request) = 0;
  virtual Status DeleteStale(const DeleteStaleRequest& request) = 0;
  virtual Status DeleteRecord(const ferry::DeleteRecord& request) = 0;
  virtual Status Close() = 0;
  // Makes every Write that returned OK durable, or says it failed. Built-ins
  // are durable when Write returns (the default); a remote plugin may buffer
  // until its Write stream ends, so the engine calls Flush before it counts a
  // cursor's rows as written.
  virtual Status Flush() { return Status::OK(); }

  // Prepared writes (capabilities.prepared_writes, with
  // DestinationInit::prepare_incremental). The engine calls Prepare when a
  // cursor of `table` for `client` is covered: the rows written for that
  // table and client since its last Prepare become durable but stay
  // invisible, and the returned token ("" when there were none) makes them
  // visible. The engine stores the token in the state backend in the same
  // transaction as the cursor, then calls CommitPrepared(token); at the start
  // of the next sync it calls CommitPrepared again for every token a crash
  // left behind. So CommitPrepared of a token already committed must succeed.
  // CommitPrepared alone may be called from another thread while the
  // writer's calls (Write, Prepare) run: it must be thread-safe.
  // Rows still held back at Close are dropped: their cursor did not move, and
  // the next sync fetches them again.
  virtual Result<std::string> Prepare(const std::string& table, const std::string& client) {
    return Status::Unsupported("this destination has no prepared writes");
  }
  virtual Status CommitPrepared(const std::string& token) {
    return Status::Unsupported("this destination has no prepared writes");
  }

  // Reads every cursor of `state_table` (created by Migrate beforehand). For
  // destinations with Capabilities().state_backend.
  virtual Result<std::vector<StateEntry>> ReadState(const TableSchemaPtr& state_table) {
    return Status::Unsupported("this destination cannot be a state backend");
  }
};

}  // namespace ferry
