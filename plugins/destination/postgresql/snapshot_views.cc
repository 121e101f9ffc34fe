#include "plugins/destination/postgresql/snapshot_views.h"

#include "ferry/snapshot_views.h"
#include "plugins/common/snapshot_view_sql.h"
#include "plugins/destination/postgresql/type_map.h"

namespace ferry::plugins::postgresql {

namespace {

const ViewDialect& Dialect() {
  static const ViewDialect d{.quote = [](std::string_view n) { return QuoteIdent(n); },
                             .name = [](std::string_view n) { return PgName(n); },
                             .derived = [](std::string_view b, std::string_view s) { return DerivedName(b, s); },
                             .distinct = "IS DISTINCT FROM"};
  return d;
}

// pg_class.relkind of `name` in the search path ("v" for a view), "" when absent.
Result<std::string> RelKind(Connection& conn, const std::string& name) {
  const std::vector<Param> params{Param{.oid = oid::kText, .value = QuoteIdent(name)}};
  FERRY_ASSIGN_OR_RETURN(PgResult r, conn.QueryParams("SELECT relkind FROM pg_class WHERE oid = to_regclass($1)",
                                                      params, false, "read " + name));
  return PQntuples(r.get()) == 1 ? std::string(PQgetvalue(r.get(), 0, 0)) : std::string();
}

Status DropView(Connection& conn, const std::string& name) {
  FERRY_ASSIGN_OR_RETURN(std::string kind, RelKind(conn, name));
  if (kind.empty()) return Status::OK();
  if (kind != "v")
    return Status::Invalid("snapshot views: \"" + name + "\" exists and is not a view (relkind " + kind +
                           "); rename it, or turn snapshot_views off for this destination");
  return conn.Exec("DROP VIEW " + QuoteIdent(name), "drop view " + name);
}

}  // namespace

Status DropSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateOptions::Views mode) {
  if (mode == MigrateOptions::Views::kLeave) return Status::OK();
  if (mode == MigrateOptions::Views::kDrop) {
    FERRY_ASSIGN_OR_RETURN(std::string kind, RelKind(conn, snapshot::kTable));
    if (kind.empty()) return Status::OK();
  }
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    // The changes view first: nothing depends on it.
    FERRY_RETURN_NOT_OK(DropView(conn, ChangesViewName(*t, Dialect())));
    FERRY_RETURN_NOT_OK(DropView(conn, LatestViewName(*t, Dialect())));
  }
  return Status::OK();
}

Status CreateSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables) {
  for (const auto& t : tables) {
    if (!snapshot::HasViews(*t)) continue;
    const std::string ctx = "table " + t->name + ": snapshot views";
    if (t->FindColumn(meta::kSourceName) < 0 || t->FindColumn(meta::kSyncTime) < 0)
      return Status::Invalid(ctx + ": the table has no _cq_source_name / _cq_sync_time columns");
    FERRY_RETURN_NOT_OK(conn.Exec(LatestViewSql(*t, Dialect()), ctx + ": create " + LatestViewName(*t, Dialect())));
    if (snapshot::HasChangesView(*t))
      FERRY_RETURN_NOT_OK(conn.Exec(ChangesViewSql(*t, Dialect()), ctx + ": create " + ChangesViewName(*t, Dialect())));
  }
  return Status::OK();
}

}  // namespace ferry::plugins::postgresql
