// The column kinds of the API sources' catalogs (gcp, aws) and the one
// conversion of a JSON value into a Ferry Value of that kind.
//
// A catalog column names a kind ("utf8", "int64", "timestamp", ...) and
// each kind maps to one Ferry type (TypeOf). ConvertJson accepts what the
// REST APIs send for it: numbers or numeric strings for integers (a uint64
// above 2^63 wraps, as CloudQuery's cast), RFC 3339 text for timestamps,
// base64 (either alphabet) for binary, proto3 JSON Durations ("3.5s") as
// int64 nanoseconds, "NaN"/"Infinity" for floats, 0/1 for booleans, and
// decimal text for integers truncated ("1700000000.5"); anything else is an error
// the caller turns into a NULL and a warning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry::plugins {

enum class ValueKind {
  kUtf8, kInt64, kUInt64, kFloat64, kBool, kJson, kUtf8List, kInt64List, kTimestamp, kDurationNs, kBinary
};

// "utf8", "int64", "uint64", "float64", "bool", "json", "list<utf8>",
// "list<int64>", "timestamp", "duration_ns", "binary"; `where` names the
// catalog entry in the error.
Result<ValueKind> KindOf(const std::string& type, const std::string& where);
DataTypePtr TypeOf(ValueKind kind);

Result<Value> ConvertJson(ValueKind kind, const nlohmann::json& v);

// The string at `key` of a catalog object: "" when absent (or null) and not
// required; errors name `where` and the key.
Result<std::string> CatalogString(const nlohmann::json& j, const char* key, const std::string& where,
                                  bool required = true);

// The value at a path of object keys in `doc`; null when a step is missing
// or not an object.
const nlohmann::json* JsonAt(const nlohmann::json& doc, const std::vector<std::string>& path);

// "a.b.c" -> {"a", "b", "c"}: a field path of a catalog or of a placeholder.
std::vector<std::string> SplitDots(std::string_view s);

// RFC 3339 with 'Z' or a numeric offset ("2024-01-02T03:04:05.123-08:00"),
// as microseconds since the epoch.
Result<int64_t> ParseRfc3339(const std::string& text);

}  // namespace ferry::plugins
