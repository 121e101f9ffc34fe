// The life of a sync (docs/architecture.md tells it in prose).
//
// SyncSource runs one source spec into its destinations:
//   1. resolve and initialise the source and every destination (options
//      validated against their declared tables; an unsupported write mode is
//      refused here, before any data moves);
//   2. select tables (globs, skips, relations);
//   3. migrate every table on every destination (unless --no-migrate); an
//      unsafe change stops the sync here;
//   4. stream: the source's resolvers fill batches, each batch acquires its
//      bytes from the sync's MemoryBudget, gets the meta columns (zero-copy)
//      and is fanned out, shared, to one DestinationWriter per destination;
//   5. finish: writers flush, delete stale rows of complete tables, close;
//      everything that happened lands in the SyncSummary.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "config/spec.h"
#include "engine/summary.h"
#include "ferry/registry.h"
#include "ferry/shard.h"
#include "ferry/state.h"

namespace ferry::engine {

struct SyncProgress {
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> table_clients_done{0};
  std::atomic<int64_t> tables_total{0};
};

struct SyncOptions {
  bool no_migrate = false;
  std::string invocation_id;
  // Bytes of row data in flight (MemoryBudget); 0: automatic, AutoMemoryBudget.
  int64_t memory_budget_bytes = 0;
  const std::atomic<bool>* cancel = nullptr;   // set by Ctrl-C / SIGTERM
  const std::atomic<int>* cancel_signal = nullptr;   // which signal set it (for the summary)
  SyncProgress* progress = nullptr;
  // --shard N/T and the run all shards share (--shard-run); see shard_run.h.
  Shard shard;
  std::string shard_run;
};

// The memory budget when --memory-budget is not given: the largest need of
// the sync's destinations (batch_size_bytes x (writes in flight + 1): full
// batches are never cut short by memory pressure), at least 64 MiB and at
// most 256 MiB. ClickHouse's 128 MiB batches get 256 MiB; SQLite's 10 MiB
// ones 64 MiB (bench/clickhouse/section.md, "The memory budget as a lever").
inline constexpr int64_t kMinAutoMemoryBudget = 64ll << 20;
inline constexpr int64_t kMaxAutoMemoryBudget = 256ll << 20;
int64_t AutoMemoryBudget(const std::vector<int64_t>& destination_needs);

// Runs one source. A returned error means nothing was synced (setup or
// migration failed); errors during the sync are in the summary instead.
Result<SyncSummary> SyncSource(const Registry& registry, const config::Config& config,
                               const config::SourceSpec& source, const SyncOptions& options);

// Checks a source spec and its destinations' specs without connecting:
// plugins exist, options are valid, table patterns match, write modes are supported.
Status ValidateSource(const Registry& registry, const config::Config& config, const config::SourceSpec& source);

// Creates or migrates the source's selected tables in its destinations.
Status MigrateSource(const Registry& registry, const config::Config& config,
                     const config::SourceSpec& source, const SyncOptions& options);

// The cursors of a source's state backend (backend_options), read directly.
Result<std::vector<StateEntry>> ReadSourceState(const Registry& registry, const config::Config& config,
                                                const config::SourceSpec& source);
// Resets cursors so the next sync of those tables is a full one: every cursor
// whose table matches one of `table_patterns` (all when empty) gets an empty
// value (and a new version). Returns the keys reset.
Result<std::vector<std::string>> ResetSourceState(const Registry& registry, const config::Config& config,
                                                  const config::SourceSpec& source,
                                                  const std::vector<std::string>& table_patterns);

// `ferry test-connection`: every source and destination of `config`, in file
// order. Plugins (registry local/grpc) answer their TestConnection call;
// built-ins are validated and initialised (destinations then closed).
struct ConnectionResult {
  std::string kind, name, path;
  bool success = false;
  std::string code, description;
};
std::vector<ConnectionResult> TestConnections(const Registry& registry, const config::Config& config);

// Initialises the source with no_connection and returns its selected tables
// (all tables when `all` is true).
Result<std::vector<TableSchemaPtr>> SourceTables(const Registry& registry, const config::SourceSpec& source,
                                                 bool all);

}  // namespace ferry::engine
