// The `spec:` of the `sample` source.
//
// TEMPLATE: scripts/new-plugin.sh copies this folder and renames "sample".
// Every key is bound once to its field (sample_spec.cc). An API source
// keeps `endpoint` (emulators and tests point it at 127.0.0.1), its
// concurrency and its client-side rate limit.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::sample {

struct Spec {
  std::string endpoint;          // base URL of the API
  int64_t concurrency{};         // worker threads for (table, client) tasks
  int64_t rate_per_second{};     // client-side limit per host; 0: none
  int64_t request_timeout_ms{};
};

const OptionTable& SpecOptions();
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::sample
