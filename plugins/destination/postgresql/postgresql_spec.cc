#include "plugins/destination/postgresql/postgresql_spec.h"

#include "ferry/option_binder.h"

namespace ferry::plugins::postgresql {

namespace {

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.String(&Spec::connection_string,
           {.name = "connection_string",
            .description = "libpq connection string: a URL such as "
                           "`postgres://user:pass@localhost:5432/db?sslmode=require` or "
                           "`host=localhost dbname=db user=u sslmode=verify-full`; TLS and every other "
                           "libpq parameter pass through; `search_path` selects the schema "
                           "(`options=-csearch_path=myschema`)",
            .required = true,
            .secret = true});
  b.Bool(&Spec::create_performance_indexes,
         {.name = "create_performance_indexes",
          .default_value = false,
          .description = "Create the index `<table>_cqpi` on (_cq_source_name, _cq_sync_time) "
                         "of every table, which makes delete-stale fast on large tables"});
  b.Bool(&Spec::cq_id_unique,
         {.name = "cq_id_unique",
          .default_value = true,
          .description = "Ferry: give _cq_id a UNIQUE constraint in tables Ferry creates (overwrite modes), as "
                         "CloudQuery does, so foreign keys can point at it. false skips the index: an overwrite "
                         "sync into a new table takes about a third less time (docs/benchmarks.md)"});
  b.Duration(&Spec::connect_timeout_ms,
             {.name = "connect_timeout",
              .default_value = "10s",
              .description = "Ferry: how long a connection attempt may take (libpq connect_timeout, "
                             "whole seconds; a connect_timeout in the connection string wins)",
              .min = 1000});
  b.Ignored({.name = "pgx_log_level",
             .type = OptionType::kEnum,
             .default_value = "error",
             .description = "Accepted for CloudQuery compatibility and ignored: Ferry logs database "
                            "errors through --log-level",
             .choices = {"error", "warn", "info", "debug", "trace"}});
  b.Ignored({.name = "retry_on_deadlock",
             .type = OptionType::kInt,
             .default_value = 0,
             .description = "Accepted for CloudQuery compatibility: Ferry always retries deadlocks "
                            "(40P01), serialization failures (40001) and lost connections with backoff",
             .min = 0});
  for (const char* unsupported : {"pgvector_config", "lakebase", "aws_iam_auth"}) {
    const std::string key = unsupported;
    b.Custom({.name = key,
              .type = OptionType::kObject,
              .description = "CloudQuery option that Ferry does not support yet; setting it is an error"},
             [key](const nlohmann::json& v, Spec*) {
               if (v.is_null()) return Status::OK();
               return Status::Unsupported(key + " is a CloudQuery postgresql option that Ferry does not "
                                                "support yet; remove it");
             });
  }
  b.Check([](Spec* s) {
    if (s->connection_string.empty())
      return Status::Invalid("connection_string is required: set it to a libpq URL "
                             "(postgres://user:pass@host:5432/db) or key=value connection string");
    return Status::OK();
  });
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::postgresql
