// `null` destination: accepts everything and keeps nothing.
//
// Ferry-only, for measuring the engine without a database (bench/) and for
// dry runs. It supports every write mode and keeps nothing, but fails calls
// that break the destination contract (a table written before it was
// migrated, any call after Close) as a real destination would; the
// conformance suite runs on it in discard form.
#pragma once

#include <atomic>

#include "ferry/registry.h"

namespace ferry::plugins::null {

DestinationPlugin NullPlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::null
