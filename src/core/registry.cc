#include "ferry/registry.h"

#include "ferry/retry.h"

namespace ferry {

Status Registry::AddSource(SourcePlugin plugin) {
  std::string name = plugin.name;
  if (name.empty() || sources_.count(name))
    return Status::AlreadyExists("source plugin \"" + name + "\" is registered twice (or has no name)");
  sources_[name] = std::move(plugin);
  return Status::OK();
}
Status Registry::AddDestination(DestinationPlugin plugin) {
  std::string name = plugin.name;
  if (name.empty() || destinations_.count(name))
    return Status::AlreadyExists("destination plugin \"" + name + "\" is registered twice (or has no name)");
  // The engine owns batching and the retries of every destination call: their
  // options are declared here once, for every built-in destination.
  AddBatchingOptions(&plugin.options, plugin.batching);
  AddRetryOptions(&plugin.options);
  destinations_[name] = std::move(plugin);
  return Status::OK();
}
const SourcePlugin* Registry::FindSource(const std::string& name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : &it->second;
}
const DestinationPlugin* Registry::FindDestination(const std::string& name) const {
  auto it = destinations_.find(name);
  return it == destinations_.end() ? nullptr : &it->second;
}
std::vector<std::string> Registry::SourceNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : sources_) out.push_back(k);
  return out;
}
std::vector<std::string> Registry::DestinationNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : destinations_) out.push_back(k);
  return out;
}

const char* WriteModeName(WriteMode m) {
  switch (m) {
    case WriteMode::kAppend: return "append";
    case WriteMode::kOverwrite: return "overwrite";
    case WriteMode::kOverwriteDeleteStale: return "overwrite-delete-stale";
  }
  return "?";
}

}  // namespace ferry
