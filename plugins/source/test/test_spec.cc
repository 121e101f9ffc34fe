#include "plugins/source/test/test_spec.h"

#include <algorithm>
#include <cstdlib>

namespace ferry::plugins::test {

namespace {

using nlohmann::json;

OptionSpec Opt(std::string name, OptionType type, json def, std::string desc, int64_t min = INT64_MIN) {
  OptionSpec o;
  o.name = std::move(name);
  o.type = type;
  o.default_value = std::move(def);
  o.description = std::move(desc);
  o.min = min;
  return o;
}

int64_t IntOr(const Options& o, const char* name, int64_t def) { return o.Has(name) ? o.GetInt(name) : def; }

Status CheckMin(const char* name, int64_t v, int64_t min) {
  if (v >= min) return Status::OK();
  return Status::Invalid("test source: " + std::string(name) + " must be at least " + std::to_string(min) +
                         ", got " + std::to_string(v));
}

}  // namespace

const OptionTable& SpecOptions() {
  static const OptionTable table = {
      Opt("num_clients", OptionType::kInt, 1,
          "Number of clients every table is multiplexed over (client_id 1..num_clients).", 1),
      Opt("num_rows", OptionType::kInt, 1, "Rows of test_some_table and test_paid_table per client.", 0),
      Opt("num_sub_rows", OptionType::kInt, 10, "Rows of test_sub_table per row of test_some_table.", 0),
      Opt("num_sub_cols", OptionType::kInt, 1, "Number of extra_column_N int64 columns of test_sub_table.", 0),
      Opt("required_env", OptionType::kStringList, json::array(),
          "Environment variables that must be set, as `KEY=value` (`KEY=` means unset or empty); "
          "the source fails to initialise when one does not match."),
      Opt("fail_immediately", OptionType::kBool, false,
          "The resolvers of test_some_table, test_sub_table and test_paid_table fail before producing rows."),
      Opt("exit_immediately", OptionType::kBool, false,
          "The resolvers of test_some_table, test_sub_table and test_paid_table exit the process with status 1."),
      Opt("delete_records", OptionType::kIntList, json::array(),
          "After the sync, delete the rows of test_some_table with these resource_id values "
          "(one delete_record message, an OR group of equality predicates)."),
      Opt("concurrency", OptionType::kInt, 8, "Ferry: worker threads resolving (table, client) pairs.", 1),
      Opt("synthetic_rows", OptionType::kInt, 0,
          "Ferry: rows of the deterministic benchmark table test_synthetic_table per client (0: none).", 0),
      Opt("wide_rows", OptionType::kInt, 0,
          "Ferry: rows of the deterministic wide benchmark table test_wide_table (25 columns: strings, JSON, "
          "lists) per client (0: none).", 0),
      Opt("fail_tables", OptionType::kStringList, json::array(),
          "Ferry: tables whose resolver returns an error (every client; per parent row for relations)."),
      Opt("resolve_delay", OptionType::kDuration, 0,
          "Ferry: pause before every resolver call (per client; per parent row for relations), e.g. `2s`; "
          "the pause ends early when the sync is cancelled."),
      Opt("incremental_rows", OptionType::kInt, 0,
          "Ferry: rows that exist in the incremental table test_incremental_table per client (ids 1..N). "
          "With a state backend a sync fetches only the ids above the cursor, so raising N between "
          "syncs makes the table grow.", 0),
      Opt("checkpoint_every", OptionType::kInt, 1000,
          "Ferry: test_incremental_table checkpoints its cursor after every N rows (and at the end).", 1),
      Opt("seed", OptionType::kInt, 0,
          "Ferry: seed of the extra_column_N values and of test_synthetic_table; equal seeds give equal data."),
  };
  return table;
}

Result<Spec> ParseSpec(const Options& o) {
  Spec s;
  s.num_clients = IntOr(o, "num_clients", s.num_clients);
  s.num_rows = IntOr(o, "num_rows", s.num_rows);
  s.num_sub_rows = IntOr(o, "num_sub_rows", s.num_sub_rows);
  s.num_sub_cols = IntOr(o, "num_sub_cols", s.num_sub_cols);
  s.required_env = o.GetStringList("required_env");
  s.fail_immediately = o.GetBool("fail_immediately");
  s.exit_immediately = o.GetBool("exit_immediately");
  s.delete_records = o.GetIntList("delete_records");
  s.concurrency = IntOr(o, "concurrency", s.concurrency);
  s.synthetic_rows = IntOr(o, "synthetic_rows", s.synthetic_rows);
  s.wide_rows = IntOr(o, "wide_rows", s.wide_rows);
  s.fail_tables = o.GetStringList("fail_tables");
  s.resolve_delay_ms = o.GetDurationMs("resolve_delay");
  s.seed = IntOr(o, "seed", s.seed);
  s.incremental_rows = IntOr(o, "incremental_rows", s.incremental_rows);
  s.checkpoint_every = IntOr(o, "checkpoint_every", s.checkpoint_every);

  FERRY_RETURN_NOT_OK(CheckMin("num_clients", s.num_clients, 1));
  FERRY_RETURN_NOT_OK(CheckMin("num_rows", s.num_rows, 0));
  FERRY_RETURN_NOT_OK(CheckMin("num_sub_rows", s.num_sub_rows, 0));
  FERRY_RETURN_NOT_OK(CheckMin("num_sub_cols", s.num_sub_cols, 0));
  FERRY_RETURN_NOT_OK(CheckMin("concurrency", s.concurrency, 1));
  FERRY_RETURN_NOT_OK(CheckMin("synthetic_rows", s.synthetic_rows, 0));
  FERRY_RETURN_NOT_OK(CheckMin("wide_rows", s.wide_rows, 0));
  FERRY_RETURN_NOT_OK(CheckMin("resolve_delay", s.resolve_delay_ms, 0));
  FERRY_RETURN_NOT_OK(CheckMin("incremental_rows", s.incremental_rows, 0));
  FERRY_RETURN_NOT_OK(CheckMin("checkpoint_every", s.checkpoint_every, 1));

  for (const auto& e : s.required_env) {
    if (std::count(e.begin(), e.end(), '=') != 1 || e.front() == '=')
      return Status::Invalid("test source: required_env entry \"" + e + "\" must be in the format `KEY=value`");
  }
  const std::vector<std::string> known = {kSomeTable, kSubTable, kTestdataTable, kPaidTable, kSyntheticTable,
                                          kIncrementalTable, kWideTable};
  for (const auto& t : s.fail_tables) {
    if (std::find(known.begin(), known.end(), t) != known.end()) continue;
    std::string msg = "test source: fail_tables names unknown table \"" + t + "\"";
    std::string near = NearestName(t, known);
    if (!near.empty()) msg += "; did you mean \"" + near + "\"?";
    return Status::Invalid(msg);
  }
  return s;
}

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
