// Maps a spec's (registry, path) to a built-in integration.
//
// `path: cloudquery/<name>` with any registry of the CloudQuery hub kind
// ("", cloudquery, github) and any version runs Ferry's built-in <name>, so a
// CloudQuery spec works unchanged; `path: <name>` and `path: ferry/<name>`
// work too. `registry: local|grpc` names an out-of-process plugin, run by the
// Registry's PluginHost (IsRemoteRegistry); `registry: docker` and another
// team's hub plugin give an error that says how to run them locally instead.
#pragma once

#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::engine {

bool IsRemoteRegistry(const std::string& registry);

Result<std::string> BuiltinName(const std::string& kind, const std::string& spec_name,
                                const std::string& registry, const std::string& path,
                                const std::vector<std::string>& available);

}  // namespace ferry::engine
