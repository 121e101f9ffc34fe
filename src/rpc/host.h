// The PluginHost the CLI installs in its Registry: `registry: local` and
// `registry: grpc` specs run through RemoteSource and RemoteDestination.
#pragma once

#include <memory>

#include "ferry/registry.h"

namespace ferry::rpc {

std::shared_ptr<PluginHost> NewPluginHost();

}  // namespace ferry::rpc
