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

TEST(Registry, BuiltinsRegisterWithoutClashes) {
  Registry r;
  ASSERT_TRUE(RegisterBuiltins(r).ok());
  EXPECT_EQ(r.SourceNames(), (std::vector<std::string>{"host", "test"}));
}

}  // namespace
}  // namespace ferry
