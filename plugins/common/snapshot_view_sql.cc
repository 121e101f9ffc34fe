#include "plugins/common/snapshot_view_sql.h"

#include <vector>

#include "ferry/snapshot_views.h"

namespace ferry::plugins {

namespace {

struct Names {
  const TableSchema& t;
  const ViewDialect& d;
  std::string Id(std::string_view n) const { return d.quote(d.name ? d.name(n) : std::string(n)); }
  // alias.column
  std::string Col(std::string_view alias, std::string_view col) const { return std::string(alias) + "." + Id(col); }
  bool HasGroup() const { return t.FindColumn(meta::kSyncGroupId) >= 0; }
  std::string Group(std::string_view alias) const { return "COALESCE(" + Col(alias, meta::kSyncGroupId) + ", '')"; }
  // Every column of the table, from `alias`.
  std::string Columns(std::string_view alias) const {
    std::string out;
    for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + Col(alias, c.name);
    return out;
  }
  // Rows of `a` and `b` of the same source (and group) and key.
  std::string SameKey(std::string_view a, std::string_view b) const {
    std::string out = Col(a, meta::kSourceName) + " = " + Col(b, meta::kSourceName);
    if (HasGroup()) out += " AND " + Group(a) + " = " + Group(b);
    for (const auto& k : t.source_primary_key) out += " AND " + Col(a, k) + " = " + Col(b, k);
    return out;
  }
  // Rows of table alias `row` that belong to the snapshot row `snap` at time column `time`.
  std::string InSnapshot(std::string_view row, std::string_view snap, std::string_view time) const {
    std::string out = Col(row, meta::kSourceName) + " = " + Col(snap, snapshot::kSourceName) + " AND " +
                      Col(row, meta::kSyncTime) + " = " + std::string(snap) + "." + std::string(time);
    out += HasGroup() ? " AND " + Group(row) + " = " + Col(snap, snapshot::kSyncGroupId)
                      : " AND " + Col(snap, snapshot::kSyncGroupId) + " = ''";
    return out;
  }
  std::string Snapshots() const {
    return " FROM " + Id(snapshot::kTable) + " WHERE " + Id(snapshot::kTableName) + " = " + SqlLiteral(t.name);
  }
};

}  // namespace

std::string SqlLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string LatestViewName(const TableSchema& table, const ViewDialect& d) {
  return d.derived ? d.derived(d.name ? d.name(table.name) : table.name, snapshot::kLatestSuffix)
                   : table.name + snapshot::kLatestSuffix;
}
std::string ChangesViewName(const TableSchema& table, const ViewDialect& d) {
  return d.derived ? d.derived(d.name ? d.name(table.name) : table.name, snapshot::kChangesSuffix)
                   : table.name + snapshot::kChangesSuffix;
}

Status DropSnapshotViews(const ViewCatalog& catalog, const ViewDialect& d, const std::vector<TableSchemaPtr>& tables,
                         MigrateOptions::Views mode) {
  if (mode == MigrateOptions::Views::kLeave) return Status::OK();
  if (mode == MigrateOptions::Views::kDrop) {
    FERRY_ASSIGN_OR_RETURN(std::string kind, catalog.kind(snapshot::kTable));
    if (kind.empty()) return Status::OK();
  }
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    for (const std::string& view : {ChangesViewName(*t, d), LatestViewName(*t, d)}) {
      FERRY_ASSIGN_OR_RETURN(std::string kind, catalog.kind(view));
      if (kind.empty()) continue;
      if (kind != catalog.view_kind)
        return Status::Invalid("snapshot views: \"" + view + "\" exists and is not a view (" + kind +
                               "); rename it, or turn snapshot_views off for this destination");
      FERRY_RETURN_NOT_OK(catalog.exec("DROP VIEW " + d.quote(view), "drop view " + view));
    }
  }
  return Status::OK();
}

Status CreateSnapshotViews(const ViewCatalog& catalog, const ViewDialect& d, const std::vector<TableSchemaPtr>& tables) {
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    const std::string ctx = "table " + t->name + ": snapshot views";
    if (t->FindColumn(meta::kSourceName) < 0 || t->FindColumn(meta::kSyncTime) < 0)
      return Status::Invalid(ctx + ": the table has no _cq_source_name / _cq_sync_time columns");
    FERRY_RETURN_NOT_OK(catalog.exec(SnapshotIndexSql(*t, d), ctx + ": create index"));
    FERRY_RETURN_NOT_OK(catalog.exec(LatestViewSql(*t, d), ctx + ": create " + LatestViewName(*t, d)));
    if (snapshot::HasChangesView(*t))
      FERRY_RETURN_NOT_OK(catalog.exec(ChangesViewSql(*t, d), ctx + ": create " + ChangesViewName(*t, d)));
  }
  return Status::OK();
}

std::string SnapshotIndexSql(const TableSchema& t, const ViewDialect& d) {
  const Names n{t, d};
  std::string cols = n.Id(meta::kSourceName) + ", " + n.Id(meta::kSyncTime);
  for (const auto& k : t.source_primary_key) cols += ", " + n.Id(k);
  const std::string index = d.derived ? d.derived(d.name ? d.name(t.name) : t.name, "_ferry_snap") : t.name + "_ferry_snap";
  return "CREATE INDEX IF NOT EXISTS " + d.quote(index) + " ON " + n.Id(t.name) + " (" + cols + ")";
}

std::string LatestViewSql(const TableSchema& t, const ViewDialect& d) {
  const Names n{t, d};
  std::string sql = "CREATE VIEW " + d.quote(LatestViewName(t, d)) + " AS ";
  if (t.is_incremental) {
    // Incremental: the newest row per (source, group, key); every row without a key.
    if (t.source_primary_key.empty()) return sql + "SELECT " + n.Columns("t") + " FROM " + n.Id(t.name) + " AS t";
    std::string part = n.Col("t", meta::kSourceName);
    if (n.HasGroup()) part += ", " + n.Group("t");
    for (const auto& k : t.source_primary_key) part += ", " + n.Col("t", k);
    return sql + "SELECT " + n.Columns("t") + " FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY " + part +
           " ORDER BY " + n.Col("t", meta::kSyncTime) + " DESC) AS _ferry_n FROM " + n.Id(t.name) +
           " AS t) AS t WHERE t._ferry_n = 1";
  }
  return sql + "SELECT " + n.Columns("t") + " FROM " + n.Id(t.name) + " AS t JOIN (SELECT " +
         n.Id(snapshot::kSourceName) + ", " + n.Id(snapshot::kSyncGroupId) + ", MAX(" + n.Id(snapshot::kSyncTime) +
         ") AS _ferry_time" + n.Snapshots() + " GROUP BY " + n.Id(snapshot::kSourceName) + ", " +
         n.Id(snapshot::kSyncGroupId) + ") AS s ON " + n.InSnapshot("t", "s", "_ferry_time");
}

std::string ChangesViewSql(const TableSchema& t, const ViewDialect& d) {
  const Names n{t, d};
  const std::string src = n.Id(snapshot::kSourceName), grp = n.Id(snapshot::kSyncGroupId),
                    time = n.Id(snapshot::kSyncTime);
  // s: the snapshots of the table, newest first per (source, group);
  // p: the last two of each, as (_ferry_from, _ferry_to);
  // cur / old: the rows of the newer / older one.
  std::string sql = "CREATE VIEW " + d.quote(ChangesViewName(t, d)) + " AS WITH s AS (SELECT " + src + ", " + grp +
                    ", " + time + ", ROW_NUMBER() OVER (PARTITION BY " + src + ", " + grp + " ORDER BY " + time +
                    " DESC) AS _ferry_n" + n.Snapshots() + "), p AS (SELECT a." + src + ", a." + grp + ", b." + time +
                    " AS _ferry_from, a." + time + " AS _ferry_to FROM s AS a LEFT JOIN s AS b ON b." + src +
                    " = a." + src + " AND b." + grp + " = a." + grp + " AND b._ferry_n = 2 WHERE a._ferry_n = 1)";
  for (const auto& [cte, time_col] : std::vector<std::pair<std::string, std::string>>{{"cur", "_ferry_to"},
                                                                                      {"old", "_ferry_from"}})
    sql += ", " + cte + " AS (SELECT p._ferry_from, p._ferry_to, t.* FROM " + n.Id(t.name) + " AS t JOIN p ON " +
           n.InSnapshot("t", "p", time_col) + ")";
  auto head = [&](const char* change, const char* alias) {
    return std::string("SELECT '") + change + "' AS " + d.quote(snapshot::kChange) + ", " + alias +
           "._ferry_from AS " + d.quote(snapshot::kFromSyncTime) + ", " + alias + "._ferry_to AS " +
           d.quote(snapshot::kToSyncTime) + ", " + n.Columns(alias);
  };
  sql += " " + head("added", "c") + " FROM cur AS c WHERE NOT EXISTS (SELECT 1 FROM old AS o WHERE " +
         n.SameKey("o", "c") + ")";
  sql += " UNION ALL " + head("removed", "o") + " FROM old AS o WHERE NOT EXISTS (SELECT 1 FROM cur AS c WHERE " +
         n.SameKey("c", "o") + ")";
  std::string differs;
  for (const auto& c : t.columns)
    if (snapshot::IsComparedColumn(t, c.name))
      differs += (differs.empty() ? "" : " OR ") + n.Col("c", c.name) + " " + d.distinct + " " + n.Col("o", c.name);
  if (!differs.empty())
    sql += " UNION ALL " + head("changed", "c") + " FROM cur AS c JOIN old AS o ON " + n.SameKey("c", "o") +
           " WHERE " + differs;
  return sql;
}

}  // namespace ferry::plugins
