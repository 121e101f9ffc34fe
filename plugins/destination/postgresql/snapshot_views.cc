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

// pg_class.relkind of `name` in the search path ("v" for a view).
ViewCatalog Catalog(Connection& conn) {
  return ViewCatalog{
      .kind = [&conn](const std::string& name) -> Result<std::string> {
        const std::vector<Param> params{Param{.oid = oid::kText, .value = QuoteIdent(name)}};
        FERRY_ASSIGN_OR_RETURN(PgResult r, conn.QueryParams("SELECT relkind FROM pg_class WHERE oid = to_regclass($1)",
                                                            params, false, "read " + name));
        return PQntuples(r.get()) == 1 ? "relkind " + std::string(PQgetvalue(r.get(), 0, 0)) : std::string();
      },
      .view_kind = "relkind v",
      .exec = [&conn](const std::string& sql, const std::string& ctx) { return conn.Exec(sql, ctx); }};
}

}  // namespace

Status DropSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateOptions::Views mode) {
  return plugins::DropSnapshotViews(Catalog(conn), Dialect(), tables, mode);
}

Status CreateSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables) {
  return plugins::CreateSnapshotViews(Catalog(conn), Dialect(), tables);
}

}  // namespace ferry::plugins::postgresql
