#include "plugins/destination/postgresql/postgresql_spec.h"

#include <algorithm>

namespace ferry::plugins::postgresql {

const OptionTable& SpecOptions() {
  static const OptionTable kTable = [] {
    OptionTable t;
    t.push_back({.name = "connection_string",
                 .type = OptionType::kString,
                 .default_value = nullptr,
                 .description = "libpq connection string: a URL such as "
                                "`postgres://user:pass@localhost:5432/db?sslmode=require` or "
                                "`host=localhost dbname=db user=u sslmode=verify-full`; TLS and every other "
                                "libpq parameter pass through; `search_path` selects the schema "
                                "(`options=-csearch_path=myschema`)",
                 .required = true,
                 .secret = true});
    t.push_back({.name = "create_performance_indexes",
                 .type = OptionType::kBool,
                 .default_value = false,
                 .description = "Create the index `<table>_cqpi` on (_cq_source_name, _cq_sync_time) "
                                "of every table, which makes delete-stale fast on large tables"});
    t.push_back({.name = "connect_timeout",
                 .type = OptionType::kDuration,
                 .default_value = "10s",
                 .description = "Ferry: how long a connection attempt may take (libpq connect_timeout; "
                                "a connect_timeout in the connection string wins)",
                 .min = 1000});
    t.push_back({.name = "pgx_log_level",
                 .type = OptionType::kEnum,
                 .default_value = "error",
                 .description = "Accepted for CloudQuery compatibility and ignored: Ferry logs database "
                                "errors through --log-level",
                 .choices = {"error", "warn", "info", "debug", "trace"}});
    t.push_back({.name = "retry_on_deadlock",
                 .type = OptionType::kInt,
                 .default_value = 0,
                 .description = "Accepted for CloudQuery compatibility: Ferry always retries deadlocks "
                                "(40P01), serialization failures (40001) and lost connections with backoff",
                 .min = 0});
    for (const char* unsupported : {"pgvector_config", "lakebase", "aws_iam_auth"})
      t.push_back({.name = unsupported,
                   .type = OptionType::kObject,
                   .default_value = nullptr,
                   .description = "CloudQuery option that Ferry does not support yet; setting it is an error"});
    return t;
  }();
  return kTable;
}

Result<Spec> ParseSpec(const Options& options) {
  Spec s;
  s.connection_string = options.GetString("connection_string");
  if (s.connection_string.empty())
    return Status::Invalid("connection_string is required: set it to a libpq URL "
                           "(postgres://user:pass@host:5432/db) or key=value connection string");
  for (const char* unsupported : {"pgvector_config", "lakebase", "aws_iam_auth"})
    if (options.Has(unsupported))
      return Status::Unsupported(std::string(unsupported) +
                                 " is a CloudQuery postgresql option that Ferry does not support yet; remove it");
  if (options.Has("create_performance_indexes")) s.create_performance_indexes = options.GetBool("create_performance_indexes");
  if (options.Has("connect_timeout")) s.connect_timeout_s = std::max<int64_t>(1, options.GetDurationMs("connect_timeout") / 1000);
  return s;
}

}  // namespace ferry::plugins::postgresql
