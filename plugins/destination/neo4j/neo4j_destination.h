// `neo4j` destination: rows as nodes labelled by table, merged on the
// primary key, written over Bolt (Ferry's own client, bolt_connection.h).
//
// One Write request is one transaction: BEGIN, an `UNWIND $rows AS row
// MERGE ... SET t = row` per batch (CREATE for tables without a key), the
// relationship statements, the state entries, COMMIT, all pipelined in one
// round trip. Migrate creates a uniqueness constraint on each table's key
// (CloudQuery's name `_cq_index_<table>`; an index where a constraint
// cannot be made) and indexes for relationships. DeleteStale deletes in
// batches of delete_stale_batch_size, each its own transaction.
//
// Relationships: a child table's nodes link to their parent's,
// (child)-[:CHILD_OF]->(parent) where child._cq_parent_id = parent._cq_id,
// and `edges` adds rules by column. Whichever side of a rule is written
// second makes the link, so the order the engine flushes tables in does not
// matter; links whose columns no longer match are removed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/destination/neo4j/bolt_connection.h"
#include "plugins/destination/neo4j/neo4j_spec.h"

namespace ferry::plugins::neo4j {

// A Cypher identifier in backticks (a backtick inside doubled).
std::string QuoteName(const std::string& name);

class Neo4jDestination final : public ferry::Destination {
 public:
  ~Neo4jDestination() override;
  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;
  Result<std::vector<StateEntry>> ReadState(const TableSchemaPtr& state_table) override;

  // Every node of `table`, decoded as the table's columns (tests, ReadState).
  Result<std::vector<Row>> ReadTable(const TableSchema& table);
  // Runs one auto-commit query (tests and tools).
  Result<std::vector<bolt::PackValue>> Query(const std::string& cypher, const std::string& params = {});
  const bolt::BoltVersion& bolt_version() const;

 private:
  Status CheckOpen() const;
  Result<TableSchemaPtr> Migrated(const std::string& table) const;
  // The connection, (re)opened when it broke; routed to the writer for neo4j://.
  Result<bolt::Connection*> Conn();
  Result<std::unique_ptr<bolt::Connection>> Connect(const std::string& host, int port, bool routing);
  Status RunSchema(const std::string& cypher, bool already_exists_ok);
  // The key constraint (or index) a table's label has, if any.
  struct KeyRule {
    std::vector<std::string> properties;
    bool constraint = false;
  };
  Result<std::optional<KeyRule>> ExistingKey(const std::string& table);
  // SchemaChange when `existing` keys other columns than the table's key.
  Status KeyChange(const TableSchema& table, const std::optional<KeyRule>& existing) const;
  Status EnsureKey(const TableSchema& table, bool forced);
  Status EnsureIndex(const std::string& table, const std::string& property);
  // The node label of a table: label_prefix + name, quoted.
  std::string Label(const std::string& table) const;
  void AddRule(EdgeRule rule);
  // Queues the statements of one batch (nodes, then links) and of the state.
  Status QueueBatch(bolt::Connection* c, const TableSchema& table, const Batch& batch);
  bolt::TxConfig Tx() const;

  Spec spec_;
  std::string name_, invocation_;
  const std::atomic<bool>* cancel_ = nullptr;   // DestinationInit::cancel, for every socket
  bool closed_ = false;
  std::unique_ptr<bolt::Connection> conn_;
  std::map<std::string, TableSchemaPtr> tables_;
  std::vector<EdgeRule> rules_;
  bool markers_used_ = false;
};

// The registry entry: the one place the name, options, capabilities and
// batching defaults are declared.
DestinationPlugin Neo4jPlugin();

// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::neo4j
