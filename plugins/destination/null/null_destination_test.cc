// The null destination against the conformance suite in its discard form
// (the cases that read nothing back).
#include "plugins/destination/null/null_destination.h"

#include <gtest/gtest.h>

#include "testing/destination_conformance.h"

namespace ferry::testing {
namespace {

ConformanceTarget NullTarget() {
  ConformanceTarget t;
  t.name = "Null";
  t.plugin = plugins::null::NullPlugin();
  t.open = [](const std::string& ns) -> Result<std::unique_ptr<ferry::Destination>> {
    std::unique_ptr<ferry::Destination> d = plugins::null::NullPlugin().create();
    FERRY_RETURN_NOT_OK(d->Init(Options(nlohmann::json::object()), DestinationInit{"null_" + ns, "test"}));
    return d;
  };
  t.discards = true;
  return t;
}

INSTANTIATE_TEST_SUITE_P(Null, DestinationConformance, ::testing::Values(NullTarget()), ConformanceTargetName);

}  // namespace
}  // namespace ferry::testing
