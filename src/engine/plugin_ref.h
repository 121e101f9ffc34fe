// Maps a spec's (registry, path) to a built-in integration.
//
// `path: cloudquery/<name>` with any registry of the CloudQuery hub kind
// ("", cloudquery, github) and any version runs Ferry's built-in <name>, so a
// CloudQuery spec works unchanged; `path: <name>` and `path: ferry/<name>`
// work too. Out-of-process plugins (registry local, grpc, docker, or another
// team's plugin) are not supported yet and give an error that says so.
#pragma once

#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::engine {

Result<std::string> BuiltinName(const std::string& kind, const std::string& spec_name,
                                const std::string& registry, const std::string& path,
                                const std::vector<std::string>& available);

}  // namespace ferry::engine
