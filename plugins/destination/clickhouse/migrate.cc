#include "plugins/destination/clickhouse/migrate.h"

#include "ferry/snapshot_views.h"
#include "plugins/destination/clickhouse/snapshot_views.h"

#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse {

namespace {

std::string OnCluster(const DdlContext& ctx) {
  return ctx.spec->cluster.empty() ? "" : " ON CLUSTER " + QuoteIdent(ctx.spec->cluster);
}

// Removes blanks and backquotes: "`region`, `id`" -> "region,id".
std::string KeyText(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '`') out.push_back(c);
  return out;
}

std::string List(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

std::vector<std::string> SplitTsvLine(const std::string& line) {
  std::vector<std::string> out;
  size_t b = 0;
  for (;;) {
    const size_t tab = line.find('\t', b);
    out.push_back(
        UnescapeTsv(std::string_view(line).substr(b, tab == std::string::npos ? std::string::npos : tab - b)));
    if (tab == std::string::npos) return out;
    b = tab + 1;
  }
}

std::vector<std::vector<std::string>> TsvRows(const std::string& body) {
  std::vector<std::vector<std::string>> rows;
  size_t b = 0;
  while (b < body.size()) {
    size_t nl = body.find('\n', b);
    if (nl == std::string::npos) nl = body.size();
    rows.push_back(SplitTsvLine(body.substr(b, nl - b)));
    b = nl + 1;
  }
  return rows;
}

std::string InList(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + QuoteString(names[i]);
  return out + ")";
}

// "ReplicatedReplacingMergeTree" -> "ReplacingMergeTree".
std::string EngineBase(const std::string& engine) {
  for (const char* prefix : {"Replicated", "Shared"})
    if (engine.rfind(prefix, 0) == 0) return engine.substr(std::char_traits<char>::length(prefix));
  return engine;
}

bool IsReplicatedOrShared(const std::string& engine) {
  return engine.rfind("Replicated", 0) == 0 || engine.rfind("Shared", 0) == 0;
}

std::string NullDefaults(const TablePlan& plan) {
  std::string defaults = "[";
  for (size_t i = 0; i < plan.mark_null.size(); ++i) defaults += (i ? ", " : "") + QuoteString(plan.mark_null[i]);
  return defaults + "]";
}

}  // namespace

std::string UnescapeTsv(std::string_view f) {
  std::string out;
  out.reserve(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '\\' || i + 1 == f.size()) {
      out.push_back(f[i]);
      continue;
    }
    const char c = f[++i];
    switch (c) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case '0':
        out.push_back('\0');
        break;
      default:
        out.push_back(c);
        break;
    }
  }
  return out;
}

Result<std::map<std::string, ExistingTable>> ReadExisting(Client& client, const std::string& database,
                                                          const std::vector<std::string>& tables) {
  std::map<std::string, ExistingTable> out;
  if (tables.empty()) return out;
  const std::string where = " WHERE database = " + QuoteString(database);
  FERRY_ASSIGN_OR_RETURN(std::string t,
                         client.Query("SELECT name, engine, engine_full, sorting_key FROM system.tables" + where +
                                          " AND name IN " + InList(tables) + " FORMAT TSV",
                                      "migrate: read tables"));
  for (auto& row : TsvRows(t)) {
    if (row.size() < 4) continue;
    ExistingTable& e = out[row[0]];
    e.engine = row[1];
    e.engine_full = row[2];
    e.sorting_key = row[3];
  }
  if (out.empty()) return out;
  FERRY_ASSIGN_OR_RETURN(std::string c, client.Query("SELECT table, name, type FROM system.columns" + where +
                                                         " AND table IN " + InList(tables) + " FORMAT TSV",
                                                     "migrate: read columns"));
  for (auto& row : TsvRows(c)) {
    if (row.size() < 3 || !out.count(row[0])) continue;
    out[row[0]].columns.emplace_back(row[1], row[2]);
  }
  return out;
}

std::vector<std::string> SortingKeyColumns(const std::string& sorting_key) {
  std::string k = KeyText(sorting_key);
  // One pair of parentheses around the whole key is the tuple, not part of an expression.
  if (k.size() >= 2 && k.front() == '(' && k.back() == ')') {
    int depth = 0;
    size_t close = 0;
    for (size_t i = 0; i < k.size(); ++i) {
      depth += k[i] == '(' ? 1 : k[i] == ')' ? -1 : 0;
      if (depth == 0) {
        close = i;
        break;
      }
    }
    if (close == k.size() - 1) k = k.substr(1, k.size() - 2);
  }
  std::vector<std::string> out;
  if (k.empty()) return out;
  int depth = 0;
  size_t b = 0;
  for (size_t i = 0; i <= k.size(); ++i) {
    if (i == k.size() || (k[i] == ',' && depth == 0)) {
      out.push_back(k.substr(b, i - b));
      b = i + 1;
    } else if (k[i] == '(') {
      ++depth;
    } else if (k[i] == ')') {
      --depth;
    }
  }
  return out;
}

bool DeduplicatesInserts(const ExistingTable& table, const ServerFeatures& f) {
  if (!f.dedup_token) return false;
  return IsReplicatedOrShared(table.engine) ||
         table.engine_full.find("non_replicated_deduplication_window") != std::string::npos;
}

Result<std::string> CreateTableSql(const TableLayout& layout, const DdlContext& ctx) {
  const TableSchema& t = *layout.schema;
  const Spec& spec = *ctx.spec;
  const std::vector<std::string> pk = t.PrimaryKeys();
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QualifiedName(ctx.database, t.name) + OnCluster(ctx) + " (";
  for (size_t i = 0; i < t.columns.size(); ++i)
    sql += (i ? ", " : "") + QuoteIdent(t.columns[i].name) + " " + layout.declared[i];
  if (layout.null_paths) sql += ", " + QuoteIdent(kNullsColumn) + " " + kNullsType;
  const EngineChoice engine = EngineFor(spec.engine, !pk.empty());
  sql += ") ENGINE = " + engine.clause;
  std::vector<std::string> settings;
  // Current servers refuse a Nullable partition or sorting key unless the
  // table allows it, and every column of a table without a primary key but
  // _cq_id is Nullable (18.16 allows Nullable partition keys as they are).
  bool nullable_key = false;
  if (const PartitionRule* p = spec.PartitionFor(t)) {
    sql += " PARTITION BY " + p->partition_by;
    nullable_key = ctx.features->nullable_key;
  } else if (ctx.snapshot_partition && snapshot::HasViews(t) && t.FindColumn(meta::kSyncTime) >= 0) {
    sql += " PARTITION BY " + SnapshotPartition(*ctx.features);  // assumeNotNull: no setting needed
  }
  if (!pk.empty()) {
    sql += " ORDER BY (";
    for (size_t i = 0; i < pk.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(pk[i]);
    sql += ")";
  } else if (const OrderRule* o = spec.OrderFor(t)) {
    for (const auto& e : o->order_by) {
      const int c = t.FindColumn(e.size() > 1 && e.front() == '`' ? e.substr(1, e.size() - 2) : e);
      if (c >= 0 && layout.nullable[c] && !ctx.features->nullable_key)
        return Status::Unsupported("table " + t.name + ": order_by column " + t.columns[c].name +
                                   " is Nullable, and ClickHouse " + ctx.features->version.text +
                                   " cannot sort by Nullable columns (21.8 and newer can); order by other columns");
    }
    sql += " ORDER BY (";
    for (size_t i = 0; i < o->order_by.size(); ++i) sql += (i ? ", " : "") + o->order_by[i];
    sql += ")";
    nullable_key = ctx.features->nullable_key;
  } else {
    sql += " ORDER BY tuple()";
  }
  if (const TtlRule* r = spec.TtlFor(t)) {
    if (!ctx.features->ttl)
      return Status::Unsupported("table " + t.name + ": the ttl rule needs ClickHouse 19.6 or newer; this server is " +
                                 ctx.features->version.text + " (remove the rule or upgrade the server)");
    sql += " TTL " + r->ttl;
  }
  if (nullable_key) settings.push_back("allow_nullable_key = 1");
  if (ctx.features->dedup_token && !IsReplicatedOrShared(engine.name))
    settings.push_back("non_replicated_deduplication_window = 1000");
  for (size_t i = 0; i < settings.size(); ++i) sql += (i ? ", " : " SETTINGS ") + settings[i];
  return sql;
}

TablePlan PlanTable(const TableLayout& want, const std::optional<ExistingTable>& have, const DdlContext& ctx) {
  TablePlan plan;
  plan.layout = want;
  const TableSchema& t = *want.schema;
  if (!have) {
    plan.action = TablePlan::Action::kCreate;
    return plan;
  }
  const std::vector<std::string> pk = t.PrimaryKeys();
  const std::string engine = EngineFor(ctx.spec->engine, !pk.empty()).name;
  const bool was_keyed = have->engine.find("Replacing") != std::string::npos;
  const std::vector<std::string> old_key = was_keyed ? SortingKeyColumns(have->sorting_key) : std::vector<std::string>{};
  if (KeyText(List(old_key)) != KeyText(List(pk)) && (was_keyed || !pk.empty()))
    plan.unsafe.push_back("primary key changed from " + List(old_key) + " to " + List(pk));
  // Replicated / Shared variants count as the same engine (ClickHouse Cloud
  // turns MergeTree into SharedMergeTree by itself); Replacing or not matters.
  if (EngineBase(have->engine) != EngineBase(engine))
    plan.unsafe.push_back("engine changed from " + have->engine + " to " + engine);

  std::map<std::string, std::string> existing(have->columns.begin(), have->columns.end());
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const Column& col = t.columns[i];
    const auto [first, last] = want.ranges[i];
    int present = 0;
    std::string diff;
    for (int p = first; p < last; ++p) {
      auto it = existing.find(want.columns[p].name);
      if (it == existing.end()) continue;
      ++present;
      if (NormalizeType(it->second) != NormalizeType(want.columns[p].type) && diff.empty())
        diff = "column " + col.name + ": type changed from " + it->second + " to " + want.columns[p].type;
    }
    if (present == 0) {
      if (col.primary_key) continue;  // reported as a key change
      if (col.not_null) {
        plan.unsafe.push_back("column " + col.name + ": new NOT NULL column");
        continue;
      }
      plan.add.push_back(static_cast<int>(i));
      if (IsComposite(col.type->id)) plan.mark_null.push_back(col.name);
    } else if (present < last - first) {
      plan.unsafe.push_back("column " + col.name +
                            ": stored in a different shape (some of its sub-columns are missing)");
    } else if (!diff.empty()) {
      plan.unsafe.push_back(diff);
    }
  }
  if (want.null_paths && !existing.count(kNullsColumn)) plan.add_nulls_column = true;
  if (!plan.unsafe.empty())
    plan.action = TablePlan::Action::kRecreate;
  else if (!plan.add.empty() || plan.add_nulls_column)
    plan.action = TablePlan::Action::kAddColumns;
  return plan;
}

std::string AddColumnsSql(const TablePlan& plan, const DdlContext& ctx) {
  std::string sql = "ALTER TABLE " + QualifiedName(ctx.database, plan.layout.schema->name) + OnCluster(ctx);
  const char* sep = " ";
  for (int i : plan.add) {
    sql += sep + std::string("ADD COLUMN ") + QuoteIdent(plan.layout.schema->columns[i].name) + " " +
           plan.layout.declared[i];
    sep = ", ";
  }
  if (plan.add_nulls_column)
    sql += sep + std::string("ADD COLUMN ") + QuoteIdent(kNullsColumn) + " " + kNullsType + " DEFAULT " +
           NullDefaults(plan);
  return sql;
}

std::string MarkNullSql(const TablePlan& plan, const DdlContext& ctx) {
  if (plan.add_nulls_column || plan.mark_null.empty()) return "";
  const std::string col = QuoteIdent(kNullsColumn);
  return "ALTER TABLE " + QualifiedName(ctx.database, plan.layout.schema->name) + OnCluster(ctx) + " UPDATE " + col +
         " = arrayConcat(" + col + ", " + NullDefaults(plan) + ") WHERE 1";
}

Result<std::map<std::string, bool>> MigrateTables(Client& client, const std::vector<TableSchemaPtr>& tables,
                                                  MigrateMode mode, const DdlContext& ctx,
                                                  const std::string& destination_name) {
  std::vector<std::string> names;
  for (const auto& t : tables) {
    if (!t || t->columns.empty())
      return Status::Invalid("table " + (t ? t->name : std::string("(null)")) + ": a table needs at least one column");
    names.push_back(t->name);
  }
  FERRY_ASSIGN_OR_RETURN(auto existing, ReadExisting(client, ctx.database, names));
  std::vector<TablePlan> plans;
  std::string unsafe_text;
  size_t unsafe_tables = 0;
  for (const auto& t : tables) {
    auto it = existing.find(t->name);
    plans.push_back(
        PlanTable(LayoutOf(t, *ctx.features), it == existing.end() ? std::nullopt : std::optional(it->second), ctx));
    if (plans.back().unsafe.empty()) continue;
    ++unsafe_tables;
    for (const auto& change : plans.back().unsafe) unsafe_text += "\n  table " + t->name + ": " + change;
  }
  if (unsafe_tables > 0 && mode == MigrateMode::kSafe)
    return Status::SchemaChange(
        "cannot migrate " + std::to_string(unsafe_tables) + (unsafe_tables == 1 ? " table" : " tables") +
        " without losing data:" + unsafe_text + "\nset migrate_mode: forced in destination \"" + destination_name +
        "\" to drop and recreate " +
        (unsafe_tables == 1 ? "this table (its data is lost)" : "these tables (their data is lost)"));
  // Refusals that need no server work come first, so nothing is half done.
  for (const auto& plan : plans)
    if (plan.action == TablePlan::Action::kCreate || plan.action == TablePlan::Action::kRecreate)
      FERRY_RETURN_NOT_OK(CreateTableSql(plan.layout, ctx).status());

  for (const auto& plan : plans) {
    const std::string& name = plan.layout.schema->name;
    const std::string qname = QualifiedName(ctx.database, name);
    switch (plan.action) {
      case TablePlan::Action::kNone:
        break;
      case TablePlan::Action::kRecreate:
        FERRY_RETURN_NOT_OK(
            client.Query("DROP TABLE IF EXISTS " + qname + OnCluster(ctx), "table " + name + ": drop").status());
        [[fallthrough]];
      case TablePlan::Action::kCreate: {
        FERRY_ASSIGN_OR_RETURN(std::string sql, CreateTableSql(plan.layout, ctx));
        FERRY_RETURN_NOT_OK(client.Query(sql, "table " + name + ": create").status());
        break;
      }
      case TablePlan::Action::kAddColumns: {
        // No IF NOT EXISTS in 18.16: a retry after an unknown outcome would fail, so no retry.
        FERRY_RETURN_NOT_OK(client.Query(AddColumnsSql(plan, ctx), "table " + name + ": add columns", false).status());
        if (const std::string mark = MarkNullSql(plan, ctx); !mark.empty()) {
          FERRY_RETURN_NOT_OK(client.Query(mark, "table " + name + ": mark new columns null in old rows").status());
          FERRY_RETURN_NOT_OK(
              client.WaitForMutations(ctx.database, name, ctx.features->mutation_fail_reason, "table " + name));
        }
        break;
      }
    }
  }
  FERRY_ASSIGN_OR_RETURN(auto after, ReadExisting(client, ctx.database, names));
  std::map<std::string, bool> dedup;
  for (const auto& [name, table] : after) dedup[name] = DeduplicatesInserts(table, *ctx.features);
  return dedup;
}

}  // namespace ferry::plugins::clickhouse
