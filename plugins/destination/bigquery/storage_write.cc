#include "plugins/destination/bigquery/storage_write.h"

#include <chrono>
#include <map>

#include <grpcpp/grpcpp.h>

#include "ferry/http/client.h"
#include "ferry/redact.h"
#include "google/cloud/bigquery/storage/v1/storage.grpc.pb.h"

namespace ferry::plugins::bigquery {

namespace bqs = google::cloud::bigquery::storage::v1;

namespace {

constexpr auto kCallTimeout = std::chrono::seconds(120);

// gRPC codes worth another attempt: the service was unreachable, busy or
// restarting; with offsets a repeated append cannot duplicate rows.
bool TransientCode(int code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
         code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::CANCELLED;
}

const char* CodeName(int code) {
  switch (code) {
    case 1: return "CANCELLED";
    case 2: return "UNKNOWN";
    case 3: return "INVALID_ARGUMENT";
    case 4: return "DEADLINE_EXCEEDED";
    case 5: return "NOT_FOUND";
    case 6: return "ALREADY_EXISTS";
    case 7: return "PERMISSION_DENIED";
    case 8: return "RESOURCE_EXHAUSTED";
    case 9: return "FAILED_PRECONDITION";
    case 10: return "ABORTED";
    case 11: return "OUT_OF_RANGE";
    case 12: return "UNIMPLEMENTED";
    case 13: return "INTERNAL";
    case 14: return "UNAVAILABLE";
    case 16: return "UNAUTHENTICATED";
    default: return "error";
  }
}

}  // namespace

struct StorageWriteClient::Impl {
  std::string what;
  std::string target;
  http::GoogleAuthorizer* auth = nullptr;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<bqs::BigQueryWrite::Stub> stub;

  // The AppendRows call of an append in progress, per stream (writer thread only).
  struct Connection {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReaderWriter<bqs::AppendRowsRequest, bqs::AppendRowsResponse>> rpc;
  };
  std::map<std::string, Connection> connections;

  // Ends the open call of `stream`, if any.
  void Close(const std::string& stream) {
    auto it = connections.find(stream);
    if (it == connections.end()) return;
    it->second.rpc->WritesDone();
    it->second.rpc->Finish().ok();   // nothing is pending: its status tells nothing new
    connections.erase(it);
  }

  // A context with the deadline, the bearer token and the routing header
  // (Google's front ends route Storage Write calls by it).
  Result<std::unique_ptr<grpc::ClientContext>> Context(const std::string& routing,
                                                       std::chrono::seconds timeout = kCallTimeout) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + timeout);
    if (auth && !auth->anonymous()) {
      FERRY_ASSIGN_OR_RETURN(std::string token, auth->tokens()->Token());
      ctx->AddMetadata("authorization", "Bearer " + token);
    }
    if (!routing.empty()) ctx->AddMetadata("x-goog-request-params", routing);
    return ctx;
  }

  Status Error(const grpc::Status& s, const std::string& call) const {
    std::string text = what + ": " + call + ": gRPC " + CodeName(s.error_code()) + " from " + target + ": " +
                       s.error_message();
    if (TransientCode(s.error_code())) return Status::Transient(Redact(text));
    return Status::IOError(Redact(text));
  }
};

StorageWriteClient::StorageWriteClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StorageWriteClient::~StorageWriteClient() {
  for (auto& [stream, c] : impl_->connections) {
    c.ctx->TryCancel();
    c.rpc->Finish().ok();   // cancelled: nothing to learn
  }
}

Result<std::unique_ptr<StorageWriteClient>> StorageWriteClient::Make(const std::string& target, bool tls,
                                                                     http::GoogleAuthorizer* auth, std::string what) {
  auto impl = std::make_unique<Impl>();
  impl->what = std::move(what);
  impl->target = target;
  impl->auth = auth;
  grpc::ChannelArguments args;
  // AppendRows requests carry up to 10 MB of rows; answers are small.
  args.SetMaxSendMessageSize(20 << 20);
  args.SetMaxReceiveMessageSize(20 << 20);
  auto creds = tls ? grpc::SslCredentials(grpc::SslCredentialsOptions()) : grpc::InsecureChannelCredentials();
  impl->channel = grpc::CreateCustomChannel(target, creds, args);
  impl->stub = bqs::BigQueryWrite::NewStub(impl->channel);
  return std::unique_ptr<StorageWriteClient>(new StorageWriteClient(std::move(impl)));
}

Result<std::string> StorageWriteClient::CreateStream(const std::string& table_path, const std::string& table,
                                                     Type type) {
  FERRY_ASSIGN_OR_RETURN(auto ctx, impl_->Context("parent=" + http::PercentEncode(table_path)));
  bqs::CreateWriteStreamRequest req;
  req.set_parent(table_path);
  req.mutable_write_stream()->set_type(type == Type::kPending ? bqs::WriteStream::PENDING
                                                              : bqs::WriteStream::COMMITTED);
  bqs::WriteStream stream;
  grpc::Status s = impl_->stub->CreateWriteStream(ctx.get(), req, &stream);
  if (!s.ok()) return impl_->Error(s, "CreateWriteStream for table " + table);
  if (stream.name().empty())
    return Status::IOError(impl_->what + ": CreateWriteStream for table " + table + ": the answer names no stream");
  return stream.name();
}

Result<StorageWriteClient::Appended> StorageWriteClient::Append(
    const std::string& stream, int64_t offset, const google::protobuf::DescriptorProto& schema,
    const std::vector<std::string>& rows, const std::string& table,
    const std::function<std::string(int64_t index)>& label) {
  const std::string call = "AppendRows to table " + table + " at offset " + std::to_string(offset);
  // One AppendRows call per append, ended cleanly (WritesDone, Finish):
  // bqemulator keeps a worker thread for every call that ends any other way
  // (cancelled, or its client gone) and stops answering after about six, so
  // no call is left open between writes (EMULATOR.md).
  Impl::Connection c;
  FERRY_ASSIGN_OR_RETURN(c.ctx, impl_->Context("write_stream=" + http::PercentEncode(stream)));
  c.rpc = impl_->stub->AppendRows(c.ctx.get());
  auto it = impl_->connections.insert_or_assign(stream, std::move(c)).first;
  Impl::Connection& conn = it->second;
  bqs::AppendRowsRequest req;
  // The stream in every request (the API needs it in the first only;
  // bqemulator in each), the schema in a connection's first.
  req.set_write_stream(stream);
  req.mutable_offset()->set_value(offset);
  auto* data = req.mutable_proto_rows();
  *data->mutable_writer_schema()->mutable_proto_descriptor() = schema;
  auto* serialized = data->mutable_rows()->mutable_serialized_rows();
  serialized->Reserve(static_cast<int>(rows.size()));
  for (const std::string& r : rows) *serialized->Add() = r;

  bqs::AppendRowsResponse resp;
  const bool got = conn.rpc->Write(req) && conn.rpc->Read(&resp);
  if (!got) {
    // The call is over: its status says why. Whether the rows went in is
    // unknown; the retry appends at the same offset on a new connection.
    grpc::Status s = conn.rpc->Finish();
    impl_->connections.erase(it);
    if (!s.ok()) return impl_->Error(s, call);
    return Status::Transient(impl_->what + ": " + call + ": the stream ended without an answer");
  }
  impl_->Close(stream);
  if (resp.row_errors_size() > 0) {
    std::string msg;
    for (int k = 0; k < resp.row_errors_size() && k < 5; ++k) {
      const auto& e = resp.row_errors(k);
      msg += std::string(k ? "; " : "") + label(e.index()) + ": " + e.message();
    }
    if (resp.row_errors_size() > 5) msg += "; ... (" + std::to_string(resp.row_errors_size()) + " rows)";
    return Status::IOError(Redact(impl_->what + ": table " + table + ": BigQuery refused rows (none of the " +
                                  "request's rows were stored): " + msg));
  }
  if (resp.has_error()) {
    const int code = resp.error().code();
    if (code == grpc::StatusCode::ALREADY_EXISTS) return Appended::kAlready;
    std::string text = impl_->what + ": " + call + ": " + CodeName(code) + ": " + resp.error().message();
    if (code == grpc::StatusCode::OUT_OF_RANGE)
      return Status::IOError(Redact(text + " (the stream holds fewer rows than Ferry appended before: rows were "
                                           "lost on BigQuery's side)"));
    if (TransientCode(code)) return Status::Transient(Redact(text));
    return Status::IOError(Redact(text));
  }
  return Appended::kNow;
}

Result<int64_t> StorageWriteClient::Finalize(const std::string& stream, const std::string& table) {
  impl_->Close(stream);
  FERRY_ASSIGN_OR_RETURN(auto ctx, impl_->Context("name=" + http::PercentEncode(stream)));
  bqs::FinalizeWriteStreamRequest req;
  req.set_name(stream);
  bqs::FinalizeWriteStreamResponse resp;
  grpc::Status s = impl_->stub->FinalizeWriteStream(ctx.get(), req, &resp);
  if (!s.ok()) return impl_->Error(s, "FinalizeWriteStream for table " + table);
  return resp.row_count();
}

Status StorageWriteClient::Commit(const std::string& table_path, const std::string& stream) {
  FERRY_ASSIGN_OR_RETURN(auto ctx, impl_->Context("parent=" + http::PercentEncode(table_path)));
  bqs::BatchCommitWriteStreamsRequest req;
  req.set_parent(table_path);
  req.add_write_streams(stream);
  bqs::BatchCommitWriteStreamsResponse resp;
  grpc::Status s = impl_->stub->BatchCommitWriteStreams(ctx.get(), req, &resp);
  const std::string call = "BatchCommitWriteStreams of " + stream;
  if (!s.ok()) return impl_->Error(s, call);
  for (const auto& e : resp.stream_errors()) {
    // StorageErrorCode 2 STREAM_ALREADY_COMMITTED: an earlier commit went
    // through. 5 INVALID_STREAM_STATE: the stream is neither open nor
    // finalized-and-uncommitted; the streams committed here were finalized
    // before their token was stored, so it is committed (bqemulator answers
    // this for a second commit).
    if (e.code() == 2 || e.code() == 5) continue;
    std::string text = impl_->what + ": " + call + ": " + e.error_message() +
                       (e.code() == 3 ? " (the stream is gone: BigQuery drops uncommitted streams after a while)" : "");
    return Status::IOError(Redact(text));
  }
  return Status::OK();
}

}  // namespace ferry::plugins::bigquery
