// The `spec:` of the `postgresql` destination.
//
// Every key is bound once to its field (postgresql_spec.cc, OptionBinder).
// SpecOptions() is the table (validation, defaults, --help, JSON schema and
// docs come from it); it accepts every key of CloudQuery's
// postgresql spec so existing specs load unchanged. ParseSpec() turns Options
// validated against it into a Spec (keys absent from `options` take the table
// defaults) and refuses the CloudQuery keys Ferry does not implement
// (pgvector_config, lakebase, aws_iam_auth) with a message saying so.
//
// batch_size, batch_size_bytes, batch_timeout and the retry options are the
// engine's: the Registry declares them with this plugin's batching defaults
// (PostgresqlPlugin().batching). A Spec is a plain value.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::postgresql {

struct Spec {
  // libpq connection string: a URL (postgres://user:pass@host:5432/db?sslmode=require)
  // or key=value pairs (host=... dbname=... sslmode=verify-full sslrootcert=...).
  // Every libpq parameter, TLS ones included, is passed through unchanged.
  std::string connection_string;
  bool create_performance_indexes{};
  bool cq_id_unique{};   // UNIQUE(_cq_id) in new tables, as CloudQuery makes it
  int64_t connect_timeout_ms{};
  // libpq's connect_timeout is whole seconds (at least 1).
  int64_t connect_timeout_s() const { return connect_timeout_ms < 1000 ? 1 : connect_timeout_ms / 1000; }
};

const OptionTable& SpecOptions();

// Fails when connection_string is empty or an unsupported CloudQuery key is set.
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::postgresql
