// Snapshot views in ClickHouse (ferry/snapshot_views.h), in SQL that the
// 18.16 server here and current servers both accept (18.16 has no window
// functions, no CTEs over tables, no IS DISTINCT FROM):
//
//   <t>_latest   SELECT * FROM t WHERE (_cq_source_name, [group,]
//                _cq_sync_time) IN (the newest recorded snapshot per source
//                [and group]); incremental tables: the newest row per
//                (source, key) with ORDER BY _cq_sync_time DESC LIMIT 1 BY.
//                `*` is expanded when the view is read, so new columns
//                appear without touching the view.
//   <t>_changes  the rows of the last two snapshots of each source, joined
//                to those two times (ALL INNER JOIN ... USING), grouped by
//                (source, [group,] key): present only in the newer one =
//                added, only in the older = removed, in both with more than
//                one distinct tuple of the compared columns = changed
//                (uniqExact over a tuple counts NULL as a value). Its column
//                list is explicit, so it is recreated on every migration.
//
// Speed: new append tables with views and no partition rule get PARTITION BY
// the day of _cq_sync_time, so the minmax index of _cq_sync_time lets a read
// of one snapshot skip the parts of other days (docs/benchmarks.md).
// ClickHouse DDL is not transactional: views are dropped before the tables
// migrate and made after; a failure between leaves them missing until the
// next migration, never wrong. With `cluster`, ON CLUSTER as every DDL.
#pragma once

#include <string>
#include <vector>

#include "ferry/destination.h"
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/migrate.h"

namespace ferry::plugins::clickhouse {

// The PARTITION BY expression new tables with snapshot views get.
std::string SnapshotPartition(const ServerFeatures& f);

std::string LatestViewSql(const TableLayout& layout, const DdlContext& ctx);
// Only for snapshot::HasChangesView.
std::string ChangesViewSql(const TableLayout& layout, const DdlContext& ctx);

// kCreate and kDrop: drops the views of `tables`; kDrop only where the
// snapshot table exists (an earlier sync made them).
Status DropSnapshotViews(Client& client, const DdlContext& ctx, const std::vector<TableSchemaPtr>& tables,
                         MigrateOptions::Views mode);
Status CreateSnapshotViews(Client& client, const DdlContext& ctx, const std::vector<TableSchemaPtr>& tables);

}  // namespace ferry::plugins::clickhouse
