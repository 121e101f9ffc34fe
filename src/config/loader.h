// Loading CloudQuery-compatible spec files.
//
// Each path is a file or a directory. A directory contributes its non-hidden
// `*.yml` / `*.yaml` files, sorted by name, without recursing (CloudQuery's
// spec_reader). A file is normalised (\r\n -> \n) and split on the exact
// string "\n---\n"; each section holds `{kind, spec}` YAML documents, which
// are expanded (${ENV}, ${file:PATH}, ${time:...}; see expand.h) and decoded
// strictly (decode.h). Empty documents are skipped; a file without any
// document is an error, as is a directory without spec files.
//
// Across documents: names are unique per kind ("duplicate source name X",
// with both locations); every destination a source names exists; every
// transformer a destination names exists; one source path may not reach the
// same destination at two versions. `@@plugins.<name>.connection` values are
// left as written for the engine to resolve.
//
// Every error message starts with "file:line:col: " when it concerns a place
// in a file, and passes through Redact() (ferry/redact.h): values expanded
// from the environment or files never appear in it.
//
// Thread-compatible: LoadConfig reads the process environment and the working
// directory, and registers secrets (a thread-safe, process-wide registry).
#pragma once

#include <string>
#include <vector>

#include "config/expand.h"
#include "config/spec.h"
#include "ferry/status.h"

namespace ferry::config {

// Loads every spec in `paths` (files or directories), in order.
Result<Config> LoadConfig(const std::vector<std::string>& paths, const ExpandOptions& expand = {});

// Loads specs from `text` as if it were the content of the file `file_name`
// (used in messages only; ${file:...} paths still resolve against the
// working directory). For tests and stdin.
Result<Config> LoadConfigFromString(const std::string& text, const std::string& file_name,
                                    const ExpandOptions& expand = {});

// What `sync` needs on top of a well-formed config: at least one source and
// at least one destination (CloudQuery: "expecting at least one source").
// `tables`, `migrate` of a destination-only config, and similar commands may
// skip this check.
Status ValidateForSync(const Config& config);

}  // namespace ferry::config
