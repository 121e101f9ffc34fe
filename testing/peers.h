// Test peers: independent implementations Ferry's tests cross-check against
// (tests/peers: Apache Arrow JS, CloudQuery's JavaScript and Python plugin
// SDKs), installed by scripts/install-test-peers.sh.
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

// The Python of the Python peers' venv, tests/peers/python/.venv
// (scripts/install-python-peers.sh): CloudQuery's Python plugin SDK.
std::filesystem::path PythonPeer();

// Empty when that venv is installed, else why not.
std::string PythonPeersMissing();

// Empty when that venv has chdb (ClickHouse's engine, pinned as chdb-core),
// else why not: a venv made before chdb joined the lock lacks it.
std::string ChdbMissing();

// Empty when that venv has botocore (AWS's Python SDK core, for the SigV4
// cross-check), else why not.
std::string BotocoreMissing();

// Skips the test when `why` (an expression: empty when the peer is there) is
// not empty, or fails it when FERRY_REQUIRE_PEERS=1 (CI), so peer tests
// cannot silently skip there.
#define FERRY_REQUIRE_PEER(why)                                                          \
  do {                                                                                   \
    const std::string why_ = (why);                                                      \
    if (!why_.empty()) {                                                                 \
      const char* req_ = std::getenv("FERRY_REQUIRE_PEERS");                             \
      if (req_ && std::string(req_) == "1") FAIL() << "FERRY_REQUIRE_PEERS=1: " << why_; \
      GTEST_SKIP() << why_;                                                              \
    }                                                                                    \
  } while (0)

// The npm packages `...` under tests/peers/node_modules.
#define FERRY_REQUIRE_PEERS(...) FERRY_REQUIRE_PEER(::ferry::testing::PeersMissing({__VA_ARGS__}))

// CloudQuery's Python plugin SDK in tests/peers/python/.venv.
#define FERRY_REQUIRE_PYTHON_PEERS() FERRY_REQUIRE_PEER(::ferry::testing::PythonPeersMissing())

// chdb in tests/peers/python/.venv.
#define FERRY_REQUIRE_CHDB() FERRY_REQUIRE_PEER(::ferry::testing::ChdbMissing())

// botocore in tests/peers/python/.venv.
#define FERRY_REQUIRE_BOTOCORE() FERRY_REQUIRE_PEER(::ferry::testing::BotocoreMissing())

}  // namespace ferry::testing
