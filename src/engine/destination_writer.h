// DestinationWriter: one thread per destination that turns the ordered
// message stream of a sync into destination calls.
//
// Inserts are buffered per table and flushed as one Write (one transaction)
// when `batch_size` rows or `batch_size_bytes` are reached, when the oldest
// buffered batch is `batch_timeout` old, when the memory budget is under
// pressure, before a delete-record of the table, and at the end.
//
// Every destination call runs under the sync's retry policy (CallWithRetry):
// transient failures are retried with backoff (a Write is atomic, and the
// destination resolves unknown outcomes, so a retry cannot duplicate rows);
// other errors fail the table for this destination and are recorded. When a
// call is still failing transiently after retry_timeout, the destination is
// down: one error says so, later rows for it are dropped (counted as not
// written), its cursors stay where they were and it deletes nothing stale.
// The FanoutSink stops sending to a writer that is down().
//
// At the end, in overwrite-delete-stale mode, each table's stale rows are
// deleted or kept as DecideDeleteStale (stale_decision.h) rules, from the
// SourceOutcome passed to Finish and this writer's own results. With
// snapshot views (append mode), the same rule decides which tables synced
// completely; they are recorded in snapshot::kTable, after their rows.
//
// Writes in flight: a destination with capabilities.concurrent_writes = N > 1
// gets up to N Write calls at once. FlushStream hands each write (with its
// retries, CallWithRetry, under the same policy and request id) to a thread of
// its own and goes on buffering the next batch; a write that would be the
// N+1st waits for the oldest. Everything a result decides happens on the
// writer thread when it is collected (ReapWrites, in launch order): rows
// counted written or failed, the error naming its table, the destination
// going down. So a batch counts as written only when its Write returned OK,
// as without overlap. The writer collects every write in flight (drains)
// before anything that depends on earlier rows: settling cursors (and
// Destination::Flush), writing state, a delete-record, delete-stale, the
// snapshot record and the end of the stream. Two writes of one table with a
// primary key are never in flight together (the later row must win); writes
// with cursors in the same transaction (kInTransaction) are not overlapped.
// Push() and down() are thread-safe; everything else runs on the writer thread.
#pragma once

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/destination_schema.h"
#include "engine/memory_budget.h"
#include "engine/retrying.h"
#include "engine/stale_decision.h"
#include "engine/state_coordinator.h"
#include "ferry/destination.h"
#include "ferry/retry.h"

namespace ferry::engine {

struct WriterOptions {
  std::string name;                 // destination name, for messages
  int64_t batch_size = 10000;
  int64_t batch_size_bytes = 10 << 20;
  int64_t batch_timeout_ms = 20000;
  // The first flush of each stream happens at batch_size >> ramp_up_steps
  // (and the bytes likewise), each later one at twice the previous, up to
  // batch_size (BatchingDefaults::ramp_up: BatchingDefaults::kRampUpSteps).
  int ramp_up_steps = 0;
  DestinationSettings settings;
  std::string source_name;
  int64_t sync_time_us = 0;
  RetryPolicy retry;
  const std::atomic<bool>* cancel = nullptr;           // the sync's cancel flag (ends retry waits)
  std::function<std::string()> cancelled_by;          // "" or the signal that cancelled the sync
  bool has_state_backend = false;   // incremental tables are then never delete-staled
  // Cursor handling (see state_coordinator.h): kInTransaction writes cursors
  // with the rows they cover; kCoordinated reports coverage to `coordinator`.
  enum class StateMode { kNone, kInTransaction, kCoordinated } state_mode = StateMode::kNone;
  StateCoordinator* coordinator = nullptr;
  TableSchemaPtr state_table;       // where cursors go (backend writers)
  // snapshot_views: where complete snapshots are recorded (snapshot::Schema()),
  // null when the destination keeps no snapshot views.
  TableSchemaPtr snapshot_table;
  std::string invocation_id;
  // A sharded sync: the writer decides delete-stale per table but does not
  // delete; the shard coordinator (shard_run.h) deletes once every shard of
  // the run has decided, through DeleteStaleNow.
  bool defer_delete_stale = false;
  // Prepared writes (Destination::Prepare; kCoordinated only): at each
  // covered cursor the writer prepares the rows of its table and client and
  // hands the token to the coordinator as writer `writer_index`.
  bool prepared = false;
  int writer_index = -1;
  // Write calls in flight at once (DestinationCapabilities::concurrent_writes).
  int writes_in_flight = 1;
  bool packs_writes = false;   // DestinationCapabilities::packs_writes
};

// What one destination did with one table.
struct TableWriteStats {
  int64_t rows_written = 0;
  int64_t rows_failed = 0;
  bool deleted_stale = false;
  std::string stale_kept;           // why stale rows were kept ("" when deleted or not applicable)
  std::vector<std::string> errors;
  std::vector<std::string> notes;   // not errors: e.g. why stale rows were kept
};

struct WriterMessage {
  // kCheckpoint: a cursor covering the table's rows before it.
  // kCommitState: write `entries` to the state table in one transaction
  // (backend writer only), then call `after` when they were written: it
  // returns further entries to write (cleared prepared tokens).
  enum class Kind { kInsert, kDeleteRecord, kCheckpoint, kCommitState } kind;
  BatchPtr batch;                 // kInsert (already in destination schema)
  std::string table;
  std::string client;             // kInsert, kCheckpoint: the client whose rows these are
  ferry::DeleteRecord del;        // kDeleteRecord
  StateEntry entry;               // kCheckpoint
  uint64_t seq = 0;               // kCheckpoint
  std::vector<StateEntry> entries;                       // kCommitState
  std::function<std::vector<StateEntry>()> after;        // kCommitState (may be empty)
};

class DestinationWriter {
 public:
  // `tables` are the destination schemas of every table of this sync.
  DestinationWriter(Destination* dest, WriterOptions opts, MemoryBudget* budget,
                    std::map<std::string, TableSchemaPtr> tables);
  ~DestinationWriter();

  void Start();
  void Push(WriterMessage msg);
  // Ends the stream: flushes, decides delete-stale from `outcome` (what the
  // source did; required in overwrite-delete-stale mode), and joins.
  void Finish(std::shared_ptr<const SourceOutcome> outcome = nullptr);

  // The destination stopped taking writes (an outage past retry_timeout).
  bool down() const { return down_.load(); }

  // After Finish:
  const std::map<std::string, TableWriteStats>& stats() const { return stats_; }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::string& name() const { return opts_.name; }
  // With defer_delete_stale: each table's verdict ("" = this process synced it
  // completely; else why not), incremental tables with a backend left out.
  const std::map<std::string, std::string>& stale_verdicts() const { return stale_verdicts_; }
  // Deletes `table`'s rows of this source older than `sync_time_us` (after
  // Finish, on the caller's thread), recording the outcome in stats/errors.
  void DeleteStaleNow(const std::string& table, int64_t sync_time_us);
  // Records that `table`'s stale rows stay, and why (a note).
  void KeepStale(const std::string& table, const std::string& reason);

 private:
  struct Checkpoint {
    uint64_t seq;
    StateEntry entry;
    size_t batch_pos;   // batches buffered before it: the rows it covers
  };
  struct Pending {
    std::vector<Checkpoint> checkpoints;   // covered once these batches are written
    std::vector<BatchPtr> batches;
    int64_t rows = 0;
    int64_t bytes = 0;
    std::chrono::steady_clock::time_point first;
    int flushes = 0;   // flushes of this stream so far (ramp-up)
    bool last_follow = false;   // its last write said more_follow
    std::chrono::steady_clock::time_point last_write;
  };
  std::map<std::string, std::string> stale_verdicts_;
  void Loop();
  void Handle(WriterMessage& msg);
  // Rows are buffered per (table, client) stream, so that a client's cursor
  // covers exactly the rows of that client. `force` also writes rows no
  // cursor covers yet (memory pressure, end of stream).
  using StreamKey = std::pair<std::string, std::string>;
  // `last`: no more rows of the stream come before something that needs
  // them in the table (a delete-record); with ending_, the write says
  // WriteRequest::more_follow false.
  void FlushStream(const StreamKey& stream, bool force, bool last = false);
  // Every stream of the table, forced.
  void FlushTable(const std::string& table, bool last = false);
  void FlushAll(bool force);
  void FlushDue();
  // Ends with a write of no rows each stream (of `table`, or all) whose last
  // write said more_follow (WriterOptions::packs_writes); `idle_only`: only
  // those with no rows buffered and no write for batch_timeout.
  void EndPackedStreams(const std::string* table = nullptr, bool idle_only = false);
  // Runs one destination call under the retry policy; takes the
  // destination down when it gave up on a transient failure.
  Status Call(const std::function<Status(int attempt)>& op);
  Status WriteWithRetry(WriteRequest req);
  // The bookkeeping of one finished call (retries; down on a give-up).
  void Account(const Status& st, const RetryReport& report);
  // Counts `rows` of `table` written (ok) or failed, recording the error.
  void CountWrite(const std::string& table, int64_t rows, const Status& st);
  // Writes in flight (opts_.writes_in_flight > 1).
  struct InFlight {
    std::string table;
    int64_t rows;
    std::future<std::pair<Status, RetryReport>> done;
  };
  bool Overlapping() const;
  // Starts `req` (`rows` rows of `table`) on a thread of its own, once fewer
  // than writes_in_flight writes are in flight.
  void LaunchWrite(WriteRequest req, const std::string& table, int64_t rows);
  // Collects the oldest writes in flight until at most `keep` remain.
  void ReapWrites(size_t keep);
  // Collects the writes that finished, oldest first, without waiting.
  void ReapFinished();
  void GoDown(const Status& cause);
  void DropPending();
  void RecordError(const std::string& table, const std::string& msg);
  void DeleteStale();
  void RecordSnapshots();
  // What this writer did with `table`, for DecideDeleteStale.
  DestinationTableResult ResultOf(const std::string& table, const TableSchema& schema);
  std::shared_ptr<const SourceOutcome> Outcome();
  void HandleCheckpoint(WriterMessage& m);
  // The checkpoints were written (ok) or not: commit, report or abandon them.
  void SettleCheckpoints(const std::string& table, const std::string& client, std::vector<Checkpoint>& cps, bool ok);
  // Prepared writes: the token of `table` and its relations for `client`.
  Result<std::optional<PreparedToken>> Prepare(const std::string& table, const std::string& client);
  // True when written.
  bool WriteState(std::vector<StateEntry> entries, const std::string& what);
  std::vector<std::string> Descendants(const std::string& table) const;

  Destination* dest_;
  WriterOptions opts_;
  MemoryBudget* budget_;
  std::map<std::string, TableSchemaPtr> tables_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriterMessage> queue_;   // guarded by mu_
  bool done_ = false;                 // guarded by mu_
  std::shared_ptr<const SourceOutcome> outcome_;   // guarded by mu_ until done_
  std::thread thread_;
  std::atomic<bool> down_{false};

  // Writer-thread state.
  std::map<StreamKey, Pending> pending_;
  std::map<std::string, TableWriteStats> stats_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
  std::string down_reason_;
  uint64_t next_request_id_ = 1;
  bool ending_ = false;   // the writer's final flushes (WriteRequest::more_follow false)
  int retries_ = 0;                               // retries of calls that then succeeded or failed
  int retried_then_failed_ = 0;                   // calls that were retried and still failed
  std::chrono::milliseconds unavailable_{0};      // time spent waiting on transient failures
  int64_t rows_dropped_ = 0;                      // rows not written because the destination was down
  std::set<std::string> write_failed_;   // tables with a failed write: cursors frozen
  std::deque<InFlight> in_flight_;       // oldest first
};

}  // namespace ferry::engine
