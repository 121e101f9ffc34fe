#include "plugins/destination/sqlite/snapshot_views.h"

#include "ferry/snapshot_views.h"
#include "plugins/common/snapshot_view_sql.h"

namespace ferry::plugins::sqlite {

namespace {

const ViewDialect& Dialect() {
  static const ViewDialect d{.quote = [](std::string_view n) { return QuoteIdent(n); }, .distinct = "IS NOT"};
  return d;
}

// "view", "table", ... or "" when nothing has that name.
Result<std::string> ObjectType(Connection& conn, const std::string& name) {
  return conn.QueryText("SELECT type FROM sqlite_master WHERE name = " + SqlLiteral(name), "read " + name);
}

Status DropView(Connection& conn, const std::string& name) {
  FERRY_ASSIGN_OR_RETURN(std::string type, ObjectType(conn, name));
  if (type.empty()) return Status::OK();
  if (type != "view")
    return Status::Invalid("snapshot views: \"" + name + "\" is a " + type + ", not a view; rename it, or turn "
                           "snapshot_views off for this destination");
  return conn.Exec("DROP VIEW " + QuoteIdent(name), "drop view " + name);
}

}  // namespace

Status DropSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateOptions::Views mode) {
  if (mode == MigrateOptions::Views::kLeave) return Status::OK();
  if (mode == MigrateOptions::Views::kDrop) {
    FERRY_ASSIGN_OR_RETURN(std::string type, ObjectType(conn, snapshot::kTable));
    if (type.empty()) return Status::OK();
  }
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    FERRY_RETURN_NOT_OK(DropView(conn, LatestViewName(*t, Dialect())));
    FERRY_RETURN_NOT_OK(DropView(conn, ChangesViewName(*t, Dialect())));
  }
  return Status::OK();
}

Status CreateSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables) {
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    const std::string ctx = "table " + t->name + ": snapshot views";
    if (t->FindColumn(meta::kSourceName) < 0 || t->FindColumn(meta::kSyncTime) < 0)
      return Status::Invalid(ctx + ": the table has no _cq_source_name / _cq_sync_time columns");
    FERRY_RETURN_NOT_OK(conn.Exec("CREATE INDEX IF NOT EXISTS " + QuoteIdent(t->name + "_ferry_snap") + " ON " +
                                      QuoteIdent(t->name) + " (" + QuoteIdent(meta::kSourceName) + ", " +
                                      QuoteIdent(meta::kSyncTime) + ")",
                                  ctx + ": create index"));
    FERRY_RETURN_NOT_OK(conn.Exec(LatestViewSql(*t, Dialect()), ctx + ": create " + LatestViewName(*t, Dialect())));
    if (snapshot::HasChangesView(*t))
      FERRY_RETURN_NOT_OK(conn.Exec(ChangesViewSql(*t, Dialect()), ctx + ": create " + ChangesViewName(*t, Dialect())));
  }
  return Status::OK();
}

}  // namespace ferry::plugins::sqlite
