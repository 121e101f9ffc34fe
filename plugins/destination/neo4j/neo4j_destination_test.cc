// The neo4j destination against the conformance suite, in its discard form
// (only the cases that need no reading back run), and its spec.
// TEMPLATE: once the destination stores rows, give the target a `read`, set
// `discards = false`, and every case runs.
#include "plugins/destination/neo4j/neo4j_destination.h"

#include <gtest/gtest.h>

#include "testing/destination_conformance.h"

namespace ferry::plugins::neo4j {
namespace {

}  // namespace

ferry::testing::ConformanceTarget Neo4jTarget() {
  ferry::testing::ConformanceTarget t;
  t.name = "Neo4j";
  t.plugin = Neo4jPlugin();
  t.open = [](const std::string& ns) -> Result<std::unique_ptr<ferry::Destination>> {
    auto d = std::make_unique<Neo4jDestination>();
    FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), nlohmann::json::object(), "neo4j", nullptr));
    FERRY_RETURN_NOT_OK(d->Init(o, DestinationInit{"neo4j_" + ns, "test"}));
    return std::unique_ptr<ferry::Destination>(std::move(d));
  };
  t.discards = true;
  return t;
}

namespace {

TEST(Neo4jSpec, DefaultsAndValidation) {
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
}  // namespace ferry::plugins::neo4j

namespace ferry::testing {
namespace {
INSTANTIATE_TEST_SUITE_P(Neo4j, DestinationConformance, ::testing::Values(plugins::neo4j::Neo4jTarget()),
                         ConformanceTargetName);
}  // namespace
}  // namespace ferry::testing
