#include "engine/plugin_ref.h"

#include <algorithm>

#include "ferry/options.h"

namespace ferry::engine {

bool IsRemoteRegistry(const std::string& registry) { return registry == "local" || registry == "grpc"; }

Result<std::string> BuiltinName(const std::string& kind, const std::string& spec_name,
                                const std::string& registry, const std::string& path,
                                const std::vector<std::string>& available) {
  const std::string who = kind + " \"" + spec_name + "\"";
  std::string list;
  for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
  if (registry == "local" || registry == "grpc") {
    return Status::Unsupported(who + ": registry \"" + registry +
                               "\" runs an out-of-process plugin, and this Ferry was built without a plugin host");
  }
  if (registry == "docker") {
    return Status::Unsupported(who + ": registry \"docker\" is not supported: Ferry does not run containers. "
                               "Start the plugin's image yourself, e.g. `docker run -p 127.0.0.1:7777:7777 " + path +
                               " serve --address 0.0.0.0:7777`, and set `registry: grpc` and `path: 127.0.0.1:7777`; "
                               "or download the plugin binary and set `registry: local` and `path: <binary>`");
  }
  std::string name = path;
  auto slash = path.find('/');
  if (slash != std::string::npos) {
    std::string team = path.substr(0, slash);
    name = path.substr(slash + 1);
    if (team != "cloudquery" && team != "ferry") {
      return Status::Unsupported(who + ": plugin \"" + path + "\" is not built into Ferry, and Ferry does not " +
                                 "download plugins. Download the plugin binary and set `registry: local` and " +
                                 "`path: <binary>` (Ferry runs it over CloudQuery protocol v3), or run it yourself " +
                                 "and set `registry: grpc` and `path: <host:port>`. Built-in " + kind + "s: " + list);
    }
  }
  if (std::find(available.begin(), available.end(), name) == available.end()) {
    std::string msg = who + ": no built-in " + kind + " named \"" + name + "\"";
    std::string near = NearestName(name, available);
    if (!near.empty()) msg += "; did you mean \"" + near + "\"?";
    msg += " Built-in " + kind + "s: " + list;
    return Status::NotFound(msg);
  }
  return name;
}

}  // namespace ferry::engine
