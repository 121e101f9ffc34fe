// `${...}` substitution in spec values, as the CloudQuery CLI does it.
//
//   ${NAME}              the environment variable NAME; unset is an error
//   ${file:PATH}         the content of PATH, verbatim (no trimming). A
//                        relative PATH resolves against the current working
//                        directory, not the spec file's folder (CloudQuery's
//                        behaviour: it calls os.ReadFile(PATH)).
//   ${time:EXPR}         a time (time_expr.h), RFC 3339 by default;
//   ${time:EXPR|LAYOUT}  formatted with a Go layout such as 2006-01-02.
//
// Differences from CloudQuery, on purpose: substitution runs on each parsed
// YAML scalar value rather than on the raw text, so comments are never
// expanded, line numbers stay right, and a value holding newlines or quotes
// (a PEM key, a JSON credentials file) needs no escaping. The result is always
// a string; ValidateOptions accepts numeric and boolean strings. Inserted text
// is not scanned again (CloudQuery would expand ${X} found inside a file).
//
// Every value taken from the environment or a file is registered with
// RegisterSecret (ferry/redact.h), except booleans and integers of at most 6
// digits (ports, counts: redacting every "true" or "5432" would corrupt logs
// and JSON summaries); error messages name the variable or the path and the
// key, never a value. Times are not secrets and are not registered.
// Thread-compatible: the function has no state of its own.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "ferry/status.h"

namespace ferry::config {

// The most a ${file:} value may hold: keys, tokens and certificates are far
// smaller; a bound keeps ${file:/dev/zero} from reading forever.
inline constexpr size_t kMaxFileValueBytes = 1u << 20;


struct ExpandOptions {
  // Returns the value of an environment variable, or nullopt when it is
  // unset. Empty means the process environment (getenv).
  std::function<std::optional<std::string>(const std::string& name)> lookup_env;
  // The instant ${time:...} is relative to. Empty means the clock at call time.
  std::optional<std::chrono::system_clock::time_point> now;
  // Reads a ${file:PATH}: returns the content, or an error saying why (it is
  // put after "cannot read file ...: "). Empty means the file system (at most
  // kMaxFileValueBytes). The fuzz harness serves its own files with it.
  std::function<Result<std::string>(const std::string& path)> read_file;
  // Lower bounds than kMaxExpandedValues / kMaxExpandedBytes (yaml_json.h)
  // for one load; zero keeps those. The fuzz harness lowers them so that it
  // explores the loader's logic rather than the cost of a maximal alias bomb.
  size_t max_expanded_values = 0;
  size_t max_expanded_bytes = 0;
};

// True when `text` contains something ExpandVariables would substitute.
bool HasVariables(const std::string& text);

// Substitutes every ${...} in `text`. `where` ("file:line:col") and `key`
// (the YAML key the value belongs to) are used only in error messages, e.g.
//   config.yml:9:24: environment variable PG_URL is not set (used in key "connection_string")
// A `${` without a closing `}`, and `${}`, are left as written.
Result<std::string> ExpandVariables(const std::string& text, const std::string& where, const std::string& key,
                                    const ExpandOptions& options = {});

}  // namespace ferry::config
