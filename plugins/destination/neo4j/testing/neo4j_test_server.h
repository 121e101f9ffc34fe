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

// Neo4j's own Python driver (tests/peers/python, scripts/install-test-peers.sh)
// runs `queries`; one JSON array of records per query, or an error.
inline Result<std::vector<nlohmann::json>> PyQuery(const std::vector<std::string>& queries,
                                                   const std::string& uri = "", const std::string& ca = "",
                                                   const std::string& server = "neo4j") {
  const std::string root = FERRY_SOURCE_DIR;
  const std::string py = root + "/tests/peers/python/.venv/bin/python";
  if (access(py.c_str(), X_OK) != 0)
    return Status::NotFound(py + " is missing: run scripts/install-test-peers.sh (Neo4j's Python driver)");
  const auto& srv = ferry::testing::SharedTestServer(server);
  auto q = [](const std::string& s) {
    std::string o = "'";
    for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return o + "'";
  };
  const bool noauth = server != "neo4j";
  std::string cmd = q(py) + " " + q(root + "/tests/peers/python/neo4j_query.py") + " " +
                    q(uri.empty() ? srv.Get(noauth ? "FERRY_NEO4J_NOAUTH_URI" : "FERRY_NEO4J_URI") : uri) + " " +
                    q(noauth ? "" : srv.Get("FERRY_NEO4J_USER")) + " " + q(noauth ? "" : srv.Get("FERRY_NEO4J_PASSWORD"));
  if (!ca.empty()) cmd += " --ca " + q(ca);
  for (const auto& x : queries) cmd += " " + q(x);
  std::string out;
  const int rc = ferry::testing::RunShell(cmd + " 2>&1", &out);
  if (rc != 0) return Status::IOError("neo4j_query.py failed (" + std::to_string(rc) + "): " + out);
  std::vector<nlohmann::json> results;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return Status::IOError("neo4j_query.py printed: " + line);
    results.push_back(std::move(j));
  }
  if (results.size() != queries.size()) return Status::IOError("neo4j_query.py printed: " + out);
  return results;
}

// The single integer a query returns (count(...)), through the Python driver.
inline int64_t PyCount(const std::string& query) {
  auto r = PyQuery({query});
  if (!r.ok() || (*r)[0].empty()) return -1;
  return (*r)[0][0][0].get<int64_t>();
}

inline Result<std::unique_ptr<Neo4jDestination>> OpenNeo4j(const nlohmann::json& j, const std::string& name = "neo4j") {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), j, "destination \"neo4j\"", nullptr));
  auto d = std::make_unique<Neo4jDestination>();
  FERRY_RETURN_NOT_OK(d->Init(o, DestinationInit{name, "test-invocation-" + std::to_string(getpid())}));
  return d;
}

}  // namespace ferry::plugins::neo4j::testing
