// Hostile spec files: alias bombs and huge files are refused quickly, with
// bounded memory and an error naming the file and line.
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <iterator>
#include <fstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/yaml_json.h"
#include "testing/cli_runner.h"

namespace ferry::config {
namespace {

// "Billion laughs": 9 levels of 9 aliases each = 9^9 (387M) strings.
std::string AliasBomb() {
  std::string y = "kind: source\nspec:\n  name: t\n  path: cloudquery/test\n  version: v1.0.0\n"
                  "  destinations: [d]\n  spec:\n    a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (int i = 1; i <= 8; ++i) {
    std::string p = "*a" + std::to_string(i - 1);
    y += "    a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p;
    for (int k = 0; k < 8; ++k) y += "," + p;
    y += "]\n";
  }
  return y;
}

int64_t MaxRssKiB() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(HostileSpec, AliasBombIsRefusedWithFileAndLine) {
  const int64_t before = MaxRssKiB();
  const auto t0 = std::chrono::steady_clock::now();
  auto cfg = LoadConfigFromString(AliasBomb(), "bomb.yml");
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("bomb.yml:"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("billion laughs"), std::string::npos) << cfg.status().message();
  EXPECT_LT(secs, 20.0);
  // 250k small values, not 387 million: well under 200 MiB.
  EXPECT_LT(MaxRssKiB() - before, 200 * 1024) << "RSS grew by " << (MaxRssKiB() - before) << " KiB";
}

TEST(HostileSpec, ManySectionsShareOneBudget) {
  // Each section alone stays under the bound; together they do not.
  std::string one = "kind: destination\nspec:\n  name: dN\n  path: cloudquery/sqlite\n  version: v1.0.0\n"
                    "  spec:\n    x: &b [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]\n    y: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                    "    z: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
  std::string text;
  for (int i = 0; i < 100; ++i) {   // 100 x 4,000 values
    std::string section = one;
    section.replace(section.find("dN"), 2, "d" + std::to_string(i));
    text += (i ? "---\n" : "") + section;
  }
  auto cfg = LoadConfigFromString(text, "many.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("expands to more than"), std::string::npos) << cfg.status().message();
}

// Found by fuzz/spec_loader_fuzz (out of memory): few values, but every copy
// of an aliased mapping holds its long keys and the source map one pointer per
// value, each repeating its ancestors' keys.
TEST(HostileSpec, AliasesUnderLongKeysAreCountedByTheirBytes) {
  // Block style: YAML limits a flow (inline) key to 1024 characters. 25k
  // values, about 60 MiB of keys and pointers.
  const std::string k1(1020, 'k'), k2(1020, 'q');
  std::string y = "kind: source\nspec:\n  name: t\n  path: cloudquery/test\n  version: v1.0.0\n"
                  "  destinations: [d]\n  spec:\n"
                  "    a0: &a0\n      " + k1 + ": [1,2,3,4,5,6,7,8,9,10]\n"
                  "    a1: &a1\n      " + k2 + ": [*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0]\n"
                  "    a2: &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1]\n"
                  "    a3: [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2]\n"
                  "    a4: [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2]\n";
  const int64_t before = MaxRssKiB();
  auto cfg = LoadConfigFromString(y, "keys.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("keys.yml:"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("expands to more than"), std::string::npos) << cfg.status().message();
  EXPECT_LT(MaxRssKiB() - before, 200 * 1024);
}

TEST(HostileSpec, AnAliasedFileValueCountsItsContent) {
  testing::TempDir dir;
  const std::string path = dir.Write("big.pem", std::string(512 * 1024, 'x'));
  std::string y = "kind: destination\nspec:\n  name: d\n  path: cloudquery/sqlite\n  version: v1.0.0\n  spec:\n"
                  "    a: &a ${file:" + path + "}\n    b: [";
  for (int i = 0; i < 100; ++i) y += std::string(i ? "," : "") + "*a";   // 100 x 512 KiB = 50 MiB
  y += "]\n";
  auto cfg = LoadConfigFromString(y, "files.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("files.yml:"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("expands to more than"), std::string::npos) << cfg.status().message();
}

TEST(HostileSpec, HugeFileIsRefusedBeforeParsing) {
  testing::TempDir dir;
  const std::string path = dir.File("huge.yml");
  {
    std::ofstream f(path);
    f << "kind: source\nspec:\n  name: t\n  path: cloudquery/test\n  version: v1.0.0\n  destinations: [d]\n"
         "  tables:\n";
    const std::string line = "    - test_some_table_with_a_long_name_to_fill_the_file_quickly\n";
    for (size_t n = 0; n < (16u << 20) / line.size(); ++n) f << line;
  }
  const int64_t before = MaxRssKiB();
  auto cfg = LoadConfig({path});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("huge.yml"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("larger than 4 MiB"), std::string::npos) << cfg.status().message();
  EXPECT_LT(MaxRssKiB() - before, 64 * 1024);
}

TEST(HostileSpec, ValidateConfigOnABombExitsTwoQuickly) {
  testing::TempDir dir;
  const std::string spec = dir.Write("bomb.yml", AliasBomb());
  auto r = testing::RunFerry({"validate-config", spec}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("bomb.yml:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {

TEST(HostileSpec, FileValueFromAnEndlessFileIsRefused) {
  auto cfg = LoadConfigFromString(
      "kind: destination\nspec:\n  name: d\n  path: cloudquery/sqlite\n  version: v1.0.0\n  spec:\n"
      "    password: ${file:/dev/zero}\n",
      "zero.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("zero.yml:7:15"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("larger than 1 MiB"), std::string::npos) << cfg.status().message();
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {

// Every input of the fuzz corpus (seeds and fixed crashes) loads or fails
// cleanly in the regular build too.
TEST(SpecLoaderCorpus, EveryInputLoadsOrFailsCleanly) {
  ExpandOptions expand;
  expand.lookup_env = [](const std::string&) -> std::optional<std::string> { return std::string("value"); };
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(FERRY_SOURCE_DIR) + "/fuzz/corpus/spec_loader")) {
    std::ifstream f(e.path());
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto cfg = LoadConfigFromString(text, e.path().filename().string(), expand);
    if (!cfg.ok()) EXPECT_FALSE(cfg.status().message().empty()) << e.path();
    ++n;
  }
  EXPECT_GE(n, 3);
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {

// Found by fuzz/spec_loader_fuzz: nesting deep enough to exhaust the stack.
TEST(HostileSpec, DeepNestingIsAnErrorNotAStackOverflow) {
  const std::string deep = "kind: source\nspec:\n  name: t\n  spec:\n    x: " + std::string(100000, '[') + "\n";
  auto cfg = LoadConfigFromString(deep, "deep.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("deep.yml"), std::string::npos) << cfg.status().message();
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {

// The fuzz harness lowers the bounds (ExpandOptions); they can only be
// lowered, never raised above kMaxExpandedValues / kMaxExpandedBytes.
TEST(HostileSpec, BoundsCanBeLoweredNotRaised) {
  ExpandOptions lower;
  lower.max_expanded_values = 1000;
  auto cfg = LoadConfigFromString(AliasBomb(), "bomb.yml", lower);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("more than 1000 values"), std::string::npos) << cfg.status().message();
  ExpandOptions higher;
  higher.max_expanded_values = kMaxExpandedValues * 100;
  auto big = LoadConfigFromString(AliasBomb(), "bomb.yml", higher);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("more than " + std::to_string(kMaxExpandedValues) + " values"),
            std::string::npos) << big.status().message();
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {

// Found by fuzz/spec_loader_fuzz (a timeout at 4.6 GB): yaml-cpp 0.7 loops
// forever on a stray ',' at the top level, each turn a new empty document.
TEST(HostileSpec, StrayTopLevelCommaIsAnErrorNotAnEndlessLoop) {
  for (const std::string text : {",", "{a: 1},", ",a: b", "kind: source\nspec:\n  name: t\n---\n,"}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto cfg = LoadConfigFromString(text, "comma.yml");
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(cfg.ok()) << text;
    EXPECT_NE(cfg.status().message().find("comma.yml:"), std::string::npos) << cfg.status().message();
    EXPECT_LT(secs, 2.0) << text;
  }
  // Commas where YAML allows them still load.
  auto ok = LoadConfigFromString("kind: source\nspec:\n  name: t\n  path: cloudquery/test\n  version: v1.0.0\n"
                                 "  destinations: [a]\n  tables: [\"x,y\", z]\n---\nkind: destination\nspec:\n"
                                 "  name: a\n  path: cloudquery/sqlite\n  version: v1.0.0\n"
                                 "  spec: {connection_string: x.db, journal_mode: wal}\n",
                                 "fine.yml");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

}  // namespace
}  // namespace ferry::config
