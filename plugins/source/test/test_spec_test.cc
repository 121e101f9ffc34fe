#include "plugins/source/test/test_spec.h"

#include <gtest/gtest.h>

namespace ferry::plugins::test {
namespace {

using nlohmann::json;

Result<Spec> Parse(const json& spec) {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), spec, "source \"test\"", nullptr));
  return ParseSpec(o);
}

TEST(TestSpec, DefaultsMatchCloudQuery) {
  auto s = Parse(json::object());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->num_clients, 1);
  EXPECT_EQ(s->num_rows, 1);
  EXPECT_EQ(s->num_sub_rows, 10);
  EXPECT_EQ(s->num_sub_cols, 1);
  EXPECT_FALSE(s->fail_immediately);
  EXPECT_FALSE(s->exit_immediately);
  EXPECT_TRUE(s->required_env.empty());
  EXPECT_TRUE(s->delete_records.empty());
  EXPECT_EQ(s->concurrency, 8);
  EXPECT_EQ(s->synthetic_rows, 0);

  // Raw, unvalidated options take the same defaults.
  auto raw = ParseSpec(Options());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->num_sub_rows, 10);
  EXPECT_EQ(raw->concurrency, 8);
}

TEST(TestSpec, ReadsEveryOption) {
  auto s = Parse({{"num_clients", 3}, {"num_rows", 0}, {"num_sub_rows", 2}, {"num_sub_cols", 4},
                  {"required_env", {"A=b"}}, {"fail_immediately", true}, {"delete_records", {5, 6}},
                  {"concurrency", 2}, {"synthetic_rows", 100}, {"fail_tables", {"test_paid_table"}},
                  {"resolve_delay", "1500ms"}, {"seed", 9}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->num_clients, 3);
  EXPECT_EQ(s->num_rows, 0);
  EXPECT_EQ(s->num_sub_cols, 4);
  EXPECT_EQ(s->required_env, std::vector<std::string>{"A=b"});
  EXPECT_TRUE(s->fail_immediately);
  EXPECT_EQ(s->delete_records, (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(s->concurrency, 2);
  EXPECT_EQ(s->synthetic_rows, 100);
  EXPECT_EQ(s->fail_tables, std::vector<std::string>{"test_paid_table"});
  EXPECT_EQ(s->resolve_delay_ms, 1500);
  EXPECT_EQ(s->seed, 9);
}

TEST(TestSpec, RejectsBadValues) {
  EXPECT_FALSE(Parse({{"concurrency", 0}}).ok());
  EXPECT_FALSE(Parse({{"required_env", {"A=b=c"}}}).ok());
  EXPECT_FALSE(Parse({{"required_env", {"=b"}}}).ok());
  EXPECT_FALSE(Parse({{"fail_tables", {"nope"}}}).ok());
  EXPECT_FALSE(Parse({{"delete_records", {"x"}}}).ok());
  // Raw options bypass the table's bounds; ParseSpec still checks them.
  EXPECT_FALSE(ParseSpec(Options(json{{"num_clients", 0}})).ok());
}

TEST(TestSpec, RequiredEnv) {
  ::setenv("FERRY_TEST_SPEC_ENV", "v", 1);
  Spec s;
  s.required_env = {"FERRY_TEST_SPEC_ENV=v"};
  EXPECT_TRUE(CheckRequiredEnv(s).ok());
  s.required_env = {"FERRY_TEST_SPEC_ENV="};
  Status st = CheckRequiredEnv(s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("FERRY_TEST_SPEC_ENV"), std::string::npos);
}

}  // namespace
}  // namespace ferry::plugins::test
