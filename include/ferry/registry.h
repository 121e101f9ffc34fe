// The registry of built-in integrations.
//
// Built-ins register explicitly in one list (plugins/register_plugins.cc),
// never through static initialisers. Each entry carries its option table,
// from which validation, help and docs are generated.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/options.h"
#include "ferry/source.h"

namespace ferry {

struct SourcePlugin {
  std::string name;
  std::string description;
  OptionTable options;
  std::function<std::unique_ptr<Source>()> create;
};

struct DestinationPlugin {
  std::string name;
  std::string description;
  OptionTable options;
  DestinationCapabilities capabilities;
  std::function<std::unique_ptr<Destination>()> create;
};

class Registry {
 public:
  void AddSource(SourcePlugin plugin);
  void AddDestination(DestinationPlugin plugin);
  const SourcePlugin* FindSource(const std::string& name) const;
  const DestinationPlugin* FindDestination(const std::string& name) const;
  std::vector<std::string> SourceNames() const;
  std::vector<std::string> DestinationNames() const;

 private:
  std::map<std::string, SourcePlugin> sources_;
  std::map<std::string, DestinationPlugin> destinations_;
};

// Registers every built-in integration (plugins/register_plugins.cc).
void RegisterBuiltins(Registry& registry);

}  // namespace ferry
