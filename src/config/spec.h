// The CloudQuery-compatible spec model: what `kind: source|destination|
// transformer` documents decode into.
//
// Values are plain data, copied freely. Defaults follow the CloudQuery CLI
// (CloudQuery's spec format; docs/architecture.md, "Specs"): an empty `registry` reads as
// "cloudquery", `version` is cleared for registries that do not use it
// (local, grpc, docker), `skip_dependent_tables` defaults to true.
//
// Every spec keeps where it was written (`where`) and a LocationFn that maps a
// JSON pointer inside its nested plugin `spec` ("/num_rows") to "file:line:col",
// so that ValidateOptions can point at the offending line; `locate` does the
// same for keys of the spec itself ("/tables/2"). A pointer that was never
// written (a missing key) maps to its nearest written parent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/options.h"

namespace ferry::config {

struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  // "file:line:col", "file:line" without a column, "file" without a line.
  std::string ToString() const;
};

struct BackendOptions {
  std::string table_name;
  std::string connection;  // often "@@plugins.<destination>.connection", left as written
};

struct SourceSpec {
  Location where;  // the document's `spec:` mapping
  std::string name, path, registry, version;
  std::string docker_registry_auth_token;
  std::vector<std::string> tables, skip_tables, destinations;
  bool skip_dependent_tables = true;
  std::optional<BackendOptions> backend_options;
  bool deterministic_cq_id = false;
  std::string otel_endpoint;
  bool otel_endpoint_insecure = false;
  nlohmann::json spec;  // the nested plugin spec; null when absent
  LocationFn spec_location;
  LocationFn spec_origin;   // JSON pointer -> "${...}" text the value was expanded from, or ""
  LocationFn locate;  // JSON pointer inside this spec mapping ("/tables/0") -> "file:line:col"
};

struct DestinationSpec {
  Location where;
  std::string name, path, registry, version;
  std::string docker_registry_auth_token;
  std::string write_mode = "overwrite-delete-stale";  // | overwrite | append
  std::string migrate_mode = "safe";                  // | forced
  std::string pk_mode = "default";                    // | cq-id-only
  std::string sync_group_id;  // template with {{SYNC_ID}}, {{YEAR}}, ... unrendered
  bool send_sync_summary = false;
  bool snapshot_views = false;   // Ferry: _latest / _changes views (ferry/snapshot_views.h); append only
  std::vector<std::string> transformers;  // names of kind: transformer specs, in order
  nlohmann::json spec;
  LocationFn spec_location;
  LocationFn spec_origin;   // JSON pointer -> "${...}" text the value was expanded from, or ""
  LocationFn locate;
};

struct TransformerSpec {
  Location where;
  std::string name, path, registry, version;
  std::string docker_registry_auth_token;
  nlohmann::json spec;
  LocationFn spec_location;
  LocationFn spec_origin;   // JSON pointer -> "${...}" text the value was expanded from, or ""
  LocationFn locate;
};

struct Config {
  std::vector<SourceSpec> sources;            // in file order
  std::vector<DestinationSpec> destinations;  // in file order
  std::vector<TransformerSpec> transformers;  // in file order
  std::vector<std::string> files;             // every file read, in order
  // Non-fatal findings, as the CLI prints them ("file:line:col: source "x": ...").
  std::vector<std::string> warnings;

  const SourceSpec* FindSource(const std::string& name) const;
  const DestinationSpec* FindDestination(const std::string& name) const;
  const TransformerSpec* FindTransformer(const std::string& name) const;
};

}  // namespace ferry::config
