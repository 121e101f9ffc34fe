// Strict decoding of one `{kind, spec}` document into a Config.
//
// Mirrors the CloudQuery CLI's DisallowUnknownFields decoding and the
// Validate()/SetDefaults() of its source, destination and transformer specs:
// unknown keys are errors (with the nearest valid key, or a hint for keys that
// moved, such as the legacy top-level `concurrency`), values must have the
// right type, required keys must be present, enums must hold a valid choice.
// Every message starts with "file:line:col: " and names the key and the spec
// ("source \"aws\""). Values produced by ${...} are never printed.
//
// Checks that need every document (duplicate names, references between
// specs) are the loader's (loader.cc).
#pragma once

#include <vector>

#include "config/spec.h"
#include "config/yaml_json.h"
#include "ferry/status.h"

namespace ferry::config {

// Decodes `doc` and appends the spec it holds to `config` (and any warnings
// to config->warnings). A null document is ignored. Returns every problem
// found (each unknown key and each value of a wrong type); when there is one,
// nothing is appended.
std::vector<Status> DecodeDocument(const YamlDocument& doc, Config* config);

}  // namespace ferry::config
