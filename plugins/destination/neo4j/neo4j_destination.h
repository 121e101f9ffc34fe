// `neo4j` destination: the template a new destination starts from.
//
// TEMPLATE: scripts/new-plugin.sh copies this folder to
// plugins/destination/<name>/ and renames "neo4j" / "Neo4j". As it
// stands it is a *discard* destination that still honours the contract of
// include/ferry/destination.h: it plans migrations with plugins/common (safe
// mode refuses changes that lose data), refuses writes to tables it was not
// asked to migrate and batches whose columns differ from the table, checks
// delete-record predicates against the schema, and fails every call after
// Close. Replace the marked bodies with the integration's storage, then give
// its conformance target a `read` and set `discards = false`.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/destination/neo4j/neo4j_spec.h"

namespace ferry::plugins::neo4j {

class Neo4jDestination final : public ferry::Destination {
 public:
  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;

  // Rows accepted so far (and discarded).
  int64_t rows_written() const { return rows_; }

 private:
  Status CheckOpen() const;
  Result<TableSchemaPtr> Migrated(const std::string& table) const;

  Spec spec_;
  std::string name_;
  bool closed_ = false;
  // STORAGE: the tables as the destination has them. A real destination reads
  // them from its database; the neo4j remembers what it migrated.
  std::map<std::string, TableSchemaPtr> tables_;
  int64_t rows_ = 0;
};

// The registry entry: the one place the name, options, capabilities and
// batching defaults are declared.
DestinationPlugin Neo4jPlugin();

// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::neo4j
