#include "plugins/destination/bigquery/bigquery_destination.h"

#include "ferry/redact.h"
#include "plugins/destination/bigquery/proto_rows.h"
#include "plugins/destination/bigquery/row_json.h"
#include "plugins/destination/bigquery/table_reader.h"
#include "plugins/destination/bigquery/type_map.h"
#include "plugins/destination/bigquery/value_ranges.h"

namespace ferry::plugins::bigquery {

using nlohmann::json;

namespace {

DiffRules Rules() {
  DiffRules r;
  r.column_type = [](const DataType& t) { return ColumnTypeText(t); };
  return r;
}

// BigQuery columns are NULLABLE and have no key (CloudQuery's too): the
// schema as this destination stores it, so that key or NOT NULL flags never
// count as changes.
TableSchemaPtr AsStored(const TableSchemaPtr& t) {
  auto s = std::make_shared<TableSchema>(*t);
  for (Column& c : s->columns) {
    c.primary_key = c.not_null = c.unique = c.primary_key_component = false;
  }
  return s;
}

}  // namespace

Status BigQueryDestination::Init(const Options& options, const DestinationInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  if (!spec_.service_account_key_json.empty()) RegisterSecret(spec_.service_account_key_json);
  name_ = init.name;
  prepare_incremental_ = init.prepare_incremental;
  what_ = "destination \"" + name_ + "\"";
  FERRY_ASSIGN_OR_RETURN(api_, BigQueryApi::Make(spec_, what_));
  if (spec_.write_api == WriteApi::kStorageWrite) {
    FERRY_ASSIGN_OR_RETURN(storage_, StorageWriteClient::Make(spec_.storage_write_target(), spec_.storage_write_tls(),
                                                              api_->authorizer(), what_));
  }
  return api_->CheckDataset();
}

Status BigQueryDestination::CheckOpen() const {
  if (closed_) return Status::Invalid(what_ + " is closed");
  return Status::OK();
}

Result<TableSchemaPtr> BigQueryDestination::Migrated(const std::string& table) const {
  auto it = tables_.find(table);
  if (it == tables_.end()) return Status::NotFound("table " + table + " was not migrated by " + what_);
  return it->second;
}

Status BigQueryDestination::Apply(const TablePlan& plan) {
  const TableSchema& t = *plan.table;
  auto create = [&]() -> Status {
    json fields = json::array();
    for (const Column& c : t.columns) fields.push_back(FieldSchema(c.name, *c.type, c.description));
    json resource = {{"tableReference",
                      {{"projectId", spec_.project_id}, {"datasetId", spec_.dataset_id}, {"tableId", t.name}}},
                     {"schema", {{"fields", std::move(fields)}}}};
    if (!t.description.empty()) resource["description"] = t.description;
    if (spec_.time_partitioning != Partitioning::kNone && t.FindColumn(meta::kSyncTime) >= 0) {
      json tp = {{"type", PartitioningType(spec_.time_partitioning)}, {"field", meta::kSyncTime}};
      if (spec_.time_partitioning_expiration_ms > 0)
        tp["expirationMs"] = std::to_string(spec_.time_partitioning_expiration_ms);
      resource["timePartitioning"] = std::move(tp);
    }
    return api_->InsertTable(resource);
  };
  switch (plan.action) {
    case TablePlan::Action::kNone: return Status::OK();
    case TablePlan::Action::kCreate: return create();
    case TablePlan::Action::kRecreate:
      FERRY_RETURN_NOT_OK(api_->DeleteTable(t.name));
      return create();
    case TablePlan::Action::kAddColumns: {
      // DDL rather than tables.patch: both add NULLABLE columns on BigQuery,
      // and DDL also alters the storage of the emulators (bqemulator's
      // tables.patch changes only the metadata; EMULATOR.md).
      // One column per statement (bqemulator takes no more; BigQuery does
      // not mind). IF NOT EXISTS: a repeated migration adds nothing twice.
      for (const Column& c : plan.add) {
        const std::string sql = "ALTER TABLE " + api_->QualifiedName(t.name) + " ADD COLUMN IF NOT EXISTS " +
                                BigQueryApi::QuoteIdentifier(c.name) + " " + DdlType(*c.type);
        FERRY_RETURN_NOT_OK(api_->Query(sql, json::array(), "adding column " + c.name + " to table " + t.name).status());
      }
      // Then the same columns through tables.patch: on BigQuery a no-op (DDL
      // changed the schema already); bqemulator's DDL alters only storage
      // and its patch only metadata, and its writes follow the metadata.
      FERRY_ASSIGN_OR_RETURN(auto resource, api_->GetTable(t.name));
      if (!resource) return Status::IOError(what_ + ": table " + t.name + " vanished while adding columns");
      json fields = (*resource)["schema"].value("fields", json::array());
      for (const Column& c : plan.add) {
        bool present = false;
        for (const json& f : fields) present = present || f.value("name", "") == c.name;
        if (!present) fields.push_back(FieldSchema(c.name, *c.type, c.description));
      }
      return api_->PatchSchema(t.name, fields);
    }
  }
  return Status::OK();
}

Status BigQueryDestination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  if (options.views == MigrateOptions::Views::kCreate)
    return Status::Unsupported(what_ + ": snapshot views are not supported by the bigquery destination");
  std::vector<TableSchemaPtr> stored;
  for (const auto& t : tables) stored.push_back(AsStored(t));
  auto read = [&](const std::string& table) -> Result<std::optional<std::vector<ExistingColumn>>> {
    FERRY_ASSIGN_OR_RETURN(auto resource, api_->GetTable(table));
    if (!resource) return std::optional<std::vector<ExistingColumn>>();
    std::vector<ExistingColumn> cols;
    const json& schema = (*resource).value("schema", json::object());
    for (const json& f : schema.value("fields", json::array()))
      cols.push_back({f.value("name", ""), FieldTypeText(f), f.value("mode", "NULLABLE") == "REQUIRED", 0});
    return std::optional<std::vector<ExistingColumn>>(std::move(cols));
  };
  FERRY_ASSIGN_OR_RETURN(std::vector<TablePlan> plans,
                         PlanMigration(stored, options.mode == MigrateMode::kSafe, name_, read, Rules()));
  for (const TablePlan& plan : plans) {
    FERRY_RETURN_NOT_OK(Apply(plan));
    tables_[plan.table->name] = plan.table;
    // A changed table gets new streams (its writer schema changed). Rows
    // held in its PENDING streams are dropped: no cursor covers them yet.
    if (plan.action != TablePlan::Action::kNone) {
      for (auto it = streams_.begin(); it != streams_.end();) {
        if (it->first.first != plan.table->name) {
          ++it;
          continue;
        }
        // Its rows kept for the next write were encoded for the old schema.
        FERRY_RETURN_NOT_OK(SendCarry(it->first.first, it->second));
        if (it->first.second.empty()) finished_streams_.emplace_back(it->first.first, it->second.name);
        it = streams_.erase(it);
      }
    }
  }
  return Status::OK();
}

Status BigQueryDestination::Write(const WriteRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr table, Migrated(request.table->name));
  if (!request.state.empty())
    return Status::Unsupported(what_ + ": the bigquery destination is not a state backend");
  // Checked before anything is sent, so a refused request writes nothing.
  for (size_t b = 0; b < request.batches.size(); ++b) {
    const Batch& batch = *request.batches[b];
    FERRY_RETURN_NOT_OK(CheckBatchMatchesTable(*table, batch));
    FERRY_RETURN_NOT_OK(CheckValueRanges(batch, what_ + ": table " + table->name + ":", b));
    // BigQuery columns are NULLABLE; the schema's NOT NULL is kept here.
    const auto& cols = request.table->columns;
    for (size_t c = 0; c < cols.size() && c < batch.columns().size(); ++c) {
      if (!cols[c].not_null || batch.column(c)->null_count == 0) continue;
      for (int64_t r = 0; r < batch.num_rows(); ++r)
        if (batch.column(c)->IsNull(r))
          return Status::Invalid(what_ + ": table " + table->name + ": batch " + std::to_string(b) + " row " +
                                 std::to_string(r) + " column " + cols[c].name +
                                 ": NULL in a NOT NULL column; the rows of this write were not sent");
    }
  }
  if (storage_) return WriteStorage(request, table);
  return WriteInsertAll(request, *table);
}

Status BigQueryDestination::WriteStorage(const WriteRequest& request, const TableSchemaPtr& table) {
  const bool held = HeldBack(table->name);
  const std::pair<std::string, std::string> key{table->name, held ? request.client : std::string()};
  if (request.batches.empty()) {   // the engine's end of a packed stream (packs_writes)
    auto it = streams_.find(key);
    if (it == streams_.end() || it->second.carry.empty()) return Status::OK();
  }
  Stream& st = streams_[key];
  if (st.name.empty()) {
    FERRY_ASSIGN_OR_RETURN(st.name, storage_->CreateStream(api_->TablePath(table->name), table->name,
                                                           held ? StorageWriteClient::Type::kPending
                                                                : StorageWriteClient::Type::kCommitted));
    st.schema = RowDescriptor(*table);
  }
  if (request.request_id != st.request_id || request.attempt == 0) {
    DropCarryIfIn(st);
    st.request_id = request.request_id;
    st.request_start = st.carry.empty() ? st.next_offset : st.carry_offset;
  }
  // A retry of the same request appends its rows again from where it
  // started (the carry kept from the write before, then its own rows: the
  // same rows in the same requests). The parts an earlier attempt appended
  // answer ALREADY_EXISTS (the same rows at the same offsets), the rest are
  // appended.
  st.next_offset = st.request_start;
  // The rows of the next request: the carry first (copied: it stays until
  // this write succeeds, for a retry), then this write's.
  std::vector<std::string> rows = st.carry;
  std::vector<RowOrigin> origin = st.carry_origin;   // for errors
  int64_t bytes = st.carry_bytes;
  bool sent_full = false;   // a full request went out
  auto append = [&]() -> Status {
    if (rows.empty()) return Status::OK();
    auto label = [&](int64_t index) {
      if (index < 0 || static_cast<size_t>(index) >= origin.size()) return "row ?" + std::to_string(index);
      return origin[index].Label();
    };
    FERRY_ASSIGN_OR_RETURN(auto done, storage_->Append(st.name, st.next_offset, st.schema, rows, table->name, label));
    (void)done;   // kNow or kAlready: either way the rows are in the table
    st.next_offset += static_cast<int64_t>(rows.size());
    rows.clear();
    origin.clear();
    bytes = 0;
    return Status::OK();
  };
  for (size_t b = 0; b < request.batches.size(); ++b) {
    const Batch& batch = *request.batches[b];
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      std::string row;
      EncodeRow(batch, r, &row);
      if (static_cast<int64_t>(row.size()) > kAppendMaxBytes)
        return Status::Invalid(what_ + ": table " + table->name + ": batch " + std::to_string(b) + " row " +
                               std::to_string(r) + " is " + std::to_string(row.size()) +
                               " bytes, more than one AppendRows request may carry (10 MB)");
      if (bytes + static_cast<int64_t>(row.size()) > kAppendMaxBytes) {
        FERRY_RETURN_NOT_OK(append());
        sent_full = true;
      }
      bytes += static_cast<int64_t>(row.size()) + 8;
      rows.push_back(std::move(row));
      origin.push_back({b, r, false});
    }
  }
  // Every full request is in. The part-full last one waits for the table's
  // next write when one follows, so that a big table goes in full requests
  // (bench/bigquery/section.md). Only after a full request (writes smaller
  // than one request, e.g. a small batch_size, go as they come); never rows
  // a cursor covers; never more than kCarryMaxBytes over every table. The
  // old carry is dropped only once this write is done: a retry sends it
  // again, in the same requests.
  const bool keep = request.more_follow && sent_full && !Incremental(table->name) &&
                    carry_bytes_ - st.carry_bytes + bytes <= kCarryMaxBytes;
  if (!keep) {
    FERRY_RETURN_NOT_OK(append());
    ClearCarry(st);
    return Status::OK();
  }
  ClearCarry(st);
  for (auto& o : origin) o.earlier = true;
  st.carry = std::move(rows);
  st.carry_origin = std::move(origin);
  st.carry_bytes = bytes;
  st.carry_offset = st.next_offset;
  carry_bytes_ += bytes;
  return Status::OK();
}

void BigQueryDestination::ClearCarry(Stream& st) {
  carry_bytes_ -= st.carry_bytes;
  st.carry.clear();
  st.carry_origin.clear();
  st.carry_bytes = 0;
}

void BigQueryDestination::DropCarryIfIn(Stream& st) {
  // A write that failed part way may have appended its first request, which
  // starts with the carry: then the carry is in the table.
  if (!st.carry.empty() && st.next_offset > st.carry_offset) ClearCarry(st);
}

Status BigQueryDestination::SendCarry(const std::string& table, Stream& st) {
  DropCarryIfIn(st);
  if (st.carry.empty()) return Status::OK();
  auto label = [&](int64_t index) {
    if (index < 0 || static_cast<size_t>(index) >= st.carry_origin.size()) return "row ?" + std::to_string(index);
    return st.carry_origin[index].Label();
  };
  auto done = storage_->Append(st.name, st.carry_offset, st.schema, st.carry, table, label);
  if (!done.ok())
    return done.status().WithContext("the last " + std::to_string(st.carry.size()) + " rows written to table " +
                                     table + " (kept to fill a request with its next write) are not in it");
  st.next_offset = std::max(st.next_offset, st.carry_offset + static_cast<int64_t>(st.carry.size()));
  ClearCarry(st);
  return Status::OK();
}

Status BigQueryDestination::Flush() {
  if (closed_ || !storage_) return Status::OK();
  Status first;
  for (auto& [key, st] : streams_) {
    Status sent = SendCarry(key.first, st);
    if (!sent.ok() && first.ok()) first = sent;
  }
  return first;
}

Status BigQueryDestination::WriteInsertAll(const WriteRequest& request, const TableSchema& table_ref) {
  const TableSchema* table = &table_ref;
  if (request.request_id != request_id_ || request.attempt == 0) {
    request_id_ = request.request_id;
    acked_parts_ = 0;
  }
  // The rows go in insertAll requests under BigQuery's size limits. A part
  // acknowledged by an earlier attempt of this request is not sent again.
  size_t part = 0;
  std::string body;
  int64_t rows_in_body = 0;
  // Where each row of the body came from, for per-row errors.
  std::vector<std::pair<size_t, int64_t>> origin;
  auto send = [&]() -> Status {
    if (rows_in_body == 0) return Status::OK();
    const size_t this_part = part++;
    body += "]}";
    if (this_part < acked_parts_) {
      body.clear();
      rows_in_body = 0;
      origin.clear();
      return Status::OK();
    }
    auto errors = api_->InsertAll(table->name, std::move(body));
    body.clear();
    rows_in_body = 0;
    if (!errors.ok()) return errors.status();
    if (!errors->empty()) {
      // Without skipInvalidRows BigQuery stores none of the request's rows
      // when one is invalid; the others are reported "stopped".
      std::string msg;
      int shown = 0;
      for (const InsertError& e : *errors) {
        if (e.reason == "stopped") continue;
        if (shown++ == 5) {
          msg += "; ...";
          break;
        }
        const auto [batch, row] = origin[static_cast<size_t>(e.index)];
        msg += std::string(msg.empty() ? "" : "; ") + "batch " + std::to_string(batch) + " row " +
               std::to_string(row) + (e.location.empty() ? "" : " column " + e.location) + ": " + e.reason + ": " +
               e.message;
      }
      origin.clear();
      return Status::IOError(Redact(what_ + ": table " + table->name + ": BigQuery refused rows (none of the " +
                                    "request's rows were stored): " + msg));
    }
    origin.clear();
    acked_parts_ = part;
    return Status::OK();
  };
  for (size_t b = 0; b < request.batches.size(); ++b) {
    const Batch& batch = *request.batches[b];
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      if (rows_in_body == 0) body = "{\"skipInvalidRows\":false,\"ignoreUnknownValues\":false,\"rows\":[";
      else body.push_back(',');
      const size_t before = body.size();
      AppendRowJson(batch, r, "", &body);
      if (body.size() - before > static_cast<size_t>(kInsertAllMaxBytes))
        return Status::Invalid(what_ + ": table " + table->name + ": batch " + std::to_string(b) + " row " +
                               std::to_string(r) + " is " + std::to_string(body.size() - before) +
                               " bytes as JSON, more than one tabledata.insertAll request may carry (10 MB)");
      origin.emplace_back(b, r);
      ++rows_in_body;
      if (rows_in_body >= kInsertAllMaxRows || static_cast<int64_t>(body.size()) >= kInsertAllMaxBytes)
        FERRY_RETURN_NOT_OK(send());
    }
  }
  return send();
}

Status BigQueryDestination::DeleteStale(const DeleteStaleRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  return Status::Unsupported(what_ + ": table " + request.table->name +
                             ": the bigquery destination is append-only (write_mode: append)");
}

Status BigQueryDestination::DeleteRecord(const ferry::DeleteRecord& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  return Status::Unsupported(what_ + ": table " + request.table_name +
                             ": the bigquery destination does not delete records (append-only, as CloudQuery's)");
}

Status BigQueryDestination::Close() {
  if (closed_) return Status::OK();
  // Rows kept for a next write that did not come (one attempt: the engine
  // does not retry Close; a failure names the rows lost).
  Status first = Flush();
  closed_ = true;
  // Finalize the streams (no more appends; their rows are committed already).
  // PENDING streams still open hold rows no cursor covers: left
  // uncommitted (BigQuery drops them); the next sync fetches those rows again.
  for (const auto& [key, st] : streams_)
    if (key.second.empty()) finished_streams_.emplace_back(key.first, st.name);
  streams_.clear();
  // These are COMMITTED streams: each row was visible in its table as soon as
  // its append was acknowledged, and finalizing only closes the stream to
  // further appends. So a transient failure here (UNAVAILABLE, a lost
  // answer...), which the engine does not retry at Close, does not fail a
  // sync whose rows are all in; a permanent one still says what went wrong.
  for (const auto& [table, name] : finished_streams_) {
    if (!storage_ || name.empty()) continue;
    auto r = storage_->Finalize(name, table);
    if (!r.ok() && !r.status().IsRetryable() && first.ok()) first = r.status();
  }
  finished_streams_.clear();
  return first;
}

bool BigQueryDestination::HeldBack(const std::string& table) const {
  return prepare_incremental_ && storage_ && Incremental(table);
}

bool BigQueryDestination::Incremental(const std::string& table) const {
  std::string name = table;
  for (int depth = 0; depth < 64 && !name.empty(); ++depth) {
    auto it = tables_.find(name);
    if (it == tables_.end()) return false;
    if (it->second->is_incremental) return true;
    name = it->second->parent;
  }
  return false;
}

Result<std::string> BigQueryDestination::Prepare(const std::string& table, const std::string& client) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  if (!HeldBack(table)) return std::string();   // its rows are visible already (COMMITTED or insertAll)
  auto it = streams_.find({table, client});
  if (it == streams_.end() || it->second.next_offset == 0) return std::string();
  // Finalized, the stream takes no more rows; the next write opens another.
  FERRY_ASSIGN_OR_RETURN(int64_t rows, storage_->Finalize(it->second.name, table));
  if (rows != it->second.next_offset)
    return Status::IOError(what_ + ": table " + table + ": stream " + it->second.name + " holds " +
                           std::to_string(rows) + " rows, Ferry appended " + std::to_string(it->second.next_offset));
  json token = {{"table", api_->TablePath(table)}, {"stream", it->second.name}, {"rows", rows}};
  streams_.erase(it);
  return token.dump();
}

Status BigQueryDestination::CommitPrepared(const std::string& token) {
  // Thread-safe: reads only the token and the (thread-safe) gRPC client.
  json t = json::parse(token, nullptr, /*allow_exceptions=*/false);
  if (!t.is_object() || !t.contains("table") || !t.contains("stream"))
    return Status::Invalid(what_ + ": not a prepared-writes token of the bigquery destination: " + token);
  if (!storage_)
    return Status::Invalid(what_ + ": rows were prepared in Storage Write API stream " + t.value("stream", "") +
                           " but write_api is not storage_write now: set it back to commit them");
  return storage_->Commit(t.value("table", ""), t.value("stream", ""));
}

Result<std::vector<Row>> BigQueryDestination::ReadTable(const TableSchema& table) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  return ReadTableRows(*api_, table);
}

DestinationPlugin BigQueryPlugin() {
  DestinationPlugin p;
  p.name = "bigquery";
  p.description = "Google BigQuery: tables created and migrated through the REST API, rows appended through "
                  "the Storage Write API at explicit offsets (or tabledata.insertAll, as CloudQuery); append only";
  p.options = SpecOptions();
  p.check = [](const Options& o) { return ParseSpec(o).status(); };
  // Larger than CloudQuery's (batch_size 10000, batch_size_bytes 5 MiB;
  // batch_timeout 10s as its): every write opens an AppendRows call (and,
  // for incremental tables, a stream), a cost per write that 10,000-row
  // writes paid 100 times per 1M rows (bench/bigquery/section.md). A write
  // goes in requests of at most 9 MB, its last one part full: the rows limit
  // is high so that a write is led by its bytes and a part-full request is
  // one in 7 (100,000-row writes of the synthetic table made 3 requests, the
  // third of 3,400 rows: 30 requests for 1M rows where 21 carry them).
  p.batching = {.rows = 1000000, .bytes = 64 << 20, .timeout = "10s",
                .unit = "sent together (in AppendRows or tabledata.insertAll requests of at most 9 MB)"};
  p.capabilities.write_modes = {WriteMode::kAppend};
  p.capabilities.forced_migration = true;
  // With write_api: storage_write (the default): rows of incremental tables
  // go to PENDING streams, committed after their cursor (exactly-once).
  p.capabilities.prepared_writes = true;
  // A write's part-full last request waits for the table's next write
  // (README, "Requests packed across writes").
  p.capabilities.packs_writes = true;
  // As CloudQuery's: TIME, INTEGER, RECORDs of INTEGERs and BIGNUMERIC (type_map.h).
  p.capabilities.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval,
                                  TypeFamily::kDecimal};
  p.create = [] { return std::make_unique<BigQueryDestination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(BigQueryPlugin()); }

}  // namespace ferry::plugins::bigquery
