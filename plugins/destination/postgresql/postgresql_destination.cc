#include "plugins/destination/postgresql/postgresql_destination.h"

#include <chrono>
#include <thread>

#include "ferry/builder.h"
#include "ferry/redact.h"
#include "plugins/common/delete_record.h"
#include "plugins/destination/postgresql/migrate.h"
#include "plugins/destination/postgresql/snapshot_views.h"
#include "plugins/destination/postgresql/table_reader.h"
#include "plugins/destination/postgresql/type_map.h"

namespace ferry::plugins::postgresql {

namespace {

void RegisterConnectionSecrets(const std::string& conninfo) {
  RegisterConnectionString(conninfo);
  // libpq's own view of it, for forms our parser does not know.
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  if (!opts) return;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (o->val && std::string_view(o->keyword) == "password") RegisterSecret(o->val);
  PQconninfoFree(opts);
}

}  // namespace

Destination::~Destination() { Close().IgnoreError(); }  // Close cannot fail


Status Destination::CheckOpen() const {
  if (!open_) return Status::Internal("postgresql destination \"" + name_ + "\" is not initialised (or already closed)");
  return Status::OK();
}

Status Destination::EnsureConnected() {
  FERRY_RETURN_NOT_OK(CheckOpen());
  if (conn_ && conn_->ok()) return Status::OK();
  conn_.reset();
  staging_ready_.clear();
  if (watch_ && watch_->abandoned())
    return Status::Cancelled("destination \"" + name_ +
                             "\": the sync was cancelled and PostgreSQL stopped answering: not reconnecting");
  auto c = Connection::Open(spec_.connection_string, spec_.connect_timeout_s());
  if (!c.ok()) return c.status().WithContext("destination \"" + name_ + "\"");
  conn_ = c.MoveValue();
  conn_->set_cancel_watch(watch_.get());
  ++connects_;
  return Status::OK();
}

// One attempt on a live connection (reconnecting first when it broke). The
// engine retries transient failures (include/ferry/retry.h).
Status Destination::Attempt(const std::function<Status()>& fn) {
  Status st = EnsureConnected();
  if (st.ok()) st = fn();
  if (!st.ok() && st.IsRetryable() && conn_ && conn_->ok())
    conn_->Exec("ROLLBACK", "rollback").IgnoreError();  // e.g. after a deadlock; st is the error
  return st;
}

Status Destination::Init(const Options& options, const DestinationInit& init) {
  if (!init.name.empty()) name_ = init.name;
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  RegisterConnectionSecrets(spec_.connection_string);
  FERRY_RETURN_NOT_OK(Close());
  watch_.reset();
  if (init.cancel) watch_ = std::make_unique<CancelWatch>(init.cancel);
  open_ = true;
  Status st = Attempt([] { return Status::OK(); });
  if (!st.ok()) open_ = false;
  return st;
}

Status Destination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) {
  writers_.clear();  // cached writers may describe dropped or changed tables
  CreateOptions create{.performance_indexes = spec_.create_performance_indexes, .cq_id_unique = spec_.cq_id_unique};
  if (options.views != MigrateOptions::Views::kLeave)
    create.before = [&] { return DropSnapshotViews(*conn_, tables, options.views); };
  if (options.views == MigrateOptions::Views::kCreate) {
    create.after = [&] { return CreateSnapshotViews(*conn_, tables); };
  }
  FERRY_RETURN_NOT_OK(Attempt([&] { return MigrateTables(*conn_, tables, options.mode, create, name_); }));
  for (const auto& t : tables) schemas_[t->name] = t;
  return Status::OK();
}

Result<TableWriter*> Destination::WriterFor(const TableSchemaPtr& schema) {
  auto it = writers_.find(schema->name);
  if (it != writers_.end() && it->second->Compatible(*schema)) return it->second.get();
  FERRY_RETURN_NOT_OK(CheckNames(*schema));
  auto writer = std::make_unique<TableWriter>(schema);
  TableWriter* w = writer.get();
  writers_[schema->name] = std::move(writer);
  schemas_[schema->name] = schema;
  return w;
}

Status Destination::EnsureStaging(TableWriter* w) {
  if (!w || !w->upsert() || staging_ready_.count(w->staging_name())) return Status::OK();
  FERRY_RETURN_NOT_OK(conn_->Exec(w->StagingSql(), "table " + w->schema()->name + ": create staging table"));
  staging_ready_.insert(w->staging_name());
  return Status::OK();
}


void Destination::Hook(std::string_view point) {
  if (fault_hook_ && conn_) fault_hook_(point, conn_->get());
}

Status Destination::Write(const WriteRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const bool has_rows = request.table && !request.batches.empty();
  if (!has_rows && request.state.empty()) return Status::OK();
  Fingerprint fp;
  if (request.table) fp.table = request.table->name;
  for (const auto& b : request.batches) fp.batches.emplace_back(b.get(), b ? b->num_rows() : 0);
  for (const auto& e : request.state) fp.state.emplace_back(e.key, e.value, e.version);

  FERRY_RETURN_NOT_OK(EnsureConnected());
  if (pending_) {
    FERRY_ASSIGN_OR_RETURN(bool already_committed, ResolvePending(fp));
    if (already_committed) return Status::OK();
  }
  TableWriter* rows = nullptr;
  TableWriter* state = nullptr;
  BatchPtr state_batch;
  if (has_rows) {
    FERRY_ASSIGN_OR_RETURN(rows, WriterFor(request.table));
  }
  if (!request.state.empty()) {
    if (!request.state_table) return Status::Invalid("write request carries state entries but no state_table");
    FERRY_ASSIGN_OR_RETURN(state_batch, StateBatch(request.state_table, request.state));
    FERRY_ASSIGN_OR_RETURN(state, WriterFor(request.state_table));
  }
  Status st;
  std::string xid;
  // A connection that died while idle is only noticed here; nothing was sent
  // yet, so reconnect once at once instead of failing the attempt.
  for (int attempt = 0; attempt < 2; ++attempt) {
    st = EnsureConnected();
    if (st.ok()) st = EnsureStaging(rows);
    if (st.ok()) st = EnsureStaging(state);
    if (st.ok()) {
      auto begin = conn_->Query("BEGIN; SELECT pg_current_xact_id()::text", "table " + fp.table + ": begin");
      st = begin.status();
      if (st.ok()) xid = PQgetvalue(begin->get(), 0, 0);
    }
    if (st.ok() || !conn_ || conn_->ok() || st.code() == StatusCode::kCancelled) break;
  }
  if (st.ok()) st = WriteTransaction(request, rows, state, state_batch, fp, xid);
  if (!st.ok() && conn_ && conn_->ok()) conn_->Exec("ROLLBACK", "rollback").IgnoreError();  // st is the error
  return st;
}

Status Destination::WriteTransaction(const WriteRequest& request, TableWriter* rows, TableWriter* state,
                                     const BatchPtr& state_batch, const Fingerprint& fp, const std::string& xid) {
  const std::string context = request.table ? "table " + request.table->name : "state";
  if (rows) FERRY_RETURN_NOT_OK(rows->Write(*conn_, request.batches, [this] { Hook("copy"); }));
  if (state) FERRY_RETURN_NOT_OK(state->Write(*conn_, {state_batch}, nullptr));
  Hook("before_commit");
  FERRY_RETURN_NOT_OK(conn_->Send("COMMIT", context + ": commit"));
  Hook("commit_sent");
  Status st = conn_->Collect(context + ": commit");
  if (!st.ok() && !conn_->ok()) {
    // The server may have committed before the connection dropped.
    pending_ = PendingCommit{xid, fp};
    return Status::Transient(st.message() + "; whether it committed is checked before the retry");
  }
  return st;
}

Result<bool> Destination::ResolvePending(const Fingerprint& fp) {
  const std::string sql = "SELECT pg_xact_status(" + QuoteLiteral(pending_->xid) + "::xid8)";
  for (int i = 0; i < 100; ++i) {
    FERRY_ASSIGN_OR_RETURN(PgResult r, conn_->Query(sql, "check an interrupted commit"));
    const std::string status = PQgetisnull(r.get(), 0, 0) ? "" : PQgetvalue(r.get(), 0, 0);
    if (status == "in progress") {  // the old session has not noticed the lost connection yet
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const bool same = pending_->request == fp;
    pending_.reset();
    return status == "committed" && same;
  }
  return Status::Transient("an interrupted commit is still in progress on the server");
}

Result<std::vector<StateEntry>> Destination::ReadState(const TableSchemaPtr& state_table) {
  const TableSchema& st = *state_table;
  std::vector<Row> rows;
  // A sync killed right after sending COMMIT leaves a transaction that still
  // commits rows and cursor together: the SHARE lock waits for it (its
  // cursor upsert holds ROW EXCLUSIVE), so a resumed sync never reads the
  // cursor from before rows that are about to appear.
  FERRY_RETURN_NOT_OK(Attempt([&]() -> Status {
    FERRY_RETURN_NOT_OK(conn_->Exec("BEGIN; LOCK TABLE " + QuoteIdent(PgName(st.name)) + " IN SHARE MODE",
                                    "state table " + st.name + ": lock"));
    auto read = ReadTable(*conn_, st);
    if (!read.ok()) {
      conn_->Exec("ROLLBACK", "rollback").IgnoreError();  // read's error is the one to report
      return read.status();
    }
    rows = std::move(read).value();
    return conn_->Exec("COMMIT", "state table " + st.name + ": read");
  }));
  return StateEntriesOf(st, rows);
}

Status Destination::DeleteStale(const DeleteStaleRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const std::string sql = "DELETE FROM " + QuoteIdent(PgName(request.table->name)) + " WHERE " +
                          QuoteIdent(meta::kSourceName) + " = $1 AND " + QuoteIdent(meta::kSyncTime) + " < $2";
  ArrayBuilder time(types::Timestamp());
  time.AppendInt(request.sync_time_us);
  CopyBuffer buf;
  std::string why;
  EncodeValue(*time.Finish(), 0, &buf, &why);  // cannot fail for a timestamp
  const std::vector<Param> params = {{.oid = oid::kText, .value = request.source_name},
                                     {.oid = oid::kTimestamp, .value = std::string(buf.data(), buf.size())}};
  return Attempt([&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(PgResult r, conn_->QueryParams(sql, params, false,
                                                          "table " + request.table->name + ": delete stale rows"));
    return Status::OK();
  });
}

Result<TableSchemaPtr> Destination::SchemaOf(const std::string& table) {
  auto it = schemas_.find(table);
  if (it != schemas_.end()) return it->second;
  std::optional<std::vector<ExistingColumn>> cols;
  FERRY_RETURN_NOT_OK(Attempt([&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(cols, ReadColumns(*conn_, table));
    return Status::OK();
  }));
  if (!cols) return Status::NotFound("table " + table + " does not exist");
  auto schema = std::make_shared<TableSchema>();
  schema->name = table;
  for (const auto& c : *cols) schema->columns.push_back(Column{.name = c.name, .type = TypeOfColumnType(c.type)});
  return TableSchemaPtr(schema);
}

Status Destination::DeleteRecord(const ferry::DeleteRecord& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const std::string context = "table " + request.table_name + ": delete record";
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr schema, SchemaOf(request.table_name));
  // Each value is encoded as a cell of its column's type, so it compares
  // with what Write stored exactly; a value of the wrong kind is an error.
  DeleteSql rules;
  rules.quote_column = [](const std::string& c) { return QuoteIdent(PgName(c)); };
  rules.placeholder = [](size_t n) { return "$" + std::to_string(n); };
  FERRY_ASSIGN_OR_RETURN(DeleteWhere w, BuildDeleteWhere(*schema, request, rules, context));
  std::vector<Param> params;
  for (size_t i = 0; i < w.values.size(); ++i) {
    const ArrayPtr& value = w.values[i];
    CopyBuffer buf;
    std::string why;
    if (!EncodeValue(*value, 0, &buf, &why))
      return Status::Invalid(context + ": column " + w.columns[i] + ": " + why);
    params.push_back({.oid = TypeOid(*value->type), .value = std::string(buf.data(), buf.size())});
  }
  std::string sql = "DELETE FROM " + QuoteIdent(PgName(request.table_name));
  if (!w.where.empty()) sql += " WHERE " + w.where;
  return Attempt([&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(PgResult r, conn_->QueryParams(sql, params, false, context));
    return Status::OK();
  });
}

Status Destination::Close() {
  writers_.clear();
  staging_ready_.clear();
  conn_.reset();
  pending_.reset();
  open_ = false;
  return Status::OK();
}

DestinationPlugin PostgresqlPlugin() {
  DestinationPlugin p;
  p.name = "postgresql";
  p.description = "Writes to PostgreSQL by binary COPY (CloudQuery's postgresql destination, same tables and types)";
  p.options = SpecOptions();
  p.check = [](const Options& o) { return ParseSpec(o).status(); };
  p.capabilities.write_modes = {WriteMode::kAppend, WriteMode::kOverwrite, WriteMode::kOverwriteDeleteStale};
  p.capabilities.forced_migration = true;
  p.capabilities.delete_record = true;
  p.capabilities.state_backend = true;
  p.capabilities.snapshot_views = true;
  // time as time, decimal128 as numeric(p,s), durations and intervals as text (type_map.h).
  p.capabilities.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval,
                                  TypeFamily::kDecimal};
  p.batching = {.rows = 10000, .bytes = 100000000, .timeout = "60s", .unit = "written in one transaction"};
  p.create = [] { return std::make_unique<Destination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(PostgresqlPlugin()); }

}  // namespace ferry::plugins::postgresql
