#include "rpc/plugin_client.h"

#include "engine/log.h"
#include "protocol/arrow_ipc.h"
#include "rpc/channel.h"

namespace ferry::rpc {

Result<std::unique_ptr<PluginClient>> PluginClient::Connect(const RemotePluginRef& ref) {
  std::unique_ptr<PluginClient> c(new PluginClient());
  c->who_ = ref.kind + " \"" + ref.spec_name + "\" (plugin " + ref.path + ")";
  std::string address = ref.path;
  if (ref.registry == "local") {
    const std::string level = log::Enabled(log::Level::kDebug) ? "debug" : "info";
    // A source's warning lines go to the sync summary (RemoteSource::Sync).
    FERRY_ASSIGN_OR_RETURN(c->process_, PluginProcess::Start(ref.path, c->who_, level, ref.kind == "source"));
    address = c->process_->address();
  } else if (address.empty()) {
    return Status::Invalid(c->who_ + ": `registry: grpc` needs `path: <host:port>` (or unix:/path/to/socket)");
  }
  c->channel_ = MakeChannel(address);
  // CloudQuery dials with a 5 s timeout too.
  Status st = WaitConnected(*c->channel_, std::chrono::seconds(c->process_ ? 10 : 5));
  if (!st.ok()) {
    std::string why = c->process_ ? c->process_->ExitReason() : "";
    return Status::IOError(c->who_ + ": cannot connect to " + address + ": " + st.message() +
                           (why.empty() ? "" : "; the plugin " + why));
  }
  c->stub_ = pb::Plugin::NewStub(c->channel_);

  // Discovery: CloudQuery's SDKs answer [0..3] (Go) or [3] (JavaScript).
  {
    auto disc = discovery::Discovery::NewStub(c->channel_);
    grpc::ClientContext ctx;
    SetDeadline(ctx, kQuickTimeout);
    discovery::GetVersions::Response resp;
    grpc::Status gs = disc->GetVersions(&ctx, discovery::GetVersions::Request(), &resp);
    if (gs.ok()) {
      bool v3 = false;
      std::string list;
      for (int v : resp.versions()) {
        v3 = v3 || v == 3;
        list += (list.empty() ? "" : ", ") + std::to_string(v);
      }
      if (!v3)
        return Status::Unsupported(c->who_ + ": the plugin speaks protocol versions [" + list +
                                   "]; Ferry speaks version 3 (plugins built with a CloudQuery SDK from 2023 on)");
    } else if (gs.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      return c->CallError(gs, "discovery GetVersions");
    }
  }
  {
    grpc::ClientContext ctx;
    SetDeadline(ctx, kQuickTimeout);
    pb::GetName::Response resp;
    grpc::Status gs = c->stub_->GetName(&ctx, pb::GetName::Request(), &resp);
    if (!gs.ok()) return c->CallError(gs, "GetName");
    c->name_ = resp.name();
  }
  {
    grpc::ClientContext ctx;
    SetDeadline(ctx, kQuickTimeout);
    pb::GetVersion::Response resp;
    grpc::Status gs = c->stub_->GetVersion(&ctx, pb::GetVersion::Request(), &resp);
    if (!gs.ok()) return c->CallError(gs, "GetVersion");
    c->version_ = resp.version();
  }
  log::Debug(c->who_ + ": connected to " + c->name_ + " " + c->version_ + " at " + address);
  return c;
}

PluginClient::~PluginClient() {
  if (!closed_) Close().IgnoreError();
}

Status PluginClient::CallError(const grpc::Status& st, const std::string& call) {
  Status s = FromGrpc(st, who_ + ": " + call);
  if (process_) {
    // A dying plugin can fail the call a moment before it is reaped.
    std::string reason = process_->ExitReason();
    for (int i = 0; reason.empty() && i < 10 && !st.ok() && st.error_code() == grpc::StatusCode::UNAVAILABLE; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      reason = process_->ExitReason();
    }
    if (!reason.empty()) {
      std::string tail = process_->StderrTail();
      return Status::IOError(who_ + ": " + call + " failed: the plugin " + reason +
                             (tail.empty() ? "" : "; its stderr: " + tail));
    }
  }
  return s;
}

Status PluginClient::Init(const nlohmann::json& spec, bool no_connection, const std::string& invocation_id) {
  pb::Init::Request req;
  req.set_spec(spec.is_null() ? "null" : spec.dump());
  req.set_no_connection(no_connection);
  req.set_invocation_id(invocation_id);
  grpc::ClientContext ctx;
  SetDeadline(ctx, PluginTimeout());
  pb::Init::Response resp;
  grpc::Status gs = stub_->Init(&ctx, req, &resp);
  if (!gs.ok()) return CallError(gs, "Init");
  return Status::OK();
}

Result<std::vector<TableSchemaPtr>> PluginClient::GetTables(const std::vector<std::string>& tables,
                                                            const std::vector<std::string>& skip_tables,
                                                            bool skip_dependent_tables) {
  pb::GetTables::Request req;
  for (const auto& t : tables) req.add_tables(t);
  for (const auto& t : skip_tables) req.add_skip_tables(t);
  req.set_skip_dependent_tables(skip_dependent_tables);
  grpc::ClientContext ctx;
  SetDeadline(ctx, PluginTimeout());
  pb::GetTables::Response resp;
  grpc::Status gs = stub_->GetTables(&ctx, req, &resp);
  if (!gs.ok()) return CallError(gs, "GetTables");
  std::vector<TableSchemaPtr> out;
  for (int i = 0; i < resp.tables_size(); ++i) {
    auto t = protocol::DecodeSchemaStream(resp.tables(i));
    if (!t.ok()) return t.status().WithContext(who_ + ": GetTables: table " + std::to_string(i));
    out.push_back(*t);
  }
  return out;
}

Status PluginClient::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  Status result;
  if (stub_ && (!process_ || process_->ExitReason().empty())) {
    grpc::ClientContext ctx;
    SetDeadline(ctx, kQuickTimeout);
    pb::Close::Response resp;
    grpc::Status gs = stub_->Close(&ctx, pb::Close::Request(), &resp);
    // A plugin without Close (UNIMPLEMENTED) has nothing to release.
    if (!gs.ok() && gs.error_code() != grpc::StatusCode::UNIMPLEMENTED) result = CallError(gs, "Close");
  }
  // Drop the connection first: a server shutting down gracefully waits for
  // its clients to go.
  stub_.reset();
  channel_.reset();
  if (process_) process_->Stop();
  return result;
}

CallWatch::CallWatch(grpc::ClientContext* ctx, PluginProcess* process, std::function<bool()> cancelled,
                     std::chrono::milliseconds idle)
    : ctx_(ctx), process_(process), cancelled_(std::move(cancelled)), idle_(idle) {
  Progress();
  thread_ = std::thread([this] { Run(); });
}

CallWatch::~CallWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string CallWatch::Reason() {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

void CallWatch::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (done_) break;
    std::string why;
    if (process_) {
      lock.unlock();
      std::string exit = process_->ExitReason();
      lock.lock();
      if (!exit.empty()) why = "the plugin " + exit;
    }
    if (why.empty() && cancelled_ && cancelled_()) why = "the sync was cancelled";
    const auto idle = Clock::now().time_since_epoch() - Clock::duration(last_.load());
    if (why.empty() && idle > idle_)
      why = "the plugin made no progress for " + std::to_string(idle_.count() / 1000) +
            " s (hung? FERRY_PLUGIN_TIMEOUT sets this limit)";
    if (!why.empty()) {
      reason_ = why;
      ctx_->TryCancel();
      return;
    }
  }
}

}  // namespace ferry::rpc
