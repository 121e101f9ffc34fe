#include "engine/destination_writer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ferry/builder.h"
#include "ferry/snapshot_views.h"

namespace ferry::engine {

using Clock = std::chrono::steady_clock;

DestinationWriter::DestinationWriter(Destination* dest, WriterOptions opts, MemoryBudget* budget,
                                     std::map<std::string, TableSchemaPtr> tables)
    : dest_(dest), opts_(std::move(opts)), budget_(budget), tables_(std::move(tables)) {
  opts_.batch_size = std::max<int64_t>(1, opts_.batch_size);
  opts_.batch_size_bytes = std::max<int64_t>(1, opts_.batch_size_bytes);
}

DestinationWriter::~DestinationWriter() {
  if (thread_.joinable()) Finish();
}

namespace {
int64_t RowsOf(const std::vector<BatchPtr>& batches) {
  int64_t n = 0;
  for (const auto& b : batches) n += b->num_rows();
  return n;
}
}  // namespace

void DestinationWriter::Start() { thread_ = std::thread([this] { Loop(); }); }

void DestinationWriter::Push(WriterMessage msg) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(msg));
  }
  cv_.notify_one();
}

void DestinationWriter::Finish(std::shared_ptr<const SourceOutcome> outcome) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    outcome_ = std::move(outcome);
    done_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DestinationWriter::Loop() {
  for (;;) {
    std::deque<WriterMessage> batch;
    bool done;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return done_ || !queue_.empty(); });
      batch.swap(queue_);
      done = done_;
    }
    for (auto& m : batch) Handle(m);
    ReapFinished();
    if (budget_ && budget_->UnderPressure()) FlushAll(true);
    else FlushDue();
    if (done) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
  ending_ = true;   // no more rows come: the writes from here are the last
  FlushAll(true);
  ReapWrites(0);
  // The final flushes may have completed checkpoints whose commits were queued
  // here (when this destination is also the state backend).
  for (;;) {
    std::deque<WriterMessage> rest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rest.swap(queue_);
    }
    if (rest.empty()) break;
    for (auto& m : rest) Handle(m);
    FlushAll(true);
    ReapWrites(0);
  }
  EndPackedStreams();
  if (opts_.settings.write_mode == WriteMode::kOverwriteDeleteStale) DeleteStale();
  if (opts_.snapshot_table && !down_) RecordSnapshots();
  if (down_) {
    if (rows_dropped_ > 0)
      warnings_.push_back("destination \"" + opts_.name + "\": " + std::to_string(rows_dropped_) +
                          " rows were not written because the destination was down");
  } else if (retries_ > 0) {
    warnings_.push_back("destination \"" + opts_.name + "\" was unavailable or busy for " +
                        FormatDuration(unavailable_) + " in total (" + std::to_string(retries_) + " retries); " +
                        (retried_then_failed_ == 0
                             ? std::string("every retried call then succeeded")
                             : std::to_string(retried_then_failed_) + " retried calls then failed (see the errors)"));
  }
}

void DestinationWriter::Handle(WriterMessage& m) {
  switch (m.kind) {
    case WriterMessage::Kind::kInsert: {
      if (down_) {   // dropped: the lease returns to the budget with the batch
        rows_dropped_ += m.batch->num_rows();
        stats_[m.table].rows_failed += m.batch->num_rows();
        write_failed_.insert(m.table);
        break;
      }
      const StreamKey key{m.table, m.client};
      Pending& p = pending_[key];
      if (p.batches.empty()) p.first = Clock::now();
      p.rows += m.batch->num_rows();
      p.bytes += m.batch->ByteSize();
      p.batches.push_back(std::move(m.batch));
      const int shift = std::max(0, opts_.ramp_up_steps - p.flushes);
      if (p.rows >= (opts_.batch_size >> shift) || p.bytes >= (opts_.batch_size_bytes >> shift))
        FlushStream(key, false);
      break;
    }
    case WriterMessage::Kind::kCheckpoint:
      HandleCheckpoint(m);
      break;
    case WriterMessage::Kind::kCommitState:
      if (WriteState(std::move(m.entries), "commit cursor") && m.after) {
        std::vector<StateEntry> more = m.after();
        if (!more.empty()) WriteState(std::move(more), "clear prepared-writes token");
      }
      break;
    case WriterMessage::Kind::kDeleteRecord: {
      FlushTable(m.del.table_name, /*last=*/true);
      ReapWrites(0);   // the rows before it are in the table before it deletes
      EndPackedStreams(&m.del.table_name);
      if (down_) {
        write_failed_.insert(m.del.table_name);
        break;
      }
      Status st = Call([&](int) { return dest_->DeleteRecord(m.del); });
      if (!st.ok()) {
        write_failed_.insert(m.del.table_name);
        if (!down_) RecordError(m.del.table_name, "delete record: " + st.message());
      }
      break;
    }
  }
}

void DestinationWriter::EndPackedStreams(const std::string* table, bool idle_only) {
  if (!opts_.packs_writes || down_) return;
  const auto now = Clock::now();
  for (auto& [key, p] : pending_) {
    if (!p.last_follow || (table && key.first != *table)) continue;
    if (idle_only && (!p.batches.empty() || now - p.last_write < std::chrono::milliseconds(opts_.batch_timeout_ms)))
      continue;
    p.last_follow = false;
    auto schema_it = tables_.find(key.first);
    if (schema_it == tables_.end()) continue;
    if (Overlapping()) ReapWrites(0);   // after the table's writes in flight
    WriteRequest req{schema_it->second, {}, nullptr, {}};
    req.client = key.second;
    Status st = WriteWithRetry(req);
    if (down_) return;   // GoDown said why
    if (!st.ok()) {
      write_failed_.insert(key.first);
      RecordError(key.first, "sending the rows it kept for a next write: " + st.message());
    }
  }
}

void DestinationWriter::FlushDue() {
  auto now = Clock::now();
  std::vector<StreamKey> due;
  for (auto& [key, p] : pending_)
    if (!p.batches.empty() && now - p.first >= std::chrono::milliseconds(opts_.batch_timeout_ms))
      due.push_back(key);
  for (const auto& k : due) FlushStream(k, false);
  // Rows a destination kept for a next write that has not come within
  // batch_timeout go now, as a batch would.
  EndPackedStreams(nullptr, /*idle_only=*/true);
}

void DestinationWriter::FlushAll(bool force) {
  std::vector<StreamKey> keys;
  for (auto& [key, p] : pending_)
    if (!p.batches.empty() || !p.checkpoints.empty()) keys.push_back(key);
  for (const auto& k : keys) FlushStream(k, force);
}

void DestinationWriter::FlushTable(const std::string& table, bool last) {
  std::vector<StreamKey> keys;
  for (auto& [key, p] : pending_)
    if (key.first == table && (!p.batches.empty() || !p.checkpoints.empty())) keys.push_back(key);
  for (const auto& k : keys) FlushStream(k, true, last);
}

void DestinationWriter::FlushStream(const StreamKey& stream, bool force, bool last) {
  const std::string& table = stream.first;
  auto it = pending_.find(stream);
  if (it == pending_.end() || (it->second.batches.empty() && it->second.checkpoints.empty())) return;
  auto schema_it = tables_.find(table);
  if (schema_it == tables_.end()) {
    it->second = Pending{};
    RecordError(table, "received rows for a table that was not migrated");
    return;
  }
  Pending& p = it->second;
  // Exactly-once: an incremental table whose cursors commit in the same
  // transaction writes only rows that a cursor covers; the rows after the last
  // cursor wait for the next one. Only memory pressure and the end of the
  // stream (`force`) write uncovered rows.
  size_t cut = p.batches.size();
  if (!force && opts_.state_mode == WriterOptions::StateMode::kInTransaction && schema_it->second->is_incremental)
    cut = p.checkpoints.empty() ? 0 : p.checkpoints.back().batch_pos;
  if (cut == 0 && p.checkpoints.empty()) return;
  std::vector<BatchPtr> batches(p.batches.begin(), p.batches.begin() + cut);
  std::vector<Checkpoint> cps = std::move(p.checkpoints);
  Pending rest;
  rest.flushes = p.flushes + 1;
  for (size_t i = cut; i < p.batches.size(); ++i) {
    if (rest.batches.empty()) rest.first = Clock::now();
    rest.rows += p.batches[i]->num_rows();
    rest.bytes += p.batches[i]->ByteSize();
    rest.batches.push_back(p.batches[i]);
  }
  const bool rows_wait = !rest.batches.empty();   // left for the next cursor
  p = std::move(rest);
  // The rows of child tables emitted before a cursor must be durable before
  // the cursor is: flush them first.
  if (!cps.empty())
    for (const auto& child : Descendants(table)) FlushTable(child);
  // Write in chunks of at most batch_size rows, each one transaction. In
  // in-transaction state mode the cursors ride with the last chunk.
  WriteRequest req{schema_it->second, {}, nullptr, {}};
  req.client = stream.second;
  int64_t rows = 0;
  bool all_ok = !write_failed_.count(table);
  size_t remaining = 0;
  for (auto& b : batches) remaining += b->num_rows();
  auto write = [&]() {
    if (req.batches.empty()) return;
    remaining -= rows;
    const bool last_chunk = remaining == 0;
    req.more_follow = !last_chunk || !(last || ending_) || rows_wait;
    if (last_chunk && all_ok && !cps.empty() && opts_.state_mode == WriterOptions::StateMode::kInTransaction) {
      std::map<std::string, StateEntry> latest;
      for (const auto& c : cps) latest[c.entry.key] = c.entry;
      req.state_table = opts_.state_table;
      for (auto& [k, e] : latest) req.state.push_back(e);
    }
    if (Overlapping()) {
      LaunchWrite(req, table, rows);   // counted when collected (ReapWrites)
    } else {
      Status st = WriteWithRetry(req);
      if (!st.ok()) all_ok = false;
      CountWrite(table, rows, st);
    }
    req.batches.clear();
    req.state.clear();
    rows = 0;
  };
  // Rows covered by a cursor commit in one transaction with it: split them
  // and a crash between the parts would leave rows without their cursor.
  const int64_t chunk = (!cps.empty() && opts_.state_mode == WriterOptions::StateMode::kInTransaction)
                            ? INT64_MAX
                            : opts_.batch_size;
  for (auto& b : batches) {
    int64_t off = 0;
    while (off < b->num_rows()) {
      int64_t take = std::min(b->num_rows() - off, chunk - rows);
      BatchPtr part = (off == 0 && take == b->num_rows()) ? b : Attach(b->Slice(off, take), b);
      req.batches.push_back(std::move(part));
      rows += take;
      off += take;
      if (rows >= chunk) write();
    }
  }
  write();
  if (!batches.empty()) {
    it->second.last_follow = !(last || ending_) || rows_wait;
    it->second.last_write = Clock::now();
  }
  if (!cps.empty()) {
    if (Overlapping()) {   // the cursor waits for every row before it
      ReapWrites(0);
      all_ok = !write_failed_.count(table);
    }
    if (batches.empty() && all_ok && opts_.state_mode == WriterOptions::StateMode::kInTransaction) {
      std::vector<StateEntry> entries;
      for (auto& c : cps) entries.push_back(c.entry);
      WriteState(std::move(entries), "cursor for table " + table);
      all_ok = !write_failed_.count(table);
    }
    SettleCheckpoints(table, stream.second, cps, all_ok);
  }
}

void DestinationWriter::HandleCheckpoint(WriterMessage& m) {
  if (opts_.state_mode == WriterOptions::StateMode::kNone) return;
  if (down_) {   // its rows may have been dropped: the cursor stays where it was
    std::vector<Checkpoint> cps{Checkpoint{m.seq, std::move(m.entry), 0}};
    SettleCheckpoints(m.table, m.client, cps, false);
    return;
  }
  const StreamKey key{m.table, m.client};
  Pending& p = pending_[key];
  p.checkpoints.push_back(Checkpoint{m.seq, std::move(m.entry), p.batches.size()});
  // With nothing buffered the cursor is covered now: settle it at once.
  // With prepared writes each cursor is settled on its own (its token holds
  // exactly the rows since the previous one), so the rows before it are
  // written now.
  if (p.batches.empty() || opts_.prepared) FlushStream(key, false);
}

Result<std::optional<PreparedToken>> DestinationWriter::Prepare(const std::string& table, const std::string& client) {
  // The cursor covers the table's rows and those of its relations (flushed
  // before it, FlushStream): one token for all, a JSON array.
  nlohmann::json tokens = nlohmann::json::array();
  std::vector<std::string> tables{table};
  for (const auto& child : Descendants(table)) tables.push_back(child);
  for (const auto& t : tables) {
    Result<std::string> token = Status::OK();
    Status st = Call([&](int) {
      token = dest_->Prepare(t, client);
      return token.status();
    });
    if (!st.ok()) return st;
    if (!token->empty()) tokens.push_back(*token);
  }
  if (tokens.empty()) return std::optional<PreparedToken>();
  PreparedToken out;
  out.writer = opts_.writer_index;
  out.entry.key = PreparedKey(opts_.name, table, client);
  out.entry.value = tokens.dump();
  return std::optional<PreparedToken>(std::move(out));
}

void DestinationWriter::SettleCheckpoints(const std::string& table, const std::string& client,
                                          std::vector<Checkpoint>& cps, bool ok) {
  if (!ok) {
    stats_[table].notes.push_back("destination \"" + opts_.name + "\", table " + table +
                                  ": cursor not advanced because rows it covers were not written");
  }
  if (opts_.state_mode != WriterOptions::StateMode::kCoordinated || !opts_.coordinator) return;
  if (ok) {
    Status st = dest_->Flush();
    if (!st.ok()) {
      ok = false;
      write_failed_.insert(table);
      RecordError(table, "making rows durable before their cursor: " + st.message());
      stats_[table].notes.push_back("destination \"" + opts_.name + "\", table " + table +
                                    ": cursor not advanced because rows it covers were not written");
    }
  }
  std::optional<PreparedToken> token;
  if (ok && opts_.prepared) {
    auto prepared = Prepare(table, client);
    if (!prepared.ok()) {
      ok = false;
      write_failed_.insert(table);
      RecordError(table, "preparing rows for their cursor: " + prepared.status().message());
      stats_[table].notes.push_back("destination \"" + opts_.name + "\", table " + table +
                                    ": cursor not advanced because rows it covers were not written");
    } else {
      token = std::move(*prepared);
    }
  }
  for (size_t i = 0; i < cps.size(); ++i) {
    // The token goes with the last cursor: with prepared writes there is
    // only one (HandleCheckpoint).
    if (ok) opts_.coordinator->Covered(cps[i].seq, i + 1 == cps.size() ? std::move(token) : std::nullopt);
    else opts_.coordinator->Abandon(cps[i].seq);
  }
}

bool DestinationWriter::WriteState(std::vector<StateEntry> entries, const std::string& what) {
  ReapWrites(0);
  WriteRequest req{opts_.state_table, {}, opts_.state_table, std::move(entries)};
  Status st = WriteWithRetry(std::move(req));
  if (!st.ok()) {
    std::string table = opts_.state_table ? opts_.state_table->name : "(state)";
    write_failed_.insert(table);
    if (!down_) RecordError(table, what + ": " + st.message());
  }
  return st.ok();
}

std::vector<std::string> DestinationWriter::Descendants(const std::string& table) const {
  std::vector<std::string> out;
  std::vector<std::string> frontier{table};
  while (!frontier.empty()) {
    std::string t = frontier.back();
    frontier.pop_back();
    for (const auto& [name, schema] : tables_)
      if (schema->parent == t) {
        out.push_back(name);
        frontier.push_back(name);
      }
  }
  return out;
}

Status DestinationWriter::Call(const std::function<Status(int attempt)>& op) {
  if (down_) return Status::IOError("destination \"" + opts_.name + "\" is down: " + down_reason_);
  RetryReport report;
  Status st = CallWithRetry(opts_.retry, opts_.cancel, op, &report);
  Account(st, report);
  return st;
}

void DestinationWriter::Account(const Status& st, const RetryReport& report) {
  retries_ += report.retries;
  if (report.retries > 0) unavailable_ += report.unavailable;
  if (report.retries > 0 && !st.ok()) ++retried_then_failed_;
  // (Two writes in flight can both give up: one error says so.)
  if (!st.ok() && report.gave_up_transient && !down_) GoDown(st);
}

void DestinationWriter::CountWrite(const std::string& table, int64_t rows, const Status& st) {
  TableWriteStats& s = stats_[table];
  if (st.ok()) {
    s.rows_written += rows;
    return;
  }
  s.rows_failed += rows;
  write_failed_.insert(table);
  if (down_) rows_dropped_ += rows;   // the one error is GoDown's
  else RecordError(table, "writing " + std::to_string(rows) + " rows failed: " + st.message());
}

bool DestinationWriter::Overlapping() const {
  return opts_.writes_in_flight > 1 && opts_.state_mode != WriterOptions::StateMode::kInTransaction;
}

void DestinationWriter::LaunchWrite(WriteRequest req, const std::string& table, int64_t rows) {
  // A table with a primary key: the later row of a key must win, so its
  // earlier write lands first.
  auto schema = tables_.find(table);
  if (schema != tables_.end() && !schema->second->PrimaryKeys().empty()) {
    for (size_t i = in_flight_.size(); i > 0; --i)
      if (in_flight_[i - 1].table == table) {
        ReapWrites(in_flight_.size() - i);
        break;
      }
  }
  const size_t most = static_cast<size_t>(opts_.writes_in_flight);
  if (in_flight_.size() >= most) ReapWrites(most - 1);
  if (down_) {   // (the oldest write took it down)
    CountWrite(table, rows, Status::IOError("destination \"" + opts_.name + "\" is down: " + down_reason_));
    return;
  }
  req.request_id = next_request_id_++;
  auto run = [this, req = std::move(req)]() mutable {
    RetryReport report;
    Status st = CallWithRetry(
        opts_.retry, opts_.cancel,
        [&](int attempt) {
          req.attempt = attempt;
          return dest_->Write(req);
        },
        &report);
    req = WriteRequest{};   // the batches go back to the memory budget now, not when collected
    return std::make_pair(std::move(st), report);
  };
  in_flight_.push_back(InFlight{table, rows, std::async(std::launch::async, std::move(run))});
}

void DestinationWriter::ReapWrites(size_t keep) {
  while (in_flight_.size() > keep) {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    auto [st, report] = f.done.get();
    Account(st, report);
    CountWrite(f.table, f.rows, st);
  }
}

void DestinationWriter::ReapFinished() {
  size_t ready = 0;
  while (ready < in_flight_.size() &&
         in_flight_[ready].done.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
    ++ready;
  ReapWrites(in_flight_.size() - ready);
}

Status DestinationWriter::WriteWithRetry(WriteRequest req) {
  req.request_id = next_request_id_++;
  return Call([&](int attempt) {
    req.attempt = attempt;
    return dest_->Write(req);
  });
}

void DestinationWriter::GoDown(const Status& cause) {
  down_reason_ = cause.message();
  down_ = true;
  errors_.push_back("destination \"" + opts_.name + "\" failed: unavailable for longer than its retry_timeout: " +
                    cause.message() + ". It took no more writes in this sync; its cursors were not advanced and "
                    "its stale rows were kept, so the next sync completes the data.");
  DropPending();
}

void DestinationWriter::DropPending() {
  for (auto& [key, p] : pending_) {
    const int64_t rows = RowsOf(p.batches);
    rows_dropped_ += rows;
    stats_[key.first].rows_failed += rows;
    write_failed_.insert(key.first);
    if (!p.checkpoints.empty()) SettleCheckpoints(key.first, key.second, p.checkpoints, false);
  }
  pending_.clear();
}

void DestinationWriter::RecordError(const std::string& table, const std::string& msg) {
  std::string full = "destination \"" + opts_.name + "\", table " + table + ": " + msg;
  stats_[table].errors.push_back(full);
  errors_.push_back(full);
}

std::shared_ptr<const SourceOutcome> DestinationWriter::Outcome() {
  static const auto kUnknown = std::make_shared<const SourceOutcome>(
      SourceOutcome{Status::Internal("the engine passed no source outcome"), "", {}, {}});
  std::lock_guard<std::mutex> lock(mu_);
  return outcome_ ? outcome_ : kUnknown;
}

DestinationTableResult DestinationWriter::ResultOf(const std::string& table, const TableSchema& schema) {
  const TableWriteStats& s = stats_[table];
  DestinationTableResult mine;
  mine.write_failed = write_failed_.count(table) || !s.errors.empty() || s.rows_failed > 0;
  if (down_) mine.destination_down = down_reason_;
  mine.incremental_with_backend = schema.is_incremental && opts_.has_state_backend;
  if (opts_.cancelled_by) mine.cancelled_by = opts_.cancelled_by();
  return mine;
}

void DestinationWriter::DeleteStale() {
  const auto outcome = Outcome();
  for (const auto& [table, schema] : tables_) {
    (void)stats_[table];   // every table has its entry in the summary, deleted or not
    const StaleVerdict v = DecideDeleteStale(table, *outcome, ResultOf(table, *schema));
    if (v.kind == StaleVerdict::Kind::kKeepIncremental) continue;
    if (opts_.defer_delete_stale) {
      stale_verdicts_[table] = v.kind == StaleVerdict::Kind::kDelete ? "" : v.reason;
      continue;
    }
    if (v.kind == StaleVerdict::Kind::kKeep) {
      KeepStale(table, v.reason);
      continue;
    }
    DeleteStaleNow(table, opts_.sync_time_us);
  }
}

void DestinationWriter::KeepStale(const std::string& table, const std::string& reason) {
  TableWriteStats& s = stats_[table];
  s.stale_kept = reason;
  s.notes.push_back("destination \"" + opts_.name + "\", table " + table + ": stale rows kept: " + reason);
}

void DestinationWriter::DeleteStaleNow(const std::string& table, int64_t sync_time_us) {
  TableWriteStats& s = stats_[table];
  auto schema = tables_.find(table);
  if (schema == tables_.end()) return;
  Status st = Call([&](int) { return dest_->DeleteStale(DeleteStaleRequest{schema->second, opts_.source_name, sync_time_us}); });
  if (st.ok()) s.deleted_stale = true;
  else {
    s.stale_kept = "deleting them failed";
    if (!down_) RecordError(table, "delete stale: " + st.message());
  }
}

void DestinationWriter::RecordSnapshots() {
  const auto outcome = Outcome();
  BatchBuilder rows(opts_.snapshot_table);
  std::vector<std::string> recorded;
  for (const auto& [table, schema] : tables_) {
    if (!snapshot::HasViews(*schema)) continue;
    TableWriteStats& s = stats_[table];
    DestinationTableResult mine = ResultOf(table, *schema);
    mine.incremental_with_backend = false;   // the same test of completeness for every table
    const StaleVerdict v = DecideDeleteStale(table, *outcome, mine);
    if (v.kind != StaleVerdict::Kind::kDelete) {
      s.notes.push_back("destination \"" + opts_.name + "\", table " + table + ": this sync is not a complete "
                        "snapshot (" + v.reason + "); " + table + snapshot::kLatestSuffix +
                        " still shows the previous complete sync");
      continue;
    }
    Status st = rows.AppendRow({Value::String(table), Value::String(opts_.source_name),
                                Value::String(opts_.settings.sync_group_id), Value::Int(opts_.sync_time_us),
                                Value::String(opts_.invocation_id), Value::Int(s.rows_written)});
    if (!st.ok()) {   // the row is built from snapshot::Schema(); a mismatch is a Ferry bug, never silent
      RecordError(table, "recording the complete snapshot: " + st.message());
      continue;
    }
    recorded.push_back(table);
  }
  if (recorded.empty()) return;
  // One request, one transaction where the destination has them: every
  // table of this sync becomes visible in its view at once.
  Status st = WriteWithRetry(WriteRequest{opts_.snapshot_table, {rows.Finish()}, nullptr, {}});
  if (st.ok() || down_) return;   // a destination that went down has its one error
  for (const auto& table : recorded)
    RecordError(table, "recording the complete snapshot in " + std::string(snapshot::kTable) + " failed (" + table +
                           snapshot::kLatestSuffix + " still shows the previous complete sync): " + st.message());
}

}  // namespace ferry::engine
