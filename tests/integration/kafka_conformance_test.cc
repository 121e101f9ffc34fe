// The destination conformance suite against a real Kafka 4.4 broker that
// scripts/test-servers.sh starts (plugins/destination/kafka/testing/
// kafka_test_server.h). Each case's topics carry a prefix of their own; a
// table is read back as its topic's committed messages (read_committed),
// each JSON value decoded into a row. Append is the destination's only
// write mode, so the upsert, delete-stale and delete-record cases skip.
#include <gtest/gtest.h>

#include "plugins/destination/kafka/message_codec.h"
#include "plugins/destination/kafka/testing/kafka_test_server.h"
#include "testing/destination_conformance.h"

namespace ferry::plugins::kafka {
namespace {

Result<std::vector<Row>> ReadIn(const std::string& ns, const TableSchema& table) {
  FERRY_ASSIGN_OR_RETURN(Spec spec, testing::SpecOf(testing::BrokerSpec(ns)));
  auto messages = ReadTopic(spec, TopicName(spec, table.name), 60000);
  if (!messages.ok() && messages.status().code() == StatusCode::kNotFound) return std::vector<Row>{};
  FERRY_RETURN_NOT_OK(messages.status());
  std::vector<Row> rows;
  for (const auto& m : *messages) {
    FERRY_ASSIGN_OR_RETURN(Row r, DecodeJsonRow(table, m.value));
    rows.push_back(std::move(r));
  }
  return rows;
}

ferry::testing::ConformanceTarget KafkaTarget() {
  ferry::testing::ConformanceTarget t;
  t.name = "Kafka";
  t.plugin = KafkaPlugin();
  t.open = [](const std::string& ns) -> Result<std::unique_ptr<ferry::Destination>> {
    if (!testing::Broker().error.empty()) return Status::Invalid(testing::Broker().error);
    FERRY_ASSIGN_OR_RETURN(auto d, testing::OpenKafka(testing::BrokerSpec(ns)));
    return std::unique_ptr<ferry::Destination>(std::move(d));
  };
  t.read = ReadIn;
  t.schemaless = true;
  t.json_normalized = true;   // json cells are decoded and re-serialised by the reader
  t.json_null_document_is_null = true;   // {"c": null} is both (README, "Message encoding")
  return t;
}

}  // namespace
}  // namespace ferry::plugins::kafka

namespace ferry::testing {
INSTANTIATE_TEST_SUITE_P(Kafka, DestinationConformance, ::testing::Values(plugins::kafka::KafkaTarget()),
                         ConformanceTargetName);
}  // namespace ferry::testing
