#include "engine/sync.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/destination_schema.h"
#include "engine/destination_writer.h"
#include "engine/log.h"
#include "engine/memory_budget.h"
#include "engine/plugin_ref.h"
#include "engine/retrying.h"
#include "engine/shard_run.h"
#include "engine/stale_decision.h"
#include "engine/state_coordinator.h"
#include "engine/sync_summary_table.h"
#include "ferry/snapshot_views.h"
#include "engine/table_selection.h"
#include "ferry/retry.h"
#include "ferry/type_families.h"
#include "ferry/uuid.h"

#include <csignal>

namespace ferry::engine {

namespace {

using Clock = std::chrono::steady_clock;

struct SourceSetup {
  std::shared_ptr<const SourcePlugin> remote;   // owns *plugin for remote plugins
  const SourcePlugin* plugin = nullptr;
  std::unique_ptr<Source> source;
  std::vector<TableSchemaPtr> selected;
};

struct DestinationSetup {
  const config::DestinationSpec* spec = nullptr;
  std::shared_ptr<const DestinationPlugin> remote;   // owns *plugin for remote plugins
  const DestinationPlugin* plugin = nullptr;
  Options options;
  std::unique_ptr<Destination> dest;
  DestinationSettings settings;
  std::map<std::string, TableSchemaPtr> schemas;   // table name -> destination schema
  std::vector<TableSchemaPtr> schema_list;         // same, in selection order
};

// How long connecting at the start may be retried (see SetUpDestination).
constexpr std::chrono::milliseconds kInitRetryDeadline{5000};

// The retry policy of a destination: its validated options for built-ins; a
// plugin's spec is the plugin's own, so plugins get the defaults.
RetryPolicy RetryPolicyOf(const DestinationSetup& d) {
  return d.remote ? RetryPolicy{} : RetryPolicyFromOptions(d.options);
}

Result<WriteMode> ParseWriteMode(const std::string& s) {
  if (s == "append") return WriteMode::kAppend;
  if (s == "overwrite") return WriteMode::kOverwrite;
  if (s == "overwrite-delete-stale" || s.empty()) return WriteMode::kOverwriteDeleteStale;
  return Status::Invalid("unknown write_mode \"" + s + "\"");
}

std::string RenderGroupId(std::string tmpl, const std::string& sync_id, std::chrono::system_clock::time_point t) {
  time_t secs = std::chrono::system_clock::to_time_t(t);
  struct tm tm;
  gmtime_r(&secs, &tm);
  auto sub = [&](const std::string& key, const std::string& val) {
    for (size_t p; (p = tmpl.find(key)) != std::string::npos;) tmpl.replace(p, key.size(), val);
  };
  char buf[16];
  sub("{{SYNC_ID}}", sync_id);
  std::snprintf(buf, sizeof(buf), "%04d", tm.tm_year + 1900);
  sub("{{YEAR}}", buf);
  std::snprintf(buf, sizeof(buf), "%02d", tm.tm_mon + 1);
  sub("{{MONTH}}", buf);
  std::snprintf(buf, sizeof(buf), "%02d", tm.tm_mday);
  sub("{{DAY}}", buf);
  std::snprintf(buf, sizeof(buf), "%02d", tm.tm_hour);
  sub("{{HOUR}}", buf);
  std::snprintf(buf, sizeof(buf), "%02d", tm.tm_min);
  sub("{{MINUTE}}", buf);
  return tmpl;
}

// Context for an Init error: a plugin's own errors already start with
// `source "name" (plugin ...)`; built-ins' do not.
Status InitError(const Status& st, const std::string& who) {
  if (st.ok() || st.message().rfind(who + " (plugin ", 0) == 0) return st;
  return st.WithContext(who + ": init");
}

Result<SourceSetup> SetUpSource(const Registry& registry, const config::SourceSpec& spec, const std::string& invocation_id,
                                bool no_connection) {
  // Accepting it and exporting nothing would look like a working setup.
  if (!spec.otel_endpoint.empty())
    return Status::Unsupported(
        (spec.locate ? spec.locate("/otel_endpoint") + ": " : std::string()) + "source \"" + spec.name +
        "\": otel_endpoint is set, but Ferry does not export OpenTelemetry traces; remove it (the sync summary, "
        "--summary-location and --log-format json carry the per-table figures)");
  SourceSetup s;
  Options opts;
  if (IsRemoteRegistry(spec.registry) && registry.plugin_host()) {
    // The plugin validates its own spec (in Init); it gets the spec as written.
    RemotePluginRef ref{"source", spec.name, spec.registry, spec.path, spec.version,
                        spec.tables, spec.skip_tables, spec.skip_dependent_tables,
                        spec.backend_options ? spec.backend_options->table_name : ""};
    auto p = std::make_shared<SourcePlugin>();
    p->name = spec.path;
    PluginHost* host = registry.plugin_host();
    p->create = [host, ref]() { return host->NewSource(ref); };
    s.remote = p;
    s.plugin = p.get();
    opts = Options(spec.spec);
  } else {
    FERRY_ASSIGN_OR_RETURN(std::string name,
                           BuiltinName("source", spec.name, spec.registry, spec.path, registry.SourceNames()));
    s.plugin = registry.FindSource(name);
    FERRY_ASSIGN_OR_RETURN(opts, ValidateOptions(s.plugin->options, spec.spec, "source \"" + spec.name + "\"",
                                                 spec.spec_location, spec.spec_origin));
  }
  s.source = s.plugin->create();
  FERRY_RETURN_NOT_OK(InitError(s.source->Init(opts, SourceInit{spec.name, invocation_id, no_connection}),
                                "source \"" + spec.name + "\""));
  FERRY_ASSIGN_OR_RETURN(s.selected, SelectTables(s.source->Tables(), spec.tables, spec.skip_tables,
                                                  spec.skip_dependent_tables, spec.name));
  return s;
}

// Refuses a table with a column of a type family the destination does not
// store, naming the table, the column and where to send it instead.
Status CheckTypeFamilies(const Registry& registry, const std::string& who, const std::string& name,
                         const DestinationCapabilities& caps, const TableSchema& table) {
  const Column* bad = nullptr;
  for (const Column& c : table.columns)
    if (FirstUnstoredType(*c.type, caps.type_families)) {
      bad = &c;
      break;
    }
  if (!bad) return Status::OK();
  const TypeFamily family = FamilyOf(FirstUnstoredType(*bad->type, caps.type_families)->id);
  // The null destination stores nothing, so it takes every type; it is no
  // place to send rows to keep.
  std::string able;
  for (const auto& n : registry.DestinationNames())
    if (const DestinationPlugin* p = registry.FindDestination(n);
        p && n != "null" && p->capabilities.type_families.count(family))
      able += (able.empty() ? "" : ", ") + n;
  return ferry::CheckTypeFamilies(who + " (" + name + ")", caps.type_families, table,
                                  able.empty() ? std::string("another destination") : able);
}

Result<DestinationSetup> SetUpDestination(const Registry& registry, const config::Config& config,
                                          const config::SourceSpec& source, const std::string& dest_name,
                                          const std::vector<TableSchemaPtr>& tables, const std::string& sync_id,
                                          std::chrono::system_clock::time_point sync_time, bool connect = true,
                                          const std::atomic<bool>* cancel = nullptr) {
  DestinationSetup d;
  d.spec = config.FindDestination(dest_name);
  if (!d.spec)
    return Status::Invalid("source \"" + source.name + "\" names destination \"" + dest_name + "\", which is not defined");
  const auto& spec = *d.spec;
  const std::string who = "destination \"" + spec.name + "\"";
  if (!spec.transformers.empty())
    return Status::Unsupported(who + " lists transformer \"" + spec.transformers.front() + "\" (" +
                               spec.where.ToString() + "): transformer plugins are not supported yet, and Ferry "
                               "does not sync untransformed rows in their place. Remove `transformers` to sync "
                               "the rows as the source sends them.");
  std::string name;
  if (IsRemoteRegistry(spec.registry) && registry.plugin_host()) {
    RemotePluginRef ref{"destination", spec.name, spec.registry, spec.path, spec.version, {}, {}, true};
    auto p = std::make_shared<DestinationPlugin>();
    p->name = name = spec.path;
    PluginHost* host = registry.plugin_host();
    p->capabilities = host->RemoteDestinationCapabilities();
    p->create = [host, ref]() { return host->NewDestination(ref); };
    d.remote = p;
    d.plugin = p.get();
    d.options = Options(spec.spec);
  } else {
    FERRY_ASSIGN_OR_RETURN(name, BuiltinName("destination", spec.name, spec.registry, spec.path,
                                             registry.DestinationNames()));
    d.plugin = registry.FindDestination(name);
    FERRY_ASSIGN_OR_RETURN(d.options, ValidateOptions(d.plugin->options, spec.spec, who, spec.spec_location, spec.spec_origin));
    if (d.plugin->check) FERRY_RETURN_NOT_OK(d.plugin->check(d.options).WithContext(spec.where.ToString() + ": " + who));
  }
  FERRY_ASSIGN_OR_RETURN(d.settings.write_mode, ParseWriteMode(spec.write_mode));
  d.settings.migrate_mode = spec.migrate_mode == "forced" ? MigrateMode::kForced : MigrateMode::kSafe;
  d.settings.pk_mode = spec.pk_mode == "cq-id-only" ? PkMode::kCqIdOnly : PkMode::kDefault;
  if (!spec.sync_group_id.empty()) d.settings.sync_group_id = RenderGroupId(spec.sync_group_id, sync_id, sync_time);

  const DestinationCapabilities& caps = d.plugin->capabilities;
  if (!caps.write_modes.count(d.settings.write_mode)) {
    std::string supported;
    for (WriteMode m : caps.write_modes) supported += (supported.empty() ? "" : ", ") + std::string(WriteModeName(m));
    return Status::Unsupported(who + " (" + name + ") does not support write_mode \"" +
                               WriteModeName(d.settings.write_mode) + "\"; it supports: " + supported +
                               ". Set write_mode in " + spec.where.ToString() + ".");
  }
  if (d.settings.migrate_mode == MigrateMode::kForced && !caps.forced_migration)
    return Status::Unsupported(who + " (" + name + ") does not support migrate_mode \"forced\"");
  d.settings.snapshot_views = spec.snapshot_views;
  if (spec.snapshot_views && !caps.snapshot_views) {
    std::string able;
    for (const auto& n : registry.DestinationNames())
      if (const DestinationPlugin* p = registry.FindDestination(n); p && p->capabilities.snapshot_views)
        able += (able.empty() ? "" : ", ") + n;
    return Status::Unsupported(who + " (" + name + ") cannot maintain snapshot views; destinations that can: " +
                               able + ". Remove snapshot_views from " + spec.where.ToString() + ".");
  }

  for (const auto& t : tables) {
    FERRY_RETURN_NOT_OK(CheckTypeFamilies(registry, who, name, caps, *t));
    auto ds = DestinationSchema(*t, d.settings);
    d.schemas[t->name] = ds;
    d.schema_list.push_back(ds);
  }
  if (!connect) return d;
  d.dest = d.plugin->create();
  // Before any data moves a destination that cannot be reached is more
  // likely misconfigured than restarting: a few seconds of retries, not the
  // full retry_timeout (which applies once the sync is under way).
  RetryPolicy init_policy = RetryPolicyOf(d);
  init_policy.deadline = std::min(init_policy.deadline, kInitRetryDeadline);
  if (init_policy.deadline.count() == 0) init_policy.deadline = kInitRetryDeadline;
  FERRY_RETURN_NOT_OK(InitError(CallWithRetry(init_policy, nullptr,
                                              [&](int) {
                                                DestinationInit init{spec.name, sync_id};
                                                init.cancel = cancel;
                                                // Cursors of this source live in a backend: rows of its
                                                // incremental tables are held until their cursor commits.
                                                init.prepare_incremental = d.plugin->capabilities.prepared_writes &&
                                                                           source.backend_options.has_value();
                                                return d.dest->Init(d.options, init);
                                              }),
                                who));
  return d;
}

// The tables and options of a destination's data migration: with snapshot
// views, the snapshot table too; a destination that can keep views but was
// not asked to drops any an earlier sync made.
std::vector<TableSchemaPtr> DataTables(const DestinationSetup& d) {
  std::vector<TableSchemaPtr> tables = d.schema_list;
  if (d.settings.snapshot_views) tables.push_back(snapshot::Schema());
  return tables;
}
MigrateOptions DataMigrateOptions(const DestinationSetup& d) {
  MigrateOptions o{d.settings.migrate_mode};
  if (d.settings.snapshot_views) o.views = MigrateOptions::Views::kCreate;
  else if (d.plugin->capabilities.snapshot_views) o.views = MigrateOptions::Views::kDrop;
  return o;
}

void ApplyBatchOptions(const DestinationSetup& d, WriterOptions& w) {
  // 1/16, 1/8, 1/4, 1/2 of the batch, then whole ones: 1M narrow rows go to
  // ClickHouse as INSERTs of 40k, 90k, 170k, 330k and 370k rows, so the
  // server starts after 40k rows (not 160k) and the last two INSERTs, made
  // after the source ended, are parsed side by side (bench/clickhouse/
  // section.md, "Ramp-up in four steps").
  w.ramp_up_steps = d.plugin->batching.ramp_up ? BatchingDefaults::kRampUpSteps : 0;
  for (const auto& o : d.plugin->options) {
    if (o.name == "batch_size") w.batch_size = d.options.GetInt("batch_size");
    if (o.name == "batch_size_bytes") w.batch_size_bytes = d.options.GetBytes("batch_size_bytes");
    if (o.name == "batch_timeout") w.batch_timeout_ms = d.options.GetDurationMs("batch_timeout");
  }
}

}  // namespace

int64_t AutoMemoryBudget(const std::vector<int64_t>& destination_needs) {
  int64_t need = 0;
  for (int64_t n : destination_needs) need = std::max(need, n);
  return std::clamp<int64_t>(need, kMinAutoMemoryBudget, kMaxAutoMemoryBudget);
}

namespace {

// What one destination needs buffered to write full batches: the batch being
// filled and the writes in flight, batch_size_bytes each.
int64_t BudgetNeed(const DestinationSetup& d) {
  WriterOptions w;
  ApplyBatchOptions(d, w);
  return w.batch_size_bytes * (std::max(1, d.plugin->capabilities.concurrent_writes) + 1);
}

std::string CancelReason(const SyncOptions& opts) {
  if (!opts.cancel || !opts.cancel->load()) return "";
  const int sig = opts.cancel_signal ? opts.cancel_signal->load() : 0;
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return sig ? "signal " + std::to_string(sig) : "cancelled";
}

// The SyncSink the source writes into: budget, meta columns, fan-out.
class FanoutSink : public SyncSink {
 public:
  FanoutSink(std::vector<DestinationSetup>& dests, std::vector<std::unique_ptr<DestinationWriter>>& writers,
             MemoryBudget& budget, MetaColumns& meta, SyncSummary& summary, const SyncOptions& opts,
             Clock::time_point start, StateCoordinator* coordinator, SyncProgressTracker& progress)
      : dests_(dests), writers_(writers), budget_(budget), meta_(meta), summary_(summary), opts_(opts), start_(start),
        coordinator_(coordinator), progress_(progress) {}

  Status Checkpoint(const std::string& table, const std::string& client_id, StateEntry entry) override {
    if (!coordinator_) return Status::OK();  // no state backend: every sync is a full one
    uint64_t seq = coordinator_->Register(entry);
    for (size_t i = 0; i < dests_.size(); ++i) {
      if (!dests_[i].schemas.count(table)) continue;   // (a writer that is down abandons it)
      WriterMessage m{WriterMessage::Kind::kCheckpoint, nullptr, table, client_id, {}};
      m.entry = entry;
      m.seq = seq;
      writers_[i]->Push(std::move(m));
    }
    return Status::OK();
  }

  Status Insert(BatchPtr batch) override { return InsertFor("", std::move(batch)); }

  Status InsertFor(const std::string& client_id, BatchPtr batch) override {
    if (opts_.cancel && opts_.cancel->load()) return Status::Cancelled("sync cancelled");
    if (AllDestinationsDown()) return Status::Cancelled("every destination of the source failed");
    const std::string& table = batch->schema()->name;
    FERRY_ASSIGN_OR_RETURN(int64_t held, budget_.Acquire(batch->ByteSize()));
    auto lease = MakeLease(&budget_, held);
    for (size_t i = 0; i < writers_.size(); ++i) {
      if (writers_[i]->down()) continue;   // its rows are counted as not written by the writer
      auto it = dests_[i].schemas.find(table);
      if (it == dests_[i].schemas.end()) continue;
      BatchPtr out = Attach(meta_.Apply(batch, it->second), lease);
      writers_[i]->Push(WriterMessage{WriterMessage::Kind::kInsert, std::move(out), table, client_id, {}});
    }
    if (opts_.progress) opts_.progress->rows += batch->num_rows();
    return Status::OK();
  }

  Status DeleteRecord(ferry::DeleteRecord msg) override {
    for (auto& w : writers_) w->Push(WriterMessage{WriterMessage::Kind::kDeleteRecord, nullptr, msg.table_name, "", msg});
    return Status::OK();
  }

  void TablePlanned(const std::string& table, const std::vector<std::string>& clients) override {
    progress_.Planned(table, clients);
  }

  void TableDone(const std::string& table, const std::string& client_id, const Status& status, int64_t rows) override {
    progress_.Done(table, client_id, status);
    {
      std::lock_guard<std::mutex> lock(mu_);
      TableSummary& t = summary_.tables[table];
      t.rows += rows;
      ++t.clients_done;
      t.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
      // A table stopped by a cancel or by its destinations failing is not an
      // error of its own: the sync's one error says why (and it is incomplete).
      if (status.code() == StatusCode::kCancelled && Cancelled()) {
        ++t.clients_failed;
      } else if (!status.ok()) {
        ++t.clients_failed;
        ++t.errors;
        std::string msg = "table " + table + (client_id.empty() ? "" : " (client " + client_id + ")") + ": " +
                          status.message();
        t.messages.push_back(msg);
        summary_.errors.push_back("source \"" + summary_.source_name + "\", " + msg);
        log::Error("source \"" + summary_.source_name + "\", " + msg);
      }
    }
    if (opts_.progress) ++opts_.progress->table_clients_done;
  }

  void TableFigures(const std::string& table, const ApiCallFigures& figures) override {
    std::lock_guard<std::mutex> lock(mu_);
    summary_.tables[table].api += figures;
  }

  void Warning(const std::string& table, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++summary_.tables[table].warnings;
    summary_.warnings.push_back("table " + table + ": " + message);
    log::Warn("source \"" + summary_.source_name + "\", table " + table + ": " + message);
  }

  bool Cancelled() const override { return (opts_.cancel && opts_.cancel->load()) || AllDestinationsDown(); }

 private:
  std::vector<DestinationSetup>& dests_;
  std::vector<std::unique_ptr<DestinationWriter>>& writers_;
  MemoryBudget& budget_;
  MetaColumns& meta_;
  SyncSummary& summary_;
  const SyncOptions& opts_;
  Clock::time_point start_;
  StateCoordinator* coordinator_;
  SyncProgressTracker& progress_;
  std::mutex mu_;   // guards summary_ while the source runs

  bool AllDestinationsDown() const {
    if (writers_.empty()) return false;
    for (const auto& w : writers_)
      if (!w->down()) return false;
    return true;
  }
};

// The destination named by backend_options.connection: "<name>" or
// CloudQuery's "@@plugins.<name>.connection".
Result<std::string> BackendDestinationName(const config::SourceSpec& source) {
  std::string c = source.backend_options->connection;
  const std::string pre = "@@plugins.", post = ".connection";
  if (c.rfind(pre, 0) == 0 && c.size() > pre.size() + post.size() &&
      c.compare(c.size() - post.size(), post.size(), post) == 0)
    c = c.substr(pre.size(), c.size() - pre.size() - post.size());
  if (c.empty())
    return Status::Invalid("source \"" + source.name + "\": backend_options.connection is empty; name a destination, "
                           "e.g. \"@@plugins.sqlite.connection\"");
  return c;
}

// Everything about the state backend of one sync.
struct StateSetup {
  std::unique_ptr<DestinationSetup> state_only;   // backend that receives no data
  DestinationSetup* backend = nullptr;
  int backend_index = -1;                         // index in the data destinations, or -1
  TableSchemaPtr table;
};

Result<StateSetup> SetUpState(const Registry& registry, const config::Config& config, const config::SourceSpec& source,
                              std::vector<DestinationSetup>& dests, const std::string& sync_id,
                              std::chrono::system_clock::time_point sync_time, bool connect = true,
                              const std::atomic<bool>* cancel = nullptr) {
  StateSetup st;
  if (!source.backend_options) return st;
  FERRY_ASSIGN_OR_RETURN(std::string name, BackendDestinationName(source));
  for (size_t i = 0; i < dests.size(); ++i)
    if (dests[i].spec->name == name) st.backend_index = static_cast<int>(i);
  if (st.backend_index >= 0) {
    st.backend = &dests[st.backend_index];
  } else {
    if (!config.FindDestination(name))
      return Status::Invalid("source \"" + source.name + "\": backend_options.connection names destination \"" + name +
                             "\", which is not defined in the spec files");
    FERRY_ASSIGN_OR_RETURN(DestinationSetup d,
                           SetUpDestination(registry, config, source, name, {}, sync_id, sync_time, connect, cancel));
    st.state_only = std::make_unique<DestinationSetup>(std::move(d));
    st.backend = st.state_only.get();
  }
  if (!st.backend->plugin->capabilities.state_backend)
    return Status::Unsupported("source \"" + source.name + "\": destination \"" + name +
                               "\" cannot be a state backend; use sqlite, postgresql or a plugin destination");
  st.table = StateTableSchema(source.backend_options->table_name);
  return st;
}

}  // namespace

std::vector<ConnectionResult> TestConnections(const Registry& registry, const config::Config& config) {
  std::vector<ConnectionResult> out;
  auto failed = [](ConnectionResult r, const Status& st) {
    r.code = st.code() == StatusCode::kInvalidArgument ? "INVALID_SPEC" : "CONNECTION_FAILED";
    r.description = st.message();
    return r;
  };
  auto remote = [&](ConnectionResult r, const RemotePluginRef& ref, const nlohmann::json& spec) {
    auto t = registry.plugin_host()->TestConnection(ref, spec);
    if (!t.ok()) return failed(r, t.status());
    r.success = t->success;
    r.code = t->failure_code;
    r.description = t->failure_description;
    return r;
  };
  for (const auto& s : config.sources) {
    ConnectionResult r{"source", s.name, s.path};
    if (IsRemoteRegistry(s.registry) && registry.plugin_host()) {
      out.push_back(remote(r, RemotePluginRef{"source", s.name, s.registry, s.path, s.version}, s.spec));
      continue;
    }
    auto setup = SetUpSource(registry, s, "", false);
    if (!setup.ok()) out.push_back(failed(r, setup.status()));
    else {
      r.success = true;
      out.push_back(r);
    }
  }
  for (const auto& d : config.destinations) {
    ConnectionResult r{"destination", d.name, d.path};
    if (IsRemoteRegistry(d.registry) && registry.plugin_host()) {
      out.push_back(remote(r, RemotePluginRef{"destination", d.name, d.registry, d.path, d.version}, d.spec));
      continue;
    }
    Status st;
    auto name = BuiltinName("destination", d.name, d.registry, d.path, registry.DestinationNames());
    const DestinationPlugin* plugin = name.ok() ? registry.FindDestination(*name) : nullptr;
    if (!name.ok()) st = name.status();
    Options opts;
    if (st.ok()) {
      auto o = ValidateOptions(plugin->options, d.spec, "destination \"" + d.name + "\"", d.spec_location, d.spec_origin);
      if (o.ok()) opts = *o;
      else st = o.status();
    }
    if (st.ok()) {
      auto dest = plugin->create();
      st = dest->Init(opts, DestinationInit{d.name, ""});
      if (st.ok()) st = dest->Close();
    }
    if (st.ok()) r.success = true;
    out.push_back(st.ok() ? r : failed(r, st));
  }
  return out;
}

Result<std::vector<TableSchemaPtr>> SourceTables(const Registry& registry, const config::SourceSpec& source, bool all) {
  FERRY_ASSIGN_OR_RETURN(SourceSetup s, SetUpSource(registry, source, "", true));
  if (all) return s.source->Tables();
  return s.selected;
}

Status ValidateSource(const Registry& registry, const config::Config& config, const config::SourceSpec& source) {
  FERRY_ASSIGN_OR_RETURN(SourceSetup s, SetUpSource(registry, source, "", true));
  std::vector<DestinationSetup> dests;
  for (const auto& name : source.destinations) {
    FERRY_ASSIGN_OR_RETURN(DestinationSetup d, SetUpDestination(registry, config, source, name, s.selected, "",
                                                                std::chrono::system_clock::now(), false));
    dests.push_back(std::move(d));
  }
  // The state backend as sync would set it up (a destination that cannot be
  // one is refused here too), without connecting.
  FERRY_ASSIGN_OR_RETURN(StateSetup state,
                         SetUpState(registry, config, source, dests, "", std::chrono::system_clock::now(), false));
  (void)state;
  return Status::OK();
}

namespace {
// Opens the source's state backend on its own (no data destinations).
Result<StateSetup> OpenStateBackend(const Registry& registry, const config::Config& config,
                                    const config::SourceSpec& source) {
  if (!source.backend_options)
    return Status::Invalid("source \"" + source.name + "\" has no backend_options, so it keeps no cursors");
  std::vector<DestinationSetup> none;
  FERRY_ASSIGN_OR_RETURN(StateSetup st, SetUpState(registry, config, source, none, "", std::chrono::system_clock::now()));
  FERRY_RETURN_NOT_OK(st.backend->dest->Migrate({st.table}, MigrateOptions{MigrateMode::kSafe}));
  return st;
}

// Latest entry per key (append-only backends may hold several versions).
std::vector<StateEntry> Latest(const std::vector<StateEntry>& entries) {
  std::map<std::string, StateEntry> by_key;
  for (const auto& e : entries) {
    auto it = by_key.find(e.key);
    if (it == by_key.end() || e.version >= it->second.version) by_key[e.key] = e;
  }
  std::vector<StateEntry> out;
  for (auto& [k, e] : by_key) out.push_back(e);
  return out;
}
}  // namespace

Result<std::vector<StateEntry>> ReadSourceState(const Registry& registry, const config::Config& config,
                                                const config::SourceSpec& source) {
  FERRY_ASSIGN_OR_RETURN(StateSetup st, OpenStateBackend(registry, config, source));
  auto read = st.backend->dest->ReadState(st.table);
  Status closed = st.backend->dest->Close();
  if (!read.ok()) return read.status();
  FERRY_RETURN_NOT_OK(closed);
  return Latest(*read);
}

Result<std::vector<std::string>> ResetSourceState(const Registry& registry, const config::Config& config,
                                                  const config::SourceSpec& source,
                                                  const std::vector<std::string>& table_patterns) {
  FERRY_ASSIGN_OR_RETURN(StateSetup st, OpenStateBackend(registry, config, source));
  auto read = st.backend->dest->ReadState(st.table);
  if (!read.ok()) {
    st.backend->dest->Close().IgnoreError();
    return read.status();
  }
  std::vector<StateEntry> reset;
  std::vector<std::string> keys;
  for (StateEntry e : Latest(*read)) {
    std::string table = e.key.substr(0, e.key.find(':'));
    bool match = table_patterns.empty();
    for (const auto& p : table_patterns) match = match || GlobMatch(p, table);
    if (!match || e.value.empty()) continue;
    e.value.clear();
    ++e.version;
    keys.push_back(e.key);
    reset.push_back(std::move(e));
  }
  Status st2 = reset.empty() ? Status::OK()
                             : st.backend->dest->Write(WriteRequest{st.table, {}, st.table, std::move(reset)});
  Status closed = st.backend->dest->Close();
  FERRY_RETURN_NOT_OK(st2);
  FERRY_RETURN_NOT_OK(closed);
  return keys;
}

Status MigrateSource(const Registry& registry, const config::Config& config, const config::SourceSpec& source,
                     const SyncOptions& options) {
  FERRY_ASSIGN_OR_RETURN(SourceSetup s, SetUpSource(registry, source, options.invocation_id, true));
  auto now = std::chrono::system_clock::now();
  for (const auto& name : source.destinations) {
    FERRY_ASSIGN_OR_RETURN(DestinationSetup d,
                           SetUpDestination(registry, config, source, name, s.selected, options.invocation_id, now));
    Status st = d.dest->Migrate(DataTables(d), DataMigrateOptions(d));
    // As CloudQuery's migrate: the sync summary table too, where it is sent.
    if (st.ok() && d.spec->send_sync_summary)
      st = d.dest->Migrate({SyncSummarySchema(!d.settings.sync_group_id.empty())}, MigrateOptions{d.settings.migrate_mode});
    Status closed = d.dest->Close();
    FERRY_RETURN_NOT_OK(st.WithContext("destination \"" + name + "\": migrate"));
    FERRY_RETURN_NOT_OK(closed.WithContext("destination \"" + name + "\": close"));
  }
  return Status::OK();
}

namespace {

// A sharded sync is refused before anything moves when its shards could not
// agree on deleting stale rows (shard_run.h).
Status CheckShardable(const config::SourceSpec& source, const std::vector<DestinationSetup>& dests,
                      const StateSetup& state, const SyncOptions& options) {
  const std::string what = "--shard " + options.shard.ToString() + ": source \"" + source.name + "\"";
  for (const auto& d : dests) {
    if (d.settings.snapshot_views)
      return Status::Unsupported(what + ", destination \"" + d.spec->name +
                                 "\": snapshot_views are not supported in sharded syncs yet (a snapshot is recorded "
                                 "per process); sync without --shard or turn snapshot_views off");
    if (d.settings.write_mode != WriteMode::kOverwriteDeleteStale || options.shard.total == 1) continue;
    if (!state.backend)
      return Status::Invalid(what + ", destination \"" + d.spec->name +
                             "\": write_mode overwrite-delete-stale across shards needs the source's backend_options "
                             "(the state backend is where shards agree that every part of a table synced before its "
                             "stale rows go); add backend_options, or use write_mode overwrite");
    if (options.shard_run.empty())
      return Status::Invalid(what + ", destination \"" + d.spec->name +
                             "\": write_mode overwrite-delete-stale across shards needs the id of the run every "
                             "shard belongs to: --shard-run ID or FERRY_SHARD_RUN (on Kubernetes, the Job's uid)");
  }
  return Status::OK();
}

// After every writer finished: record this shard's delete-stale verdicts in
// the state backend, read the run's, and delete what every shard completed.
void FinishShard(const SyncOptions& options, const StateSetup& state, std::vector<DestinationSetup>& dests,
                 std::vector<std::unique_ptr<DestinationWriter>>& writers, int64_t sync_time_us,
                 SyncSummary& summary) {
  ShardRecord mine{summary.source_name, options.shard, sync_time_us, summary.sync_id, {}};
  std::vector<size_t> deferred;
  for (size_t i = 0; i < writers.size(); ++i) {
    if (dests[i].settings.write_mode != WriteMode::kOverwriteDeleteStale) continue;
    deferred.push_back(i);
    mine.tables[dests[i].spec->name] = writers[i]->stale_verdicts();
  }
  if (deferred.empty()) return;
  const std::string& run = options.shard_run;
  // One shard is the whole run: its own record is all the records there are.
  Result<std::map<int, ShardRecord>> records = std::map<int, ShardRecord>{{1, mine}};
  if (options.shard.total > 1) {
    const RetryPolicy policy = RetryPolicyOf(*state.backend);
    Destination* backend = state.backend->dest.get();
    Status st = CallWithRetry(policy, options.cancel, [&](int) {
      return backend->Write(WriteRequest{state.table, {}, state.table, {ShardRecordEntry(run, mine)}});
    });
    Result<std::vector<StateEntry>> read = st;
    if (st.ok())
      st = CallWithRetry(policy, options.cancel, [&](int) {
        read = backend->ReadState(state.table);
        return read.status();
      });
    records = read.ok() ? ShardRecordsOf(run, summary.source_name, options.shard.total, Latest(*read)) : read.status();
  }
  if (!records.ok()) {
    const std::string e = "shard run \"" + run + "\": recording shard " + options.shard.ToString() +
                          " in state backend \"" + state.backend->spec->name + "\" failed: " +
                          records.status().message();
    summary.errors.push_back(e);
    log::Error(e);
  }
  for (size_t i : deferred) {
    const std::string& dest = dests[i].spec->name;
    for (const auto& [table, why] : writers[i]->stale_verdicts()) {
      if (!why.empty()) {
        writers[i]->KeepStale(table, why);
        continue;
      }
      if (!records.ok()) {
        writers[i]->KeepStale(table, "the shard's outcome could not be recorded in the state backend");
        continue;
      }
      const ShardRunVerdict v = DecideShardRun(run, options.shard.total, *records, dest, table);
      v.remove ? writers[i]->DeleteStaleNow(table, v.before_us) : writers[i]->KeepStale(table, v.reason);
    }
  }
}

}  // namespace

// A prepared-writes state entry's value: the JSON array of the tokens
// Destination::Prepare returned for one cursor; commits each.
Status CommitTokens(Destination& dest, const std::string& value) {
  auto tokens = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!tokens.is_array()) return Status::Invalid("prepared-writes token is not a JSON array: " + value);
  for (const auto& t : tokens) {
    if (!t.is_string()) return Status::Invalid("prepared-writes token is not a string: " + t.dump());
    FERRY_RETURN_NOT_OK(dest.CommitPrepared(t.get<std::string>()));
  }
  return Status::OK();
}

// Rows that an earlier sync stored together with their cursor but did not
// make visible (it stopped between the two): made visible before anything
// else, so the cursor is never ahead of the rows it covers. Their entries
// are then cleared in the backend and in `initial`.
Status CommitLeftoverPrepared(std::vector<DestinationSetup>& dests, const StateSetup& state,
                              const SyncOptions& options, std::vector<StateEntry>& initial, SyncSummary& summary) {
  // Append-only backends may hold several rows of a key: the highest version counts.
  std::map<std::string, size_t> latest;
  for (size_t i = 0; i < initial.size(); ++i) {
    auto it = latest.find(initial[i].key);
    if (it == latest.end() || initial[i].version >= initial[it->second].version) latest[initial[i].key] = i;
  }
  for (auto& d : dests) {
    if (!d.plugin->capabilities.prepared_writes) continue;
    const std::string prefix = PreparedKeyPrefix(d.spec->name);
    for (const auto& [key, index] : latest) {
      StateEntry& e = initial[index];
      if (key.rfind(prefix, 0) != 0 || e.value.empty()) continue;
      const std::string what = "destination \"" + d.spec->name + "\": making visible the rows an earlier sync " +
                               "stored with their cursor (" + key + ")";
      Status st = CallWithRetry(RetryPolicyOf(d), options.cancel, [&](int) { return CommitTokens(*d.dest, e.value); });
      if (!st.ok())
        return st.WithContext(what + "; until they are, the cursor is ahead of the table. If the rows are gone "
                              "for good, reset the table's cursor (ferry state) to fetch them again");
      StateEntry cleared{key, "", e.version + 1};
      st = CallWithRetry(RetryPolicyOf(*state.backend), options.cancel, [&](int) {
        return state.backend->dest->Write(WriteRequest{state.table, {}, state.table, {cleared}});
      });
      if (!st.ok()) return st.WithContext(what + ": recording it in the state backend");
      e = cleared;
      summary.notes.push_back(what + ": done");
    }
  }
  return Status::OK();
}

Result<SyncSummary> SyncSource(const Registry& registry, const config::Config& config,
                               const config::SourceSpec& source, const SyncOptions& options) {
  const auto start = Clock::now();
  // _cq_sync_time: the same for every row and destination, microsecond precision.
  const auto sync_time = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  SyncSummary summary;
  summary.sync_id = options.invocation_id.empty() ? uuid::ToString(uuid::NewV4()) : options.invocation_id;
  summary.source_name = source.name;
  summary.source_path = source.path;
  summary.source_version = source.version;
  summary.sync_time = sync_time;

  FERRY_ASSIGN_OR_RETURN(SourceSetup src, SetUpSource(registry, source, summary.sync_id, false));
  std::vector<DestinationSetup> dests;
  for (const auto& name : source.destinations) {
    FERRY_ASSIGN_OR_RETURN(DestinationSetup d, SetUpDestination(registry, config, source, name, src.selected,
                                                                summary.sync_id, sync_time, true, options.cancel));
    summary.destinations.push_back(DestinationSummary{d.spec->name, d.spec->path, d.spec->version,
                                                      WriteModeName(d.settings.write_mode)});
    if (!d.settings.sync_group_id.empty()) summary.sync_group_id = d.settings.sync_group_id;
    dests.push_back(std::move(d));
  }
  FERRY_ASSIGN_OR_RETURN(StateSetup state, SetUpState(registry, config, source, dests, summary.sync_id, sync_time, true, options.cancel));
  auto close_all = [&]() {
    for (auto& d : dests) d.dest->Close().IgnoreError();
    if (state.state_only) state.state_only->dest->Close().IgnoreError();
  };
  if (options.shard.sharded()) {
    summary.shard_num = options.shard.num;
    summary.shard_total = options.shard.total;
    Status st = CheckShardable(source, dests, state, options);
    if (!st.ok()) {
      close_all();  // nothing was written
      return st;
    }
  }
  for (const auto& t : src.selected) summary.tables[t->name];  // every selected table appears
  if (options.progress) options.progress->tables_total = static_cast<int64_t>(src.selected.size());

  if (!options.no_migrate) {
    for (auto& d : dests) {
      Status st = CallWithRetry(RetryPolicyOf(d), options.cancel, [&](int) {
        return d.dest->Migrate(DataTables(d), DataMigrateOptions(d));
      });
      if (!st.ok()) {
        close_all();  // nothing was written
        return st.WithContext("destination \"" + d.spec->name + "\": migrate");
      }
    }
  }

  // Cursors: the state table always exists (as CloudQuery's state client
  // migrates it), and is read once before the source starts.
  SyncRequest req;
  std::vector<StateEntry> initial_state;
  if (state.backend) {
    const RetryPolicy policy = RetryPolicyOf(*state.backend);
    Status st = CallWithRetry(policy, options.cancel, [&](int) {
      return state.backend->dest->Migrate({state.table}, MigrateOptions{MigrateMode::kSafe});
    });
    Result<std::vector<StateEntry>> read = st;
    if (st.ok()) {
      st = CallWithRetry(policy, options.cancel, [&](int) {
        read = state.backend->dest->ReadState(state.table);
        return read.status();
      });
    }
    if (!read.ok()) {
      close_all();
      return read.status().WithContext("state backend \"" + state.backend->spec->name + "\"");
    }
    initial_state = std::move(*read);
    req.has_state_backend = true;
    Status recovered = CommitLeftoverPrepared(dests, state, options, initial_state, summary);
    if (!recovered.ok()) {
      close_all();
      return recovered;
    }
  }

  int64_t budget_bytes = options.memory_budget_bytes;
  if (budget_bytes <= 0) {
    std::vector<int64_t> needs;
    for (const auto& d : dests) needs.push_back(BudgetNeed(d));
    budget_bytes = AutoMemoryBudget(needs);
    log::Debug("memory budget " + std::to_string(budget_bytes >> 20) + " MiB (automatic: two full batches of " +
                "the destination that needs most, within 64-256 MiB; --memory-budget sets it)");
  }
  MemoryBudget budget(budget_bytes);
  MetaColumns meta(ToMicros(sync_time), source.name, summary.sync_group_id);
  std::vector<std::unique_ptr<DestinationWriter>> writers;
  std::unique_ptr<DestinationWriter> state_writer;   // for a backend that gets no data
  DestinationWriter* backend_writer = nullptr;
  std::unique_ptr<StateCoordinator> coordinator;
  std::mutex prepared_mu;
  std::vector<std::string> prepared_errors;   // guarded by prepared_mu
  const bool in_transaction = state.backend_index >= 0 && dests.size() == 1;
  if (state.backend) {
    coordinator = std::make_unique<StateCoordinator>(
        initial_state, static_cast<int>(dests.size()),
        [&](std::vector<StateEntry> entries, std::vector<PreparedToken> tokens) {
          WriterMessage m{WriterMessage::Kind::kCommitState, nullptr, state.table->name, "", {}};
          m.entries = std::move(entries);
          if (!tokens.empty()) {
            // Once the cursor and the tokens are written, the destinations
            // make the rows visible (on the backend's writer thread;
            // CommitPrepared may run beside the destination's own calls).
            m.after = [&, tokens = std::move(tokens)]() {
              std::vector<StateEntry> cleared;
              for (const PreparedToken& t : tokens) {
                DestinationSetup& d = dests[static_cast<size_t>(t.writer)];
                Status st = CallWithRetry(RetryPolicyOf(d), options.cancel,
                                          [&](int) { return CommitTokens(*d.dest, t.entry.value); });
                if (st.ok()) {
                  cleared.push_back(coordinator->Cleared(t.entry.key, t.entry.value));
                } else {
                  std::lock_guard<std::mutex> lock(prepared_mu);
                  prepared_errors.push_back("destination \"" + d.spec->name + "\": rows stored with their cursor (" +
                                            t.entry.key + ") could not be made visible yet: " + st.message() +
                                            "; the next sync makes them visible before it starts");
                }
              }
              return cleared;
            };
          }
          backend_writer->Push(std::move(m));
        });
    req.state = coordinator->Snapshot();
  }
  for (size_t i = 0; i < dests.size(); ++i) {
    DestinationSetup& d = dests[i];
    WriterOptions w;
    w.name = d.spec->name;
    w.settings = d.settings;
    w.source_name = source.name;
    w.sync_time_us = ToMicros(sync_time);
    w.has_state_backend = state.backend != nullptr;
    if (d.settings.snapshot_views) w.snapshot_table = snapshot::Schema();
    w.invocation_id = summary.sync_id;
    w.retry = RetryPolicyOf(d);
    w.cancel = options.cancel;
    w.cancelled_by = [&options] { return CancelReason(options); };
    if (state.backend) {
      w.state_mode = in_transaction ? WriterOptions::StateMode::kInTransaction : WriterOptions::StateMode::kCoordinated;
      w.coordinator = coordinator.get();
      if (static_cast<int>(i) == state.backend_index) w.state_table = state.table;
      w.prepared = !in_transaction && d.plugin->capabilities.prepared_writes;
      w.writer_index = static_cast<int>(i);
    }
    w.defer_delete_stale = options.shard.sharded();
    ApplyBatchOptions(d, w);
    w.writes_in_flight = std::max(1, d.plugin->capabilities.concurrent_writes);
    w.packs_writes = d.plugin->capabilities.packs_writes;
    writers.push_back(std::make_unique<DestinationWriter>(d.dest.get(), w, &budget, d.schemas));
    if (static_cast<int>(i) == state.backend_index) backend_writer = writers.back().get();
  }
  if (state.state_only) {
    WriterOptions w;
    w.name = state.state_only->spec->name;
    w.settings.write_mode = WriteMode::kAppend;  // never delete-stale: it holds no data tables
    w.retry = RetryPolicyOf(*state.state_only);
    w.cancel = options.cancel;
    w.state_table = state.table;
    state_writer = std::make_unique<DestinationWriter>(state.state_only->dest.get(), w, &budget,
                                                       std::map<std::string, TableSchemaPtr>{});
    backend_writer = state_writer.get();
    state_writer->Start();
  }
  for (auto& w : writers) w->Start();

  SyncProgressTracker progress;
  FanoutSink sink(dests, writers, budget, meta, summary, options, start, coordinator.get(), progress);
  for (const auto& t : src.selected) req.tables.push_back(t->name);
  req.deterministic_cq_id = source.deterministic_cq_id;
  req.sync_time = sync_time;
  req.shard = options.shard;
  req.memory_budget_bytes = budget_bytes;
  Status sync_st = src.source->Sync(req, sink);
  if (!sync_st.ok()) summary.errors.push_back("source \"" + source.name + "\": " + sync_st.message());

  // What the source did, frozen: every writer decides delete-stale from it
  // (stale_decision.h), together with its own results.
  auto outcome = std::make_shared<SourceOutcome>();
  outcome->sync_status = sync_st;
  outcome->cancelled_by = CancelReason(options);
  outcome->tables = progress.Snapshot();
  for (const auto& [table, p] : outcome->tables)   // a source bug, but never silent
    for (const auto& client : p.planned_clients)
      if (!p.done.count(client) && sync_st.ok() && outcome->cancelled_by.empty())
        summary.errors.push_back("source \"" + source.name + "\", table " + table +
                                 (client.empty() ? "" : " (client " + client + ")") +
                                 ": planned but never reported finishing; its rows may be incomplete");
  for (const auto& t : src.selected) outcome->parent_of[t->name] = t->parent;
  if (!outcome->cancelled_by.empty())
    summary.errors.push_back("sync cancelled (" + outcome->cancelled_by +
                             "): rows already fetched were written and cursors cover only written rows; no "
                             "stale rows were deleted");

  // Data writers first; the backend's writer last, since the others' final
  // flushes may still queue cursor commits on it.
  std::vector<size_t> order;
  for (size_t i = 0; i < writers.size(); ++i)
    if (static_cast<int>(i) != state.backend_index) order.push_back(i);
  if (state.backend_index >= 0) order.push_back(static_cast<size_t>(state.backend_index));
  for (size_t i : order) writers[i]->Finish(outcome);
  if (state_writer) state_writer->Finish();
  for (const auto& e : prepared_errors) {
    summary.errors.push_back(e);
    log::Error(e);
  }
  if (options.shard.sharded()) FinishShard(options, state, dests, writers, ToMicros(sync_time), summary);

  for (size_t i = 0; i < writers.size(); ++i) {
    DestinationSummary& ds = summary.destinations[i];
    for (const auto& [table, st] : writers[i]->stats()) {
      TableSummary& t = summary.tables[table];
      t.rows_written[ds.name] = st.rows_written;
      for (const auto& e : st.errors) t.messages.push_back(e);
      for (const auto& n : st.notes) {
        t.messages.push_back(n);
        summary.notes.push_back(n);
      }
      t.errors += static_cast<int64_t>(st.errors.size());
    }
    for (const auto& e : writers[i]->errors()) {
      summary.errors.push_back(e);
      log::Error(e);
    }
    for (const auto& wn : writers[i]->warnings()) {
      summary.warnings.push_back(wn);
      log::Warn(wn);
    }
    ds.errors = static_cast<int64_t>(writers[i]->errors().size());
    ds.warnings = static_cast<int64_t>(writers[i]->warnings().size());
    // A destination that went down has its one error; it gets no summary row.
    if (dests[i].spec->send_sync_summary && !writers[i]->down()) {
      auto schema = SyncSummarySchema(!summary.sync_group_id.empty());
      const RetryPolicy policy = RetryPolicyOf(dests[i]);
      Status st = options.no_migrate ? Status::OK()
                                     : CallWithRetry(policy, options.cancel, [&](int) {
                                         return dests[i].dest->Migrate({schema}, MigrateOptions{});
                                       });
      if (st.ok()) {
        summary.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        WriteRequest req{schema, {SyncSummaryBatch(summary, i, schema, kFerryVersion)}, nullptr, {}};
        req.request_id = UINT64_MAX;   // one request, distinct from the writer's
        st = CallWithRetry(policy, options.cancel, [&](int attempt) {
          req.attempt = attempt;
          return dests[i].dest->Write(req);
        });
      }
      if (!st.ok()) {
        summary.errors.push_back("destination \"" + ds.name + "\": writing the sync summary: " + st.message());
        ++ds.errors;
      }
    }
    Status closed = dests[i].dest->Close();
    if (!closed.ok()) {
      summary.errors.push_back("destination \"" + ds.name + "\": close: " + closed.message());
      ++ds.errors;
    }
  }
  if (state_writer) {
    for (const auto& e : state_writer->errors()) {
      summary.errors.push_back(e);
      log::Error(e);
    }
    for (const auto& wn : state_writer->warnings()) {
      summary.warnings.push_back(wn);
      log::Warn(wn);
    }
    Status closed = state.state_only->dest->Close();
    if (!closed.ok()) summary.errors.push_back("state backend \"" + state.state_only->spec->name + "\": close: " + closed.message());
  }
  summary.peak_memory_bytes = budget.peak();
  summary.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  return summary;
}

}  // namespace ferry::engine
