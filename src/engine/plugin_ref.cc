#include "engine/plugin_ref.h"

#include <algorithm>

#include "ferry/options.h"

namespace ferry::engine {

Result<std::string> BuiltinName(const std::string& kind, const std::string& spec_name,
                                const std::string& registry, const std::string& path,
                                const std::vector<std::string>& available) {
  const std::string who = kind + " \"" + spec_name + "\"";
  std::string list;
  for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
  if (registry == "local" || registry == "grpc" || registry == "docker") {
    return Status::Unsupported(who + ": registry \"" + registry +
                               "\" runs an out-of-process CloudQuery plugin, which this version of Ferry "
                               "cannot host yet (protocol v3 support is planned). Use a built-in " + kind +
                               " with `path: cloudquery/<name>`; built-in " + kind + "s: " + list);
  }
  std::string name = path;
  auto slash = path.find('/');
  if (slash != std::string::npos) {
    std::string team = path.substr(0, slash);
    name = path.substr(slash + 1);
    if (team != "cloudquery" && team != "ferry") {
      return Status::Unsupported(who + ": plugin \"" + path + "\" is not built into Ferry, and Ferry cannot " +
                                 "download plugins from a registry. Built-in " + kind + "s: " + list);
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
