#include "plugins/destination/clickhouse/snapshot_views.h"

#include <algorithm>

#include "ferry/snapshot_views.h"
#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse {

namespace {

std::string OnCluster(const DdlContext& ctx) {
  return ctx.spec->cluster.empty() ? "" : " ON CLUSTER " + QuoteIdent(ctx.spec->cluster);
}

std::string ViewName(const TableSchema& t, const char* suffix) { return t.name + suffix; }

bool HasGroup(const TableSchema& t) { return t.FindColumn(meta::kSyncGroupId) >= 0; }

// The snapshots of table `t` in database `db`, with the group restriction
// when the table has no group column.
std::string SnapshotsOf(const TableSchema& t, const std::string& db) {
  return " FROM " + QualifiedName(db, snapshot::kTable) + " WHERE " + QuoteIdent(snapshot::kTableName) + " = " +
         QuoteString(t.name) + (HasGroup(t) ? "" : " AND " + QuoteIdent(snapshot::kSyncGroupId) + " = ''");
}

bool IsKeyColumn(const TableSchema& t, const std::string& name) {
  const auto& pk = t.source_primary_key;
  return name == meta::kSourceName || name == meta::kSyncGroupId || std::find(pk.begin(), pk.end(), name) != pk.end();
}

Result<std::string> EngineOf(Client& client, const std::string& db, const std::string& name) {
  return client.Query("SELECT engine FROM system.tables WHERE database = " + QuoteString(db) +
                          " AND name = " + QuoteString(name) + " FORMAT TSV",
                      "read " + name);
}

Status DropView(Client& client, const DdlContext& ctx, const std::string& name) {
  FERRY_ASSIGN_OR_RETURN(std::string engine, EngineOf(client, ctx.database, name));
  while (!engine.empty() && engine.back() == '\n') engine.pop_back();
  if (engine.empty()) return Status::OK();
  if (engine != "View")
    return Status::Invalid("snapshot views: " + QualifiedName(ctx.database, name) + " exists and is not a view (engine " +
                           engine + "); rename it, or turn snapshot_views off for this destination");
  return client.Query("DROP TABLE IF EXISTS " + QualifiedName(ctx.database, name) + OnCluster(ctx), "drop view " + name)
      .status();
}

}  // namespace

std::string SnapshotPartition(const ServerFeatures& f) {
  const std::string t = "assumeNotNull(" + QuoteIdent(meta::kSyncTime) + ")";
  return f.datetime64 ? "toYYYYMMDD(" + t + ")" : "intDiv(" + t + ", 86400000000)";
}

std::string LatestViewSql(const TableLayout& layout, const DdlContext& ctx) {
  const TableSchema& t = *layout.schema;
  const std::string db = ctx.database;
  std::string sql = "CREATE VIEW " + QualifiedName(db, ViewName(t, snapshot::kLatestSuffix)) + OnCluster(ctx) +
                    " AS SELECT * FROM " + QualifiedName(db, t.name);
  const std::string src = QuoteIdent(meta::kSourceName), grp = QuoteIdent(meta::kSyncGroupId),
                    time = QuoteIdent(meta::kSyncTime);
  if (t.is_incremental) {
    if (t.source_primary_key.empty()) return sql;
    std::string by = src + (HasGroup(t) ? ", " + grp : "");
    for (const auto& k : t.source_primary_key) by += ", " + QuoteIdent(k);
    return sql + " ORDER BY " + time + " DESC LIMIT 1 BY " + by;
  }
  const std::string s_src = QuoteIdent(snapshot::kSourceName), s_grp = QuoteIdent(snapshot::kSyncGroupId),
                    s_time = QuoteIdent(snapshot::kSyncTime);
  if (HasGroup(t))
    return sql + " WHERE (" + src + ", ifNull(" + grp + ", ''), " + time + ") IN (SELECT " + s_src + ", " + s_grp +
           ", max(" + s_time + ")" + SnapshotsOf(t, db) + " GROUP BY " + s_src + ", " + s_grp + ")";
  return sql + " WHERE (" + src + ", " + time + ") IN (SELECT " + s_src + ", max(" + s_time + ")" +
         SnapshotsOf(t, db) + " GROUP BY " + s_src + ")";
}

std::string ChangesViewSql(const TableLayout& layout, const DdlContext& ctx) {
  const TableSchema& t = *layout.schema;
  const std::string db = ctx.database;
  const std::string src = QuoteIdent(meta::kSourceName), grp = QuoteIdent(meta::kSyncGroupId),
                    time = QuoteIdent(meta::kSyncTime);
  std::vector<std::string> keys{src};
  if (HasGroup(t)) keys.push_back(grp);
  for (const auto& k : t.source_primary_key) keys.push_back(QuoteIdent(k));
  std::string key_list;
  for (const auto& k : keys) key_list += (key_list.empty() ? "" : ", ") + k;
  // Per physical column: the value of the newer row (argMax by _ferry_new;
  // the older row's when only it exists); compared columns go in the tuple.
  std::string values, outer, compared;
  for (const auto& c : layout.columns) {
    const std::string q = QuoteIdent(c.name);
    const bool key = c.logical >= 0 && IsKeyColumn(t, t.columns[c.logical].name);
    if (!key) values += ", argMax(" + q + ", _ferry_new) AS " + QuoteIdent("_ferry_v_" + c.name);
    outer += ", " + (key ? q : QuoteIdent("_ferry_v_" + c.name) + " AS " + q);
    if (c.logical < 0 || snapshot::IsComparedColumn(t, t.columns[c.logical].name))
      compared += (compared.empty() ? "" : ", ") + q;
  }
  // The two times per source (and group): newest first.
  std::string times = "SELECT " + QuoteIdent(snapshot::kSourceName) + " AS " + src;
  if (HasGroup(t)) times += ", " + QuoteIdent(snapshot::kSyncGroupId) + " AS " + grp;
  times += ", arrayReverseSort(groupUniqArray(" + QuoteIdent(snapshot::kSyncTime) +
           ")) AS _ferry_ts, _ferry_ts[1] AS _ferry_to, _ferry_ts[2] AS _ferry_from, length(_ferry_ts) AS _ferry_n" +
           SnapshotsOf(t, db) + " GROUP BY " + QuoteIdent(snapshot::kSourceName) +
           (HasGroup(t) ? ", " + QuoteIdent(snapshot::kSyncGroupId) : "");
  // Nullable group ids join as '' (a sync without a group). ALL, not ANY:
  // the right side has one row per key, and current servers' ANY INNER JOIN
  // keeps one row per key of the left side too (18.16's kept every left
  // row). The joined subqueries have aliases: current servers refuse them
  // without (joined_subquery_requires_alias). Both found with ClickHouse 26.9
  // in chdb (tests/interop/clickhouse_chdb_ddl_test.cc); 18.16 takes either.
  const std::string rows = "SELECT *, " + time + " = _ferry_to AS _ferry_new FROM (SELECT * FROM " +
                           QualifiedName(db, t.name) + ") AS _ferry_rows ALL INNER JOIN (" + times +
                           ") AS _ferry_times USING (" + src +
                           (HasGroup(t) ? ", " + grp : "") + ") WHERE " + time + " = _ferry_to OR (_ferry_n > 1 AND " +
                           time + " = _ferry_from)";
  std::string sql = "CREATE VIEW " + QualifiedName(db, ViewName(t, snapshot::kChangesSuffix)) + OnCluster(ctx) +
                    " AS SELECT multiIf(_ferry_old_rows = 0, 'added', _ferry_new_rows = 0, 'removed', 'changed') AS " +
                    QuoteIdent(snapshot::kChange) + ", if(_ferry_n > 1, toNullable(_ferry_from), NULL) AS " +
                    QuoteIdent(snapshot::kFromSyncTime) + ", _ferry_to AS " + QuoteIdent(snapshot::kToSyncTime) + outer +
                    " FROM (SELECT " + key_list + values +
                    ", sum(_ferry_new) AS _ferry_new_rows, count() - _ferry_new_rows AS _ferry_old_rows, " +
                    (compared.empty() ? std::string("1") : "uniqExact(tuple(" + compared + "))") +
                    " AS _ferry_versions, any(_ferry_to) AS _ferry_to, any(_ferry_from) AS _ferry_from, any(_ferry_n) AS "
                    "_ferry_n FROM (" + rows + ") GROUP BY " + key_list +
                    ") WHERE _ferry_new_rows = 0 OR _ferry_old_rows = 0 OR _ferry_versions > 1";
  return sql;
}

Status DropSnapshotViews(Client& client, const DdlContext& ctx, const std::vector<TableSchemaPtr>& tables,
                         MigrateOptions::Views mode) {
  if (mode == MigrateOptions::Views::kLeave) return Status::OK();
  if (mode == MigrateOptions::Views::kDrop) {
    FERRY_ASSIGN_OR_RETURN(std::string engine, EngineOf(client, ctx.database, snapshot::kTable));
    if (engine.empty()) return Status::OK();
  }
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    FERRY_RETURN_NOT_OK(DropView(client, ctx, ViewName(*t, snapshot::kChangesSuffix)));
    FERRY_RETURN_NOT_OK(DropView(client, ctx, ViewName(*t, snapshot::kLatestSuffix)));
  }
  return Status::OK();
}

Status CreateSnapshotViews(Client& client, const DdlContext& ctx, const std::vector<TableSchemaPtr>& tables) {
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    const std::string what = "table " + t->name + ": snapshot views: create ";
    if (t->FindColumn(meta::kSourceName) < 0 || t->FindColumn(meta::kSyncTime) < 0)
      return Status::Invalid("table " + t->name + ": snapshot views: the table has no _cq_source_name / _cq_sync_time columns");
    const TableLayout layout = LayoutOf(t, *ctx.features);
    FERRY_RETURN_NOT_OK(client.Query(LatestViewSql(layout, ctx), what + ViewName(*t, snapshot::kLatestSuffix)).status());
    if (snapshot::HasChangesView(*t))
      FERRY_RETURN_NOT_OK(
          client.Query(ChangesViewSql(layout, ctx), what + ViewName(*t, snapshot::kChangesSuffix)).status());
  }
  return Status::OK();
}

}  // namespace ferry::plugins::clickhouse
