#include "config/yaml_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ferry::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

ExpandOptions Env(std::map<std::string, std::string> vars) {
  ExpandOptions o;
  o.lookup_env = [vars = std::move(vars)](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  return o;
}

YamlDocument ParseOne(const std::string& text, int first_line = 1, const ExpandOptions& o = {}) {
  auto r = ParseYamlSection(text, "f.yml", first_line, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || r->empty()) return {json(nullptr), std::make_shared<SourceMap>("f.yml")};
  return (*r)[0];
}

TEST(YamlJsonTest, PlainScalarsFollowTheCoreSchema) {
  auto doc = ParseOne(
      "a: 1\nb: -7\nc: 1.5\nd: true\ne: False\nf: null\ng: ~\nh:\ni: hello\nj: yes\nk: 0x1F\nl: 0o17\n"
      "m: 0123\nn: 99999999999999999999999\no: 1e3\np: .inf\nq: 18446744073709551615\n");
  const json& v = doc.value;
  EXPECT_EQ(v["a"], 1);
  EXPECT_TRUE(v["a"].is_number_integer());
  EXPECT_EQ(v["b"], -7);
  EXPECT_DOUBLE_EQ(v["c"].get<double>(), 1.5);
  EXPECT_EQ(v["d"], true);
  EXPECT_EQ(v["e"], false);
  EXPECT_TRUE(v["f"].is_null());
  EXPECT_TRUE(v["g"].is_null());
  EXPECT_TRUE(v["h"].is_null());
  EXPECT_EQ(v["i"], "hello");
  EXPECT_EQ(v["j"], "yes");  // YAML 1.1 booleans are strings
  EXPECT_EQ(v["k"], 31);
  EXPECT_EQ(v["l"], 15);
  EXPECT_EQ(v["m"], "0123");  // leading zero: digits kept as written
  EXPECT_EQ(v["n"], "99999999999999999999999");
  EXPECT_DOUBLE_EQ(v["o"].get<double>(), 1000.0);
  EXPECT_EQ(v["p"], ".inf");
  EXPECT_TRUE(v["q"].is_number_unsigned());
}

TEST(YamlJsonTest, QuotedAndBlockScalarsAreStrings) {
  auto doc = ParseOne("a: \"1\"\nb: 'true'\nc: |\n  line1\n  line2\nd: !!str 5\n");
  EXPECT_EQ(doc.value["a"], "1");
  EXPECT_EQ(doc.value["b"], "true");
  EXPECT_EQ(doc.value["c"], "line1\nline2\n");
  EXPECT_EQ(doc.value["d"], "5");
}

TEST(YamlJsonTest, RecordsKeyLocationsWithLineOffset) {
  auto doc = ParseOne("kind: source\nspec:\n  name: x\n  tables:\n    - a\n    - b\n", 10);
  const SourceMap& m = *doc.where;
  EXPECT_EQ(m.Find("/kind").ToString(), "f.yml:10:1");
  EXPECT_EQ(m.Find("/spec").ToString(), "f.yml:11:1");
  EXPECT_EQ(m.Find("/spec/name").ToString(), "f.yml:12:3");
  EXPECT_EQ(m.Find("/spec/tables/1").ToString(), "f.yml:15:7");
  // A key that was never written maps to its nearest written parent.
  EXPECT_EQ(m.Find("/spec/spec/num_rows").ToString(), "f.yml:11:1");
}

TEST(YamlJsonTest, PointerEscaping) {
  EXPECT_EQ(AppendPointer("/a", "b/c~d"), "/a/b~1c~0d");
  EXPECT_EQ(LastToken("/a/b~1c~0d"), "b/c~d");
  EXPECT_EQ(LastToken(""), "");
  auto doc = ParseOne("\"a/b\": 1\n");
  EXPECT_EQ(doc.where->Find("/a~1b").line, 1);
}

TEST(YamlJsonTest, ExpandsScalarValuesOnlyAndKeepsThemStrings) {
  auto doc = ParseOne("# comment ${UNSET_IN_COMMENT}\nn: ${N}\ns: \"x-${N}\"\n${N}: key\n", 1, Env({{"N", "5"}}));
  EXPECT_EQ(doc.value["n"], "5");
  EXPECT_EQ(doc.value["s"], "x-5");
  EXPECT_EQ(doc.value["${N}"], "key");  // keys are not expanded
  EXPECT_TRUE(doc.where->IsExpanded("/n"));
  EXPECT_FALSE(doc.where->IsExpanded("/${N}"));
}

TEST(YamlJsonTest, VariablesInsideFlowCollections) {
  ExpandOptions o = Env({{"A", "x, y"}, {"B", "}{"}});
  o.now = std::chrono::system_clock::time_point(std::chrono::seconds(1706696430));
  auto doc = ParseOne("spec: {dsn: ${A}, other: \"${B}\"}\nlist: [${A}, '${B}', ${time:now|Jan 2, 2006}]\n", 1, o);
  EXPECT_EQ(doc.value["spec"], json({{"dsn", "x, y"}, {"other", "}{"}}));
  EXPECT_EQ(doc.value["list"], json({"x, y", "}{", "Jan 31, 2024"}));
  // Columns after a variable are unchanged.
  EXPECT_EQ(doc.where->Find("/spec/other").column, 19);
  EXPECT_EQ(doc.where->Find("/list/2").column, 22);
}

TEST(YamlJsonTest, ShieldLeavesLookalikeTextAlone) {
  auto doc = ParseOne("a: \"$^0~ and $(x) ${\"\nb: ${}\n${K}: v\n", 1, Env({}));
  EXPECT_EQ(doc.value["a"], "$^0~ and $(x) ${");
  EXPECT_EQ(doc.value["b"], "${}");
  EXPECT_EQ(doc.value["${K}"], "v");
}

TEST(YamlJsonTest, ExpansionErrorsNameTheKeyAndLine) {
  auto r = ParseYamlSection("spec:\n  spec:\n    connection_string: ${FERRY_YJ_UNSET}\n", "c.yml", 5, Env({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "c.yml:7:24: environment variable FERRY_YJ_UNSET is not set (used in key \"connection_string\")");
  auto list = ParseYamlSection("tables:\n  - ${FERRY_YJ_UNSET}\n", "c.yml", 1, Env({}));
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("c.yml:2:5: environment variable FERRY_YJ_UNSET is not set (used "
                                                 "in key \"tables\")"));
}

TEST(YamlJsonTest, MergeKeys) {
  auto doc = ParseOne("base: &b\n  x: 1\n  y: 2\nthing:\n  <<: *b\n  y: 3\n");
  EXPECT_EQ(doc.value["thing"], json({{"x", 1}, {"y", 3}}));
}

TEST(YamlJsonTest, RepeatedKeyIsAnError) {
  auto r = ParseYamlSection("a: 1\nb: 2\na: 3\n", "f.yml", 1, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "f.yml:3:1: key \"a\" is repeated (first at line 1)");
}

TEST(YamlJsonTest, SyntaxErrorsCarryFileLines) {
  auto r = ParseYamlSection("a: 1\nb: [1, 2\n", "f.yml", 20, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("f.yml:2"));
  EXPECT_THAT(r.status().message(), HasSubstr("invalid YAML"));
}

TEST(YamlJsonTest, SeveralDocumentsInOneSection) {
  auto r = ParseYamlSection("a: 1\n--- # another\nb: 2\n", "f.yml", 1, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].value["b"], 2);
  EXPECT_EQ((*r)[1].where->Find("/b").line, 3);
}

TEST(YamlJsonTest, NonScalarKeysAreRejected) {
  auto r = ParseYamlSection("? [a, b]\n: 1\n", "f.yml", 1, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("mapping keys must be plain text"));
}

}  // namespace
}  // namespace ferry::config
