#include "engine/destination_writer.h"

#include <algorithm>

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

void DestinationWriter::Start() { thread_ = std::thread([this] { Loop(); }); }

void DestinationWriter::Push(WriterMessage msg) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(msg));
  }
  cv_.notify_one();
}

void DestinationWriter::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
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
    if (budget_ && budget_->UnderPressure()) FlushAll(true);
    else FlushDue();
    if (done) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
  FlushAll(true);
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
  }
  if (opts_.settings.write_mode == WriteMode::kOverwriteDeleteStale) DeleteStale();
}

void DestinationWriter::Handle(WriterMessage& m) {
  switch (m.kind) {
    case WriterMessage::Kind::kInsert: {
      const StreamKey key{m.table, m.client};
      Pending& p = pending_[key];
      if (p.batches.empty()) p.first = Clock::now();
      p.rows += m.batch->num_rows();
      p.bytes += m.batch->ByteSize();
      p.batches.push_back(std::move(m.batch));
      if (p.rows >= opts_.batch_size || p.bytes >= opts_.batch_size_bytes) FlushStream(key, false);
      break;
    }
    case WriterMessage::Kind::kTableDone: {
      TableState& ts = table_state_[m.table];
      ++ts.clients_done;
      if (!m.status.ok()) ts.source_failed = true;
      break;
    }
    case WriterMessage::Kind::kCheckpoint:
      HandleCheckpoint(m);
      break;
    case WriterMessage::Kind::kCommitState:
      WriteState({std::move(m.entry)}, "commit cursor");
      break;
    case WriterMessage::Kind::kDeleteRecord: {
      FlushTable(m.del.table_name);
      Status st = dest_->DeleteRecord(m.del);
      if (!st.ok()) RecordError(m.del.table_name, "delete record: " + st.message());
      break;
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
}

void DestinationWriter::FlushAll(bool force) {
  std::vector<StreamKey> keys;
  for (auto& [key, p] : pending_)
    if (!p.batches.empty() || !p.checkpoints.empty()) keys.push_back(key);
  for (const auto& k : keys) FlushStream(k, force);
}

void DestinationWriter::FlushTable(const std::string& table) {
  std::vector<StreamKey> keys;
  for (auto& [key, p] : pending_)
    if (key.first == table && (!p.batches.empty() || !p.checkpoints.empty())) keys.push_back(key);
  for (const auto& k : keys) FlushStream(k, true);
}

void DestinationWriter::FlushStream(const StreamKey& stream, bool force) {
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
  for (size_t i = cut; i < p.batches.size(); ++i) {
    if (rest.batches.empty()) rest.first = Clock::now();
    rest.rows += p.batches[i]->num_rows();
    rest.bytes += p.batches[i]->ByteSize();
    rest.batches.push_back(p.batches[i]);
  }
  p = std::move(rest);
  // The rows of child tables emitted before a cursor must be durable before
  // the cursor is: flush them first.
  if (!cps.empty())
    for (const auto& child : Descendants(table)) FlushTable(child);
  // Write in chunks of at most batch_size rows, each one transaction. In
  // in-transaction state mode the cursors ride with the last chunk.
  WriteRequest req{schema_it->second, {}, nullptr, {}};
  int64_t rows = 0;
  bool all_ok = !write_failed_.count(table);
  size_t remaining = 0;
  for (auto& b : batches) remaining += b->num_rows();
  auto write = [&]() {
    if (req.batches.empty()) return;
    remaining -= rows;
    const bool last = remaining == 0;
    if (last && all_ok && !cps.empty() && opts_.state_mode == WriterOptions::StateMode::kInTransaction) {
      std::map<std::string, StateEntry> latest;
      for (const auto& c : cps) latest[c.entry.key] = c.entry;
      req.state_table = opts_.state_table;
      for (auto& [k, e] : latest) req.state.push_back(e);
    }
    Status st = WriteWithRetry(req);
    TableWriteStats& s = stats_[table];
    if (st.ok()) s.rows_written += rows;
    else {
      s.rows_failed += rows;
      all_ok = false;
      write_failed_.insert(table);
      RecordError(table, "writing " + std::to_string(rows) + " rows failed: " + st.message());
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
  if (!cps.empty()) {
    if (batches.empty() && all_ok && opts_.state_mode == WriterOptions::StateMode::kInTransaction) {
      std::vector<StateEntry> entries;
      for (auto& c : cps) entries.push_back(c.entry);
      WriteState(std::move(entries), "cursor for table " + table);
      all_ok = !write_failed_.count(table);
    }
    SettleCheckpoints(table, cps, all_ok);
  }
}

void DestinationWriter::HandleCheckpoint(WriterMessage& m) {
  if (opts_.state_mode == WriterOptions::StateMode::kNone) return;
  const StreamKey key{m.table, m.client};
  Pending& p = pending_[key];
  p.checkpoints.push_back(Checkpoint{m.seq, std::move(m.entry), p.batches.size()});
  // With nothing buffered the cursor is covered now: settle it at once.
  if (p.batches.empty()) FlushStream(key, false);
}

void DestinationWriter::SettleCheckpoints(const std::string& table, std::vector<Checkpoint>& cps, bool ok) {
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
    }
  }
  for (const auto& c : cps) {
    if (ok) opts_.coordinator->Covered(c.seq);
    else opts_.coordinator->Abandon(c.seq);
  }
}

void DestinationWriter::WriteState(std::vector<StateEntry> entries, const std::string& what) {
  WriteRequest req{opts_.state_table, {}, opts_.state_table, std::move(entries)};
  Status st = WriteWithRetry(req);
  if (!st.ok()) {
    std::string table = opts_.state_table ? opts_.state_table->name : "(state)";
    write_failed_.insert(table);
    RecordError(table, what + ": " + st.message());
  }
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

Status DestinationWriter::WriteWithRetry(const WriteRequest& req) {
  Status st;
  for (int attempt = 0;; ++attempt) {
    st = dest_->Write(req);
    if (st.ok() || !st.IsRetryable() || attempt >= opts_.max_retries) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
  }
}

void DestinationWriter::RecordError(const std::string& table, const std::string& msg) {
  std::string full = "destination \"" + opts_.name + "\", table " + table + ": " + msg;
  stats_[table].errors.push_back(full);
  errors_.push_back(full);
}

void DestinationWriter::DeleteStale() {
  for (const auto& [table, schema] : tables_) {
    const TableState& ts = table_state_[table];
    TableWriteStats& s = stats_[table];
    // With a state backend an incremental table re-syncs only what changed,
    // so its older rows are not stale.
    if (schema->is_incremental && opts_.has_state_backend) continue;
    if (ts.source_failed) {
      s.notes.push_back("destination \"" + opts_.name + "\", table " + table +
                         ": stale rows kept because the table did not sync completely");
      continue;
    }
    if (!s.errors.empty() || s.rows_failed > 0) continue;
    Status st = dest_->DeleteStale(DeleteStaleRequest{schema, opts_.source_name, opts_.sync_time_us});
    if (st.ok()) s.deleted_stale = true;
    else RecordError(table, "delete stale: " + st.message());
  }
}

}  // namespace ferry::engine
