// Every spec under examples/ stays valid (`ferry validate-config`), with its
// ${VARIABLES} set to placeholders: the examples cannot rot unnoticed.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {

TEST(Examples, EverySpecValidates) {
  const std::filesystem::path dir = std::filesystem::path(FERRY_SOURCE_DIR) / "examples";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yml") continue;
    TempDir cwd;
    auto r = RunFerry({"validate-config", entry.path().string()}, cwd.path(),
                      {"PG_URL=postgres://u@127.0.0.1:9/db", "CH_URL=http://127.0.0.1:9/default",
                       "KAFKA_BROKERS=127.0.0.1:9", "NEO4J_URI=bolt://127.0.0.1:9", "NEO4J_PASSWORD=x"});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.out << r.err;
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

}  // namespace
}  // namespace ferry::testing
