#include "plugins/source/test/test_spec.h"

#include <algorithm>
#include <cstdlib>

#include "ferry/option_binder.h"

namespace ferry::plugins::test {

namespace {

using nlohmann::json;

Status CheckSpec(Spec* s) {
  for (const auto& e : s->required_env) {
    if (std::count(e.begin(), e.end(), '=') != 1 || e.front() == '=')
      return Status::Invalid("test source: required_env entry \"" + e + "\" must be in the format `KEY=value`");
  }
  const std::vector<std::string> known = {kSomeTable, kSubTable, kTestdataTable, kPaidTable, kSyntheticTable,
                                          kIncrementalTable, kWideTable};
  for (const auto& t : s->fail_tables) {
    if (std::find(known.begin(), known.end(), t) != known.end()) continue;
    std::string msg = "test source: fail_tables names unknown table \"" + t + "\"";
    std::string near = NearestName(t, known);
    if (!near.empty()) msg += "; did you mean \"" + near + "\"?";
    return Status::Invalid(msg);
  }
  return Status::OK();
}

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.Int(&Spec::num_clients, {.name = "num_clients", .default_value = 1,
                             .description = "Number of clients every table is multiplexed over (client_id 1..num_clients).",
                             .min = 1});
  b.Int(&Spec::num_rows, {.name = "num_rows", .default_value = 1,
                          .description = "Rows of test_some_table and test_paid_table per client.", .min = 0});
  b.Int(&Spec::num_sub_rows, {.name = "num_sub_rows", .default_value = 10,
                              .description = "Rows of test_sub_table per row of test_some_table.", .min = 0});
  b.Int(&Spec::num_sub_cols, {.name = "num_sub_cols", .default_value = 1,
                              .description = "Number of extra_column_N int64 columns of test_sub_table.", .min = 0});
  b.StringList(&Spec::required_env,
               {.name = "required_env", .default_value = json::array(),
                .description = "Environment variables that must be set, as `KEY=value` (`KEY=` means unset or "
                               "empty); the source fails to initialise when one does not match."});
  b.Bool(&Spec::fail_immediately,
         {.name = "fail_immediately", .default_value = false,
          .description = "The resolvers of test_some_table, test_sub_table and test_paid_table fail before "
                         "producing rows."});
  b.Bool(&Spec::exit_immediately,
         {.name = "exit_immediately", .default_value = false,
          .description = "The resolvers of test_some_table, test_sub_table and test_paid_table exit the process "
                         "with status 1."});
  b.IntList(&Spec::delete_records,
            {.name = "delete_records", .default_value = json::array(),
             .description = "After the sync, delete the rows of test_some_table with these resource_id values "
                            "(one delete_record message, an OR group of equality predicates)."});
  b.Int(&Spec::concurrency, {.name = "concurrency", .default_value = 8,
                             .description = "Ferry: worker threads resolving (table, client) pairs.", .min = 1});
  b.Int(&Spec::synthetic_rows,
        {.name = "synthetic_rows", .default_value = 0,
         .description = "Ferry: rows of the deterministic benchmark table test_synthetic_table per client (0: none).",
         .min = 0});
  b.Int(&Spec::wide_rows,
        {.name = "wide_rows", .default_value = 0,
         .description = "Ferry: rows of the deterministic wide benchmark table test_wide_table (25 columns: "
                        "strings, JSON, lists) per client (0: none).",
         .min = 0});
  b.StringList(&Spec::fail_tables,
               {.name = "fail_tables", .default_value = json::array(),
                .description = "Ferry: tables whose resolver returns an error (every client; per parent row for "
                               "relations)."});
  b.Duration(&Spec::resolve_delay_ms,
             {.name = "resolve_delay", .default_value = 0,
              .description = "Ferry: pause before every resolver call (per client; per parent row for relations), "
                             "e.g. `2s`; the pause ends early when the sync is cancelled.",
              .min = 0});
  b.Int(&Spec::incremental_rows,
        {.name = "incremental_rows", .default_value = 0,
         .description = "Ferry: rows that exist in the incremental table test_incremental_table per client (ids "
                        "1..N). With a state backend a sync fetches only the ids above the cursor, so raising N "
                        "between syncs makes the table grow.",
         .min = 0});
  b.Int(&Spec::checkpoint_every,
        {.name = "checkpoint_every", .default_value = 1000,
         .description = "Ferry: test_incremental_table checkpoints its cursor after every N rows (and at the end).",
         .min = 1});
  b.Int(&Spec::seed, {.name = "seed", .default_value = 0,
                      .description = "Ferry: seed of the extra_column_N values and of test_synthetic_table; equal "
                                     "seeds give equal data."});
  b.Check(CheckSpec);
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

Status CheckRequiredEnv(const Spec& spec) {
  for (const auto& e : spec.required_env) {
    size_t eq = e.find('=');
    std::string key = e.substr(0, eq), want = e.substr(eq + 1);
    const char* got = std::getenv(key.c_str());
    std::string have = got ? got : "";
    if (have != want)
      return Status::Invalid("test source: environment variable did not match expectation: " + key + " (want \"" +
                             want + "\", but got \"" + have + "\")");
  }
  return Status::OK();
}

}  // namespace ferry::plugins::test
