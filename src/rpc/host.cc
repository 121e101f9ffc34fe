#include "rpc/host.h"

#include "rpc/channel.h"
#include "rpc/plugin_client.h"
#include "rpc/remote_destination.h"
#include "rpc/remote_source.h"

namespace ferry::rpc {

namespace {

class GrpcPluginHost : public PluginHost {
 public:
  std::unique_ptr<Source> NewSource(const RemotePluginRef& ref) override {
    return std::make_unique<RemoteSource>(ref);
  }
  std::unique_ptr<Destination> NewDestination(const RemotePluginRef& ref) override {
    return std::make_unique<RemoteDestination>(ref);
  }
  DestinationCapabilities RemoteDestinationCapabilities() const override {
    return rpc::RemoteDestinationCapabilities();
  }
  Result<ConnectionTest> TestConnection(const RemotePluginRef& ref, const nlohmann::json& spec) override {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<PluginClient> client, PluginClient::Connect(ref));
    pb::TestConnection::Request req;
    req.set_spec(spec.is_null() ? "null" : spec.dump());
    grpc::ClientContext ctx;
    SetDeadline(ctx, PluginTimeout());
    pb::TestConnection::Response resp;
    grpc::Status gs = client->stub().TestConnection(&ctx, req, &resp);
    ConnectionTest out;
    if (gs.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      out.failure_code = "UNIMPLEMENTED";
      out.failure_description = "the plugin has no connection test";
    } else if (!gs.ok()) {
      Status st = client->CallError(gs, "TestConnection");
      client->Close().IgnoreError();
      return st;
    } else {
      out.success = resp.success();
      out.failure_code = resp.failure_code();
      out.failure_description = resp.failure_description();
    }
    client->Close().IgnoreError();
    return out;
  }
};

}  // namespace

std::shared_ptr<PluginHost> NewPluginHost() { return std::make_shared<GrpcPluginHost>(); }

}  // namespace ferry::rpc
