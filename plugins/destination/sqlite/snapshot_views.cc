#include "plugins/destination/sqlite/snapshot_views.h"

#include "ferry/snapshot_views.h"
#include "plugins/common/snapshot_view_sql.h"

namespace ferry::plugins::sqlite {

namespace {

const ViewDialect& Dialect() {
  static const ViewDialect d{.quote = [](std::string_view n) { return QuoteIdent(n); }, .distinct = "IS NOT"};
  return d;
}

ViewCatalog Catalog(Connection& conn) {
  return ViewCatalog{
      .kind = [&conn](const std::string& name) {
        return conn.QueryText("SELECT type FROM sqlite_master WHERE name = " + SqlLiteral(name), "read " + name);
      },
      .view_kind = "view",
      .exec = [&conn](const std::string& sql, const std::string& ctx) { return conn.Exec(sql, ctx); }};
}

}  // namespace

Status DropSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables, MigrateOptions::Views mode) {
  return plugins::DropSnapshotViews(Catalog(conn), Dialect(), tables, mode);
}

Status CreateSnapshotViews(Connection& conn, const std::vector<TableSchemaPtr>& tables) {
  return plugins::CreateSnapshotViews(Catalog(conn), Dialect(), tables);
}

}  // namespace ferry::plugins::sqlite
