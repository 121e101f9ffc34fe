#include "plugins/destination/sqlite/sqlite_destination.h"

#include <cctype>

#include "ferry/builder.h"
#include "plugins/common/delete_record.h"
#include "plugins/destination/sqlite/column_binder.h"
#include "plugins/destination/sqlite/migrate.h"
#include "plugins/destination/sqlite/snapshot_views.h"
#include "plugins/destination/sqlite/table_reader.h"
#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

namespace {

// A column type for a declared SQLite type, for tables this process has not
// seen a schema of (delete_record under --no-migrate).
DataTypePtr TypeOfDeclared(std::string declared) {
  for (char& c : declared) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (declared == "INTEGER") return types::Int64();
  if (declared == "REAL") return types::Float64();
  if (declared == "BOOLEAN") return types::Bool();
  if (declared == "TIMESTAMP") return types::Timestamp();
  if (declared == "DATE") return types::Date32();
  if (declared == "BLOB") return types::Binary();
  return types::Utf8();
}

}  // namespace

Destination::~Destination() { Close().IgnoreError(); }  // Close cannot fail


Status Destination::CheckOpen() const {
  if (!conn_) return Status::Internal("sqlite destination \"" + name_ + "\" is not initialised (or already closed)");
  return Status::OK();
}

Status Destination::Init(const Options& options, const DestinationInit& init) {
  if (!init.name.empty()) name_ = init.name;
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  FERRY_RETURN_NOT_OK(Close());
  FERRY_ASSIGN_OR_RETURN(conn_, Connection::Open(spec_.connection_string, spec_.busy_timeout_ms));
  // journal_mode returns the resulting mode; an in-memory database keeps
  // "memory" whatever is asked, which is fine.
  auto mode = conn_->QueryText(std::string("PRAGMA journal_mode = ") + JournalModeKeyword(spec_.journal_mode),
                               "set journal_mode");
  if (!mode.ok()) return mode.status();
  FERRY_RETURN_NOT_OK(conn_->Exec(std::string("PRAGMA synchronous = ") + SynchronousKeyword(spec_.synchronous),
                                  "set synchronous"));
  return Status::OK();
}

Status Destination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  // Cached statements may name dropped or changed tables.
  writers_.clear();
  std::function<Status()> before, after;
  if (options.views != MigrateOptions::Views::kLeave) {
    before = [&] { return DropSnapshotViews(*conn_, tables, options.views); };
    if (options.views == MigrateOptions::Views::kCreate) after = [&] { return CreateSnapshotViews(*conn_, tables); };
  }
  FERRY_RETURN_NOT_OK(MigrateTables(*conn_, tables, options.mode, name_, before, after));
  for (const auto& t : tables) schemas_[t->name] = t;
  return Status::OK();
}

Result<TableWriter*> Destination::WriterFor(const TableSchemaPtr& schema) {
  auto it = writers_.find(schema->name);
  if (it != writers_.end() && it->second->Compatible(*schema)) return it->second.get();
  FERRY_ASSIGN_OR_RETURN(auto writer, TableWriter::Create(conn_.get(), schema));
  TableWriter* w = writer.get();
  writers_[schema->name] = std::move(writer);
  schemas_[schema->name] = schema;
  return w;
}

Status Destination::Write(const WriteRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const bool has_rows = request.table && !request.batches.empty();
  if (!has_rows && request.state.empty()) return Status::OK();
  Transaction tx(conn_.get());
  FERRY_RETURN_NOT_OK(tx.Begin().WithContext(request.table ? "table " + request.table->name : "write"));
  if (has_rows) {
    FERRY_ASSIGN_OR_RETURN(TableWriter * writer, WriterFor(request.table));
    int64_t row = 0;
    for (const auto& batch : request.batches) {
      if (!batch) continue;
      FERRY_RETURN_NOT_OK(writer->Write(*batch, row));
      row += batch->num_rows();
    }
  }
  if (!request.state.empty()) FERRY_RETURN_NOT_OK(WriteState(request));
  return tx.Commit().WithContext(request.table ? "table " + request.table->name : "write");
}

Status Destination::WriteState(const WriteRequest& request) {
  if (!request.state_table) return Status::Invalid("write request carries state entries but no state_table");
  FERRY_ASSIGN_OR_RETURN(BatchPtr batch, StateBatch(request.state_table, request.state));
  FERRY_ASSIGN_OR_RETURN(TableWriter * writer, WriterFor(request.state_table));
  return writer->Write(*batch, 0);
}

Result<std::vector<StateEntry>> Destination::ReadState(const TableSchemaPtr& state_table) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(std::vector<Row> rows, ReadTable(*conn_, *state_table));
  return StateEntriesOf(*state_table, rows);
}

Status Destination::DeleteStale(const DeleteStaleRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const std::string& table = request.table->name;
  const std::string context = "table " + table + ": delete stale rows";
  // Timestamps are stored as fixed-width UTC text, so text order is time
  // order and the comparison is exact to the microsecond.
  FERRY_ASSIGN_OR_RETURN(Statement stmt,
                         conn_->Prepare("DELETE FROM " + QuoteIdent(table) + " WHERE " +
                                            QuoteIdent(meta::kSourceName) + " = ?1 AND " +
                                            QuoteIdent(meta::kSyncTime) + " < ?2",
                                        context));
  const std::string time = TimestampText(request.sync_time_us);
  int rc = sqlite3_bind_text(stmt.get(), 1, request.source_name.data(), static_cast<int>(request.source_name.size()),
                             SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(stmt.get(), 2, time.data(), static_cast<int>(time.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) return conn_->Error(rc, context + ": bind");
  return conn_->StepDone(stmt.get(), context);
}

Result<TableSchemaPtr> Destination::SchemaOf(const std::string& table) {
  auto it = schemas_.find(table);
  if (it != schemas_.end()) return it->second;
  FERRY_ASSIGN_OR_RETURN(auto cols, ReadColumns(*conn_, table));
  if (!cols) return Status::NotFound("table " + table + " does not exist");
  auto schema = std::make_shared<TableSchema>();
  schema->name = table;
  for (const auto& c : *cols) schema->columns.push_back(Column{.name = c.name, .type = TypeOfDeclared(c.type)});
  return TableSchemaPtr(schema);
}

Status Destination::DeleteRecord(const ferry::DeleteRecord& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const std::string context = "table " + request.table_name + ": delete record";
  const bool derived = schemas_.count(request.table_name) == 0;
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr schema, SchemaOf(request.table_name));
  // Each predicate value becomes a one-row array bound like a column cell,
  // so it matches what Write stored byte for byte.
  DeleteSql rules;
  rules.quote_column = [](const std::string& c) { return QuoteIdent(c); };
  rules.placeholder = [](size_t n) { return "?" + std::to_string(n); };
  rules.true_literal = "1";
  rules.false_literal = "0";
  // A schema derived from declared types says INTEGER for uint64 too.
  rules.value_type = [derived](const Column& c, const Value& v) {
    return derived && c.type->id == TypeId::kInt64 && v.kind() == Value::Kind::kUInt ? types::UInt64() : c.type;
  };
  FERRY_ASSIGN_OR_RETURN(DeleteWhere w, BuildDeleteWhere(*schema, request, rules, context));
  const std::vector<ArrayPtr>& arrays = w.values;
  std::string sql = "DELETE FROM " + QuoteIdent(request.table_name);
  if (!w.where.empty()) sql += " WHERE " + w.where;
  FERRY_ASSIGN_OR_RETURN(Statement stmt, conn_->Prepare(sql, context));
  std::vector<ColumnBinder> binders;
  binders.reserve(arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    binders.emplace_back(*arrays[i]->type);
    int rc = binders.back().Bind(stmt.get(), static_cast<int>(i + 1), *arrays[i], 0);
    if (rc != SQLITE_OK) return conn_->Error(rc, context);
  }
  return conn_->StepDone(stmt.get(), context);
}

Status Destination::Close() {
  writers_.clear();   // statements first: they belong to the connection
  conn_.reset();
  return Status::OK();
}

DestinationPlugin SqlitePlugin() {
  DestinationPlugin p;
  p.name = "sqlite";
  p.description = "Writes to an SQLite database file (CloudQuery's sqlite destination)";
  p.options = SpecOptions();
  p.check = [](const Options& o) { return ParseSpec(o).status(); };
  p.capabilities.write_modes = {WriteMode::kAppend, WriteMode::kOverwrite, WriteMode::kOverwriteDeleteStale};
  p.capabilities.forced_migration = true;
  p.capabilities.delete_record = true;
  p.capabilities.state_backend = true;
  p.capabilities.snapshot_views = true;
  // As canonical text (AppendArrowScalarText; README "Types").
  p.capabilities.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval,
                                   TypeFamily::kDecimal};
  p.batching = {.rows = 10000, .bytes = 10485760, .timeout = "20s", .unit = "written in one transaction"};
  p.create = [] { return std::make_unique<Destination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(SqlitePlugin()); }

}  // namespace ferry::plugins::sqlite
