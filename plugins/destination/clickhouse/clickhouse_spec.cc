#include "plugins/destination/clickhouse/clickhouse_spec.h"

#include <fnmatch.h>

#include <set>

#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse {

namespace {

using nlohmann::json;

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

// A rule list: CloudQuery writes a list of mappings; one mapping is taken as
// a list of one.
Result<std::vector<json>> RuleItems(const Options& options, const std::string& key) {
  if (!options.Has(key)) return std::vector<json>{};
  const json& v = options.json().at(key);
  if (v.is_null()) return std::vector<json>{};
  if (v.is_object()) return std::vector<json>{v};
  if (!v.is_array()) return Status::Invalid(key + " must be a list of rules ({tables, skip_tables, ...})");
  std::vector<json> out;
  for (const auto& item : v) {
    if (!item.is_object()) return Status::Invalid(key + " must be a list of mappings");
    out.push_back(item);
  }
  return out;
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

const OptionTable& SpecOptions() {
  static const OptionTable kTable = [] {
    OptionTable t;
    t.push_back({.name = "connection_string",
                 .type = OptionType::kString,
                 .default_value = nullptr,
                 .description = "ClickHouse HTTP URL `http://user:password@host:8123/database` (https for TLS; "
                                "query parameters are ClickHouse settings). CloudQuery's "
                                "`clickhouse://user:password@host:9000/database` is accepted and mapped to the "
                                "HTTP port of the same host",
                 .required = true,
                 .secret = true});
    t.push_back({.name = "cluster",
                 .type = OptionType::kString,
                 .default_value = "",
                 .description = "Cluster for distributed DDL (`ON CLUSTER`); empty: DDL runs on the connected server"});
    t.push_back({.name = "ca_cert",
                 .type = OptionType::kString,
                 .default_value = "",
                 .description = "PEM-encoded certificate authorities (the text, or a file path) trusted for https"});
    t.push_back({.name = "engine",
                 .type = OptionType::kObject,
                 .default_value = nullptr,
                 .description = "Table engine `{name, parameters}`: MergeTree (default), ReplacingMergeTree or their "
                                "Replicated/Shared variants. Tables with a primary key use the Replacing variant, "
                                "versioned by `_cq_sync_time`"});
    t.push_back({.name = "partition",
                 .type = OptionType::kObjectList,
                 .default_value = nullptr,
                 .description = "`PARTITION BY` rules: a list of `{tables, skip_tables, skip_incremental_tables, "
                                "partition_by}`; the first matching rule applies at table creation"});
    t.push_back({.name = "order",
                 .type = OptionType::kObjectList,
                 .default_value = nullptr,
                 .description = "`ORDER BY` rules for tables without a primary key: a list of `{tables, "
                                "skip_tables, order_by: [expressions]}`; default `ORDER BY tuple()`"});
    t.push_back({.name = "ttl",
                 .type = OptionType::kObjectList,
                 .default_value = nullptr,
                 .description = "`TTL` rules: a list of `{tables, skip_tables, ttl}` (ClickHouse 19.6 or newer)"});
    t.push_back({.name = "compression",
                 .type = OptionType::kEnum,
                 .default_value = "none",
                 .description = "Compression of INSERT bodies (`gzip` saves bandwidth to remote servers; `none` is "
                                "fastest on a local network)",
                 .choices = {"none", "gzip"}});
    t.push_back({.name = "connect_timeout",
                 .type = OptionType::kDuration,
                 .default_value = "10s",
                 .description = "Timeout to connect to the server",
                 .min = 1});
    t.push_back({.name = "request_timeout",
                 .type = OptionType::kDuration,
                 .default_value = "10m",
                 .description = "Timeout of one HTTP request (an INSERT, a DDL statement)",
                 .min = 1});
    t.push_back({.name = "mutation_timeout",
                 .type = OptionType::kDuration,
                 .default_value = "30m",
                 .description = "How long delete-stale and delete-record wait for their mutation to finish",
                 .min = 1});
    return t;
  }();
  return kTable;
}

Result<Spec> ParseSpec(const Options& options) {
  Spec s;
  FERRY_ASSIGN_OR_RETURN(s.endpoint, ParseConnectionString(options.GetString("connection_string")));
  if (options.Has("cluster")) s.cluster = options.GetString("cluster");
  if (options.Has("ca_cert")) s.ca_cert = options.GetString("ca_cert");
  if (options.Has("connect_timeout")) s.connect_timeout_ms = options.GetDurationMs("connect_timeout");
  if (options.Has("request_timeout")) s.request_timeout_ms = options.GetDurationMs("request_timeout");
  if (options.Has("mutation_timeout")) s.mutation_timeout_ms = options.GetDurationMs("mutation_timeout");
  s.compression = s.endpoint.compress ? Compression::kGzip : Compression::kNone;
  if (options.Has("compression")) {
    const std::string c = options.GetString("compression");
    if (c == "gzip")
      s.compression = Compression::kGzip;
    else if (c == "none")
      s.compression = Compression::kNone;
    else
      return Status::Invalid("compression \"" + c + "\" is not one of none, gzip");
  }

  if (options.Has("engine") && !options.json().at("engine").is_null()) {
    const json& e = options.json().at("engine");
    if (!e.is_object()) return Status::Invalid("engine must be a mapping {name, parameters}");
    for (const auto& [k, _] : e.items())
      if (k != "name" && k != "parameters") return Status::Invalid("engine: unknown key \"" + k + "\"");
    if (!e.contains("name") || !e["name"].is_string()) return Status::Invalid("engine.name is required (a string)");
    s.engine.name = e["name"].get<std::string>();
    std::string prefix;
    bool replacing = false;
    if (!SplitEngine(s.engine.name, &prefix, &replacing))
      return Status::Unsupported("engine \"" + s.engine.name +
                                 "\" is not supported: Ferry writes MergeTree, "
                                 "ReplacingMergeTree and their Replicated/Shared variants (other *MergeTree "
                                 "engines sum, aggregate or collapse the synced rows when parts merge)");
    if (e.contains("parameters") && !e["parameters"].is_null()) {
      if (!e["parameters"].is_array()) return Status::Invalid("engine.parameters must be a list");
      for (const auto& p : e["parameters"]) {
        if (p.is_string())
          s.engine.parameters.push_back(QuoteString(p.get<std::string>()));
        else if (p.is_number() || p.is_boolean())
          s.engine.parameters.push_back(p.dump());
        else
          return Status::Invalid("engine.parameters must hold strings and numbers");
      }
    }
  }

  FERRY_ASSIGN_OR_RETURN(auto parts, RuleItems(options, "partition"));
  for (const auto& r : parts) {
    PartitionRule rule;
    FERRY_ASSIGN_OR_RETURN(rule.match, ParseMatch(r, "partition", {"partition_by"}));
    FERRY_ASSIGN_OR_RETURN(rule.partition_by, RequiredString(r, "partition", "partition_by"));
    s.partition.push_back(std::move(rule));
  }
  FERRY_ASSIGN_OR_RETURN(auto orders, RuleItems(options, "order"));
  for (const auto& r : orders) {
    OrderRule rule;
    FERRY_ASSIGN_OR_RETURN(rule.match, ParseMatch(r, "order", {"order_by"}));
    if (!r.contains("order_by")) return Status::Invalid("order: every rule needs order_by (a list of expressions)");
    FERRY_ASSIGN_OR_RETURN(rule.order_by, StringList(r["order_by"], "order.order_by"));
    if (rule.order_by.empty()) return Status::Invalid("order: order_by must not be empty");
    s.order.push_back(std::move(rule));
  }
  FERRY_ASSIGN_OR_RETURN(auto ttls, RuleItems(options, "ttl"));
  for (const auto& r : ttls) {
    TtlRule rule;
    FERRY_ASSIGN_OR_RETURN(rule.match, ParseMatch(r, "ttl", {"ttl"}));
    FERRY_ASSIGN_OR_RETURN(rule.ttl, RequiredString(r, "ttl", "ttl"));
    s.ttl.push_back(std::move(rule));
  }
  return s;
}

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
