// The registry of built-in integrations.
//
// Built-ins register explicitly in one list (plugins/register_plugins.cc),
// never through static initialisers. Each entry carries its option table,
// from which validation, help and docs are generated.
#pragma once

#include <functional>
#include <optional>
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
  OptionTable options;   // the plugin's own keys; the engine adds its own (below)
  DestinationCapabilities capabilities;
  // The engine owns batching and retries; a destination only chooses its
  // batching defaults. Registry::AddDestination declares batch_size,
  // batch_size_bytes, batch_timeout (with these defaults) and the retry
  // options (ferry/retry.h) in `options`, once for every destination.
  BatchingDefaults batching{10000, 10 << 20, "20s", "written"};
  std::function<std::unique_ptr<Destination>()> create;
  // The plugin's own rules across keys (its binder's Checks), run on the
  // validated options by validate-config and before any destination is
  // created, so a bad spec fails before anything connects. Optional.
  std::function<Status(const Options&)> check;
};

// An out-of-process plugin named by a spec (CloudQuery protocol v3):
// `registry: local` (path = a plugin binary Ferry starts) or `registry: grpc`
// (path = the address of a plugin already running).
struct RemotePluginRef {
  std::string kind;       // "source" or "destination"
  std::string spec_name;  // the spec's `name`
  std::string registry;   // "local" or "grpc"
  std::string path;
  std::string version;
  // Sources: the spec's table selection, sent to the plugin as CloudQuery does.
  std::vector<std::string> tables, skip_tables;
  bool skip_dependent_tables = true;
  std::string backend_table;  // backend_options.table_name, when the source keeps cursors
};

// The answer of a plugin's TestConnection call.
struct ConnectionTest {
  bool success = false;
  std::string failure_code;         // e.g. "UNIMPLEMENTED", "INVALID_SPEC"
  std::string failure_description;
};

// Runs remote plugins behind the Source and Destination interfaces. The rpc
// layer provides one (rpc/host.h); a Registry without a host refuses
// `registry: local|grpc` specs with an error that says so.
class PluginHost {
 public:
  virtual ~PluginHost() = default;
  // The plugin is started or dialled in Init, which also sends Init.spec.
  virtual std::unique_ptr<Source> NewSource(const RemotePluginRef& ref) = 0;
  virtual std::unique_ptr<Destination> NewDestination(const RemotePluginRef& ref) = 0;
  // What every remote destination can do as far as Ferry can tell before it
  // runs (the protocol has no capability query): every write mode, forced
  // migration, delete-record, and state backend through Read and Write.
  virtual DestinationCapabilities RemoteDestinationCapabilities() const = 0;
  // Starts or dials the plugin and calls TestConnection with `spec`; an error
  // only when the plugin could not be reached or asked.
  virtual Result<ConnectionTest> TestConnection(const RemotePluginRef& ref, const nlohmann::json& spec) = 0;
};

class Registry {
 public:
  void SetPluginHost(std::shared_ptr<PluginHost> host) { host_ = std::move(host); }
  PluginHost* plugin_host() const { return host_.get(); }
  // A name registered twice is an error (the first registration stays).
  Status AddSource(SourcePlugin plugin);
  Status AddDestination(DestinationPlugin plugin);
  const SourcePlugin* FindSource(const std::string& name) const;
  const DestinationPlugin* FindDestination(const std::string& name) const;
  std::vector<std::string> SourceNames() const;
  std::vector<std::string> DestinationNames() const;

 private:
  std::map<std::string, SourcePlugin> sources_;
  std::map<std::string, DestinationPlugin> destinations_;
  std::shared_ptr<PluginHost> host_;
};

// Registers every built-in integration (plugins/register_plugins.cc); an
// error names a plugin registered twice.
Status RegisterBuiltins(Registry& registry);

}  // namespace ferry
