// The `clickhouse` destination: writes a sync into ClickHouse over its
// native TCP protocol (clickhouse:// connection strings, optional LZ4/ZSTD
// blocks) or its HTTP interface (http://; libcurl, keep-alive, optional
// gzip), one INSERT ... FORMAT Native per write request (wire.h).
//
// Init parses the spec, connects, reads `SELECT version()` and adapts to
// what that server has (server_features.h; type_map.h for the types). It
// refuses servers older than 18.16 and databases that do not exist.
// Migrate creates and migrates tables (migrate.h). Write encodes every batch
// of a request into one Native block (native_encoder.h) and inserts it with
// Client::Insert (retries without duplicates, client.h).
//
// Write modes:
//   append                  MergeTree, ORDER BY tuple() or an `order` rule.
//   overwrite               ReplacingMergeTree(_cq_sync_time) ORDER BY (primary
//                           key). A newer sync's row replaces an older one when
//                           parts merge; until then readers must use FINAL
//                           (SELECT ... FROM t FINAL) or argMax(col,
//                           _cq_sync_time) GROUP BY key. Within one request
//                           the last row of a key wins (earlier ones are not
//                           sent).
//   overwrite-delete-stale  as overwrite, then DeleteStale runs ALTER TABLE ...
//                           DELETE WHERE _cq_source_name = ... AND _cq_sync_time
//                           < ... (a mutation) and waits until it is done.
// DeleteRecord is a mutation too. Mutations rewrite the parts they touch:
// cheap for a few large deletes, expensive if issued often.
// Not a state backend: ClickHouse cannot commit a cursor with the rows it
// covers in one transaction.
//
// Two INSERTs in flight: the plugin declares capabilities.concurrent_writes
// = 2, so the engine may run two Write calls at once (destination_writer.h)
// and the server writes one part while the next INSERT's rows are encoded
// and parsed. Each Write runs on a connection of its own (the Init
// connection when it is free, else a second one, made on first need and
// kept), and is still durable when it returns: one INSERT, one part, the
// same retries and lost-insert resolver. Every connection names a logical
// insert alike (ClientOptions::request_namespace), so a retry of a request
// on the other connection carries the same deduplication token and is found
// by the same query id pattern.
//
// Thread-safety: Write may run on two threads at once; every other call runs
// alone (the engine's writer thread, after the writes in flight ended).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/destination/clickhouse/clickhouse_spec.h"
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/http_transport.h"
#include "plugins/destination/clickhouse/native_encoder.h"
#include "plugins/destination/clickhouse/server_features.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

class Destination final : public ferry::Destination {
 public:
  // `transports` builds the HTTP transport (tests wrap the real one).
  explicit Destination(TransportFactory transports = NewCurlTransport);
  ~Destination() override;

  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;

  // For tests and tools: the server's features, the client, the database.
  const ServerFeatures& features() const { return features_; }
  Client* client() const { return client_.get(); }
  const std::string& database() const { return spec_.endpoint.database; }

 private:
  Status CheckOpen() const;
  std::shared_ptr<const TableLayout> LayoutFor(const TableSchemaPtr& schema);
  // A new connection to the server (Init's and the concurrent writes').
  Result<std::unique_ptr<Client>> Connect();
  // A client no other Write uses until Release: the Init connection when it
  // is free, else an idle extra one, else a new one.
  Result<Client*> AcquireWriter();
  void ReleaseWriter(Client* c);
  Status RunMutation(const std::string& table, const std::string& where, const std::string& context);

  TransportFactory transports_;
  Spec spec_;
  std::string name_ = "clickhouse";
  ServerFeatures features_;
  std::unique_ptr<Client> client_;
  std::mutex mu_;  // guards layouts_ and the writers below (Write runs on two threads)
  std::map<std::string, std::shared_ptr<const TableLayout>> layouts_;  // by table name, for the last schema seen
  bool client_writing_ = false;                       // client_ runs a Write
  std::vector<std::unique_ptr<Client>> extra_;        // connections for concurrent writes
  std::vector<Client*> extra_idle_;
  std::string request_namespace_;                     // shared by every client (client.h)
  const std::atomic<bool>* cancel_ = nullptr;         // DestinationInit::cancel, for every connection
  std::map<std::string, TableSchemaPtr> schemas_;
  std::map<std::string, bool> dedup_;  // table -> inserts deduplicate by token
};

// Registry entry: name "clickhouse", the option table, capabilities, factory.
DestinationPlugin ClickHousePlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::clickhouse
