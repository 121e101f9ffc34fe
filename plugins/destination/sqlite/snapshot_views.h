// Snapshot views in SQLite (ferry/snapshot_views.h): <t>_latest and
// <t>_changes, written by plugins/common/snapshot_view_sql.h, and the index
// <t>_ferry_snap on (_cq_source_name, _cq_sync_time, source key...) that
// lets them find one sync's rows without reading the others.
//
// Both run inside the migration's transaction (MigrateTables' hooks): the
// views are dropped before the tables change and made again after, so they
// always name the current columns. A name taken by something that is not a
// view is an error that names it; Ferry never drops a table.
#pragma once

#include <vector>

#include "ferry/destination.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/destination/sqlite/connection.h"

namespace ferry::plugins::sqlite {

// kCreate and kDrop: drops the views of `tables`; kDrop only where the
// snapshot table exists (an earlier sync made them).
Status DropSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateOptions::Views mode);
// Creates the index and views of every table of `tables` with snapshot::HasViews.
Status CreateSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables);

}  // namespace ferry::plugins::sqlite
