#include "engine/table_selection.h"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

TableSchemaPtr T(const std::string& name, const std::string& parent = "") {
  auto t = std::make_shared<TableSchema>();
  t->name = name;
  t->parent = parent;
  return t;
}

std::vector<TableSchemaPtr> All() {
  return {T("aws_ec2_instances"), T("aws_ec2_instance_tags", "aws_ec2_instances"),
          T("aws_ec2_instance_tag_values", "aws_ec2_instance_tags"), T("aws_s3_buckets"),
          T("aws_s3_bucket_policies", "aws_s3_buckets")};
}

std::vector<std::string> Names(const std::vector<TableSchemaPtr>& ts) {
  std::vector<std::string> out;
  for (auto& t : ts) out.push_back(t->name);
  return out;
}

TEST(GlobTest, Matches) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("aws_*_instances", "aws_ec2_instances"));
  EXPECT_FALSE(GlobMatch("aws_*_instances", "aws_ec2_instance_tags"));
  EXPECT_TRUE(GlobMatch("aws_s3_?uckets", "aws_s3_buckets"));
  EXPECT_FALSE(GlobMatch("aws_s3", "aws_s3_buckets"));
}

TEST(SelectTablesTest, StarSelectsEverything) {
  auto r = SelectTables(All(), {"*"}, {}, true, "aws");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r).size(), 5u);
}

TEST(SelectTablesTest, SkipDependentTablesDefaultTrueSkipsChildren) {
  auto r = SelectTables(All(), {"aws_s3_buckets"}, {}, true, "aws");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), std::vector<std::string>{"aws_s3_buckets"});
  auto r2 = SelectTables(All(), {"aws_s3_buckets"}, {}, false, "aws");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Names(*r2), (std::vector<std::string>{"aws_s3_buckets", "aws_s3_bucket_policies"}));
}

TEST(SelectTablesTest, ChildBringsParents) {
  auto r = SelectTables(All(), {"aws_ec2_instance_tag_values"}, {}, true, "aws");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"aws_ec2_instances", "aws_ec2_instance_tags",
                                                 "aws_ec2_instance_tag_values"}));
}

TEST(SelectTablesTest, SkipParentSkipsChildren) {
  auto r = SelectTables(All(), {"*"}, {"aws_ec2_instances"}, true, "aws");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"aws_s3_buckets", "aws_s3_bucket_policies"}));
}

TEST(SelectTablesTest, PatternMatchingNothingIsAnError) {
  auto r = SelectTables(All(), {"aws_s3_bukets"}, {}, true, "aws");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("source \"aws\""), std::string::npos);
  EXPECT_NE(r.status().message().find("\"aws_s3_bukets\" matches no table"), std::string::npos);
  EXPECT_NE(r.status().message().find("did you mean \"aws_s3_buckets\""), std::string::npos) << r.status().message();
  auto r2 = SelectTables(All(), {"*"}, {"gcp_*"}, true, "aws");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("skip_tables"), std::string::npos);
}

}  // namespace
}  // namespace ferry::engine
