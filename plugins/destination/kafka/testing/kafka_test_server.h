// Test-only: the Kafka 4.4 broker the integration tests use (started and
// shared as testing/test_servers.h describes; plugins/destination/kafka/
// test-server.sh), and helpers to point the destination at it.
//
// Each test namespace gets a topic prefix of its own, unique per process
// (topics are never reused across runs, so no earlier run's messages show).
#pragma once

#include <unistd.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "ferry/options.h"
#include "plugins/destination/kafka/kafka_client.h"
#include "plugins/destination/kafka/kafka_destination.h"
#include "plugins/destination/kafka/kafka_spec.h"
#include "testing/test_servers.h"

namespace ferry::plugins::kafka::testing {

inline const ferry::testing::TestServerInfo& Broker() { return ferry::testing::SharedTestServer("kafka"); }

// "<ns hash>_<pid>_<start time>." : a topic prefix no other process or run uses.
inline std::string TopicPrefix(const std::string& ns) {
  static const std::string run = std::to_string(getpid()) + "_" +
                                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
  return ferry::testing::NamespaceDatabase(ns) + "_" + run + ".";
}

// A spec for the plaintext listener, `extra` keys merged in.
inline nlohmann::json BrokerSpec(const std::string& ns, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json j = {{"brokers", {Broker().Get("FERRY_KAFKA_BROKERS")}},
                      {"format", "json"},
                      {"topic_prefix", TopicPrefix(ns)},
                      {"message_timeout", "60s"}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

inline Result<Spec> SpecOf(const nlohmann::json& j) {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), j, "destination \"kafka\"", nullptr));
  return ParseSpec(o);
}

inline Result<std::unique_ptr<KafkaDestination>> OpenKafka(const nlohmann::json& j, const std::string& name = "kafka") {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), j, "destination \"kafka\"", nullptr));
  auto d = std::make_unique<KafkaDestination>();
  FERRY_RETURN_NOT_OK(d->Init(o, DestinationInit{name, "test-invocation"}));
  return d;
}

}  // namespace ferry::plugins::kafka::testing
