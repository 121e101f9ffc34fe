// Test peers: independent implementations Ferry's tests cross-check against
// (tests/peers: Apache Arrow JS, CloudQuery's JavaScript plugin SDK),
// installed by scripts/install-test-peers.sh.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ferry::testing {

// tests/peers in the source tree.
std::filesystem::path PeersDir();

// Empty when node and every npm package in `packages` are installed under
// tests/peers/node_modules, else why not.
std::string PeersMissing(const std::vector<std::string>& packages);

// Skips the test when the peers are missing, or fails it when
// FERRY_REQUIRE_PEERS=1 (CI), so peer tests cannot silently skip there.
#define FERRY_REQUIRE_PEERS(...)                                                         \
  do {                                                                                   \
    const std::string why_ = ::ferry::testing::PeersMissing({__VA_ARGS__});              \
    if (!why_.empty()) {                                                                 \
      const char* req_ = std::getenv("FERRY_REQUIRE_PEERS");                             \
      if (req_ && std::string(req_) == "1") FAIL() << "FERRY_REQUIRE_PEERS=1: " << why_; \
      GTEST_SKIP() << why_;                                                              \
    }                                                                                    \
  } while (0)

}  // namespace ferry::testing
