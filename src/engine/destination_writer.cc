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
    if (budget_ && budget_->UnderPressure()) FlushAll();
    else FlushDue();
    if (done) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
  FlushAll();
  if (opts_.settings.write_mode == WriteMode::kOverwriteDeleteStale) DeleteStale();
}

void DestinationWriter::Handle(WriterMessage& m) {
  switch (m.kind) {
    case WriterMessage::Kind::kInsert: {
      Pending& p = pending_[m.table];
      if (p.batches.empty()) p.first = Clock::now();
      p.rows += m.batch->num_rows();
      p.bytes += m.batch->ByteSize();
      p.batches.push_back(std::move(m.batch));
      if (p.rows >= opts_.batch_size || p.bytes >= opts_.batch_size_bytes) FlushTable(m.table);
      break;
    }
    case WriterMessage::Kind::kTableDone: {
      TableState& ts = table_state_[m.table];
      ++ts.clients_done;
      if (!m.status.ok()) ts.source_failed = true;
      break;
    }
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
  std::vector<std::string> due;
  for (auto& [table, p] : pending_)
    if (!p.batches.empty() && now - p.first >= std::chrono::milliseconds(opts_.batch_timeout_ms))
      due.push_back(table);
  for (const auto& t : due) FlushTable(t);
}

void DestinationWriter::FlushAll() {
  std::vector<std::string> names;
  for (auto& [table, p] : pending_)
    if (!p.batches.empty()) names.push_back(table);
  for (const auto& t : names) FlushTable(t);
}

void DestinationWriter::FlushTable(const std::string& table) {
  auto it = pending_.find(table);
  if (it == pending_.end() || it->second.batches.empty()) return;
  std::vector<BatchPtr> batches = std::move(it->second.batches);
  it->second = Pending{};
  auto schema_it = tables_.find(table);
  if (schema_it == tables_.end()) {
    RecordError(table, "received rows for a table that was not migrated");
    return;
  }
  // Write in chunks of at most batch_size rows, each one transaction.
  WriteRequest req{schema_it->second, {}};
  int64_t rows = 0;
  auto write = [&]() {
    if (req.batches.empty()) return;
    Status st = WriteWithRetry(req);
    TableWriteStats& s = stats_[table];
    if (st.ok()) s.rows_written += rows;
    else {
      s.rows_failed += rows;
      RecordError(table, "writing " + std::to_string(rows) + " rows failed: " + st.message());
    }
    req.batches.clear();
    rows = 0;
  };
  for (auto& b : batches) {
    int64_t off = 0;
    while (off < b->num_rows()) {
      int64_t take = std::min(b->num_rows() - off, opts_.batch_size - rows);
      BatchPtr part = (off == 0 && take == b->num_rows()) ? b : Attach(b->Slice(off, take), b);
      req.batches.push_back(std::move(part));
      rows += take;
      off += take;
      if (rows >= opts_.batch_size) write();
    }
  }
  write();
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
