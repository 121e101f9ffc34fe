// The delete-stale decision: the one place that says whether a destination
// may delete a table's stale rows at the end of an `overwrite-delete-stale`
// sync, and why not when it may not.
//
// Stale rows of a table go only when every fact says the table synced
// completely in this run:
//   (a) every (table, client) pair the source planned reported TableDone(ok),
//       and at least one pair reported when the source declared no plan;
//   (b) the same holds for its parent, grandparent, ... (a child's rows exist
//       only for the parent rows that were resolved);
//   (c) Source::Sync returned OK;
//   (d) the sync was not cancelled;
//   (e) this destination wrote every batch of the table and is still up.
// Anything else keeps the previous rows, and the reason goes to the summary.
// Incremental tables with a state backend are never delete-staled: a run
// fetches only what changed, so older rows are not stale.
//
// SyncProgressTracker collects (a) and is fed by the source's sink from many
// threads; SourceOutcome is the frozen result handed to the writers once the
// source has returned. DecideDeleteStale is a pure function of its inputs.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::engine {

// What the source said about one table.
struct TableProgress {
  bool planned = false;                  // the source declared its clients
  std::set<std::string> planned_clients;
  std::map<std::string, Status> done;    // client -> status of its TableDone
};

// Everything the source side decided, frozen after Source::Sync returned.
struct SourceOutcome {
  Status sync_status;                    // what Source::Sync returned
  std::string cancelled_by;              // "" or e.g. "SIGINT", "SIGTERM"
  std::map<std::string, TableProgress> tables;
  std::map<std::string, std::string> parent_of;   // table -> parent table ("" for roots)
};

// What one destination did with one table.
struct DestinationTableResult {
  bool write_failed = false;             // a batch (or delete-record) of the table failed
  std::string destination_down;          // "" or why the destination stopped taking writes
  bool incremental_with_backend = false;
  std::string cancelled_by;              // a cancel that arrived after the source returned
};

struct StaleVerdict {
  enum class Kind { kDelete, kKeepIncremental, kKeep } kind;
  std::string reason;   // for kKeep: why the stale rows stay (one clause, no table name)
};

StaleVerdict DecideDeleteStale(const std::string& table, const SourceOutcome& source,
                               const DestinationTableResult& destination);

// Thread-safe collector of planned and finished (table, client) pairs.
class SyncProgressTracker {
 public:
  void Planned(const std::string& table, const std::vector<std::string>& clients);
  void Done(const std::string& table, const std::string& client, const Status& status);
  std::map<std::string, TableProgress> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, TableProgress> tables_;   // guarded by mu_
};

}  // namespace ferry::engine
