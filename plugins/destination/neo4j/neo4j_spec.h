// The `spec:` of the `neo4j` destination: CloudQuery's keys
// (connection_string, username, password) and Ferry's own (database, TLS
// CA, timeouts, relationships).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/status.h"
#include "plugins/destination/neo4j/bolt_connection.h"

namespace ferry::plugins::neo4j {

// A relationship between two tables' nodes where from_table.from_column =
// to_table.to_column: (from)-[:type]->(to).
struct EdgeRule {
  std::string from_table, from_column, to_table, to_column, type;
};

// What connection_string says.
struct BoltUri {
  std::string scheme;  // bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc
  std::string host;
  int port = 7687;
  bool routing = false;  // neo4j*
  bolt::TlsMode tls = bolt::TlsMode::kOff;
  std::vector<std::pair<std::string, std::string>> query;  // routing context (neo4j* only)
};

// Parses bolt[+s|+ssc]://host[:port] and neo4j[+s|+ssc]://host[:port][?k=v&...].
Result<BoltUri> ParseBoltUri(const std::string& uri);

struct Spec {
  std::string connection_string;
  BoltUri uri;
  std::string username;
  std::string password;
  std::string database;
  std::string label_prefix;
  std::string tls_ca_file;
  int64_t connect_timeout_ms = 15000;
  int64_t io_timeout_ms = 300000;
  bool relationships = true;
  std::string relationship_type = "CHILD_OF";
  std::vector<EdgeRule> edges;
  int64_t delete_stale_batch_size = 10000;
};

const OptionTable& SpecOptions();

// Fills a Spec from options validated against SpecOptions() (hand-built
// Options are validated first).
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::neo4j
