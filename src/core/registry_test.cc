#include "ferry/registry.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(Registry, ANameRegisteredTwiceIsAnError) {
  Registry r;
  SourcePlugin s;
  s.name = "aws";
  ASSERT_TRUE(r.AddSource(s).ok());
  s.description = "another";
  Status again = r.AddSource(s);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.message().find("\"aws\" is registered twice"), std::string::npos) << again.message();
  EXPECT_EQ(r.FindSource("aws")->description, "") << "the first registration stays";
  DestinationPlugin d;
  d.name = "kafka";
  ASSERT_TRUE(r.AddDestination(d).ok());
  EXPECT_EQ(r.AddDestination(d).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(r.AddDestination(DestinationPlugin{}).code(), StatusCode::kAlreadyExists) << "a nameless plugin";
}

TEST(Registry, EngineOptionsAreDeclaredOnceWithTheDescriptorsDefaults) {
  Registry r;
  DestinationPlugin d;
  d.name = "d";
  d.batching = {.rows = 777, .bytes = 1 << 20, .timeout = "3s", .unit = "written"};
  ASSERT_TRUE(r.AddDestination(d).ok());
  auto opts = ValidateOptions(r.FindDestination("d")->options, nlohmann::json::object(), "destination \"d\"", nullptr);
  ASSERT_TRUE(opts.ok()) << opts.status().ToString();
  EXPECT_EQ(opts->GetInt("batch_size"), 777);
  EXPECT_EQ(opts->GetDurationMs("batch_timeout"), 3000);
  EXPECT_EQ(opts->GetInt("max_retries"), 10);
  EXPECT_EQ(opts->GetDurationMs("retry_timeout"), 60000);
}

TEST(Registry, BuiltinsRegisterWithoutClashes) {
  Registry r;
  ASSERT_TRUE(RegisterBuiltins(r).ok());
  EXPECT_EQ(r.SourceNames(), (std::vector<std::string>{"aws", "gcp", "host", "test"}));
}

}  // namespace
}  // namespace ferry
