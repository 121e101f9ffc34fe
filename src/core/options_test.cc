#include "ferry/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/redact.h"

namespace ferry {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

OptionSpec Opt(std::string name, OptionType type, json def, std::string description) {
  OptionSpec o;
  o.name = std::move(name);
  o.type = type;
  o.default_value = std::move(def);
  o.description = std::move(description);
  return o;
}

OptionSpec Secret(OptionSpec o) {
  o.secret = true;
  return o;
}

OptionSpec Required(OptionSpec o) {
  o.required = true;
  return o;
}

OptionSpec Min(OptionSpec o, int64_t min) {
  o.min = min;
  return o;
}

OptionSpec Choices(OptionSpec o, std::vector<std::string> choices) {
  o.choices = std::move(choices);
  return o;
}

OptionTable TestTable() {
  return {
      Min(Opt("num_rows", OptionType::kInt, 100, "Rows per table"), 0),
      Opt("name", OptionType::kString, "t", "A name"),
      Opt("enabled", OptionType::kBool, true, "Turn it on"),
      Min(Opt("timeout", OptionType::kDuration, "5m", "How long to wait"), 100),
      Opt("batch_size_bytes", OptionType::kByteSize, "4MiB", "Bytes per batch"),
      Opt("tables", OptionType::kStringList, json::array(), "Tables"),
      Opt("ports", OptionType::kIntList, nullptr, "Ports"),
      Opt("extra", OptionType::kObject, nullptr, "Anything"),
      Opt("rules", OptionType::kObjectList, nullptr, "Rules"),
      Choices(Opt("mode", OptionType::kEnum, "fast", "Speed"), {"fast", "safe", "careful"}),
      Secret(Opt("password", OptionType::kString, "default-pw-xyz", "Password")),
  };
}

LocationFn FakeLocations() {
  return [](const std::string& pointer) { return "config.yml:12" + pointer; };
}

Result<Options> Validate(const json& spec) {
  return ValidateOptions(TestTable(), spec, "source \"test\"", FakeLocations());
}

std::string Error(const json& spec) {
  auto r = Validate(spec);
  EXPECT_FALSE(r.ok()) << spec.dump();
  return r.ok() ? "" : r.status().message();
}

TEST(ValidateOptionsTest, NullAndEmptySpecGiveDefaults) {
  for (const json& spec : {json(nullptr), json::object()}) {
    auto r = Validate(spec);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->GetInt("num_rows"), 100);
    EXPECT_EQ(r->GetString("name"), "t");
    EXPECT_TRUE(r->GetBool("enabled"));
    EXPECT_EQ(r->GetDurationMs("timeout"), 5 * 60 * 1000);
    EXPECT_EQ(r->GetBytes("batch_size_bytes"), 4 * 1024 * 1024);
    EXPECT_TRUE(r->GetStringList("tables").empty());
    EXPECT_FALSE(r->Has("ports"));
    EXPECT_TRUE(r->GetIntList("ports").empty());
    EXPECT_EQ(r->GetString("mode"), "fast");
  }
}

TEST(ValidateOptionsTest, ObjectListTakesAListOrOneMapping) {
  auto list = Validate({{"rules", json::array({{{"tables", {"a"}}}, {{"tables", {"b"}}}})}});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->json()["rules"].size(), 2u);
  auto one = Validate({{"rules", {{"tables", {"a"}}}}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(one->json()["rules"].is_array());
  EXPECT_EQ(one->json()["rules"][0]["tables"][0], "a");
  EXPECT_THAT(Error({{"rules", json::array({{{"tables", {"a"}}}, "b"})}}),
              HasSubstr("config.yml:12/rules/1: key \"rules\""));
  EXPECT_THAT(Error({{"rules", json::array({{{"tables", {"a"}}}, "b"})}}), HasSubstr("item 1 is a string (\"b\")"));
  EXPECT_THAT(Error({{"rules", 3}}), HasSubstr("must be a list of mappings"));
}

TEST(ValidateOptionsTest, NullValueMeansDefault) {
  auto r = Validate({{"num_rows", nullptr}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->GetInt("num_rows"), 100);
}

TEST(ValidateOptionsTest, UnknownKeySuggestsNearest) {
  EXPECT_EQ(Error({{"num_rowz", 5}}),
            "config.yml:12/num_rowz: unknown key \"num_rowz\" in the spec of source \"test\"; did you mean "
            "\"num_rows\"? Valid keys: num_rows, name, enabled, timeout, batch_size_bytes, tables, ports, extra, rules, "
            "mode, password");
}

TEST(ValidateOptionsTest, UnknownKeyWithoutCloseMatchListsKeys) {
  std::string msg = Error({{"zzzzzzzz", 5}});
  EXPECT_THAT(msg, HasSubstr("unknown key \"zzzzzzzz\""));
  EXPECT_THAT(msg, Not(HasSubstr("did you mean")));
  EXPECT_THAT(msg, HasSubstr("valid keys: num_rows, name"));
}

TEST(ValidateOptionsTest, SpecMustBeAMapping) {
  EXPECT_THAT(Error(json::array({1})), HasSubstr("the spec of source \"test\" must be a mapping of options, got a list"));
}

TEST(ValidateOptionsTest, WrongTypeNamesKeyTypeAndLocation) {
  EXPECT_EQ(Error({{"num_rows", "abc"}}),
            "config.yml:12/num_rows: key \"num_rows\" in the spec of source \"test\" must be an integer, got a "
            "string (\"abc\")");
  EXPECT_THAT(Error({{"num_rows", 1.5}}), HasSubstr("must be an integer, got a number with a fraction"));
  EXPECT_THAT(Error({{"name", 12}}), HasSubstr("key \"name\" in the spec of source \"test\" must be a string, got an "
                                               "integer (12); quote the value"));
  EXPECT_THAT(Error({{"enabled", "yes"}}), HasSubstr("must be true or false"));
  EXPECT_THAT(Error({{"extra", 3}}), HasSubstr("key \"extra\" in the spec of source \"test\" must be a mapping"));
}

TEST(ValidateOptionsTest, ListItemErrorsPointAtTheItem) {
  std::string msg = Error({{"tables", {"a", 2}}});
  EXPECT_THAT(msg, HasSubstr("config.yml:12/tables/1: key \"tables\""));
  EXPECT_THAT(msg, HasSubstr("item 1 is an integer"));
  EXPECT_THAT(Error({{"ports", {1, "x"}}}), HasSubstr("config.yml:12/ports/1: "));
}

TEST(ValidateOptionsTest, IntegersAcceptIntegerStrings) {
  auto r = Validate({{"num_rows", "42"}, {"ports", {80, "443"}}, {"enabled", "false"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetInt("num_rows"), 42);
  EXPECT_EQ(r->GetIntList("ports"), (std::vector<int64_t>{80, 443}));
  EXPECT_FALSE(r->GetBool("enabled"));
  EXPECT_EQ(r->json()["num_rows"], 42);  // stored normalised, as a JSON integer
}

TEST(ValidateOptionsTest, MinIsChecked) {
  EXPECT_THAT(Error({{"num_rows", -1}}), HasSubstr("key \"num_rows\" in the spec of source \"test\" must be at least 0, got -1"));
  EXPECT_THAT(Error({{"timeout", "50ms"}}), HasSubstr("must be at least 100ms, got 50ms"));
  EXPECT_TRUE(Validate({{"num_rows", 0}}).ok());
}

TEST(ValidateOptionsTest, MissingRequired) {
  OptionTable t = {Required(Secret(Opt("connection_string", OptionType::kString, nullptr, "Where to connect")))};
  auto r = ValidateOptions(t, json::object(), "destination \"pg\"", FakeLocations());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "config.yml:12: the spec of destination \"pg\" is missing the required key \"connection_string\" "
            "(Where to connect)");
}

TEST(ValidateOptionsTest, EnumChoices) {
  EXPECT_EQ(Error({{"mode", "fats"}}),
            "config.yml:12/mode: key \"mode\" in the spec of source \"test\" must be one of \"fast\", \"safe\", "
            "\"careful\", got a string (\"fats\"); did you mean \"fast\"?");
  EXPECT_TRUE(Validate({{"mode", "careful"}}).ok());
}

TEST(ValidateOptionsTest, Durations) {
  struct Case {
    json in;
    int64_t ms;
  } cases[] = {{"30s", 30000}, {"5m", 300000}, {"1h30m", 5400000}, {"250ms", 250},
               {"1.5s", 1500}, {30, 30000},    {"30", 30000},        {"2h", 7200000}};
  for (const auto& c : cases) {
    auto r = Validate({{"timeout", c.in}});
    ASSERT_TRUE(r.ok()) << c.in.dump() << ": " << r.status().ToString();
    EXPECT_EQ(r->GetDurationMs("timeout"), c.ms) << c.in.dump();
  }
  EXPECT_THAT(Error({{"timeout", "soon"}}), HasSubstr("key \"timeout\" in the spec of source \"test\" must be a "
                                                      "duration such as \"30s\""));
  EXPECT_THAT(Error({{"timeout", true}}), HasSubstr("must be a duration"));
}

TEST(ValidateOptionsTest, ByteSizes) {
  struct Case {
    json in;
    int64_t bytes;
  } cases[] = {{"10MiB", 10485760}, {"4MB", 4000000},  {"512KiB", 524288}, {"1GiB", 1073741824},
               {1024, 1024},        {"2048", 2048},    {"1 KiB", 1024},    {"1.5KiB", 1536}};
  for (const auto& c : cases) {
    auto r = Validate({{"batch_size_bytes", c.in}});
    ASSERT_TRUE(r.ok()) << c.in.dump() << ": " << r.status().ToString();
    EXPECT_EQ(r->GetBytes("batch_size_bytes"), c.bytes) << c.in.dump();
  }
  EXPECT_THAT(Error({{"batch_size_bytes", "10 parsecs"}}), HasSubstr("must be a byte size"));
}

TEST(ValidateOptionsTest, SecretValuesNeverAppearInErrors) {
  OptionTable t = {
      Secret(Opt("password", OptionType::kString, nullptr, "")),
      Secret(Choices(Opt("level", OptionType::kEnum, nullptr, ""), {"low", "high"})),
      Secret(Opt("wait", OptionType::kDuration, nullptr, "")),
      Secret(Min(Opt("count", OptionType::kInt, nullptr, ""), 10)),
  };
  auto err = [&](const json& spec) {
    auto r = ValidateOptions(t, spec, "destination \"pg\"", nullptr);
    EXPECT_FALSE(r.ok());
    return r.status().message();
  };
  EXPECT_THAT(err({{"password", 987654321}}), Not(HasSubstr("987654321")));
  EXPECT_THAT(err({{"level", "hgih-secret-level"}}), Not(HasSubstr("hgih")));
  EXPECT_THAT(err({{"wait", "tomorrow-secret"}}), Not(HasSubstr("tomorrow")));
  EXPECT_THAT(err({{"count", 7}}), Not(HasSubstr("7")));
  // Without a LocationFn there is no location prefix.
  EXPECT_EQ(err({{"password", 1}}).rfind("key \"password\"", 0), 0u);
}

TEST(ValidateOptionsTest, RegisteredSecretsAreRedactedFromOtherValues) {
  RegisterSecret("env-value-options-test");
  std::string msg = Error({{"num_rows", "env-value-options-test"}});
  EXPECT_THAT(msg, Not(HasSubstr("env-value-options-test")));
  EXPECT_THAT(msg, HasSubstr("***"));
}

TEST(ValidateOptionsTest, InvalidDefaultIsAnInternalError) {
  OptionTable t = {Opt("n", OptionType::kInt, "many", "")};
  auto r = ValidateOptions(t, nullptr, "source \"x\"", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(OptionsSchemaTest, JsonSchema) {
  json s = OptionsJsonSchema(TestTable());
  EXPECT_EQ(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["properties"]["enabled"]["type"], "boolean");
  EXPECT_EQ(s["properties"]["enabled"]["default"], true);
  EXPECT_EQ(s["properties"]["mode"]["enum"], json({"fast", "safe", "careful"}));
  EXPECT_EQ(s["properties"]["tables"]["items"]["type"], "string");
  EXPECT_EQ(s["properties"]["num_rows"]["anyOf"][0]["minimum"], 0);
  EXPECT_EQ(s["properties"]["name"]["description"], "A name");
  EXPECT_FALSE(s["properties"]["password"].contains("default"));
  EXPECT_FALSE(s.contains("required"));
  OptionTable req = {Required(Opt("dsn", OptionType::kString, nullptr, ""))};
  EXPECT_EQ(OptionsJsonSchema(req)["required"], json({"dsn"}));
}

TEST(OptionsSchemaTest, Markdown) {
  std::string md = OptionsMarkdown(TestTable());
  EXPECT_EQ(md.rfind("| Name | Type | Default | Description |\n|---|---|---|---|\n", 0), 0u);
  EXPECT_THAT(md, HasSubstr("| `num_rows` | integer | `100` | Rows per table |"));
  EXPECT_THAT(md, HasSubstr("| `timeout` | duration | `5m` | How long to wait |"));
  EXPECT_THAT(md, HasSubstr("| `mode` | one of `fast`, `safe`, `careful` | `fast` | Speed |"));
  EXPECT_THAT(md, HasSubstr("| `password` | string | (secret) | Password |"));
  EXPECT_THAT(md, Not(HasSubstr("default-pw-xyz")));
}

TEST(ParseDurationTest, GoSyntax) {
  EXPECT_EQ(*ParseDurationMs("0"), 0);
  EXPECT_EQ(*ParseDurationMs("-5m"), -300000);
  EXPECT_EQ(*ParseDurationMs("1h2m3s4ms"), 3723004);
  EXPECT_EQ(*ParseDurationMs("1500us"), 1);
  EXPECT_EQ(*ParseDurationMs(".5s"), 500);
  EXPECT_EQ(*ParseDurationMs("2\xC2\xB5s"), 0);
  for (const char* bad : {"", "s", "5", "5x", "1h 5m", "1.2.3s", "--5s", "h1"}) {
    if (std::string(bad) == "5") continue;  // a bare integer is seconds
    auto r = ParseDurationMs(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_THAT(r.status().message(), HasSubstr("invalid duration"));
    }
  }
  EXPECT_EQ(*ParseDurationMs("5"), 5000);
  EXPECT_FALSE(ParseDurationMs("99999999999999999999h").ok());
}

TEST(ParseByteSizeTest, Units) {
  EXPECT_EQ(*ParseByteSize("0"), 0);
  EXPECT_EQ(*ParseByteSize("1KB"), 1000);
  EXPECT_EQ(*ParseByteSize("1kb"), 1000);
  EXPECT_EQ(*ParseByteSize("2TiB"), 2199023255552);
  EXPECT_EQ(*ParseByteSize("7B"), 7);
  for (const char* bad : {"", "-1", "MiB", "1.2.3MB", "5 XB", "1e3"}) EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
}

TEST(NearestNameTest, Distance) {
  std::vector<std::string> keys = {"num_rows", "destinations", "tables", "skip_tables"};
  EXPECT_EQ(NearestName("num_rowz", keys), "num_rows");
  EXPECT_EQ(NearestName("destination", keys), "destinations");
  EXPECT_EQ(NearestName("Tables", keys), "tables");
  EXPECT_EQ(NearestName("skip_table", keys), "skip_tables");
  EXPECT_EQ(NearestName("concurrency", keys), "");
  EXPECT_EQ(NearestName("xy", {"ab"}), "");
  EXPECT_EQ(NearestName("anything", {}), "");
  // Long names tolerate more edits: max(2, len/3).
  EXPECT_EQ(NearestName("otel_endpont_insecur", {"otel_endpoint_insecure"}), "otel_endpoint_insecure");
}

TEST(OptionsTest, GettersOnAbsentOrMistypedValues) {
  Options o(json{{"s", 5}, {"i", "x"}});
  EXPECT_EQ(o.GetString("s"), "");
  EXPECT_EQ(o.GetInt("i"), 0);
  EXPECT_EQ(o.GetInt("missing"), 0);
  EXPECT_FALSE(o.Has("missing"));
  EXPECT_TRUE(Options().GetStringList("x").empty());
}

}  // namespace
}  // namespace ferry
