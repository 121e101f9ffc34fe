#include "plugins/destination/neo4j/neo4j_destination.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>

#include "ferry/redact.h"
#include "ferry/version.h"
#include "plugins/common/delete_record.h"
#include "plugins/common/schema_diff.h"
#include "plugins/destination/neo4j/cell_codec.h"

namespace ferry::plugins::neo4j {
namespace {

using bolt::PackValue;
using bolt::Packer;

// The name of the key constraint (or index) of a table: CloudQuery's index
// name, so a database CloudQuery wrote keeps its index and Ferry reuses it.
std::string KeyName(const std::string& table) { return "_cq_index_" + table; }
std::string EdgeIndexName(const std::string& label, const std::string& prop) {
  return "_ferry_edge_" + label + "_" + prop;
}
constexpr const char* kMarkerLabel = "_ferry_write";

bool IsKeyed(const TableSchema& t) { return !t.PrimaryKeys().empty(); }

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return "(" + s + ")";
}

// {name: value} parameters, packed.
std::string Params(std::initializer_list<std::pair<const char*, std::function<void(Packer&)>>> entries) {
  std::string out;
  Packer p(&out);
  p.MapHeader(static_cast<uint32_t>(entries.size()));
  for (const auto& [k, f] : entries) {
    p.String(k);
    f(p);
  }
  return out;
}

// The rows of a batch as $rows: a list of {column: value} maps, nulls left out.
std::string RowsParam(const Batch& batch, bool utc) {
  std::string out;
  out.reserve(static_cast<size_t>(batch.ByteSize()) + 64);
  Packer p(&out);
  p.MapHeader(1);
  p.String("rows");
  p.ListHeader(static_cast<uint32_t>(batch.num_rows()));
  const auto& cols = batch.schema()->columns;
  std::vector<std::string> keys(cols.size());
  for (size_t c = 0; c < cols.size(); ++c) Packer(&keys[c]).String(cols[c].name);
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    uint32_t n = 0;
    for (size_t c = 0; c < cols.size(); ++c) n += batch.column(c)->IsValid(r) ? 1 : 0;
    p.MapHeader(n);
    for (size_t c = 0; c < cols.size(); ++c) {
      const ArrayData& a = *batch.column(c);
      if (a.IsNull(r)) continue;
      out += keys[c];
      PackCell(a, r, utc, p);
    }
  }
  return out;
}

// $vals: the distinct non-null values of one column of a batch.
std::string ValuesParam(const Batch& batch, int column, bool utc) {
  const ArrayData& a = *batch.column(column);
  std::set<std::string> seen;
  std::vector<std::string> packed;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    if (a.IsNull(r)) continue;
    std::string v;
    Packer vp(&v);
    PackCell(a, r, utc, vp);
    if (seen.insert(v).second) packed.push_back(std::move(v));
  }
  std::string out;
  Packer p(&out);
  p.MapHeader(1);
  p.String("vals");
  p.ListHeader(static_cast<uint32_t>(packed.size()));
  for (const auto& v : packed) out += v;
  return out;
}

}  // namespace

std::string Neo4jDestination::Label(const std::string& table) const { return QuoteName(spec_.label_prefix + table); }

std::string QuoteName(const std::string& name) {
  std::string q = "`";
  for (char c : name) q += c == '`' ? std::string("``") : std::string(1, c);
  return q + "`";
}

Neo4jDestination::~Neo4jDestination() {
  if (!closed_) Close().IgnoreError();  // a destructor cannot report; Close's errors reach callers that call it
}

const bolt::BoltVersion& Neo4jDestination::bolt_version() const {
  static const bolt::BoltVersion none;
  return conn_ ? conn_->version() : none;
}

Status Neo4jDestination::Init(const Options& options, const DestinationInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  RegisterSecret(spec_.password);
  name_ = init.name;
  cancel_ = init.cancel;
  invocation_ = init.invocation_id;
  FERRY_ASSIGN_OR_RETURN(bolt::Connection * c, Conn());
  (void)c;
  return Status::OK();
}

bolt::TxConfig Neo4jDestination::Tx() const {
  bolt::TxConfig t;
  t.database = spec_.database;
  return t;
}

Result<std::unique_ptr<bolt::Connection>> Neo4jDestination::Connect(const std::string& host, int port, bool routing) {
  bolt::ConnectionOptions o;
  o.socket.host = host;
  o.socket.port = port;
  o.socket.tls = spec_.uri.tls;
  o.socket.ca_file = spec_.tls_ca_file;
  o.socket.connect_timeout = std::chrono::milliseconds(spec_.connect_timeout_ms);
  o.socket.io_timeout = std::chrono::milliseconds(spec_.io_timeout_ms);
  o.socket.cancel = cancel_;
  if (!spec_.username.empty()) {
    o.auth.scheme = "basic";
    o.auth.principal = spec_.username;
    o.auth.credentials = spec_.password;
  }
  o.user_agent = std::string("ferry/") + kVersion;
  o.routing = routing;
  if (routing) {
    o.routing_context["address"] = spec_.uri.host + ":" + std::to_string(spec_.uri.port);
    for (const auto& [k, v] : spec_.uri.query) o.routing_context[k] = v;
  }
  auto c = bolt::Connection::Open(o);
  if (!c.ok()) return c.status().WithContext("destination \"" + name_ + "\"");
  return c;
}

Result<bolt::Connection*> Neo4jDestination::Conn() {
  if (conn_ && conn_->usable()) return conn_.get();
  conn_.reset();
  FERRY_ASSIGN_OR_RETURN(auto c, Connect(spec_.uri.host, spec_.uri.port, spec_.uri.routing));
  if (spec_.uri.routing) {
    // neo4j://: ask for the routing table and write through the writer.
    auto rt = c->Route(spec_.database, {});
    if (!rt.ok()) return rt.status().WithContext("destination \"" + name_ + "\": ROUTE");
    if (rt->writers.empty())
      return Status::Transient("destination \"" + name_ + "\": the routing table of " + c->peer() +
                               " names no writer (leader election in progress?)");
    const std::string& w = rt->writers.front();
    const size_t colon = w.rfind(':');
    const std::string host = colon == std::string::npos ? w : w.substr(0, colon);
    const int port = colon == std::string::npos ? 7687 : std::atoi(w.c_str() + colon + 1);
    if (!(host == spec_.uri.host && port == spec_.uri.port)) {
      c->Close();
      auto writer = Connect(host, port, true);
      if (!writer.ok())
        return writer.status().WithContext("the writer " + w + " that the routing table of " +
                                           spec_.uri.host + ":" + std::to_string(spec_.uri.port) + " names");
      c = std::move(*writer);
    }
  }
  conn_ = std::move(c);
  return conn_.get();
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

Result<std::vector<PackValue>> Neo4jDestination::Query(const std::string& cypher, const std::string& params) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(bolt::Connection * c, Conn());
  return c->Query(cypher, params, Tx());
}

Status Neo4jDestination::RunSchema(const std::string& cypher, bool already_exists_ok) {
  auto r = Query(cypher);
  if (r.ok()) return Status::OK();
  const std::string& m = r.status().message();
  if (already_exists_ok && (m.find("EquivalentSchemaRuleAlreadyExists") != std::string::npos ||
                            m.find("IndexAlreadyExists") != std::string::npos ||
                            m.find("ConstraintAlreadyExists") != std::string::npos))
    return Status::OK();
  return r.status();
}

Result<std::optional<Neo4jDestination::KeyRule>> Neo4jDestination::ExistingKey(const std::string& table) {
  FERRY_ASSIGN_OR_RETURN(
      auto existing,
      Query("SHOW INDEXES YIELD name, properties, owningConstraint WHERE name = $name RETURN properties, owningConstraint",
            Params({{"name", [&](Packer& p) { p.String(KeyName(spec_.label_prefix + table)); }}})));
  if (existing.empty()) return std::optional<KeyRule>();
  KeyRule k;
  const auto& row = existing[0].as_list();
  if (!row.empty() && row[0].kind() == PackValue::Kind::kList)
    for (const auto& v : row[0].as_list()) k.properties.push_back(v.as_string());
  k.constraint = row.size() > 1 && !row[1].is_null();
  return std::optional<KeyRule>(std::move(k));
}

Status Neo4jDestination::KeyChange(const TableSchema& t, const std::optional<KeyRule>& existing) const {
  if (!existing || existing->properties == t.PrimaryKeys()) return Status::OK();
  const std::string name = KeyName(spec_.label_prefix + t.name);
  return Status::SchemaChange("destination \"" + name_ + "\": table " + t.name + ": the primary key changes from " +
                              Joined(existing->properties) + " to " + Joined(t.PrimaryKeys()) + "; Neo4j's " + name +
                              " keys the old one. Run with migrate_mode: forced to drop " + name +
                              " and key the nodes on the new columns (the nodes are kept)");
}

Status Neo4jDestination::EnsureKey(const TableSchema& t, bool forced) {
  const std::vector<std::string> pk = t.PrimaryKeys();
  const std::string name = KeyName(spec_.label_prefix + t.name);
  const std::string ctx = "destination \"" + name_ + "\": table " + t.name;
  FERRY_ASSIGN_OR_RETURN(auto existing, ExistingKey(t.name));
  if (existing) {
    if (existing->properties == pk) return Status::OK();
    if (!forced) return KeyChange(t, existing);
    FERRY_RETURN_NOT_OK(RunSchema(std::string(existing->constraint ? "DROP CONSTRAINT " : "DROP INDEX ") +
                                      QuoteName(name) + " IF EXISTS",
                                  false)
                            .WithContext(ctx));
  }
  std::string props;
  for (const auto& k : pk) props += (props.empty() ? "" : ", ") + std::string("n.") + QuoteName(k);
  const std::string label = Label(t.name);
  Status s = RunSchema("CREATE CONSTRAINT " + QuoteName(name) + " IF NOT EXISTS FOR (n:" + label + ") REQUIRE (" +
                           props + ") IS UNIQUE",
                       true);
  if (s.ok()) return s;
  if (s.code() == StatusCode::kTransient) return s.WithContext(ctx);
  // No uniqueness constraint (nodes that already repeat a key, or a server
  // without composite constraints): an index still keeps MERGE from
  // scanning the label, as CloudQuery's.
  Status idx = RunSchema("CREATE INDEX " + QuoteName(name) + " IF NOT EXISTS FOR (n:" + label + ") ON (" + props + ")",
                         true);
  if (!idx.ok())
    return idx.WithContext(ctx + ": neither a uniqueness constraint (" + s.message() + ") nor an index on " +
                           Joined(pk) + " could be created");
  return Status::OK();
}

Status Neo4jDestination::EnsureIndex(const std::string& table, const std::string& property) {
  const std::string label = spec_.label_prefix + table;
  return RunSchema("CREATE INDEX " + QuoteName(EdgeIndexName(label, property)) + " IF NOT EXISTS FOR (n:" +
                       QuoteName(label) + ") ON (n." + QuoteName(property) + ")",
                   true)
      .WithContext("destination \"" + name_ + "\": index on " + label + "." + property);
}

void Neo4jDestination::AddRule(EdgeRule rule) {
  for (const auto& r : rules_)
    if (r.from_table == rule.from_table && r.from_column == rule.from_column && r.to_table == rule.to_table &&
        r.to_column == rule.to_column && r.type == rule.type)
      return;
  rules_.push_back(std::move(rule));
}

Status Neo4jDestination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  // Nodes have no schema: new, dropped and retyped columns need nothing
  // (a property appears or goes with the next write of a node). Only the key
  // is schema: checked for every table before any is changed.
  if (options.mode == MigrateMode::kSafe) {
    std::vector<std::string> refused;
    for (const auto& t : tables) {
      if (!IsKeyed(*t)) continue;
      FERRY_ASSIGN_OR_RETURN(auto existing, ExistingKey(t->name));
      Status s = KeyChange(*t, existing);
      if (!s.ok()) refused.push_back(s.message());
    }
    if (!refused.empty()) {
      std::string m;
      for (const auto& r : refused) m += (m.empty() ? "" : "\n") + r;
      return Status::SchemaChange(m);
    }
  }
  for (const auto& t : tables) {
    if (IsKeyed(*t)) FERRY_RETURN_NOT_OK(EnsureKey(*t, options.mode == MigrateMode::kForced));
    tables_[t->name] = t;
    if (spec_.relationships && !t->parent.empty() && t->FindColumn(meta::kParentId) >= 0)
      AddRule({t->name, meta::kParentId, t->parent, meta::kId, spec_.relationship_type});
  }
  for (const auto& e : spec_.edges) AddRule(e);
  for (const auto& r : rules_) {
    const bool from = tables_.count(r.from_table) > 0, to = tables_.count(r.to_table) > 0;
    if (!from && !to) continue;
    FERRY_RETURN_NOT_OK(EnsureIndex(r.from_table, r.from_column));
    FERRY_RETURN_NOT_OK(EnsureIndex(r.to_table, r.to_column));
  }
  return Status::OK();
}

Status Neo4jDestination::QueueBatch(bolt::Connection* c, const TableSchema& table, const Batch& batch) {
  const bool utc = c->version().major >= 5;
  const std::string label = Label(table.name);
  const auto pk = table.PrimaryKeys();
  std::string stmt = "UNWIND $rows AS row ";
  if (pk.empty()) {
    stmt += "CREATE (t:" + label + ") SET t = row";
  } else {
    std::string keys;
    for (const auto& k : pk) keys += (keys.empty() ? "" : ", ") + QuoteName(k) + ": row." + QuoteName(k);
    stmt += "MERGE (t:" + label + " {" + keys + "}) SET t = row";
  }
  c->QueueRun(stmt, RowsParam(batch, utc));
  c->QueuePull();
  for (const auto& r : rules_) {
    const std::string F = Label(r.from_table), fc = QuoteName(r.from_column), T = Label(r.to_table),
                      tc = QuoteName(r.to_column), Y = QuoteName(r.type);
    const std::string link = "UNWIND $vals AS v MATCH (a:" + F + " {" + fc + ": v}) MATCH (b:" + T + " {" + tc +
                             ": v}) MERGE (a)-[:" + Y + "]->(b)";
    // Writing either side of the rule: drop this batch's nodes' links whose
    // columns no longer match, then link by value.
    const auto side = [&](const std::string& column, const std::string& unlink) {
      const int col = table.FindColumn(column);
      if (col < 0) return;
      const std::string vals = ValuesParam(batch, col, utc);
      for (const std::string* stmt : {&unlink, &link}) {
        c->QueueRun(*stmt, vals);
        c->QueuePull();
      }
    };
    if (r.from_table == table.name)
      side(r.from_column, "UNWIND $vals AS v MATCH (a:" + F + " {" + fc + ": v})-[e:" + Y + "]->(b:" + T + ") WHERE b." +
                              tc + " IS NULL OR b." + tc + " <> v DELETE e");
    if (r.to_table == table.name)
      side(r.to_column, "UNWIND $vals AS v MATCH (a:" + F + ")-[e:" + Y + "]->(b:" + T + " {" + tc + ": v}) WHERE a." +
                            fc + " IS NULL OR a." + fc + " <> v DELETE e");
  }
  return Status::OK();
}

Status Neo4jDestination::Write(const WriteRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  // A request may carry cursors only (no table).
  TableSchemaPtr table = request.state_table;
  if (request.table) {
    FERRY_ASSIGN_OR_RETURN(table, Migrated(request.table->name));
  }
  if (!table) return Status::Invalid("destination \"" + name_ + "\": a write request without a table or state");
  const std::string ctx = "destination \"" + name_ + "\": table " + table->name;
  for (const BatchPtr& batch : request.batches) {
    FERRY_RETURN_NOT_OK(CheckBatchMatchesTable(*table, *batch));
    // Neo4j Community has no property existence constraints: NOT NULL is
    // checked here, before anything is sent.
    for (size_t c = 0; c < table->columns.size(); ++c) {
      const Column& col = table->columns[c];
      const ArrayData& a = *batch->column(c);
      if (!(col.not_null || col.primary_key) || a.null_count == 0) continue;
      for (int64_t r = 0; r < batch->num_rows(); ++r)
        if (a.IsNull(r))
          return Status::Invalid(ctx + ": column " + col.name + " is " + (col.primary_key ? "a primary key" : "NOT NULL") +
                                 " but row " + std::to_string(r) + " of the batch has null there; nothing of this "
                                 "request was written");
    }
  }
  // MERGE is idempotent, so a request whose outcome was lost can be sent
  // again; CREATE (tables without a key) is not: such a request also writes
  // a marker node in its transaction, and a retry first looks for it.
  const bool idempotent = !request.table || IsKeyed(*table) || request.batches.empty();
  const std::string marker = invocation_ + ":" + std::to_string(request.request_id);
  FERRY_ASSIGN_OR_RETURN(bolt::Connection * c, Conn());
  if (!idempotent && request.attempt > 0) {
    auto found = c->Query("MATCH (m:" + QuoteName(kMarkerLabel) + " {id: $id}) RETURN count(m)",
                          Params({{"id", [&](Packer& p) { p.String(marker); }}}), Tx());
    if (!found.ok()) return found.status().WithContext(ctx);
    if (!found->empty() && found->front().as_list().at(0).as_int() > 0) return Status::OK();
  }
  c->QueueBegin(Tx());
  if (request.table)
    for (const BatchPtr& batch : request.batches) FERRY_RETURN_NOT_OK(QueueBatch(c, *table, *batch));
  if (!request.state.empty()) {
    FERRY_ASSIGN_OR_RETURN(TableSchemaPtr st, Migrated(request.state_table->name));
    FERRY_ASSIGN_OR_RETURN(BatchPtr sb, StateBatch(st, request.state));
    FERRY_RETURN_NOT_OK(QueueBatch(c, *st, *sb));
  }
  if (!idempotent) {
    markers_used_ = true;
    c->QueueRun("CREATE (m:" + QuoteName(kMarkerLabel) + " {id: $id, invocation: $inv, at: datetime()})",
                Params({{"id", [&](Packer& p) { p.String(marker); }}, {"inv", [&](Packer& p) { p.String(invocation_); }}}));
    c->QueuePull();
  }
  c->QueueCommit();
  Status s = c->Exchange();
  if (s.ok()) return s;
  if (!c->usable() && s.code() == StatusCode::kTransient)
    return s.WithContext(ctx + ": the connection broke during the transaction (retried: " +
                         (idempotent ? "MERGE is idempotent" : "the retry checks the write's marker first") + ")");
  return s.WithContext(ctx);
}

Status Neo4jDestination::DeleteStale(const DeleteStaleRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr table, Migrated(request.table->name));
  FERRY_ASSIGN_OR_RETURN(bolt::Connection * c, Conn());
  const bool utc = c->version().major >= 5;
  const std::string params = Params({{"src", [&](Packer& p) { p.String(request.source_name); }},
                                     {"t", [&](Packer& p) { PackTimestamp(request.sync_time_us, utc, p); }},
                                     {"n", [&](Packer& p) { p.Int(spec_.delete_stale_batch_size); }}});
  const std::string stmt = "MATCH (n:" + Label(table->name) + ") WHERE n." + QuoteName(meta::kSourceName) +
                           " = $src AND n." + QuoteName(meta::kSyncTime) +
                           " < $t WITH n LIMIT $n DETACH DELETE n RETURN count(*)";
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(c, Conn());
    auto r = c->Query(stmt, params, Tx());
    if (!r.ok()) return r.status().WithContext("destination \"" + name_ + "\": table " + table->name + ": delete stale");
    const int64_t n = r->empty() ? 0 : r->front().as_list().at(0).as_int();
    if (n < spec_.delete_stale_batch_size) return Status::OK();
  }
}

Status Neo4jDestination::DeleteRecord(const ferry::DeleteRecord& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  FERRY_ASSIGN_OR_RETURN(TableSchemaPtr table, Migrated(request.table_name));
  DeleteSql sql;
  sql.quote_column = [](const std::string& c) { return "n." + QuoteName(c); };
  sql.placeholder = [](size_t n) { return "$p" + std::to_string(n); };
  sql.true_literal = "true";
  sql.false_literal = "false";
  FERRY_ASSIGN_OR_RETURN(DeleteWhere where,
                         BuildDeleteWhere(*table, request, sql, "table " + table->name + ": delete record"));
  FERRY_ASSIGN_OR_RETURN(bolt::Connection * c, Conn());
  std::string params;
  Packer p(&params);
  p.MapHeader(static_cast<uint32_t>(where.values.size()));
  for (size_t i = 0; i < where.values.size(); ++i) {
    p.String("p" + std::to_string(i + 1));
    PackCell(*where.values[i], 0, c->version().major >= 5, p);
  }
  const std::string stmt = "MATCH (n:" + Label(table->name) + ")" +
                           (where.where.empty() ? std::string() : " WHERE " + where.where) + " DETACH DELETE n";
  auto r = c->Query(stmt, params, Tx());
  if (!r.ok()) return r.status().WithContext("destination \"" + name_ + "\": table " + table->name + ": delete record");
  return Status::OK();
}

Result<std::vector<Row>> Neo4jDestination::ReadTable(const TableSchema& table) {
  FERRY_ASSIGN_OR_RETURN(auto records, Query("MATCH (n:" + Label(table.name) + ") RETURN properties(n)"));
  std::vector<Row> rows;
  rows.reserve(records.size());
  for (const auto& rec : records) {
    const PackValue& props = rec.as_list().at(0);
    Row row;
    for (const Column& col : table.columns) {
      const PackValue* v = props.Find(col.name);
      if (!v) {
        row.push_back(Value::Null());
        continue;
      }
      auto x = DecodeCell(*col.type, *v);
      if (!x.ok()) return x.status().WithContext("table " + table.name + " column " + col.name);
      row.push_back(std::move(*x));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<StateEntry>> Neo4jDestination::ReadState(const TableSchemaPtr& state_table) {
  FERRY_ASSIGN_OR_RETURN(auto rows, ReadTable(*state_table));
  return StateEntriesOf(*state_table, rows);
}

Status Neo4jDestination::Close() {
  if (closed_) return Status::OK();
  Status s;
  if (markers_used_ && conn_ && conn_->usable()) {
    auto r = conn_->Query("MATCH (m:" + QuoteName(kMarkerLabel) + " {invocation: $inv}) DELETE m",
                          Params({{"inv", [&](Packer& p) { p.String(invocation_); }}}), Tx());
    if (!r.ok()) s = r.status().WithContext("destination \"" + name_ + "\": removing the write markers");
  }
  closed_ = true;
  if (conn_) conn_->Close();
  conn_.reset();
  return s;
}

DestinationPlugin Neo4jPlugin() {
  DestinationPlugin p;
  p.name = "neo4j";
  p.description = "Neo4j over Bolt: rows as nodes labelled by table, merged on the primary key; relations and "
                  "`edges` as relationships";
  p.options = SpecOptions();
  p.check = [](const Options& o) { return ParseSpec(o).status(); };
  // CloudQuery's defaults (1000 rows, 4 MiB; its SDK flushes every 20 s).
  p.batching = {.rows = 1000, .bytes = 4 << 20, .timeout = "20s", .unit = "nodes"};
  p.capabilities.write_modes = {WriteMode::kAppend, WriteMode::kOverwrite, WriteMode::kOverwriteDeleteStale};
  p.capabilities.forced_migration = true;
  p.capabilities.delete_record = true;
  p.capabilities.state_backend = true;
  // As CloudQuery's destination: arrow-go's ValueStr as string properties (cell_codec.h).
  p.capabilities.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval,
                                  TypeFamily::kDecimal};
  p.capabilities.state_backend_note =
      "cursors are nodes labelled by the state table, merged on key, written in the transaction of the rows they cover";
  p.create = [] { return std::make_unique<Neo4jDestination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(Neo4jPlugin()); }

}  // namespace ferry::plugins::neo4j
