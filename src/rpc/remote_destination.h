// A CloudQuery protocol v3 destination plugin behind Ferry's Destination
// interface.
//
// Messages go over one client-streaming Write call at a time, in order:
// migrate_table, insert (each batch split under kMaxSendBytes), delete
// (stale), delete_record. A plugin acknowledges a Write stream only when it
// ends, so:
//  - Migrate ends its stream, so a refused migration stops the sync before
//    any row moves;
//  - Flush ends the stream and reports the plugin's answer: the engine calls
//    it before it counts a cursor's rows as durable, and Write calls it
//    before writing cursors (WriteRequest::state), which then go in a stream
//    of their own: a cursor reaches the plugin only after its rows were
//    acknowledged (at-least-once; the protocol has no transactions);
//  - ReadState reads the state table with the Read call.
// Errors of a broken stream come from the plugin's final status and name
// the plugin; Ferry never retries a remote write (its fate is unknown).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "rpc/plugin_client.h"

namespace ferry::rpc {

DestinationCapabilities RemoteDestinationCapabilities();

class RemoteDestination : public Destination {
 public:
  explicit RemoteDestination(RemotePluginRef ref);
  ~RemoteDestination() override;

  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;
  Status Flush() override;
  Result<std::vector<StateEntry>> ReadState(const TableSchemaPtr& state_table) override;

 private:
  struct Stream;
  // Sends one message on the open stream (opening one if needed); a refused
  // send ends the stream and returns the plugin's error.
  Status Send(const pb::Write::Request& msg, const std::string& what);

  RemotePluginRef ref_;
  std::unique_ptr<PluginClient> client_;
  std::unique_ptr<Stream> stream_;
  std::map<std::string, TableSchemaPtr> tables_;   // migrated, by name (delete_record value types)
  int64_t batches_ = 0, shared_ = 0;                 // through the EncodingCache
};

}  // namespace ferry::rpc
