#include "rpc/server.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "engine/log.h"
#include "engine/summary.h"
#include "engine/table_selection.h"
#include "ferry/type_families.h"
#include "protocol/arrow_ipc.h"
#include "rpc/channel.h"
#include "rpc/messages.h"
#include "rpc/pb.h"
#include "rpc/record_split.h"

namespace ferry::rpc {

namespace {

constexpr int64_t kServeBatchRows = 10000;
constexpr int64_t kServeBatchBytes = 8 << 20;

grpc::Status Error(grpc::StatusCode code, const std::string& msg) { return grpc::Status(code, msg); }

// The sink a served source writes into: every message becomes a Sync.Response.
class StreamSink : public SyncSink {
 public:
  StreamSink(grpc::ServerContext* ctx, grpc::ServerWriter<pb::Sync::Response>* writer,
             std::map<std::string, TableSchemaPtr> tables)
      : ctx_(ctx), writer_(writer), tables_(std::move(tables)) {}

  Status Insert(BatchPtr batch) override {
    if (Cancelled()) return Status::Cancelled("the client cancelled the sync");
    return EncodeRecords(*batch, kMaxSendBytes, [&](std::string record) {
      pb::Sync::Response resp;
      resp.mutable_insert()->set_record(std::move(record));
      return Send(resp);
    });
  }
  Status DeleteRecord(ferry::DeleteRecord msg) override {
    auto it = tables_.find(msg.table_name);
    if (it == tables_.end()) return Status::Invalid("delete_record for unknown table " + msg.table_name);
    pb::Sync::Response resp;
    FERRY_RETURN_NOT_OK(EncodeDeleteRecord(msg, *it->second, resp.mutable_delete_record()));
    return Send(resp);
  }
  void TableDone(const std::string& table, const std::string& client_id, const Status& status,
                 int64_t rows) override {
    if (status.ok()) return;
    const std::string msg = (client_id.empty() ? "" : "client " + client_id + ": ") + status.message();
    log::Error("table " + table + ": " + msg);
    pb::Sync::Response resp;
    resp.mutable_error()->set_table_name(table);
    resp.mutable_error()->set_error(msg);
    Send(resp).IgnoreError();
  }
  void Warning(const std::string& table, const std::string& message) override {
    log::Warn("table " + table + ": " + message);
  }
  // Sources ask for every row; ServerContext::IsCancelled takes gRPC's call
  // lock, so it is asked at most every 20 ms (by one thread at a time).
  bool Cancelled() const override {
    if (cancelled_.load(std::memory_order_relaxed)) return true;
    const int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    int64_t last = last_check_.load(std::memory_order_relaxed);
    if (now - last < 20'000'000 || !last_check_.compare_exchange_strong(last, now)) return false;
    if (ctx_->IsCancelled()) cancelled_.store(true);
    return cancelled_.load();
  }
  // Cursors go to the backend plugin after the sync (see BackendState).
  Status Checkpoint(const std::string& table, const std::string& client_id, StateEntry entry) override {
    std::lock_guard<std::mutex> lock(mu_);
    cursors_[entry.key] = entry.value;
    return Status::OK();
  }
  std::map<std::string, std::string> cursors() {
    std::lock_guard<std::mutex> lock(mu_);
    return cursors_;
  }

 private:
  Status Send(const pb::Sync::Response& resp) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!writer_->Write(resp)) return Status::Cancelled("the client closed the Sync stream");
    return Status::OK();
  }
  grpc::ServerContext* ctx_;
  grpc::ServerWriter<pb::Sync::Response>* writer_;
  std::map<std::string, TableSchemaPtr> tables_;
  std::mutex mu_;
  std::map<std::string, std::string> cursors_;  // guarded by mu_
  mutable std::atomic<bool> cancelled_{false};
  mutable std::atomic<int64_t> last_check_{0};
};

// The state backend a client names in Sync.backend: another plugin, reached
// over the same protocol, as CloudQuery's state client does it: the state
// table is migrated, read before the sync, and the cursors written after it.
class BackendState {
 public:
  static Result<std::unique_ptr<BackendState>> Connect(const pb::Sync::BackendOptions& opts) {
    std::unique_ptr<BackendState> b(new BackendState());
    b->who_ = "state backend at " + opts.connection();
    b->channel_ = MakeChannel(opts.connection());
    FERRY_RETURN_NOT_OK(WaitConnected(*b->channel_, std::chrono::seconds(5)).WithContext(b->who_));
    b->stub_ = pb::Plugin::NewStub(b->channel_);
    b->table_ = StateTableSchema(opts.table_name().empty() ? "cq_state" : opts.table_name());
    pb::Write::Request msg;
    FERRY_ASSIGN_OR_RETURN(std::string schema, protocol::EncodeSchemaStream(*b->table_));
    msg.mutable_migrate_table()->set_table(std::move(schema));
    FERRY_RETURN_NOT_OK(b->WriteAll({msg}, "migrate the state table"));
    return b;
  }

  Result<StateSnapshot> Read() {
    pb::Read::Request req;
    FERRY_ASSIGN_OR_RETURN(std::string schema, protocol::EncodeSchemaStream(*table_));
    req.set_table(std::move(schema));
    grpc::ClientContext ctx;
    SetDeadline(ctx, PluginTimeout());
    auto reader = stub_->Read(&ctx, req);
    StateSnapshot out;
    pb::Read::Response resp;
    Status decode;
    while (decode.ok() && reader->Read(&resp)) {
      auto batch = protocol::DecodeRecordStream(resp.record());
      if (!batch.ok()) {
        decode = batch.status().WithContext(who_ + ": Read");
        break;
      }
      auto entries = StateEntriesOf(**batch);
      if (!entries.ok()) {
        decode = entries.status().WithContext(who_ + ": Read");
        break;
      }
      for (auto& e : *entries) out[e.key] = e.value;
    }
    if (!decode.ok()) ctx.TryCancel();
    grpc::Status gs = reader->Finish();
    FERRY_RETURN_NOT_OK(decode);
    FERRY_RETURN_NOT_OK(FromGrpc(gs, who_ + ": Read"));
    return out;
  }

  Status Save(const std::map<std::string, std::string>& cursors) {
    if (cursors.empty()) return Status::OK();
    std::vector<StateEntry> entries;
    for (const auto& [k, v] : cursors) entries.push_back(StateEntry{k, v, 1});
    FERRY_ASSIGN_OR_RETURN(BatchPtr rows, StateBatch(table_, entries));
    std::vector<pb::Write::Request> msgs;
    FERRY_RETURN_NOT_OK(EncodeRecords(*rows, kMaxSendBytes, [&](std::string record) {
      msgs.emplace_back();
      msgs.back().mutable_insert()->set_record(std::move(record));
      return Status::OK();
    }));
    return WriteAll(msgs, "save cursors");
  }

 private:
  BackendState() = default;
  Status WriteAll(const std::vector<pb::Write::Request>& msgs, const std::string& what) {
    grpc::ClientContext ctx;
    SetDeadline(ctx, PluginTimeout());
    pb::Write::Response resp;
    auto writer = stub_->Write(&ctx, &resp);
    for (const auto& m : msgs)
      if (!writer->Write(m)) break;
    writer->WritesDone();
    return FromGrpc(writer->Finish(), who_ + ": " + what);
  }

  std::string who_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Plugin::Stub> stub_;
  TableSchemaPtr table_;
};

class PluginService final : public pb::Plugin::Service {
 public:
  PluginService(const Registry& registry, const ServeOptions& opts) : opts_(opts) {
    if (opts.kind == "source") source_plugin_ = registry.FindSource(opts.name);
    else dest_plugin_ = registry.FindDestination(opts.name);
  }

  grpc::Status GetName(grpc::ServerContext*, const pb::GetName::Request*, pb::GetName::Response* resp) override {
    resp->set_name(opts_.name);
    return grpc::Status::OK;
  }
  grpc::Status GetVersion(grpc::ServerContext*, const pb::GetVersion::Request*,
                          pb::GetVersion::Response* resp) override {
    resp->set_version(std::string("v") + engine::kFerryVersion);
    return grpc::Status::OK;
  }
  grpc::Status GetSpecSchema(grpc::ServerContext*, const pb::GetSpecSchema::Request*,
                             pb::GetSpecSchema::Response* resp) override {
    resp->set_json_schema(OptionsJsonSchema(options()).dump());
    return grpc::Status::OK;
  }

  grpc::Status Init(grpc::ServerContext*, const pb::Init::Request* req, pb::Init::Response*) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto opts = ParseSpec(req->spec());
    if (!opts.ok()) return ToGrpc(opts.status());
    Status st;
    if (source_plugin_) {
      auto src = source_plugin_->create();
      st = src->Init(*opts, SourceInit{opts_.name, req->invocation_id(), req->no_connection()});
      if (st.ok()) source_ = std::move(src);
    } else {
      auto dest = dest_plugin_->create();
      st = dest->Init(*opts, DestinationInit{opts_.name, req->invocation_id()});
      if (st.ok()) {
        if (dest_) dest_->Close().IgnoreError();
        dest_ = std::move(dest);
      }
    }
    if (!st.ok()) log::Error("Init: " + st.message());
    return ToGrpc(st.WithContext(opts_.kind + " " + opts_.name + ": init"));
  }

  grpc::Status GetTables(grpc::ServerContext*, const pb::GetTables::Request* req,
                         pb::GetTables::Response* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (dest_plugin_) return grpc::Status::OK;  // a destination has no tables of its own
    if (!source_) return Error(grpc::StatusCode::FAILED_PRECONDITION, "GetTables before Init");
    auto selected = Select(req->tables(), req->skip_tables(), req->skip_dependent_tables());
    if (!selected.ok()) return ToGrpc(selected.status());
    for (const auto& t : *selected) {
      auto bytes = protocol::EncodeSchemaStream(*t);
      if (!bytes.ok()) return ToGrpc(bytes.status());
      resp->add_tables(std::move(*bytes));
    }
    return grpc::Status::OK;
  }

  grpc::Status Sync(grpc::ServerContext* ctx, const pb::Sync::Request* req,
                    grpc::ServerWriter<pb::Sync::Response>* writer) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!source_) return Error(grpc::StatusCode::FAILED_PRECONDITION,
                               dest_plugin_ ? "Sync called on a destination plugin" : "Sync before Init");
    std::unique_ptr<BackendState> backend;
    SyncRequest sync;
    if (req->has_backend() && !req->backend().connection().empty()) {
      auto b = BackendState::Connect(req->backend());
      if (!b.ok()) return ToGrpc(b.status());
      backend = std::move(*b);
      auto state = backend->Read();
      if (!state.ok()) return ToGrpc(state.status());
      sync.state = std::move(*state);
      sync.has_state_backend = true;
    }
    if (req->has_shard() && req->shard().total() > 0) {
      const auto& sh = req->shard();
      if (sh.num() < 1 || sh.num() > sh.total())
        return Error(grpc::StatusCode::INVALID_ARGUMENT, "shard " + std::to_string(sh.num()) + "/" +
                                                             std::to_string(sh.total()) + ": N must be 1 .. T");
      sync.shard = Shard{sh.num(), sh.total()};
    }
    auto selected = Select(req->tables(), req->skip_tables(), req->skip_dependent_tables());
    if (!selected.ok()) return ToGrpc(selected.status());
    std::map<std::string, TableSchemaPtr> by_name;
    for (const auto& t : *selected) {
      by_name[t->name] = t;
      sync.tables.push_back(t->name);
      pb::Sync::Response resp;
      auto bytes = protocol::EncodeSchemaStream(*t);
      if (!bytes.ok()) return ToGrpc(bytes.status());
      resp.mutable_migrate_table()->set_table(std::move(*bytes));
      if (!writer->Write(resp)) return Error(grpc::StatusCode::CANCELLED, "the client closed the Sync stream");
    }
    sync.deterministic_cq_id = req->deterministic_cq_id();
    sync.sync_time = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    StreamSink sink(ctx, writer, by_name);
    Status st = source_->Sync(sync, sink);
    if (ctx->IsCancelled()) return Error(grpc::StatusCode::CANCELLED, "the client cancelled the sync");
    // Like CloudQuery's SDKs, the cursors are saved when the sync has sent
    // its rows (the client decides when those are durable).
    if (st.ok() && backend) st = backend->Save(sink.cursors());
    if (!st.ok()) log::Error("Sync: " + st.message());
    return ToGrpc(st);
  }

  grpc::Status Write(grpc::ServerContext* ctx, grpc::ServerReader<pb::Write::Request>* reader,
                     pb::Write::Response*) override {
    // The lock is held per message, not for the whole stream: a client may
    // keep a Write stream open while another stream (a source's state
    // client, CloudQuery's `@@plugins.<dest>.connection`) writes cursors
    // to the same destination; holding it for the stream deadlocked them.
    Destination* dest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!dest_) return Error(grpc::StatusCode::FAILED_PRECONDITION,
                               source_plugin_ ? "Write called on a source plugin" : "Write before Init");
      dest = dest_.get();
    }
    WriteStream w(dest, tables_, dest_plugin_);
    pb::Write::Request msg;
    Status st;
    auto same_destination = [&] {
      return dest_.get() == dest ? Status::OK()
                                 : Status::Invalid("the destination was closed or re-initialised during this Write stream");
    };
    while (st.ok() && reader->Read(&msg)) {
      std::lock_guard<std::mutex> lock(mu_);
      st = same_destination();
      if (st.ok()) st = w.Handle(msg);
    }
    if (st.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      st = same_destination();
      if (st.ok()) st = w.FlushAll();
    }
    if (!st.ok()) log::Error("Write: " + st.message());
    return ToGrpc(st);
  }

  grpc::Status Read(grpc::ServerContext*, const pb::Read::Request* req,
                    grpc::ServerWriter<pb::Read::Response>* writer) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dest_) return Error(grpc::StatusCode::FAILED_PRECONDITION, "Read before Init (or on a source)");
    auto schema = protocol::DecodeSchemaStream(req->table());
    if (!schema.ok()) return ToGrpc(schema.status());
    bool has_key = false, has_value = false;
    for (const auto& c : (*schema)->columns) {
      has_key = has_key || c.name == "key";
      has_value = has_value || c.name == "value";
    }
    if (!has_key || !has_value || !dest_plugin_->capabilities.state_backend)
      return Error(grpc::StatusCode::UNIMPLEMENTED,
                   "ferry's " + opts_.name + " destination reads back only state tables (key, value, version)" +
                       (dest_plugin_->capabilities.state_backend ? "" : ", and it cannot be a state backend"));
    auto entries = dest_->ReadState(StateTableSchema((*schema)->name));
    if (!entries.ok()) return ToGrpc(entries.status());
    return ToGrpc(SendStateRows(*schema, *entries, writer));
  }

  grpc::Status Close(grpc::ServerContext*, const pb::Close::Request*, pb::Close::Response*) override {
    std::lock_guard<std::mutex> lock(mu_);
    Status st;
    if (dest_) st = dest_->Close();
    dest_.reset();
    source_.reset();
    tables_.clear();
    return ToGrpc(st);
  }

  grpc::Status TestConnection(grpc::ServerContext*, const pb::TestConnection::Request* req,
                              pb::TestConnection::Response* resp) override {
    auto opts = ParseSpec(req->spec());
    Status st = opts.status();
    if (st.ok() && source_plugin_) st = source_plugin_->create()->Init(*opts, SourceInit{opts_.name, "", false});
    if (st.ok() && dest_plugin_) {
      auto d = dest_plugin_->create();
      st = d->Init(*opts, DestinationInit{opts_.name, ""});
      if (st.ok()) st = d->Close();
    }
    resp->set_success(st.ok());
    if (!st.ok()) {
      resp->set_failure_code(st.code() == StatusCode::kInvalidArgument ? "INVALID_SPEC" : "CONNECTION_FAILED");
      resp->set_failure_description(st.message());
    }
    return grpc::Status::OK;
  }

 private:
  // One Write stream: inserts gathered per table, written in batches.
  class WriteStream {
   public:
    WriteStream(Destination* dest, std::map<std::string, TableSchemaPtr>& tables, const DestinationPlugin* plugin)
        : dest_(dest), tables_(tables), plugin_(plugin) {}

    // A served destination refuses, like the engine, tables with columns of a
    // type family it does not store, before they reach it.
    Status CheckTypes(const TableSchema& t) const {
      if (!plugin_) return Status::OK();
      return CheckTypeFamilies("destination \"" + plugin_->name + "\"", plugin_->capabilities.type_families, t,
                               "a destination that stores it (sqlite)");
    }

    Status Handle(const pb::Write::Request& msg) {
      switch (msg.message_case()) {
        case pb::Write::Request::kMigrateTable: {
          FERRY_ASSIGN_OR_RETURN(TableSchemaPtr t, protocol::DecodeSchemaStream(msg.migrate_table().table()));
          FERRY_RETURN_NOT_OK(CheckTypes(*t).WithContext("migrate_table " + t->name));
          FERRY_RETURN_NOT_OK(Flush(t->name));
          MigrateOptions mo{msg.migrate_table().migrate_force() ? MigrateMode::kForced : MigrateMode::kSafe};
          FERRY_RETURN_NOT_OK(dest_->Migrate({t}, mo).WithContext("migrate_table " + t->name));
          tables_[t->name] = t;
          return Status::OK();
        }
        case pb::Write::Request::kInsert: {
          auto lookup = [&](const std::string& name) -> TableSchemaPtr {
            auto it = tables_.find(name);
            return it == tables_.end() ? nullptr : it->second;
          };
          auto batch = protocol::DecodeRecordStreamByName(msg.insert().record(), lookup);
          if (!batch.ok() && batch.status().code() == StatusCode::kNotFound) {
            // No migrate_table first (a client run with --no-migrate): the
            // record's own schema describes the existing table.
            FERRY_ASSIGN_OR_RETURN(BatchPtr b, protocol::DecodeRecordStream(msg.insert().record()));
            if (b->schema()->name.empty()) return Status::Invalid("insert: record has no cq:table_name");
            FERRY_RETURN_NOT_OK(CheckTypes(*b->schema()).WithContext("insert"));
            tables_[b->schema()->name] = b->schema();
            batch = b;
          }
          if (!batch.ok()) return batch.status().WithContext("insert");
          Pending& p = pending_[(*batch)->schema()->name];
          p.rows += (*batch)->num_rows();
          p.bytes += (*batch)->ByteSize();
          p.batches.push_back(*batch);
          if (p.rows >= kServeBatchRows || p.bytes >= kServeBatchBytes) return Flush((*batch)->schema()->name);
          return Status::OK();
        }
        case pb::Write::Request::kDelete: {
          const auto& d = msg.delete_();
          std::string table = d.table_name();
          if (table.empty() && !d.table().empty()) {
            FERRY_ASSIGN_OR_RETURN(TableSchemaPtr t, protocol::DecodeSchemaStream(d.table()));
            table = t->name;
          }
          auto it = tables_.find(table);
          if (it == tables_.end()) return Status::Invalid("delete stale: table " + table + " was not migrated");
          FERRY_RETURN_NOT_OK(Flush(table));
          return dest_->DeleteStale(DeleteStaleRequest{it->second, d.source_name(), TimestampMicros(d.sync_time())})
              .WithContext("delete stale rows of " + table);
        }
        case pb::Write::Request::kDeleteRecord: {
          FERRY_ASSIGN_OR_RETURN(ferry::DeleteRecord del, DecodeDeleteRecord(msg.delete_record()));
          FERRY_RETURN_NOT_OK(Flush(del.table_name));
          return dest_->DeleteRecord(del).WithContext("delete_record on " + del.table_name);
        }
        default:
          return Status::Invalid("unknown Write message (field " + std::to_string(msg.message_case()) + ")");
      }
    }

    Status Flush(const std::string& table) {
      auto it = pending_.find(table);
      if (it == pending_.end() || it->second.batches.empty()) return Status::OK();
      WriteRequest req{tables_[table], std::move(it->second.batches), nullptr, {}};
      const int64_t rows = it->second.rows;
      pending_.erase(it);
      return dest_->Write(req).WithContext("writing " + std::to_string(rows) + " rows into " + table);
    }

    Status FlushAll() {
      std::vector<std::string> names;
      for (const auto& [t, p] : pending_) names.push_back(t);
      for (const auto& t : names) FERRY_RETURN_NOT_OK(Flush(t));
      return Status::OK();
    }

   private:
    struct Pending {
      std::vector<BatchPtr> batches;
      int64_t rows = 0, bytes = 0;
    };
    Destination* dest_;
    std::map<std::string, TableSchemaPtr>& tables_;
    const DestinationPlugin* plugin_;
    std::map<std::string, Pending> pending_;
  };

  const OptionTable& options() const { return source_plugin_ ? source_plugin_->options : dest_plugin_->options; }

  Result<Options> ParseSpec(const std::string& spec) {
    nlohmann::json j;
    if (!spec.empty()) {
      j = nlohmann::json::parse(spec, nullptr, false);
      if (j.is_discarded()) return Status::Invalid("Init: the spec is not valid JSON");
    }
    return ValidateOptions(options(), j, opts_.kind + " " + opts_.name + " spec", nullptr);
  }

  template <typename List>
  Result<std::vector<TableSchemaPtr>> Select(const List& tables, const List& skip, bool skip_dependent) {
    std::vector<std::string> t(tables.begin(), tables.end()), s(skip.begin(), skip.end());
    if (t.empty()) t.push_back("*");
    return engine::SelectTables(source_->Tables(), t, s, skip_dependent, opts_.name);
  }

  const ServeOptions opts_;
  const SourcePlugin* source_plugin_ = nullptr;
  const DestinationPlugin* dest_plugin_ = nullptr;
  std::mutex mu_;  // one call at a time: sources and destinations are not re-entrant
  std::unique_ptr<Source> source_;
  std::unique_ptr<Destination> dest_;
  std::map<std::string, TableSchemaPtr> tables_;   // destination: migrated tables
};

class DiscoveryService final : public discovery::Discovery::Service {
  grpc::Status GetVersions(grpc::ServerContext*, const discovery::GetVersions::Request*,
                           discovery::GetVersions::Response* resp) override {
    resp->add_versions(3);
    return grpc::Status::OK;
  }
};

}  // namespace

int Serve(const Registry& registry, const ServeOptions& opts) {
  if (opts.kind != "source" && opts.kind != "destination") {
    std::cerr << "Error: ferry plugin serve: the kind must be `source` or `destination`, not \"" << opts.kind << "\"\n";
    return 2;
  }
  const bool found = opts.kind == "source" ? registry.FindSource(opts.name) != nullptr
                                           : registry.FindDestination(opts.name) != nullptr;
  if (!found) {
    auto names = opts.kind == "source" ? registry.SourceNames() : registry.DestinationNames();
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    std::cerr << "Error: ferry plugin serve: no built-in " << opts.kind << " named \"" << opts.name
              << "\"; built-in " << opts.kind << "s: " << list << "\n";
    return 2;
  }
  std::string target;
  if (opts.network == "unix") {
    std::string path = opts.address.rfind("unix:", 0) == 0 ? opts.address.substr(5) : opts.address;
    struct stat sb;
    if (stat(path.c_str(), &sb) == 0 && S_ISSOCK(sb.st_mode)) unlink(path.c_str());  // left by a dead server
    target = "unix:" + path;
  } else if (opts.network == "tcp" || opts.network == "tcp4" || opts.network == "tcp6") {
    target = opts.address;
  } else {
    std::cerr << "Error: ferry plugin serve: --network must be tcp or unix, not \"" << opts.network << "\"\n";
    return 2;
  }

  // Signals are taken by a thread of their own (sigwait), so the gRPC threads
  // never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  PluginService service(registry, opts);
  DiscoveryService disc;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(target, grpc::InsecureServerCredentials(), opts.network == "unix" ? nullptr : &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxReceiveBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxReceiveBytes));
  builder.RegisterService(&service);
  builder.RegisterService(&disc);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::cerr << "Error: ferry plugin serve: cannot serve on " << target << " (address in use or invalid?)\n";
    return 1;
  }
  log::Info("ferry plugin serve: " + opts.kind + " " + opts.name + " (protocol v3) listening on " +
            (opts.network == "unix" ? target : opts.address) +
            (port > 0 && opts.address.find(":0") != std::string::npos ? " (port " + std::to_string(port) + ")" : ""));
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&set, &sig);
    log::Info(std::string("ferry plugin serve: ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  stopper.join();
  if (opts.network == "unix") unlink(target.substr(5).c_str());
  return 0;
}

}  // namespace ferry::rpc
