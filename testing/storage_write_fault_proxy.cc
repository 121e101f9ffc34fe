#include "testing/storage_write_fault_proxy.h"

#include <chrono>

#include "google/cloud/bigquery/storage/v1/storage.grpc.pb.h"

namespace ferry::testing {

namespace bqs = google::cloud::bigquery::storage::v1;
using Method = StorageWriteFaultProxy::Method;

namespace {

// The table of a stream or table name: projects/P/datasets/D/tables/T[/streams/S].
std::string TableOf(const std::string& name) {
  const std::string key = "/tables/";
  const size_t at = name.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  const size_t end = name.find('/', start);
  return name.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

const char* MethodName(Method m) {
  switch (m) {
    case Method::kCreateWriteStream: return "CreateWriteStream";
    case Method::kAppendRows: return "AppendRows";
    case Method::kGetWriteStream: return "GetWriteStream";
    case Method::kFinalizeWriteStream: return "FinalizeWriteStream";
    case Method::kBatchCommit: return "BatchCommitWriteStreams";
  }
  return "?";
}

grpc::Status Injected(const StorageWriteFaultProxy::Fault& f) {
  return grpc::Status(f.code, std::string("injected by the fault proxy on ") + MethodName(f.method) +
                                  (f.after_forward ? " (the emulator did the call; its answer was dropped)" : ""));
}

}  // namespace

// Forwards each call with a client of the upstream, unless the script fails it.
class StorageWriteFaultProxy::Service final : public bqs::BigQueryWrite::Service {
 public:
  Service(StorageWriteFaultProxy* proxy, const std::string& upstream)
      : proxy_(proxy), stub_(bqs::BigQueryWrite::NewStub(grpc::CreateChannel(upstream, grpc::InsecureChannelCredentials()))) {}

  grpc::Status CreateWriteStream(grpc::ServerContext* ctx, const bqs::CreateWriteStreamRequest* req,
                                 bqs::WriteStream* resp) override {
    return Unary(Method::kCreateWriteStream, TableOf(req->parent()), *ctx, resp, [&](grpc::ClientContext* up) {
      return stub_->CreateWriteStream(up, *req, resp);
    });
  }
  grpc::Status GetWriteStream(grpc::ServerContext* ctx, const bqs::GetWriteStreamRequest* req,
                              bqs::WriteStream* resp) override {
    return Unary(Method::kGetWriteStream, TableOf(req->name()), *ctx, resp, [&](grpc::ClientContext* up) {
      return stub_->GetWriteStream(up, *req, resp);
    });
  }
  grpc::Status FinalizeWriteStream(grpc::ServerContext* ctx, const bqs::FinalizeWriteStreamRequest* req,
                                   bqs::FinalizeWriteStreamResponse* resp) override {
    return Unary(Method::kFinalizeWriteStream, TableOf(req->name()), *ctx, resp, [&](grpc::ClientContext* up) {
      return stub_->FinalizeWriteStream(up, *req, resp);
    });
  }
  grpc::Status BatchCommitWriteStreams(grpc::ServerContext* ctx, const bqs::BatchCommitWriteStreamsRequest* req,
                                       bqs::BatchCommitWriteStreamsResponse* resp) override {
    return Unary(Method::kBatchCommit, TableOf(req->parent()), *ctx, resp, [&](grpc::ClientContext* up) {
      return stub_->BatchCommitWriteStreams(up, *req, resp);
    });
  }

  grpc::Status AppendRows(grpc::ServerContext* ctx,
                          grpc::ServerReaderWriter<bqs::AppendRowsResponse, bqs::AppendRowsRequest>* down) override {
    // The upstream call, opened at the first request that is forwarded.
    std::unique_ptr<grpc::ClientContext> up_ctx;
    std::unique_ptr<grpc::ClientReaderWriter<bqs::AppendRowsRequest, bqs::AppendRowsResponse>> up;
    auto end_upstream = [&]() {
      if (!up) return grpc::Status::OK;
      up->WritesDone();
      grpc::Status s = up->Finish();
      up.reset();
      return s;
    };
    std::string stream;   // named in the first request at least
    bqs::AppendRowsRequest req;
    while (down->Read(&req)) {
      if (!req.write_stream().empty()) stream = req.write_stream();
      std::optional<Fault> fault = proxy_->Take(Method::kAppendRows, TableOf(stream));
      if (fault && !fault->after_forward) {
        end_upstream().ok();   // what the emulator said about earlier requests was passed on
        return Injected(*fault);
      }
      if (!up) {
        up_ctx = Upstream(*ctx);
        up = stub_->AppendRows(up_ctx.get());
      }
      bqs::AppendRowsResponse resp;
      if (!up->Write(req) || !up->Read(&resp)) {
        grpc::Status s = up->Finish();   // the upstream ended the call: pass its status on
        up.reset();
        return s.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "fault proxy: the emulator ended AppendRows") : s;
      }
      proxy_->Forwarded(Method::kAppendRows);
      if (fault) {
        end_upstream().ok();
        return Injected(*fault);
      }
      proxy_->AppendAnswered(resp.has_error() ? resp.error().code() : 0);
      if (!down->Write(resp)) break;
    }
    return end_upstream();
  }

 private:
  // A context for the upstream call: the client's routing and auth headers,
  // a deadline.
  static std::unique_ptr<grpc::ClientContext> Upstream(const grpc::ServerContext& down) {
    auto up = std::make_unique<grpc::ClientContext>();
    up->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(150));
    for (const auto& [key, value] : down.client_metadata()) {
      const std::string k(key.data(), key.size());
      if (k == "authorization" || k == "x-goog-request-params") up->AddMetadata(k, std::string(value.data(), value.size()));
    }
    return up;
  }

  template <typename Resp, typename Call>
  grpc::Status Unary(Method m, const std::string& table, const grpc::ServerContext& ctx, Resp* resp, Call call) {
    std::optional<Fault> fault = proxy_->Take(m, table);
    if (fault && !fault->after_forward) return Injected(*fault);
    auto up = Upstream(ctx);
    grpc::Status s = call(up.get());
    proxy_->Forwarded(m);
    if (fault) {
      resp->Clear();
      return Injected(*fault);
    }
    return s;
  }

  StorageWriteFaultProxy* proxy_;
  std::unique_ptr<bqs::BigQueryWrite::Stub> stub_;
};

StorageWriteFaultProxy::StorageWriteFaultProxy(const std::string& upstream)
    : service_(std::make_unique<Service>(this, upstream)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(20 << 20);
  builder.SetMaxSendMessageSize(20 << 20);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();   // on failure port_ stays 0 (target() says so)
}

StorageWriteFaultProxy::~StorageWriteFaultProxy() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
}

void StorageWriteFaultProxy::Inject(const Fault& fault, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < count; ++i) script_.push_back(fault);
}

std::optional<StorageWriteFaultProxy::Fault> StorageWriteFaultProxy::Take(Method m, const std::string& table) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = script_.begin(); it != script_.end(); ++it) {
    if (it->method != m || (!it->table.empty() && it->table != table)) continue;
    if (it->pass > 0) {   // this call goes through; the fault waits for a later one
      --it->pass;
      return std::nullopt;
    }
    Fault f = *it;
    script_.erase(it);
    ++served_[m];
    ++faults_served_;
    return f;
  }
  return std::nullopt;
}

void StorageWriteFaultProxy::Forwarded(Method m) {
  std::lock_guard<std::mutex> lock(mu_);
  ++forwarded_[m];
}

int StorageWriteFaultProxy::faults_served(Method m) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = served_.find(m);
  return it == served_.end() ? 0 : it->second;
}

int StorageWriteFaultProxy::forwarded(Method m) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = forwarded_.find(m);
  return it == forwarded_.end() ? 0 : it->second;
}

void StorageWriteFaultProxy::AppendAnswered(int error_code) {
  if (error_code == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  ++append_errors_[error_code];
}

int StorageWriteFaultProxy::append_errors(grpc::StatusCode code) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = append_errors_.find(static_cast<int>(code));
  return it == append_errors_.end() ? 0 : it->second;
}

int StorageWriteFaultProxy::faults_pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(script_.size());
}

}  // namespace ferry::testing
