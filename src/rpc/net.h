// Loopback helpers: a free port, and whether an address accepts connections
// (readiness of plugins Ferry starts; also used by the tests).
#pragma once

#include <string>

namespace ferry::rpc {

// A free TCP port on 127.0.0.1 (bound, read and released), or -1.
int FreeLoopbackPort();
// Whether `socket_path` (a unix socket), or 127.0.0.1:`port` when the path is
// empty, accepts a connection now.
bool CanConnect(const std::string& socket_path, int port);

}  // namespace ferry::rpc
