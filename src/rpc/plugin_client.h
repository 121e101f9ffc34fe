// One connection to a remote plugin (CloudQuery protocol v3): the process for
// `registry: local`, the channel, and the calls every plugin kind shares.
//
// Every error names the plugin (`source "aws" (plugin ./aws)`); when a local
// plugin died, the error says how (exit code or signal) and adds the tail of
// its stderr, instead of a bare "connection lost".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/registry.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "rpc/pb.h"
#include "rpc/plugin_process.h"

namespace ferry::rpc {

class PluginClient {
 public:
  // Starts (local) or dials (grpc) the plugin, checks it speaks protocol v3
  // (discovery) and reads its name and version.
  static Result<std::unique_ptr<PluginClient>> Connect(const RemotePluginRef& ref);
  ~PluginClient();

  const std::string& who() const { return who_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  pb::Plugin::Stub& stub() { return *stub_; }
  PluginProcess* process() { return process_.get(); }

  // The error of a failed call, with what is known about the plugin's fate.
  Status CallError(const grpc::Status& st, const std::string& call);

  // Init.spec is the JSON of the nested spec (`null` when empty).
  Status Init(const nlohmann::json& spec, bool no_connection, const std::string& invocation_id);
  // GetTables(tables, skip_tables, skip_dependent_tables), decoded.
  Result<std::vector<TableSchemaPtr>> GetTables(const std::vector<std::string>& tables,
                                                const std::vector<std::string>& skip_tables,
                                                bool skip_dependent_tables);
  // Close RPC, then stops a local plugin. Returns the first error.
  Status Close();

 private:
  PluginClient() = default;
  std::string who_, name_, version_;
  std::unique_ptr<PluginProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Plugin::Stub> stub_;
  bool closed_ = false;
};

// Guards one streaming call: cancels its context when the local plugin
// exits, when `cancelled()` turns true (Ctrl-C), or when no Progress() was
// noted for `idle` (a hung plugin). Reason() says which, for the error.
class CallWatch {
 public:
  CallWatch(grpc::ClientContext* ctx, PluginProcess* process, std::function<bool()> cancelled,
            std::chrono::milliseconds idle);
  ~CallWatch();
  void Progress() { last_ = Clock::now().time_since_epoch().count(); }
  // "" when the watch did not cancel the call.
  std::string Reason();

 private:
  using Clock = std::chrono::steady_clock;
  void Run();
  grpc::ClientContext* ctx_;
  PluginProcess* process_;
  std::function<bool()> cancelled_;
  std::chrono::milliseconds idle_;
  std::atomic<int64_t> last_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;     // guarded by mu_
  std::string reason_;    // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::rpc
