// The `spec:` of the `neo4j` destination.
//
// TEMPLATE: scripts/new-plugin.sh copies this folder and renames "neo4j".
// Replace the example key with the integration's own; every key is bound once
// to its field (neo4j_spec.cc), so validation, defaults, --help, the JSON
// schema and docs/plugins.md all come from that one declaration. The engine
// owns batch_size, batch_size_bytes, batch_timeout and the retry options:
// never declare them here (choose batching defaults in the descriptor).
#pragma once

#include <string>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::neo4j {

struct Spec {
  // Where the data would go. The neo4j discards rows and only checks it.
  std::string connection_string;
};

const OptionTable& SpecOptions();

// Fills a Spec from options validated against SpecOptions() (hand-built
// Options are validated first).
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::neo4j
