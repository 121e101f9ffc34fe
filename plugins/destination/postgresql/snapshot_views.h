// Snapshot views in PostgreSQL (ferry/snapshot_views.h): <t>_latest and
// <t>_changes, written by plugins/common/snapshot_view_sql.h, over the index
// <t>_ferry_snap on (_cq_source_name, _cq_sync_time, source key...).
//
// Both run inside the migration's transaction (CreateOptions::before/after):
// the views are dropped before the tables change (PostgreSQL refuses to drop
// or retype a column a view uses) and made again after, naming the current
// columns. View names are cut like every name (DerivedName). A name taken by
// something that is not a view is an error that names it.
#pragma once

#include <vector>

#include "ferry/destination.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/destination/postgresql/connection.h"

namespace ferry::plugins::postgresql {

// kCreate and kDrop: drops the views of `tables`; kDrop only where the
// snapshot table exists (an earlier sync made them).
Status DropSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateOptions::Views mode);
// Creates the index and views of every table of `tables` with snapshot::HasViews.
Status CreateSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables);

}  // namespace ferry::plugins::postgresql
