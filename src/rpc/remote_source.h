// A CloudQuery protocol v3 source plugin behind Ferry's Source interface.
//
// Init starts or dials the plugin, sends Init.spec and reads every table with
// GetTables(["*"]). Sync sends the spec's own table selection (as CloudQuery's
// CLI does) and turns the Sync stream into sink calls:
//  - insert: decoded against the table named by cq:table_name; plugins that
//    send one row per message (the JavaScript SDK, quirk 9) are coalesced
//    into batches of up to kCoalesceRows rows before they enter the engine;
//  - delete_record: a DeleteRecord with the predicate values decoded;
//  - error (and, for local plugins, error-level log lines, since some SDKs
//    only log table errors: quirk 8): attributed to the table they name, else
//    to every table. A table with an error, and its relations, finishes with
//    a failed TableDone, so its stale rows are kept and the sync fails.
// A stream that breaks (plugin crashed, hung, or cancelled) fails every
// table of the sync with an error that says what happened to the plugin.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/registry.h"
#include "ferry/source.h"
#include "rpc/plugin_client.h"

namespace ferry::rpc {

inline constexpr int64_t kCoalesceRows = 4096;

class RemoteSource : public Source {
 public:
  explicit RemoteSource(RemotePluginRef ref) : ref_(std::move(ref)) {}
  ~RemoteSource() override;

  Status Init(const Options& options, const SourceInit& init) override;
  std::vector<TableSchemaPtr> Tables() const override { return tables_; }
  Status Sync(const SyncRequest& request, SyncSink& sink) override;

 private:
  RemotePluginRef ref_;
  std::unique_ptr<PluginClient> client_;
  std::vector<TableSchemaPtr> tables_;
  std::map<std::string, TableSchemaPtr> by_name_;
};

}  // namespace ferry::rpc
