#include "plugins/destination/neo4j/neo4j_destination.h"

#include "plugins/common/delete_record.h"
#include "plugins/common/schema_diff.h"

namespace ferry::plugins::neo4j {
namespace {

// How the destination declares a Ferry type. STORAGE: a real destination
// maps every type to its database's (see sqlite/type_map.cc).
DiffRules Rules() {
  DiffRules r;
  r.column_type = [](const DataType& t) { return t.ToString(); };
  return r;
}

}  // namespace

Status Neo4jDestination::Init(const Options& options, const DestinationInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  name_ = init.name;
  // CONNECT: register secrets (RegisterSecret / RegisterConnectionString,
  // ferry/redact.h) before any error can quote them, then connect. A failure
  // that may pass (refused, timed out) is Status::Transient.
  return Status::OK();
}

Status Neo4jDestination::CheckOpen() const {
  if (closed_) return Status::Invalid("destination \"" + name_ + "\" is closed");
  return Status::OK();
}

Result<TableSchemaPtr> Neo4jDestination::Migrated(const std::string& table) const {
  auto it = tables_.find(table);
  if (it == tables_.end())
    return Status::NotFound("table " + table + " was not migrated by destination \"" + name_ + "\"");
  return it->second;
}

Status Neo4jDestination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  // The plan (and the refusal of unsafe changes in safe mode, all listed in
  // one error) comes from plugins/common; only applying it is the
  // destination's own work.
  auto read = [&](const std::string& table) -> Result<std::optional<std::vector<ExistingColumn>>> {
    auto it = tables_.find(table);
    if (it == tables_.end()) return std::optional<std::vector<ExistingColumn>>();
    std::vector<ExistingColumn> cols;
    const auto pks = it->second->PrimaryKeys();
    for (const Column& c : it->second->columns) {
      int pk = 0;
      for (size_t i = 0; i < pks.size(); ++i)
        if (pks[i] == c.name) pk = static_cast<int>(i) + 1;
      cols.push_back({c.name, c.type->ToString(), c.not_null || pk > 0, pk});  // key columns are NOT NULL
    }
    return std::optional<std::vector<ExistingColumn>>(std::move(cols));
  };
  FERRY_ASSIGN_OR_RETURN(std::vector<TablePlan> plans,
                         PlanMigration(tables, options.mode == MigrateMode::kSafe, name_, read, Rules()));
  for (const TablePlan& plan : plans) {
    // STORAGE: create, add columns or recreate (plan.action) in the database.
    if (plan.action != TablePlan::Action::kNone) tables_[plan.table->name] = plan.table;
  }
  return Status::OK();
}

Status Neo4jDestination::Write(const WriteRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr table, Migrated(request.table->name));
  for (const BatchPtr& batch : request.batches) FERRY_RETURN_NOT_OK(CheckBatchMatchesTable(*table, *batch));
  // STORAGE: write every batch, and request.state when this is a state
  // backend, in one transaction; classify failures (ferry/destination.h).
  for (const BatchPtr& batch : request.batches) rows_ += batch->num_rows();
  return Status::OK();
}

Status Neo4jDestination::DeleteStale(const DeleteStaleRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr table, Migrated(request.table->name));
  // STORAGE: delete rows of request.source_name with _cq_sync_time older than
  // request.sync_time_us.
  return Status::OK();
}

Status Neo4jDestination::DeleteRecord(const ferry::DeleteRecord& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr table, Migrated(request.table_name));
  // The WHERE clause and its values, checked against the schema (unknown
  // columns, values of the wrong type), come from plugins/common.
  DeleteSql sql;
  sql.quote_column = [](const std::string& c) {   // STORAGE: the database's identifier quoting
    std::string q = "\"";
    for (char ch : c) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  sql.placeholder = [](size_t n) { return "$" + std::to_string(n); };
  FERRY_ASSIGN_OR_RETURN(DeleteWhere where,
                         BuildDeleteWhere(*table, request, sql, "table " + table->name + ": delete record"));
  // STORAGE: run "DELETE FROM <table> WHERE " + where.where with
  // where.values bound, never spliced.
  return Status::OK();
}

Status Neo4jDestination::Close() {
  closed_ = true;  // idempotent; every later call fails
  return Status::OK();
}

DestinationPlugin Neo4jPlugin() {
  DestinationPlugin p;
  p.name = "neo4j";
  p.description = "Template destination: checks every call against its contract and discards the rows";
  p.options = SpecOptions();
  p.check = [](const Options& o) { return ParseSpec(o).status(); };
  p.batching = {.rows = 10000, .bytes = 10 << 20, .timeout = "20s", .unit = "discarded"};
  // CAPABILITIES: declare only what Write/DeleteStale/DeleteRecord really do;
  // the engine refuses an unsupported write mode before any data moves, and
  // the conformance suite tests each declared capability.
  p.capabilities.write_modes = {WriteMode::kAppend, WriteMode::kOverwrite, WriteMode::kOverwriteDeleteStale};
  p.capabilities.forced_migration = true;
  p.capabilities.delete_record = true;
  p.create = [] { return std::make_unique<Neo4jDestination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(Neo4jPlugin()); }

}  // namespace ferry::plugins::neo4j
