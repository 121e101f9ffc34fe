// The skeleton destination against the conformance suite, in its discard form
// (only the cases that need no reading back run), and its spec.
// TEMPLATE: once the destination stores rows, give the target a `read`, set
// `discards = false`, and every case runs.
#include "plugins/templates/destination/skeleton_destination.h"

#include <gtest/gtest.h>

#include "testing/destination_conformance.h"

namespace ferry::plugins::skeleton {
namespace {

}  // namespace

ferry::testing::ConformanceTarget SkeletonTarget() {
  ferry::testing::ConformanceTarget t;
  t.name = "Skeleton";
  t.plugin = SkeletonPlugin();
  t.open = [](const std::string& ns) -> Result<std::unique_ptr<ferry::Destination>> {
    auto d = std::make_unique<SkeletonDestination>();
    FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), nlohmann::json::object(), "skeleton", nullptr));
    FERRY_RETURN_NOT_OK(d->Init(o, DestinationInit{"skeleton_" + ns, "test"}));
    return std::unique_ptr<ferry::Destination>(std::move(d));
  };
  t.discards = true;
  return t;
}

namespace {

TEST(SkeletonSpec, DefaultsAndValidation) {
  auto ok = ParseSpec(Options(nlohmann::json::object()));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->connection_string, "discard://");
  auto bad = ParseSpec(Options(nlohmann::json{{"connection_string", "postgres://x"}}));
  EXPECT_FALSE(bad.ok());
  auto typo = ParseSpec(Options(nlohmann::json{{"conection_string", "discard://"}}));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean \"connection_string\""), std::string::npos)
      << typo.status().message();
}

}  // namespace
}  // namespace ferry::plugins::skeleton

namespace ferry::testing {
namespace {
INSTANTIATE_TEST_SUITE_P(Skeleton, DestinationConformance, ::testing::Values(plugins::skeleton::SkeletonTarget()),
                         ConformanceTargetName);
}  // namespace
}  // namespace ferry::testing
