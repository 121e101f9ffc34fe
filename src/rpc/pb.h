// The generated CloudQuery protocol v3 and discovery v1 code (proto/), and
// short names for it. Internal to src/rpc.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cloudquery/discovery/v1/discovery.grpc.pb.h"
#include "cloudquery/plugin/v3/plugin.grpc.pb.h"

namespace ferry::rpc {

namespace pb = ::cloudquery::plugin::v3;
namespace discovery = ::cloudquery::discovery::v1;

}  // namespace ferry::rpc
