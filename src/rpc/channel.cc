#include "rpc/channel.h"

#include <cstdlib>

#include "ferry/options.h"

namespace ferry::rpc {

std::chrono::milliseconds PluginTimeout() {
  static const std::chrono::milliseconds timeout = [] {
    const char* env = std::getenv("FERRY_PLUGIN_TIMEOUT");
    if (env && *env) {
      auto ms = ParseDurationMs(env);
      if (ms.ok() && *ms > 0) return std::chrono::milliseconds(*ms);
    }
    return std::chrono::milliseconds(std::chrono::minutes(10));
  }();
  return timeout;
}

std::string GrpcTarget(const std::string& address) {
  if (!address.empty() && address[0] == '/') return "unix:" + address;
  return address;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxReceiveBytes));
  args.SetMaxSendMessageSize(static_cast<int>(kMaxReceiveBytes));
  // Plugins are local processes or addresses the user named: no proxy.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  return grpc::CreateCustomChannel(GrpcTarget(address), grpc::InsecureChannelCredentials(), args);
}

Status WaitConnected(grpc::Channel& channel, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  if (channel.WaitForConnected(deadline)) return Status::OK();
  return Status::IOError("no plugin answered within " + std::to_string(timeout.count() / 1000) + " s");
}

void SetDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds timeout) {
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

Status FromGrpc(const grpc::Status& st, const std::string& what) {
  if (st.ok()) return Status::OK();
  const std::string msg = st.error_message();
  switch (st.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return Status::IOError(what + ": connection to the plugin lost or refused (" + msg + ")");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::IOError(what + ": the plugin did not answer in time (" + msg + ")");
    case grpc::StatusCode::CANCELLED:
      return Status::Cancelled(what + ": cancelled (" + msg + ")");
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::Unsupported(what + ": the plugin does not implement this call (" + msg + ")");
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status::Invalid(what + ": " + msg);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return Status::Invalid(what + ": the plugin refused a message as too large (" + msg + ")");
    default:
      return Status::IOError(what + ": " + msg);
  }
}

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (st.code()) {
    case StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case StatusCode::kUnsupported: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case StatusCode::kCancelled: code = grpc::StatusCode::CANCELLED; break;
    case StatusCode::kTransient: code = grpc::StatusCode::UNAVAILABLE; break;
    case StatusCode::kSchemaChange: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    default: code = grpc::StatusCode::UNKNOWN; break;
  }
  return grpc::Status(code, st.message());
}

}  // namespace ferry::rpc
