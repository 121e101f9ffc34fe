#include "config/loader.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/options.h"
#include "ferry/redact.h"

namespace ferry::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const char* kSource =
    "kind: source\n"                  // 1
    "spec:\n"                         // 2
    "  name: test\n"                  // 3
    "  path: cloudquery/test\n"       // 4
    "  version: v4.0.0\n"             // 5
    "  tables: [\"*\"]\n"             // 6
    "  destinations: [sqlite]\n";     // 7
const char* kDestination =
    "kind: destination\n"
    "spec:\n"
    "  name: sqlite\n"
    "  path: cloudquery/sqlite\n"
    "  version: v2.0.0\n"
    "  spec:\n"
    "    connection_string: ./db.sqlite\n";

std::string Both() { return std::string(kSource) + "---\n" + kDestination; }

Result<Config> Load(const std::string& text) { return LoadConfigFromString(text, "config.yml"); }

std::string LoadError(const std::string& text) {
  auto r = Load(text);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << text;
  return r.ok() ? "" : r.status().message();
}

// Replaces the line starting with `prefix` in the source document.
std::string SourceWith(const std::string& prefix, const std::string& line) {
  std::string s = kSource;
  if (!prefix.empty()) {
    size_t at = s.find(prefix);
    size_t end = s.find('\n', at);
    s = s.substr(0, at) + line + s.substr(end);
  } else {
    s += line;
  }
  return s + "---\n" + kDestination;
}

TEST(LoaderTest, MinimalConfigWithDefaults) {
  auto r = Load(Both());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->sources.size(), 1u);
  ASSERT_EQ(r->destinations.size(), 1u);
  const SourceSpec& s = r->sources[0];
  EXPECT_EQ(s.name, "test");
  EXPECT_EQ(s.path, "cloudquery/test");
  EXPECT_EQ(s.registry, "cloudquery");
  EXPECT_EQ(s.version, "v4.0.0");
  EXPECT_EQ(s.tables, std::vector<std::string>{"*"});
  EXPECT_TRUE(s.skip_tables.empty());
  EXPECT_EQ(s.destinations, std::vector<std::string>{"sqlite"});
  EXPECT_TRUE(s.skip_dependent_tables);
  EXPECT_FALSE(s.deterministic_cq_id);
  EXPECT_FALSE(s.backend_options.has_value());
  EXPECT_TRUE(s.spec.is_null());
  EXPECT_EQ(s.where.ToString(), "config.yml:2:1");
  const DestinationSpec& d = r->destinations[0];
  EXPECT_EQ(d.write_mode, "overwrite-delete-stale");
  EXPECT_EQ(d.migrate_mode, "safe");
  EXPECT_EQ(d.pk_mode, "default");
  EXPECT_FALSE(d.send_sync_summary);
  EXPECT_EQ(d.spec, json({{"connection_string", "./db.sqlite"}}));
  EXPECT_EQ(d.where.ToString(), "config.yml:10:1");
  EXPECT_EQ(r->files, std::vector<std::string>{"config.yml"});
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_TRUE(ValidateForSync(*r).ok());
}

TEST(LoaderTest, AllFieldsDecoded) {
  auto r = Load(
      "kind: source\nspec:\n  name: aws\n  path: ./aws-plugin\n  registry: local\n  version: v9\n"
      "  tables: [a, b]\n  skip_tables: [c]\n  skip_dependent_tables: false\n  destinations: [pg]\n"
      "  deterministic_cq_id: true\n  otel_endpoint: localhost:4318\n  otel_endpoint_insecure: true\n"
      "  backend_options:\n    table_name: cq_state\n    connection: \"@@plugins.pg.connection\"\n"
      "  spec:\n    regions: [us-east-1]\n"
      "---\n"
      "kind: destination\nspec:\n  name: pg\n  path: cloudquery/postgresql\n  version: v8.0.0\n"
      "  write_mode: append\n  migrate_mode: forced\n  pk_mode: cq-id-only\n  sync_group_id: \"{{SYNC_ID}}\"\n"
      "  send_sync_summary: true\n  transformers: [rename]\n"
      "---\n"
      "kind: transformer\nspec:\n  name: rename\n  path: cloudquery/basic\n  version: v1.0.0\n"
      "  spec:\n    transformations: [{kind: change_table_names, tables: ['*']}]\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SourceSpec& s = r->sources[0];
  EXPECT_EQ(s.registry, "local");
  EXPECT_EQ(s.version, "");  // ignored for local, as CloudQuery does
  EXPECT_EQ(s.skip_tables, std::vector<std::string>{"c"});
  EXPECT_FALSE(s.skip_dependent_tables);
  EXPECT_TRUE(s.deterministic_cq_id);
  EXPECT_EQ(s.otel_endpoint, "localhost:4318");
  EXPECT_TRUE(s.otel_endpoint_insecure);
  ASSERT_TRUE(s.backend_options.has_value());
  EXPECT_EQ(s.backend_options->table_name, "cq_state");
  EXPECT_EQ(s.backend_options->connection, "@@plugins.pg.connection");
  EXPECT_EQ(s.spec, json({{"regions", {"us-east-1"}}}));
  const DestinationSpec& d = r->destinations[0];
  EXPECT_EQ(d.write_mode, "append");
  EXPECT_EQ(d.migrate_mode, "forced");
  EXPECT_EQ(d.pk_mode, "cq-id-only");
  EXPECT_EQ(d.sync_group_id, "{{SYNC_ID}}");
  EXPECT_TRUE(d.send_sync_summary);
  EXPECT_EQ(d.transformers, std::vector<std::string>{"rename"});
  ASSERT_EQ(r->transformers.size(), 1u);
  EXPECT_EQ(r->transformers[0].spec["transformations"][0]["kind"], "change_table_names");
  EXPECT_EQ(r->FindDestination("pg"), &r->destinations[0]);
  EXPECT_EQ(r->FindSource("nope"), nullptr);
}

TEST(LoaderTest, UnknownKeySuggestsNearest) {
  std::string msg = LoadError(SourceWith("  destinations:", "  destination: [sqlite]"));
  EXPECT_THAT(msg, StartsWith("config.yml:7:3: unknown key \"destination\" in source \"test\"; did you mean "
                              "\"destinations\"? Valid keys: name, path, "));
}

TEST(LoaderTest, UnknownKeyWithoutSuggestionListsValidKeys) {
  std::string msg = LoadError(SourceWith("", "  colour: blue\n"));
  EXPECT_THAT(msg, StartsWith("config.yml:8:3: unknown key \"colour\" in source \"test\"; valid keys: name, path"));
}

TEST(LoaderTest, LegacyTopLevelKeysPointUnderSpec) {
  for (const char* key : {"concurrency", "scheduler", "batch_size"}) {
    std::string msg = LoadError(SourceWith("", std::string("  ") + key + ": 10\n"));
    EXPECT_THAT(msg, HasSubstr("config.yml:8:3: unknown key \"" + std::string(key) + "\" in source \"test\""));
    EXPECT_THAT(msg, HasSubstr("move it under the plugin's nested \"spec:\"")) << key;
  }
  std::string msg = LoadError(std::string(kSource) + "---\n" + kDestination + "  batch_size: 1000\n");
  EXPECT_THAT(msg, HasSubstr("config.yml:16:3: unknown key \"batch_size\" in destination \"sqlite\""));
  EXPECT_THAT(msg, HasSubstr("spec:"));
}

TEST(LoaderTest, TopLevelMetadataKeysHintAtIndentation) {
  std::string msg = LoadError("kind: source\nname: test\nspec:\n  path: x\n");
  EXPECT_THAT(msg, StartsWith("config.yml:2:1: unknown key \"name\" in the document"));
  EXPECT_THAT(msg, HasSubstr("indent \"name\" under \"spec:\""));
}

TEST(LoaderTest, KindErrors) {
  EXPECT_THAT(LoadError("kind: sorce\nspec: {}\n"),
              HasSubstr("config.yml:1:1: unknown kind \"sorce\"; did you mean \"source\"?"));
  EXPECT_THAT(LoadError("spec: {}\n"), HasSubstr("the document has no \"kind\""));
  EXPECT_THAT(LoadError("kind: source\n"), HasSubstr("the source document has no \"spec\""));
  EXPECT_THAT(LoadError("- a\n- b\n"), HasSubstr("must be a mapping with \"kind\" and \"spec\""));
}

TEST(LoaderTest, WrongTypesNameKeyTypeAndLine) {
  EXPECT_EQ(LoadError(SourceWith("  tables:", "  tables: \"*\"")),
            "config.yml:6:3: key \"tables\" in source \"test\" must be a list of strings, got a string");
  EXPECT_THAT(LoadError(SourceWith("  tables:", "  tables: [a, 5]")),
              HasSubstr("config.yml:6:15: item 1 of \"tables\" in source \"test\" must be a string, got an integer"));
  EXPECT_THAT(LoadError(SourceWith("", "  deterministic_cq_id: maybe\n")),
              HasSubstr("config.yml:8:3: key \"deterministic_cq_id\" in source \"test\" must be true or false, got a "
                        "string"));
  EXPECT_THAT(LoadError(SourceWith("  name:", "  name: 42")),
              HasSubstr("config.yml:3:3: key \"name\" in a source spec must be a string, got an integer; quote"));
  EXPECT_THAT(LoadError(SourceWith("", "  spec: [1]\n")),
              HasSubstr("config.yml:8:3: key \"spec\" in source \"test\" must be a mapping of plugin options"));
}

TEST(LoaderTest, RequiredFields) {
  EXPECT_THAT(LoadError(SourceWith("  name:", "")),
              HasSubstr("config.yml:2:1: a source spec is missing the required key \"name\""));
  EXPECT_THAT(LoadError(SourceWith("  path:", "")),
              HasSubstr("config.yml:2:1: source \"test\" is missing the required key \"path\" (e.g. path: "
                        "cloudquery/test)"));
  EXPECT_THAT(LoadError(SourceWith("  tables:", "")),
              HasSubstr("source \"test\" is missing the required key \"tables\""));
  EXPECT_THAT(LoadError(SourceWith("  tables:", "  tables: []")),
              HasSubstr("source \"test\" is missing the required key \"tables\""));
  EXPECT_THAT(LoadError(SourceWith("  destinations:", "")),
              HasSubstr("source \"test\" is missing the required key \"destinations\""));
  EXPECT_THAT(LoadError(SourceWith("  version:", "")),
              HasSubstr("source \"test\" is missing the required key \"version\" (required with registry "
                        "cloudquery"));
  EXPECT_THAT(LoadError(SourceWith("  version:", "  version: 4.0.0")),
              HasSubstr("config.yml:5:3: key \"version\" in source \"test\" must start with \"v\""));
  EXPECT_THAT(LoadError(SourceWith("  tables:", "  tables: [\"\"]")), HasSubstr("item 0 of \"tables\""));
}

TEST(LoaderTest, EnumsAreChecked) {
  std::string msg = LoadError(std::string(kSource) + "---\n" + kDestination + "  write_mode: overwrite-delete\n");
  EXPECT_THAT(msg, HasSubstr("config.yml:16:3: key \"write_mode\" in destination \"sqlite\" must be one of "
                             "\"overwrite-delete-stale\", \"overwrite\", \"append\", got \"overwrite-delete\"; "
                             "did you mean \"overwrite-delete-stale\"?"));
  EXPECT_THAT(LoadError(std::string(kSource) + "---\n" + kDestination + "  migrate_mode: force\n"),
              HasSubstr("did you mean \"forced\"?"));
  EXPECT_THAT(LoadError(std::string(kSource) + "---\n" + kDestination + "  pk_mode: cq_id_only\n"),
              HasSubstr("did you mean \"cq-id-only\"?"));
  EXPECT_THAT(LoadError(SourceWith("", "  registry: lcoal\n")),
              HasSubstr("key \"registry\" in source \"test\" must be one of \"cloudquery\", \"github\", \"local\", "
                        "\"grpc\", \"docker\", \"\", got \"lcoal\"; did you mean \"local\"?"));
}

TEST(LoaderTest, DockerAuthTokenIsASecret) {
  auto r = Load(SourceWith("  path:", "  path: ghcr.io/x/y\n  registry: docker\n  docker_registry_auth_token: "
                                      "loader-docker-token-9"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sources[0].docker_registry_auth_token, "loader-docker-token-9");
  EXPECT_EQ(r->sources[0].version, "");
  EXPECT_EQ(Redact("token loader-docker-token-9"), "token ***");
}

TEST(LoaderTest, GithubRegistryWarns) {
  auto r = Load(SourceWith("", "  registry: github\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_THAT(r->warnings[0], HasSubstr("config.yml:8:3: source \"test\": registry: github is deprecated"));
}

TEST(LoaderTest, StarWithOtherTablesWarns) {
  auto r = Load(SourceWith("  tables:", "  tables: [\"*\", b]"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_THAT(r->warnings[0], HasSubstr("config.yml:6:3"));
}

TEST(LoaderTest, MissingDestinationNamesSourceAndListsDefined) {
  std::string msg = LoadError(SourceWith("  destinations:", "  destinations: [sqlite, postgres]"));
  EXPECT_EQ(msg,
            "config.yml:7:26: source \"test\" references unknown destination \"postgres\"; defined destinations: "
            "\"sqlite\" (config.yml:10:1)");
  std::string near = LoadError(SourceWith("  destinations:", "  destinations: [sqlit]"));
  EXPECT_THAT(near, HasSubstr("unknown destination \"sqlit\"; did you mean \"sqlite\"? Defined destinations:"));
  std::string none = LoadError(kSource);
  EXPECT_THAT(none, HasSubstr("config.yml:7:18: source \"test\" references unknown destination \"sqlite\"; no "
                              "destinations are defined"));
}

TEST(LoaderTest, DestinationListedTwiceIsWrittenOnceWithAWarning) {
  // CloudQuery accepts it (its CLI's own tests list a destination twice).
  auto cfg = Load(SourceWith("  destinations:", "  destinations: [sqlite, sqlite]"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->sources[0].destinations, std::vector<std::string>{"sqlite"});
  ASSERT_EQ(cfg->warnings.size(), 1u);
  EXPECT_THAT(cfg->warnings[0],
              HasSubstr("config.yml:7:26: destination \"sqlite\" is listed twice in the destinations of source \"test\""));
}

TEST(LoaderTest, EveryBadDocumentIsReportedInOneRun) {
  std::string bad_source = SourceWith("  destinations:", "  destinations: [sqlite]\n  tabels: [x]");
  std::string bad_destination = std::string(kDestination) + "  write_mode: sideways\n";
  std::string msg = LoadError(bad_source + "---\n" + bad_destination);
  EXPECT_THAT(msg, HasSubstr("2 errors in the spec files:"));
  EXPECT_THAT(msg, HasSubstr("tabels"));
  EXPECT_THAT(msg, HasSubstr("sideways"));
  // Two problems in one document: both named.
  std::string both = LoadError(SourceWith("  destinations:", "  destinations: [sqlite]\n  tabels: [x]\n  skip_tables: 7"));
  EXPECT_THAT(both, HasSubstr("2 errors in the spec files:"));
  EXPECT_THAT(both, HasSubstr("tabels"));
  EXPECT_THAT(both, HasSubstr("skip_tables"));
  // Two dangling references: both named.
  std::string refs = LoadError(SourceWith("  destinations:", "  destinations: [pg, ch]"));
  EXPECT_THAT(refs, HasSubstr("unknown destination \"pg\""));
  EXPECT_THAT(refs, HasSubstr("unknown destination \"ch\""));
}

TEST(LoaderTest, UnknownTransformer) {
  std::string msg = LoadError(std::string(kSource) + "---\n" + kDestination + "  transformers: [rename]\n");
  EXPECT_THAT(msg, HasSubstr("config.yml:16:18: destination \"sqlite\" references unknown transformer \"rename\"; "
                             "no transformers are defined"));
}

TEST(LoaderTest, DuplicateNamesNameBothPlaces) {
  std::string msg = LoadError(Both() + "---\n" + kSource);
  EXPECT_EQ(msg, "config.yml:18:1: duplicate source name test (first defined at config.yml:2:1)");
  EXPECT_THAT(LoadError(Both() + "---\n" + kDestination),
              HasSubstr("duplicate destination name sqlite (first defined at config.yml:10:1)"));
}

TEST(LoaderTest, SameSourcePathAtTwoVersionsToOneDestination) {
  std::string other = kSource;
  other.replace(other.find("name: test"), 10, "name: tes2");
  other.replace(other.find("v4.0.0"), 6, "v4.1.0");
  std::string msg = LoadError(Both() + "---\n" + other);
  EXPECT_THAT(msg, HasSubstr("destination \"sqlite\" is used by sources \"test\" and \"tes2\" with the same path "
                             "cloudquery/test at different versions (v4.0.0 and v4.1.0)"));
}

TEST(LoaderTest, SyncGroupIdNeedsAnotherWriteMode) {
  std::string msg = LoadError(std::string(kSource) + "---\n" + kDestination + "  sync_group_id: g\n");
  EXPECT_THAT(msg, HasSubstr("config.yml:16:3: destination \"sqlite\": sync_group_id is not supported with "
                             "write_mode: overwrite-delete-stale (the default)"));
  EXPECT_TRUE(Load(std::string(kSource) + "---\n" + kDestination + "  sync_group_id: g\n  write_mode: append\n").ok());
}

TEST(LoaderTest, SnapshotViewsNeedAppend) {
  std::string msg = LoadError(std::string(kSource) + "---\n" + kDestination + "  snapshot_views: true\n");
  EXPECT_THAT(msg, HasSubstr("config.yml:16:3: destination \"sqlite\": snapshot_views needs write_mode: append "
                             "(write_mode is overwrite-delete-stale, the default)"));
  EXPECT_THAT(LoadError(std::string(kSource) + "---\n" + kDestination + "  snapshot_view: true\n"),
              HasSubstr("did you mean \"snapshot_views\"?"));
  auto ok = Load(std::string(kSource) + "---\n" + kDestination + "  snapshot_views: true\n  write_mode: append\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->destinations.at(0).snapshot_views);
}

TEST(LoaderTest, BackendOptionsNeedBothFields) {
  EXPECT_THAT(LoadError(SourceWith("", "  backend_options:\n    table_name: t\n")),
              HasSubstr("config.yml:8:3: backend_options of source \"test\" is missing the required key "
                        "\"connection\""));
  EXPECT_THAT(LoadError(SourceWith("", "  backend_options:\n    connection: c\n")),
              HasSubstr("is missing the required key \"table_name\""));
  EXPECT_THAT(LoadError(SourceWith("", "  backend_options:\n    table: t\n")),
              HasSubstr("config.yml:9:5: unknown key \"table\" in backend_options of source \"test\"; did you mean "
                        "\"table_name\"?"));
}

TEST(LoaderTest, MultiDocumentLinesAndLineEndings) {
  std::string text = "# leading comment\n---\n" + Both() + "---\n# only a comment\n---\n";
  for (std::string t : {text, std::string()}) {
    if (t.empty()) {  // the same with Windows line endings
      for (char c : text) {
        if (c == '\n') t += "\r\n";
        else t += c;
      }
    }
    auto r = Load(t);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->sources[0].where.ToString(), "config.yml:4:1");
    EXPECT_EQ(r->destinations[0].where.ToString(), "config.yml:12:1");
    EXPECT_EQ(r->destinations[0].spec_location("/connection_string"), "config.yml:17:5");
  }
  // "---" inside a line is not a separator.
  EXPECT_TRUE(Load(SourceWith("", "  otel_endpoint: a---b\n")).ok());
}

TEST(LoaderTest, EmptyFileIsAnError) {
  EXPECT_EQ(LoadError("# nothing\n\n"),
            "config.yml: no specs found; a spec file holds documents with \"kind\" and \"spec\" (separated by ---)");
  EXPECT_THAT(LoadError(""), HasSubstr("no specs found"));
}

TEST(LoaderTest, InvalidYamlHasFileLine) {
  EXPECT_THAT(LoadError(Both() + "---\nkind: source\nspec: [unclosed\n"), HasSubstr("config.yml:1"));
  std::string msg = LoadError(Both() + "---\nkind: source\nspec:\n  name: [a\n");
  EXPECT_THAT(msg, HasSubstr("invalid YAML"));
  EXPECT_THAT(msg, StartsWith("config.yml:20:"));  // in the third section: file lines, not section lines
}

TEST(LoaderTest, PluginSpecLocationsFeedValidateOptions) {
  std::string text = std::string(kSource) + "  spec:\n    num_rowz: 10\n---\n" + kDestination;
  auto r = Load(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SourceSpec& s = r->sources[0];
  OptionSpec num_rows;
  num_rows.name = "num_rows";
  num_rows.type = OptionType::kInt;
  auto v = ValidateOptions({num_rows}, s.spec, "source \"test\"", s.spec_location);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(),
              StartsWith("config.yml:9:5: unknown key \"num_rowz\" in the spec of source \"test\"; did you mean "
                         "\"num_rows\"?"));
  EXPECT_EQ(s.spec_location(""), "config.yml:8:3");
  EXPECT_EQ(s.locate("/tables/0"), "config.yml:6:12");
}

// ---- ${...} expansion through the loader ----

TEST(LoaderEnvTest, ExpandsEnvironmentVariables) {
  ::setenv("FERRY_LOADER_DSN", "loader-test-dsn-secret", 1);
  ::setenv("FERRY_LOADER_ROWS", "25", 1);
  ::setenv("FERRY_LOADER_BOOL", "true", 1);
  std::string text = std::string(kSource) +
                     "  deterministic_cq_id: ${FERRY_LOADER_BOOL}\n"
                     "  spec:\n    num_rows: ${FERRY_LOADER_ROWS}\n"
                     "    # ${FERRY_LOADER_UNSET_IN_COMMENT} is ignored\n"
                     "---\n" +
                     kDestination + "    password: ${FERRY_LOADER_DSN}\n";
  auto r = Load(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->sources[0].deterministic_cq_id);
  EXPECT_EQ(r->sources[0].spec["num_rows"], "25");
  EXPECT_EQ(r->destinations[0].spec["password"], "loader-test-dsn-secret");
  EXPECT_EQ(Redact("dsn=loader-test-dsn-secret"), "dsn=***");
  // ValidateOptions turns the string into an integer.
  OptionSpec num_rows;
  num_rows.name = "num_rows";
  num_rows.type = OptionType::kInt;
  auto v = ValidateOptions({num_rows}, r->sources[0].spec, "source \"test\"", r->sources[0].spec_location);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->GetInt("num_rows"), 25);
}

TEST(LoaderEnvTest, UnsetVariableNamesFileLineAndKey) {
  ::unsetenv("FERRY_LOADER_UNSET");
  std::string text = std::string(kSource) + "---\n" + kDestination + "    password: ${FERRY_LOADER_UNSET}\n";
  EXPECT_EQ(LoadError(text),
            "config.yml:16:15: environment variable FERRY_LOADER_UNSET is not set (used in key \"password\")");
}

TEST(LoaderEnvTest, ExpandedValuesNeverAppearInErrors) {
  ::setenv("FERRY_LOADER_MODE", "overwrite-secretly", 1);
  ::setenv("FERRY_LOADER_NAME", "secret-source-name", 1);
  std::string bad_mode = std::string(kSource) + "---\n" + kDestination + "  write_mode: ${FERRY_LOADER_MODE}\n";
  std::string msg = LoadError(bad_mode);
  EXPECT_THAT(msg, HasSubstr("key \"write_mode\" in destination \"sqlite\" must be one of"));
  EXPECT_THAT(msg, Not(HasSubstr("overwrite-secretly")));
  std::string dup = Both() + "---\n" + kSource;
  dup.replace(dup.find("name: test"), 10, "name: ${FERRY_LOADER_NAME}");
  dup.replace(dup.rfind("name: test"), 10, "name: ${FERRY_LOADER_NAME}");
  // A name from the environment is not a secret: it is printed as it is.
  std::string dmsg = LoadError(dup);
  EXPECT_THAT(dmsg, HasSubstr("duplicate source name secret-source-name"));
  EXPECT_THAT(dmsg, Not(HasSubstr("***")));
}

TEST(LoaderEnvTest, BackendConnectionPlaceholderIsLeftAlone) {
  auto r = Load(SourceWith("", "  backend_options:\n    table_name: t\n    connection: \"@@plugins.sqlite.connection\"\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sources[0].backend_options->connection, "@@plugins.sqlite.connection");
}

TEST(LoaderEnvTest, InjectedEnvironment) {
  ExpandOptions o;
  o.lookup_env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "DB") return std::string("injected-db-path");
    return std::nullopt;
  };
  auto r = LoadConfigFromString(std::string(kSource) + "---\n" + kDestination + "    path: ${DB}\n", "c.yml", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->destinations[0].spec["path"], "injected-db-path");
}

// CloudQuery substitutes ${ENV} in the text before parsing YAML: an unquoted
// value that is one variable holding a YAML list or mapping is that list.
TEST(LoaderEnvTest, AVariableHoldingAListOrMappingIsOne) {
  ExpandOptions o;
  o.lookup_env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "TABLES") return std::string("[test_some_table, test_sub_table]");
    if (n == "BLOCK") return std::string("- a\n- b\n");
    if (n == "SPEC") return std::string("{num_rows: 3, name: x}");
    if (n == "PLAIN") return std::string("[prod]");
    if (n == "DB_PASSWORD") return std::string("[not-a-list]");
    if (n == "BROKEN") return std::string("[a, b");
    return std::nullopt;
  };
  auto load = [&](const std::string& prefix, const std::string& line) {
    return LoadConfigFromString(SourceWith(prefix, line), "c.yml", o);
  };
  auto r = load("  tables:", "  tables: ${TABLES}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sources[0].tables, (std::vector<std::string>{"test_some_table", "test_sub_table"}));
  r = load("  tables:", "  tables: ${BLOCK}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sources[0].tables, (std::vector<std::string>{"a", "b"}));
  r = load("  destinations:", "  destinations: [sqlite]\n  spec: ${SPEC}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sources[0].spec["num_rows"], 3);
  // Quoted, it stays the text it holds; so do secret-looking variables and
  // references inside longer text.
  r = load("  destinations:", "  destinations: [sqlite]\n  spec: {a: \"${PLAIN}\", b: ${DB_PASSWORD}, c: x${PLAIN}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sources[0].spec["a"], "[prod]");
  EXPECT_EQ(r->sources[0].spec["b"], "[not-a-list]");
  EXPECT_EQ(r->sources[0].spec["c"], "x[prod]");
  // A list that does not parse is an error naming the line and the variable.
  r = load("  tables:", "  tables: ${BROKEN}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("c.yml:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("${BROKEN}"), std::string::npos) << r.status().message();
}

// ---- files and directories ----

class LoaderFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry_loader_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    old_cwd_ = std::filesystem::current_path();
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }
  std::string Write(const std::string& rel, const std::string& content) {
    auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string Dir(const std::string& rel = "") { return rel.empty() ? dir_.string() : (dir_ / rel).string(); }

  std::filesystem::path dir_, old_cwd_;
};

TEST_F(LoaderFilesTest, SeveralFiles) {
  std::string a = Write("a.yml", kSource);
  std::string b = Write("b.yaml", kDestination);
  auto r = LoadConfig({a, b});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, (std::vector<std::string>{a, b}));
  EXPECT_EQ(r->destinations[0].where.ToString(), b + ":2:1");
}

TEST_F(LoaderFilesTest, DirectoryIsSortedFlatAndSkipsHiddenAndOtherFiles) {
  Write("specs/b_dest.yaml", kDestination);
  Write("specs/a_source.yml", kSource);
  Write("specs/.hidden.yml", "this: is not loaded\n");
  Write("specs/notes.txt", "not yaml");
  Write("specs/nested/deeper.yml", "kind: nonsense\n");
  auto r = LoadConfig({Dir("specs")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, (std::vector<std::string>{Dir("specs/a_source.yml"), Dir("specs/b_dest.yaml")}));
}

TEST_F(LoaderFilesTest, DuplicateAcrossFilesNamesBothFiles) {
  std::string a = Write("a.yml", Both());
  std::string b = Write("b.yml", kSource);
  auto r = LoadConfig({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), b + ":2:1: duplicate source name test (first defined at " + a + ":2:1)");
}

TEST_F(LoaderFilesTest, EmptyDirectoryAndMissingPath) {
  std::filesystem::create_directories(dir_ / "empty");
  Write("empty/readme.md", "# not a spec");
  auto r = LoadConfig({Dir("empty")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "directory \"" + Dir("empty") + "\" contains no spec files (*.yml or *.yaml)");
  auto m = LoadConfig({Dir("missing.yml")});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr("missing.yml\" does not exist"));
  EXPECT_FALSE(LoadConfig({}).ok());
}

TEST_F(LoaderFilesTest, FileWithOnlyEmptyDocumentsIsAnError) {
  std::string f = Write("empty.yml", "---\n# todo\n---\n");
  auto r = LoadConfig({f});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith(f + ": no specs found"));
}

TEST_F(LoaderFilesTest, FileVariablesResolveAgainstTheWorkingDirectory) {
  Write("secrets/pw.txt", "loader-file-secret-pw\n");
  std::string spec = Write("conf/config.yml", std::string(kSource) + "---\n" + kDestination +
                                                  "    password: ${file:secrets/pw.txt}\n");
  std::filesystem::current_path(dir_);
  auto r = LoadConfig({spec});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->destinations[0].spec["password"], "loader-file-secret-pw\n");
  EXPECT_EQ(Redact("pw loader-file-secret-pw"), "pw ***");
  // From another directory the same relative path is not found: CloudQuery's rule.
  std::filesystem::current_path(dir_ / "conf");
  auto missing = LoadConfig({spec});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr(spec + ":16:15: cannot read file \"secrets/pw.txt\" for ${file:secrets/pw.txt} (used in key "
                               "\"password\")"));
}

TEST_F(LoaderFilesTest, RequireSourceAndDestinationForSync) {
  auto r = LoadConfig({Write("d.yml", kDestination)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Status st = ValidateForSync(*r);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("expecting at least one source"));
}

#ifdef FERRY_SOURCE_DIR
TEST(LoaderFixturesTest, CheckedInSpecs) {
  std::string dir = std::string(FERRY_SOURCE_DIR) + "/tests/specs";
  auto ok = LoadConfig({dir + "/test_to_sqlite.yml"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->sources[0].name, "test");
  EXPECT_EQ(ok->destinations[0].name, "sqlite");
  auto typo = LoadConfig({dir + "/typo_destination.yml"});
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(), HasSubstr("typo_destination.yml:7:3: unknown key \"destination\" in source "
                                                 "\"test\"; did you mean \"destinations\"?"));
}
#endif

}  // namespace
}  // namespace ferry::config
