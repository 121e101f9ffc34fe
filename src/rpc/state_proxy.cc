#include "rpc/state_proxy.h"

#include "engine/summary.h"
#include "protocol/arrow_ipc.h"
#include "rpc/channel.h"
#include "rpc/pb.h"
#include "rpc/messages.h"

namespace ferry::rpc {

namespace {

class StateService final : public pb::Plugin::Service {
 public:
  explicit StateService(StateSnapshot initial) : initial_(std::move(initial)) {}

  grpc::Status GetName(grpc::ServerContext*, const pb::GetName::Request*, pb::GetName::Response* r) override {
    r->set_name("ferry-state");
    return grpc::Status::OK;
  }
  grpc::Status GetVersion(grpc::ServerContext*, const pb::GetVersion::Request*, pb::GetVersion::Response* r) override {
    r->set_version(std::string("v") + engine::kFerryVersion);
    return grpc::Status::OK;
  }
  grpc::Status Init(grpc::ServerContext*, const pb::Init::Request*, pb::Init::Response*) override {
    return grpc::Status::OK;
  }
  grpc::Status Close(grpc::ServerContext*, const pb::Close::Request*, pb::Close::Response*) override {
    return grpc::Status::OK;
  }

  // The cursors as rows of the table the plugin asks for (its own layout:
  // `key` and `value` columns by name, any `version` column set to 1).
  grpc::Status Read(grpc::ServerContext*, const pb::Read::Request* req,
                    grpc::ServerWriter<pb::Read::Response>* writer) override {
    auto schema = protocol::DecodeSchemaStream(req->table());
    if (!schema.ok()) return ToGrpc(schema.status());
    std::vector<StateEntry> entries;
    for (const auto& [k, v] : initial_) entries.push_back(StateEntry{k, v, 1});
    return ToGrpc(SendStateRows(*schema, entries, writer));
  }

  grpc::Status Write(grpc::ServerContext*, grpc::ServerReader<pb::Write::Request>* reader,
                     pb::Write::Response*) override {
    pb::Write::Request msg;
    while (reader->Read(&msg)) {
      if (msg.message_case() != pb::Write::Request::kInsert) continue;  // migrations, deletes: nothing to keep
      auto batch = protocol::DecodeRecordStream(msg.insert().record());
      std::lock_guard<std::mutex> lock(mu_);
      if (!batch.ok()) {
        errors_.push_back("cursor write: " + batch.status().message());
        continue;
      }
      auto entries = StateEntriesOf(**batch);
      if (!entries.ok()) {
        errors_.push_back("cursor write: " + entries.status().message());
        continue;
      }
      for (const auto& e : *entries) written_[e.key] = e.value;
    }
    return grpc::Status::OK;
  }

  std::map<std::string, std::string> Written() const {
    std::lock_guard<std::mutex> lock(mu_);
    return written_;
  }
  std::vector<std::string> Errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  const StateSnapshot initial_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> written_;  // guarded by mu_
  std::vector<std::string> errors_;             // guarded by mu_
};

class Discovery final : public discovery::Discovery::Service {
  grpc::Status GetVersions(grpc::ServerContext*, const discovery::GetVersions::Request*,
                           discovery::GetVersions::Response* r) override {
    r->add_versions(3);
    return grpc::Status::OK;
  }
};

}  // namespace

struct StateProxy::Impl {
  explicit Impl(StateSnapshot s) : service(std::move(s)) {}
  StateService service;
  Discovery discovery;
  std::unique_ptr<grpc::Server> server;
};

Result<std::unique_ptr<StateProxy>> StateProxy::Start(StateSnapshot initial, const std::string& who) {
  std::unique_ptr<StateProxy> p(new StateProxy());
  p->impl_ = std::make_unique<Impl>(std::move(initial));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxReceiveBytes));
  builder.RegisterService(&p->impl_->service);
  builder.RegisterService(&p->impl_->discovery);
  p->impl_->server = builder.BuildAndStart();
  if (!p->impl_->server || port <= 0)
    return Status::IOError(who + ": cannot serve the state backend to the plugin on 127.0.0.1");
  p->address_ = "127.0.0.1:" + std::to_string(port);
  return p;
}

StateProxy::~StateProxy() {
  if (impl_ && impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

std::map<std::string, std::string> StateProxy::Written() const { return impl_->service.Written(); }
std::vector<std::string> StateProxy::Errors() const { return impl_->service.Errors(); }

}  // namespace ferry::rpc
