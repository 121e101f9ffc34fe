// Snapshot views over append-mode tables (destination option
// `snapshot_views: true`, docs/semantics.md "Snapshot views").
//
// In `append` mode every sync adds its rows beside the older ones, each row
// stamped with its _cq_sync_time. The views give the two questions users ask
// of such a history an answer that is right even when a sync failed:
//
//   <table>_latest   per source (and sync group), the rows of the most recent
//                    sync in which the table synced *completely*. A failed or
//                    cancelled sync never shows; its rows stay in the table.
//   <table>_changes  tables with a (source) primary key: the rows added,
//                    removed and changed between the last two complete
//                    snapshots, with both sync times.
//
// What completed is recorded by the engine, not guessed: once a sync is over,
// for every table that passes the same test as delete-stale (every planned
// (table, client) pair and its ancestors finished OK, the source returned OK,
// not cancelled, this destination wrote every batch; stale_decision.h), the
// destination's writer writes one row into the table `_ferry_snapshots`.
// That row is written after the table's last rows committed, so a recorded
// snapshot is always complete; a process killed before it leaves the previous
// snapshot in the view, which is what a failed sync should do.
//
// Incremental tables fetch only what changed, so "the rows of one sync" is
// not a snapshot of them: their _latest view is the newest row per (source,
// primary key) instead (every row when the table has no key), and they get no
// _changes view.
#pragma once

#include <string>

#include "ferry/schema.h"

namespace ferry::snapshot {

inline constexpr const char* kTable = "_ferry_snapshots";
// Columns of kTable.
inline constexpr const char* kTableName = "table_name";
inline constexpr const char* kSourceName = "source_name";
inline constexpr const char* kSyncGroupId = "sync_group_id";   // "" when the sync has none
inline constexpr const char* kSyncTime = "_cq_sync_time";      // the sync time: equals the rows' _cq_sync_time
inline constexpr const char* kInvocationId = "invocation_id";
inline constexpr const char* kRows = "rows";                   // rows this destination wrote in that sync

inline constexpr const char* kLatestSuffix = "_latest";
inline constexpr const char* kChangesSuffix = "_changes";
// Extra columns of a _changes view, in front of the table's own columns.
inline constexpr const char* kChange = "_ferry_change";            // 'added', 'removed' or 'changed'
inline constexpr const char* kFromSyncTime = "_ferry_from_sync_time";  // the older snapshot (NULL: none)
inline constexpr const char* kToSyncTime = "_ferry_to_sync_time";      // the newer snapshot

// The schema of kTable (key: table_name, source_name, sync_group_id, sync_time).
TableSchemaPtr Schema();

// Whether `table` gets views (data tables; not kTable itself).
bool HasViews(const TableSchema& table);
// Whether `table` gets a _changes view: not incremental, with a source key.
bool HasChangesView(const TableSchema& table);
// Columns compared by a _changes view: every column but the meta columns
// (_cq_sync_time, _cq_source_name, _cq_sync_group_id, _cq_id,
// _cq_parent_id, which differ between syncs of the same data) and the key.
bool IsComparedColumn(const TableSchema& table, const std::string& column);

}  // namespace ferry::snapshot
