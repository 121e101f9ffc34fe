// The `postgresql` destination: writes a sync into PostgreSQL by binary COPY.
//
// Destination implements ferry::Destination over one libpq connection
// (connection.h). Migrate creates and migrates tables (migrate.h). Write
// copies every batch of a request, plus its state entries, in ONE transaction
// (table_writer.h: COPY straight into the table without a primary key, through
// a staging table and one INSERT ... ON CONFLICT DO UPDATE with one).
// DeleteStale and DeleteRecord are single DELETE statements with binary
// parameters. Types are stored as type_map.h says. It is also a state
// backend: cursors live in a table of this database and commit in the same
// transaction as the rows they cover.
//
// Faults. Every call first reconnects when the connection was lost. A Write
// that fails with a lost connection, a serialization failure or a deadlock
// returns Status::Transient and the engine retries the whole request; since
// a request is one transaction, the retry cannot duplicate rows. The one
// ambiguous moment, the connection dropping after COMMIT was sent, is
// resolved exactly: the transaction's id is read at BEGIN, and before the
// retry Write asks the server (pg_xact_status) whether it committed; if it did
// and the retried request is the same one, Write returns OK without writing
// again. Migrate, DeleteStale, DeleteRecord and ReadState are idempotent, so
// the engine retries them the same way. Permanent errors (bad
// credentials, permission denied, disk full, bad data) fail with the server's
// message and SQLSTATE; committed data is never touched by a failed call.
//
// Cancel. During a sync (DestinationInit::cancel) a call the server has not
// answered 10 s after the sync was cancelled is cancelled on the server
// (PQcancel: a lock wait, a long statement) and fails with Status::Cancelled;
// a server that does not answer the cancel either gets its connection shut
// 5 s later, and every later call fails at once (connection.h, CancelWatch).
//
// Thread-safety: one instance is driven by one thread (the engine's writer);
// calls must not overlap. Any number of instances may share a database.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/destination/postgresql/connection.h"
#include "plugins/destination/postgresql/postgresql_spec.h"
#include "plugins/destination/postgresql/table_writer.h"

namespace ferry::plugins::postgresql {

class Destination final : public ferry::Destination {
 public:
  // Called at named points of a Write ("copy": after the first COPY chunk was
  // sent; "before_commit"; "commit_sent": COMMIT sent, answer not yet read)
  // with the live connection. Tests use it to break the connection.
  using FaultHook = std::function<void(std::string_view point, PGconn* conn)>;

  Destination() = default;
  ~Destination() override;

  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;
  Result<std::vector<StateEntry>> ReadState(const TableSchemaPtr& state_table) override;

  // For tests: the current connection (null when closed or lost) and the hook.
  Connection* connection() const { return conn_.get(); }
  void SetFaultHook(FaultHook hook) { fault_hook_ = std::move(hook); }
  // Connections opened so far (1 after Init; each reconnect adds one).
  int connects() const { return connects_; }

 private:
  // What identifies a request across the engine's retries of it.
  struct Fingerprint {
    std::string table;
    std::vector<std::pair<const Batch*, int64_t>> batches;
    std::vector<std::tuple<std::string, std::string, uint64_t>> state;
    bool operator==(const Fingerprint&) const = default;
  };
  struct PendingCommit {
    std::string xid;
    Fingerprint request;
  };

  Status CheckOpen() const;
  Status EnsureConnected();
  // Runs `fn` once with a live connection (reconnecting first if needed);
  // the engine retries Transient errors.
  Status Attempt(const std::function<Status()>& fn);
  Result<TableWriter*> WriterFor(const TableSchemaPtr& schema);
  Status EnsureStaging(TableWriter* writer);
  // Writes inside the transaction `xid` that Write began, and commits it.
  Status WriteTransaction(const WriteRequest& request, TableWriter* rows, TableWriter* state, const BatchPtr& state_batch,
                          const Fingerprint& fp, const std::string& xid);
  // True when the pending commit turned out committed for this same request.
  Result<bool> ResolvePending(const Fingerprint& fp);
  void Hook(std::string_view point);
  Result<TableSchemaPtr> SchemaOf(const std::string& table);

  Spec spec_;
  std::string name_ = "postgresql";
  bool open_ = false;
  int connects_ = 0;
  // Ends calls blocked on the server once the sync is cancelled (null
  // outside syncs); outlives conn_.
  std::unique_ptr<CancelWatch> watch_;
  std::unique_ptr<Connection> conn_;
  std::set<std::string> staging_ready_;                            // on conn_
  std::map<std::string, std::unique_ptr<TableWriter>> writers_;   // by table name
  std::map<std::string, TableSchemaPtr> schemas_;                 // by table name
  std::optional<PendingCommit> pending_;
  FaultHook fault_hook_;
};

// Registry entry: name "postgresql", the option table, capabilities, factory.
DestinationPlugin PostgresqlPlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::postgresql
