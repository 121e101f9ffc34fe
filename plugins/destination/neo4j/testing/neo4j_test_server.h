// Test-only: the Neo4j 5.26 server the integration tests use (started and
// shared as testing/test_servers.h describes; plugins/destination/neo4j/
// test-server.sh), and helpers to point the destination at it.
//
// Neo4j Community has one user database, so each test namespace gets a
// label prefix of its own, unique per process and run: no two tests, and no
// earlier run, share labels.
#pragma once

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "ferry/options.h"
#include "plugins/destination/neo4j/neo4j_destination.h"
#include "plugins/destination/neo4j/neo4j_spec.h"
#include "testing/test_servers.h"

namespace ferry::plugins::neo4j::testing {

inline const ferry::testing::TestServerInfo& Server() { return ferry::testing::SharedTestServer("neo4j"); }

// "t<ns hash>_<pid>_<start time>_": a label prefix no other process or run uses.
inline std::string LabelPrefix(const std::string& ns) {
  static const std::string run = std::to_string(getpid()) + "_" +
                                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
  return "t" + ferry::testing::NamespaceDatabase(ns).substr(11) + "_" + run + "_";
}

// A spec for the server (auth on), `extra` keys merged in.
inline nlohmann::json ServerSpec(const std::string& ns, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json j = {{"connection_string", Server().Get("FERRY_NEO4J_URI")},
                      {"username", Server().Get("FERRY_NEO4J_USER")},
                      {"password", Server().Get("FERRY_NEO4J_PASSWORD")},
                      {"label_prefix", LabelPrefix(ns)}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

inline Result<std::unique_ptr<Neo4jDestination>> OpenNeo4j(const nlohmann::json& j, const std::string& name = "neo4j") {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), j, "destination \"neo4j\"", nullptr));
  auto d = std::make_unique<Neo4jDestination>();
  FERRY_RETURN_NOT_OK(d->Init(o, DestinationInit{name, "test-invocation-" + std::to_string(getpid())}));
  return d;
}

}  // namespace ferry::plugins::neo4j::testing
