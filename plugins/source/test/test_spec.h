// The `spec:` of the `test` source: CloudQuery's test-plugin options plus
// Ferry's own knobs for benchmarks and error-path tests.
//
// Every key is bound once to its field, default and bounds (test_spec.cc,
// OptionBinder). SpecOptions() is the table (validation, --help, JSON schema
// and docs come from it). ParseSpec() fills a Spec and checks what the table
// cannot express (required_env shape, known table names).
// A Spec is a plain value; once built it is shared read-only by all resolvers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::test {

// Table names, shared by the tables, the spec checks and the tests.
inline constexpr const char* kSomeTable = "test_some_table";
inline constexpr const char* kSubTable = "test_sub_table";
inline constexpr const char* kTestdataTable = "test_testdata_table";
inline constexpr const char* kPaidTable = "test_paid_table";
inline constexpr const char* kSyntheticTable = "test_synthetic_table";
inline constexpr const char* kIncrementalTable = "test_incremental_table";
inline constexpr const char* kWideTable = "test_wide_table";

struct Spec {
  // CloudQuery's options (plugins/source/test/README.md, "Options").
  int64_t num_clients{};
  int64_t num_rows{};
  int64_t num_sub_rows{};
  int64_t num_sub_cols{};
  std::vector<std::string> required_env;   // "KEY=value"; "KEY=" means unset or empty
  bool fail_immediately{};
  bool exit_immediately{};
  std::vector<int64_t> delete_records;     // resource_id values of test_some_table
  // Ferry's options.
  int64_t concurrency{};
  int64_t synthetic_rows{};              // rows of test_synthetic_table per client
  int64_t wide_rows{};                   // rows of test_wide_table per client
  std::vector<std::string> fail_tables;    // resolvers of these tables return an error
  int64_t resolve_delay_ms{};            // pause before every resolver call
  int64_t seed{};                        // varies extra_column_* and synthetic values
  int64_t incremental_rows{};            // rows of test_incremental_table that exist per client
  int64_t checkpoint_every{};         // its cursor is checkpointed every N rows
};

// The declared options of the `test` source.
const OptionTable& SpecOptions();

// Reads a Spec from options validated against SpecOptions() (Options built by
// hand are validated first). Fails on a value out of bounds, a malformed
// required_env entry, an unknown table in fail_tables.
Result<Spec> ParseSpec(const Options& options);

// Checks every required_env entry against the process environment. The
// error names the variable, the wanted and the actual value.
Status CheckRequiredEnv(const Spec& spec);

}  // namespace ferry::plugins::test
