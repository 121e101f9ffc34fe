#include "plugins/destination/clickhouse/clickhouse_spec.h"

#include <fnmatch.h>

#include <set>

#include "ferry/option_binder.h"

#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse {

namespace {

using nlohmann::json;

bool SplitEngine(const std::string& name, std::string* prefix, bool* replacing);

bool AnyMatch(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns)
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

Result<std::vector<std::string>> StringList(const json& v, const std::string& what) {
  if (v.is_null()) return std::vector<std::string>{};
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) return Status::Invalid(what + " must be a list of strings");
  std::vector<std::string> out;
  for (const auto& x : v) {
    if (!x.is_string()) return Status::Invalid(what + " must be a list of strings");
    out.push_back(x.get<std::string>());
  }
  return out;
}

// A rule list as validated (kObjectList: a single mapping is already a list
// of one).
std::vector<json> RuleItems(const json& v) {
  std::vector<json> out;
  if (v.is_array())
    for (const auto& item : v) out.push_back(item);
  return out;
}

Status ParseEngine(const json& e, EngineSpec* engine) {
  if (e.is_null()) return Status::OK();
  for (const auto& [k, _] : e.items())
    if (k != "name" && k != "parameters") return Status::Invalid("engine: unknown key \"" + k + "\"");
  if (!e.contains("name") || !e["name"].is_string()) return Status::Invalid("engine.name is required (a string)");
  engine->name = e["name"].get<std::string>();
  std::string prefix;
  bool replacing = false;
  if (!SplitEngine(engine->name, &prefix, &replacing))
    return Status::Unsupported("engine \"" + engine->name +
                               "\" is not supported: Ferry writes MergeTree, "
                               "ReplacingMergeTree and their Replicated/Shared variants (other *MergeTree "
                               "engines sum, aggregate or collapse the synced rows when parts merge)");
  if (e.contains("parameters") && !e["parameters"].is_null()) {
    if (!e["parameters"].is_array()) return Status::Invalid("engine.parameters must be a list");
    for (const auto& p : e["parameters"]) {
      if (p.is_string())
        engine->parameters.push_back(QuoteString(p.get<std::string>()));
      else if (p.is_number() || p.is_boolean())
        engine->parameters.push_back(p.dump());
      else
        return Status::Invalid("engine.parameters must hold strings and numbers");
    }
  }
  return Status::OK();
}

Result<TableMatch> ParseMatch(const json& rule, const std::string& key, const std::set<std::string>& allowed) {
  for (const auto& [k, _] : rule.items())
    if (!allowed.count(k) && k != "tables" && k != "skip_tables" && k != "skip_incremental_tables")
      return Status::Invalid(key + ": unknown key \"" + k + "\"");
  TableMatch m;
  if (rule.contains("tables") && !rule["tables"].is_null()) {
    FERRY_ASSIGN_OR_RETURN(m.tables, StringList(rule["tables"], key + ".tables"));
  }
  if (rule.contains("skip_tables")) {
    FERRY_ASSIGN_OR_RETURN(m.skip_tables, StringList(rule["skip_tables"], key + ".skip_tables"));
  }
  if (rule.contains("skip_incremental_tables")) {
    if (!rule["skip_incremental_tables"].is_boolean())
      return Status::Invalid(key + ".skip_incremental_tables must be true or false");
    m.skip_incremental_tables = rule["skip_incremental_tables"].get<bool>();
  }
  return m;
}

Result<std::string> RequiredString(const json& rule, const std::string& key, const std::string& field) {
  if (!rule.contains(field) || !rule[field].is_string() || rule[field].get<std::string>().empty())
    return Status::Invalid(key + ": every rule needs " + field + " (a non-empty string)");
  return rule[field].get<std::string>();
}

bool IsReplicated(const std::string& n) { return n.rfind("Replicated", 0) == 0; }
bool IsShared(const std::string& n) { return n.rfind("Shared", 0) == 0; }

// "ReplicatedReplacingMergeTree" -> ("Replicated", true); "MergeTree" -> ("", false).
bool SplitEngine(const std::string& name, std::string* prefix, bool* replacing) {
  std::string rest = name;
  *prefix = "";
  if (IsReplicated(rest))
    *prefix = "Replicated";
  else if (IsShared(rest))
    *prefix = "Shared";
  rest = rest.substr(prefix->size());
  *replacing = rest == "ReplacingMergeTree";
  return rest == "MergeTree" || rest == "ReplacingMergeTree";
}

}  // namespace

bool TableMatch::Matches(const TableSchema& table) const {
  if (skip_incremental_tables && table.is_incremental) return false;
  return AnyMatch(tables, table.name) && !AnyMatch(skip_tables, table.name);
}

const PartitionRule* Spec::PartitionFor(const TableSchema& t) const {
  for (const auto& r : partition)
    if (r.match.Matches(t)) return &r;
  return nullptr;
}
const OrderRule* Spec::OrderFor(const TableSchema& t) const {
  for (const auto& r : order)
    if (r.match.Matches(t)) return &r;
  return nullptr;
}
const TtlRule* Spec::TtlFor(const TableSchema& t) const {
  for (const auto& r : ttl)
    if (r.match.Matches(t)) return &r;
  return nullptr;
}

namespace {

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.Custom({.name = "connection_string",
            .type = OptionType::kString,
            .description = "`clickhouse://user:password@host:9000/database` (clickhouse-go's DSN, as CloudQuery "
                           "writes it: the native TCP protocol; `secure=true` for TLS on 9440, `compress=lz4|zstd`) "
                           "or `http://user:password@host:8123/database` (the HTTP interface; https for TLS). "
                           "Other query parameters are ClickHouse settings",
            .required = true,
            .secret = true},
           [](const json& v, Spec* s) -> Status {
             FERRY_ASSIGN_OR_RETURN(s->endpoint, ParseConnectionString(v.is_string() ? v.get<std::string>() : ""));
             return Status::OK();
           });
  b.String(&Spec::cluster,
           {.name = "cluster",
            .default_value = "",
            .description = "Cluster for distributed DDL (`ON CLUSTER`); empty: DDL runs on the connected server"});
  b.String(&Spec::ca_cert,
           {.name = "ca_cert",
            .default_value = "",
            .description = "PEM-encoded certificate authorities (the text, or a file path) trusted for TLS "
                           "(https:// or secure=true)"});
  b.Custom({.name = "engine",
            .type = OptionType::kObject,
            .description = "Table engine `{name, parameters}`: MergeTree (default), ReplacingMergeTree or their "
                           "Replicated/Shared variants. Tables with a primary key use the Replacing variant, "
                           "versioned by `_cq_sync_time`"},
           [](const json& v, Spec* s) { return ParseEngine(v, &s->engine); });
  b.Custom({.name = "partition",
            .type = OptionType::kObjectList,
            .description = "`PARTITION BY` rules: a list of `{tables, skip_tables, skip_incremental_tables, "
                           "partition_by}`; the first matching rule applies at table creation"},
           [](const json& v, Spec* s) -> Status {
             for (const auto& r : RuleItems(v)) {
               PartitionRule rule;
               FERRY_ASSIGN_OR_RETURN(rule.match, ParseMatch(r, "partition", {"partition_by"}));
               FERRY_ASSIGN_OR_RETURN(rule.partition_by, RequiredString(r, "partition", "partition_by"));
               s->partition.push_back(std::move(rule));
             }
             return Status::OK();
           });
  b.Custom({.name = "order",
            .type = OptionType::kObjectList,
            .description = "`ORDER BY` rules for tables without a primary key: a list of `{tables, "
                           "skip_tables, order_by: [expressions]}`; default `ORDER BY tuple()`"},
           [](const json& v, Spec* s) -> Status {
             for (const auto& r : RuleItems(v)) {
               OrderRule rule;
               FERRY_ASSIGN_OR_RETURN(rule.match, ParseMatch(r, "order", {"order_by"}));
               if (!r.contains("order_by"))
                 return Status::Invalid("order: every rule needs order_by (a list of expressions)");
               FERRY_ASSIGN_OR_RETURN(rule.order_by, StringList(r["order_by"], "order.order_by"));
               if (rule.order_by.empty()) return Status::Invalid("order: order_by must not be empty");
               s->order.push_back(std::move(rule));
             }
             return Status::OK();
           });
  b.Custom({.name = "ttl",
            .type = OptionType::kObjectList,
            .description = "`TTL` rules: a list of `{tables, skip_tables, ttl}` (ClickHouse 19.6 or newer)"},
           [](const json& v, Spec* s) -> Status {
             for (const auto& r : RuleItems(v)) {
               TtlRule rule;
               FERRY_ASSIGN_OR_RETURN(rule.match, ParseMatch(r, "ttl", {"ttl"}));
               FERRY_ASSIGN_OR_RETURN(rule.ttl, RequiredString(r, "ttl", "ttl"));
               s->ttl.push_back(std::move(rule));
             }
             return Status::OK();
           });
  // No table default: absent, the connection string's `compress` decides.
  b.Custom({.name = "compression",
            .type = OptionType::kEnum,
            .description = "Compression of HTTP INSERT bodies (`gzip` saves bandwidth to remote servers; `none` "
                           "is fastest on a local network); when absent, `none` unless the connection string "
                           "asks for `compress`. The native protocol compresses with the connection string's "
                           "`compress=lz4|zstd` instead",
            .choices = {"none", "gzip"}},
           [](const json& v, Spec* s) -> Status {
             if (v.is_string() && v.get<std::string>() == "gzip" && s->endpoint.native)
               return Status::Invalid(
                   "compression: gzip is for http(s):// connection strings; the native protocol "
                   "(clickhouse://) compresses with compress=lz4 or compress=zstd in connection_string");
             const bool gzip = v.is_string() ? v.get<std::string>() == "gzip" : s->endpoint.compress;
             s->compression = gzip ? Compression::kGzip : Compression::kNone;
             return Status::OK();
           });
  b.Duration(&Spec::connect_timeout_ms,
             {.name = "connect_timeout", .default_value = "10s", .description = "Timeout to connect to the server", .min = 1});
  b.Duration(&Spec::request_timeout_ms,
             {.name = "request_timeout",
              .default_value = "10m",
              .description = "Timeout of one request (an INSERT, a DDL statement); over the native protocol, "
                           "of one read (connection string `read_timeout` wins)",
              .min = 1});
  b.Duration(&Spec::mutation_timeout_ms,
             {.name = "mutation_timeout",
              .default_value = "30m",
              .description = "How long delete-stale and delete-record wait for their mutation to finish",
              .min = 1});
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

EngineChoice EngineFor(const EngineSpec& spec, bool has_primary_key) {
  std::string prefix;
  bool replacing = false;
  SplitEngine(spec.name, &prefix, &replacing);
  EngineChoice c;
  c.name = prefix + (has_primary_key ? "ReplacingMergeTree" : "MergeTree");
  std::vector<std::string> params = spec.parameters;
  if (has_primary_key) params.push_back(QuoteIdent(meta::kSyncTime));
  c.clause = c.name + "(";
  for (size_t i = 0; i < params.size(); ++i) c.clause += (i ? ", " : "") + params[i];
  c.clause += ")";
  return c;
}

}  // namespace ferry::plugins::clickhouse
