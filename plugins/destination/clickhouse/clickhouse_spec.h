// The `spec:` of the `clickhouse` destination.
//
// Every key is bound once to its field (clickhouse_spec.cc, OptionBinder).
// SpecOptions() is the table (validation, defaults, --help, JSON schema and
// docs come from it); ParseSpec() fills a Spec, a plain value. CloudQuery's keys keep their meaning:
// connection_string, cluster, ca_cert, engine {name, parameters}, partition,
// order and ttl (lists of {tables, skip_tables, ...} rules; the first rule
// whose patterns match a table applies). batch_size, batch_size_bytes,
// batch_timeout and the retry options are the engine's (declared by the
// Registry with this plugin's batching defaults). Ferry adds compression and
// timeouts.
//
// Engines: MergeTree, ReplacingMergeTree and their Replicated / Shared
// variants. Tables with a primary key (overwrite modes) use the Replacing
// variant of the configured engine with `_cq_sync_time` as the version;
// tables without one use the plain variant (a Replacing engine over
// `ORDER BY tuple()` would collapse every row into one). Other *MergeTree
// engines sum, aggregate or collapse rows on merge and are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "plugins/destination/clickhouse/connection_string.h"

namespace ferry::plugins::clickhouse {

// Which tables a partition / order / ttl rule applies to.
struct TableMatch {
  std::vector<std::string> tables{"*"};  // glob patterns (fnmatch)
  std::vector<std::string> skip_tables;
  bool skip_incremental_tables = false;
  bool Matches(const TableSchema& table) const;
};

struct PartitionRule {
  TableMatch match;
  std::string partition_by;  // a ClickHouse expression, used verbatim
};
struct OrderRule {
  TableMatch match;
  std::vector<std::string> order_by;  // expressions, used verbatim
};
struct TtlRule {
  TableMatch match;
  std::string ttl;  // a ClickHouse TTL expression, used verbatim
};

struct EngineSpec {
  std::string name = "MergeTree";
  std::vector<std::string> parameters;  // rendered SQL: strings quoted, numbers as written
};

enum class Compression { kNone, kGzip };

struct Spec {
  Endpoint endpoint;
  std::string cluster;
  std::string ca_cert;  // PEM text, or a path to a PEM file
  EngineSpec engine;
  std::vector<PartitionRule> partition;
  std::vector<OrderRule> order;
  std::vector<TtlRule> ttl;
  Compression compression = Compression::kNone;
  int64_t connect_timeout_ms{};
  int64_t request_timeout_ms{};
  int64_t mutation_timeout_ms{};

  // The first matching rule, or null.
  const PartitionRule* PartitionFor(const TableSchema& t) const;
  const OrderRule* OrderFor(const TableSchema& t) const;
  const TtlRule* TtlFor(const TableSchema& t) const;
};

const OptionTable& SpecOptions();

// Fails on a bad connection string, an unsupported engine, a malformed rule.
Result<Spec> ParseSpec(const Options& options);

// The engine a table gets: the Replacing variant of `spec` for tables with a
// primary key (with `_cq_sync_time` appended as the version), the plain
// variant otherwise. Returns the engine name and its full clause.
struct EngineChoice {
  std::string name;    // e.g. "ReplacingMergeTree"
  std::string clause;  // e.g. "ReplacingMergeTree(`_cq_sync_time`)"
};
EngineChoice EngineFor(const EngineSpec& spec, bool has_primary_key);

}  // namespace ferry::plugins::clickhouse
