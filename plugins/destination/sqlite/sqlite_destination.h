// The `sqlite` destination: writes a sync into one SQLite database file.
//
// Destination implements ferry::Destination over one connection (Init opens
// it and sets journal_mode, synchronous and busy_timeout; Close or the
// destructor closes it). Migrate creates and migrates tables (migrate.h);
// Write inserts or upserts every batch of a request, plus its state entries,
// in one transaction through a prepared statement cached per table
// (table_writer.h); DeleteStale and DeleteRecord are single DELETE
// statements with every value bound. Types are stored as type_map.h says.
// It can also be a state backend: ReadState reads the cursors back.
//
// Errors are Status values naming the table and carrying SQLite's message;
// SQLITE_BUSY / SQLITE_LOCKED (another connection holds the lock longer than
// busy_timeout) are Transient, so the engine retries the whole request.
//
// Thread-safety: one instance is driven by one thread (the engine's writer);
// calls must not overlap. Several instances may share one database file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/destination/sqlite/connection.h"
#include "plugins/destination/sqlite/sqlite_spec.h"
#include "plugins/destination/sqlite/table_writer.h"

namespace ferry::plugins::sqlite {

class Destination final : public ferry::Destination {
 public:
  Destination() = default;
  ~Destination() override;

  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;
  Result<std::vector<StateEntry>> ReadState(const TableSchemaPtr& state_table) override;

  // The open connection (null before Init / after Close); for tests.
  Connection* connection() const { return conn_.get(); }

 private:
  Status CheckOpen() const;
  // The cached writer for `schema`, prepared again when the schema changed.
  Result<TableWriter*> WriterFor(const TableSchemaPtr& schema);
  Status WriteState(const WriteRequest& request);
  // The column types of `table`: from the schemas seen in Migrate / Write,
  // else derived from the declared types in the database.
  Result<TableSchemaPtr> SchemaOf(const std::string& table);

  Spec spec_;
  std::string name_ = "sqlite";
  std::unique_ptr<Connection> conn_;
  std::map<std::string, std::unique_ptr<TableWriter>> writers_;   // by table name
  std::map<std::string, TableSchemaPtr> schemas_;                 // by table name
};

// Registry entry: name "sqlite", the option table (sqlite_spec.h),
// capabilities and the factory.
DestinationPlugin SqlitePlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::sqlite
