// YAML text -> JSON values that remember where each value was written.
//
// A spec file section is parsed with yaml-cpp, then converted to
// nlohmann::json, the form plugins receive (CloudQuery converts YAML to JSON
// too). While converting, every mapping key and sequence item is recorded in a
// SourceMap under its JSON pointer ("/spec/spec/num_rows"), and every scalar
// value is passed through ${...} expansion (expand.h).
//
// Plain scalars follow the YAML 1.2 core schema: null, ~ and the empty value
// are null; true/false (any of True, TRUE) are booleans; decimal, 0x and 0o
// integers are integers; decimal floats are numbers. Kept as strings, on
// purpose: quoted and block (| >) scalars, integers with leading zeros
// ("0123", account ids), integers too large for 64 bits, .inf/.nan, and any
// value that contained a ${...} expansion. YAML 1.1 words (yes, no, on, off)
// are strings. Merge keys (<<: *anchor) are honoured; a key repeated in one
// mapping is an error.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/expand.h"
#include "config/spec.h"
#include "ferry/status.h"

namespace ferry::config {

// Hostile specs. A spec file is read whole (it is configuration), up to
// kMaxSpecFileBytes. YAML aliases (*name) are expanded into the JSON a plugin
// receives, so a few lines can name billions of values ("billion laughs"):
// one load (every section of every file, counted in an ExpansionBudget) may
// produce at most kMaxExpandedValues values and kMaxExpandedBytes of text,
// counted as they are converted, whatever the aliases: scalars as expanded
// (a ${file:...} counts its content), mapping keys of every copy, and the
// source map's JSON pointers (each repeats its ancestors' keys). Both bounds are far above any real spec and keep memory a
// small multiple of the file.
inline constexpr size_t kMaxSpecFileBytes = 4u << 20;
inline constexpr size_t kMaxExpandedValues = 250000;
inline constexpr size_t kMaxExpandedBytes = 32u << 20;
inline constexpr int kMaxNesting = 64;   // lists and mappings inside each other

struct ExpansionBudget {
  size_t values = 0;
  size_t bytes = 0;
};

// JSON pointer -> location, for one file. Immutable once built; shared by
// every spec decoded from that file (their LocationFn hold a reference).
class SourceMap {
 public:
  explicit SourceMap(std::string file) : file_(std::move(file)) {}

  void Add(const std::string& pointer, int line, int column);
  // Where `pointer` was written; for a pointer that was never recorded (a
  // missing key) the location of its nearest recorded ancestor.
  Location Find(const std::string& pointer) const;
  const std::string& file() const { return file_; }
  // Values produced by ${...} expansion: messages must not print them; they
  // name the text as written instead (`as_written`, e.g. "${file:/k.pem}").
  void MarkExpanded(const std::string& pointer, std::string as_written = "") {
    expanded_[pointer] = std::move(as_written);
  }
  bool IsExpanded(const std::string& pointer) const { return expanded_.count(pointer) > 0; }
  // The text as written of an expanded value, or "".
  std::string Origin(const std::string& pointer) const {
    auto it = expanded_.find(pointer);
    return it == expanded_.end() ? "" : it->second;
  }

 private:
  std::string file_;
  std::unordered_map<std::string, std::pair<int, int>> marks_;
  std::unordered_map<std::string, std::string> expanded_;
};

// `pointer` + "/" + `token` with ~ and / escaped (RFC 6901).
std::string AppendPointer(const std::string& pointer, const std::string& token);
// The last token of a pointer, unescaped ("" for the root).
std::string LastToken(const std::string& pointer);

struct YamlDocument {
  nlohmann::json value;                    // null for an empty document
  std::shared_ptr<const SourceMap> where;  // pointers are relative to `value`
};

// Parses one section of a file (CloudQuery splits files on "\n---\n") into
// its documents. `first_line` is the 1-based line of the section's first line
// in the file, so reported lines are file lines. Syntax errors read
// "file:line:col: invalid YAML: ...".
// `budget` counts what this load converted so far (a fresh one when null).
Result<std::vector<YamlDocument>> ParseYamlSection(const std::string& text, const std::string& file, int first_line,
                                                   const ExpandOptions& expand, ExpansionBudget* budget = nullptr);

}  // namespace ferry::config
