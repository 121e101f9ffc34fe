// Plugin options declared as a table.
//
// Every integration declares its nested `spec:` keys as an OptionTable: name,
// type, default, description. One table drives validation (unknown keys are
// rejected with the nearest valid key suggested), defaults, `--help` text,
// the JSON schema and the generated docs. Values arrive as JSON, as they do
// over CloudQuery's protocol (Init.spec).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/status.h"

namespace ferry {

enum class OptionType {
  kString,
  kInt,         // JSON integer
  kBool,
  kDuration,    // "30s", "5m", "1h30m", "250ms" or an integer number of seconds
  kByteSize,    // integer bytes, or "10MiB", "4MB", "512KiB"
  kStringList,
  kIntList,
  kObject,      // free-form object, validated by the plugin
  kObjectList,  // list of free-form objects (a single object counts as a list of one)
  kEnum,        // a string from `choices`
};

const char* OptionTypeName(OptionType t);

struct OptionSpec {
  std::string name;
  OptionType type;
  nlohmann::json default_value;   // null when there is no default
  std::string description;
  bool required = false;
  bool secret = false;             // never printed (connection strings, passwords)
  std::vector<std::string> choices;  // kEnum
  int64_t min = INT64_MIN;         // kInt / kDuration(ms) / kByteSize lower bound
};
using OptionTable = std::vector<OptionSpec>;

// Maps a JSON pointer inside the spec ("/num_rows") to "file:line:col" for
// error messages; supplied by the config loader. May be empty.
using LocationFn = std::function<std::string(const std::string& json_pointer)>;

// Validated options with defaults filled in. Durations are stored as
// milliseconds and byte sizes as bytes (integers).
//
// Options returned by ValidateOptions know the keys their table declares: a
// getter or Has() called with any other name aborts (a misspelt name in code
// fails every test that reaches it instead of reading 0, "" or false).
// Options built by hand from JSON (tests) are not validated(); an
// OptionBinder validates them before reading.
class Options {
 public:
  Options() = default;
  explicit Options(nlohmann::json values) : values_(std::move(values)) {}
  Options(nlohmann::json values, std::shared_ptr<const std::vector<std::string>> declared)
      : values_(std::move(values)), declared_(std::move(declared)) {}

  bool validated() const { return declared_ != nullptr; }
  const nlohmann::json& json() const { return values_; }
  bool Has(const std::string& name) const;
  std::string GetString(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  int64_t GetDurationMs(const std::string& name) const;
  int64_t GetBytes(const std::string& name) const;
  std::vector<std::string> GetStringList(const std::string& name) const;
  std::vector<int64_t> GetIntList(const std::string& name) const;

 private:
  void CheckDeclared(const std::string& name) const;

  nlohmann::json values_;
  std::shared_ptr<const std::vector<std::string>> declared_;
};

// Validates `spec` (an object, or null for "no spec") against `table`.
// `what` names the spec in messages, e.g. `source "aws"`. Errors name the
// location, the key, what was expected, and the fix; they never contain the
// value of a `secret` option, and other values pass through Redact().
// A key given as null counts as absent. Integers, durations and byte sizes
// also accept strings ("42", "30s", "10MiB") and booleans accept "true" /
// "false", because values expanded from ${ENV} are strings.
// `origin` (may be empty) maps a pointer to the `${...}` text a value was
// expanded from: errors about such a value name that text, never the value.
Result<Options> ValidateOptions(const OptionTable& table, const nlohmann::json& spec,
                                const std::string& what, const LocationFn& where,
                                const LocationFn& origin = nullptr);

// JSON Schema (draft 2020-12) for the table, as GetSpecSchema returns it.
nlohmann::json OptionsJsonSchema(const OptionTable& table);
// Markdown table of the options, for docs and --help.
std::string OptionsMarkdown(const OptionTable& table);

// The batching options every destination declares: batch_size (rows),
// batch_size_bytes and batch_timeout. Destinations only declare them, with
// their own defaults; the engine's DestinationWriter reads them and batches.
// `unit` completes the descriptions ("written in one transaction").
struct BatchingDefaults {
  int64_t rows;
  int64_t bytes;
  std::string timeout;  // a duration such as "20s"
  std::string unit;
  // The first kRampUpSteps writes of each (table, client) stream are cut at
  // 1/16, 1/8, 1/4 and 1/2 of batch_size / batch_size_bytes, so a destination
  // whose batch is large (one ClickHouse part) starts writing while the
  // source is still producing, instead of after the whole first batch was made.
  bool ramp_up = false;
  static constexpr int kRampUpSteps = 4;
};
void AddBatchingOptions(OptionTable* table, const BatchingDefaults& defaults);

// Parsers shared with the config loader.
// Go-style duration ("1h30m", "1.5s", "250ms", "-5m"; units ns us ms s m h)
// or a bare integer number of seconds ("30"); result in milliseconds,
// truncated toward zero.
Result<int64_t> ParseDurationMs(const std::string& text);
// Integer bytes ("1024"), or a number and a unit, case-insensitive, optional
// space: B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024).
Result<int64_t> ParseByteSize(const std::string& text);
// Closest candidate by case-insensitive Levenshtein distance, or "" when
// nothing is within max(2, name.size() / 3) edits; failing that, the shortest
// candidate that `name` (4+ characters) is a prefix of ("table" -> "table_name").
std::string NearestName(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace ferry
