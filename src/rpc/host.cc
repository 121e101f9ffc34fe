#include "rpc/host.h"

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
};

}  // namespace

std::shared_ptr<PluginHost> NewPluginHost() { return std::make_shared<GrpcPluginHost>(); }

}  // namespace ferry::rpc
