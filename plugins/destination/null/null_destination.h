// `null` destination: accepts everything and keeps nothing.
//
// Ferry-only, for measuring the engine without a database (bench/) and for
// dry runs. It counts rows and bytes so a benchmark can check that every row
// arrived; it supports every write mode and never fails.
#pragma once

#include <atomic>

#include "ferry/registry.h"

namespace ferry::plugins::null {

DestinationPlugin NullPlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::null
