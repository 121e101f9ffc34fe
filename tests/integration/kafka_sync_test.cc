// Whole syncs into Kafka through the CLI, with CloudQuery's spec keys: the
// tables of the test source as topics, send_sync_summary's message, and the
// write modes Kafka cannot do refused before any data moves.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "plugins/destination/kafka/message_codec.h"
#include "plugins/destination/kafka/testing/kafka_test_server.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::kafka {
namespace {

namespace kt = testing;
using ferry::testing::RunFerry;
using ferry::testing::TempDir;

std::string SpecText(const std::string& ns, const std::string& write_mode) {
  const nlohmann::json j = kt::BrokerSpec(ns);
  return R"(kind: source
spec:
  name: aws
  path: cloudquery/test
  version: v4.0.0
  tables: ["*"]
  destinations: [kafka]
  spec: {num_clients: 2}
---
kind: destination
spec:
  name: kafka
  path: cloudquery/kafka
  registry: cloudquery
  version: v5.7.10
  write_mode: )" + write_mode + R"(
  send_sync_summary: true
  spec:
    brokers: [")" + j["brokers"][0].get<std::string>() + R"("]
    format: json
    format_spec:
    topic_prefix: ")" + j["topic_prefix"].get<std::string>() + R"("
    batch_size: 1000
    topic_details:
      num_partitions: 2
      replication_factor: 1
)";
}

TEST(KafkaSync, CloudQuerySpecTablesAndSummary) {
  ASSERT_EQ(kt::Broker().error, "");
  TempDir dir;
  auto r = RunFerry({"sync", dir.Write("spec.yml", SpecText("sync_cq", "append")), "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(kt::BrokerSpec("sync_cq")));
  FERRY_ASSERT_OK_AND_ASSIGN(auto rows, ReadTopic(spec, TopicName(spec, "test_some_table"), 30000));
  EXPECT_FALSE(rows.empty());
  for (const auto& m : rows) {
    EXPECT_EQ(m.headers.at("cq_source_name"), "aws");
    auto j = nlohmann::json::parse(m.value);
    EXPECT_TRUE(j.contains("_cq_id") && j.contains("_cq_sync_time")) << m.value;
  }
  // CloudQuery's summary: one message in cloudquery_sync_summaries.
  FERRY_ASSERT_OK_AND_ASSIGN(auto summary, ReadTopic(spec, TopicName(spec, "cloudquery_sync_summaries"), 30000));
  ASSERT_EQ(summary.size(), 1u);
  auto s = nlohmann::json::parse(summary[0].value);
  EXPECT_EQ(s["_cq_source_name"], "aws");
  EXPECT_TRUE(s.contains("resources") && s.contains("errors") && s.contains("destination_name")) << summary[0].value;
  EXPECT_EQ(s["destination_name"], "kafka");
  // The partitions topic_details asked for.
  std::string out;
  ferry::testing::RunShell("kcat -L -b " + kt::Broker().Get("FERRY_KAFKA_BROKERS") + " -t " +
                               TopicName(spec, "test_some_table") + " 2>&1",
                           &out);
  EXPECT_NE(out.find("2 partitions"), std::string::npos) << out;
}

// Each partition holds a table's rows in the order the source sent them, over
// many writes (500 rows each): a key's later row after its earlier one, which
// compaction and consumers rely on. (Guards the writes' order: overlapping
// writes that queue out of order fail it, as measured with an earlier change.)
TEST(KafkaSync, EachPartitionHoldsTheRowsInStreamOrder) {
  ASSERT_EQ(kt::Broker().error, "");
  TempDir dir;
  const nlohmann::json j = kt::BrokerSpec("sync_order");
  const std::string spec = dir.Write("spec.yml", R"(kind: source
spec:
  name: t
  path: cloudquery/test
  version: v4.0.0
  tables: ["test_synthetic_table"]
  destinations: [kafka]
  spec: {num_clients: 1, synthetic_rows: 40000}
---
kind: destination
spec:
  name: kafka
  path: cloudquery/kafka
  version: v5.7.10
  write_mode: append
  spec:
    brokers: [")" + j["brokers"][0].get<std::string>() + R"("]
    format: json
    topic_prefix: ")" + j["topic_prefix"].get<std::string>() + R"("
    batch_size: 500
    topic_details: {num_partitions: 3, replication_factor: 1}
)");
  auto r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  FERRY_ASSERT_OK_AND_ASSIGN(Spec s, kt::SpecOf(j));
  FERRY_ASSERT_OK_AND_ASSIGN(auto rows, ReadTopic(s, TopicName(s, "test_synthetic_table"), 60000));
  ASSERT_EQ(rows.size(), 40000u);
  std::map<int32_t, int64_t> last;   // partition -> the last id read there
  std::set<int64_t> ids;
  int64_t out_of_order = 0;
  std::string first_bad;
  for (const auto& m : rows) {
    const int64_t id = nlohmann::json::parse(m.value).at("id").get<int64_t>();
    ids.insert(id);
    auto it = last.find(m.partition);
    if (it != last.end() && id <= it->second && out_of_order++ == 0)
      first_bad = "partition " + std::to_string(m.partition) + " offset " + std::to_string(m.offset) + ": id " +
                  std::to_string(id) + " after id " + std::to_string(it->second);
    last[m.partition] = id;
  }
  EXPECT_EQ(ids.size(), 40000u);
  EXPECT_EQ(last.size(), 3u);
  EXPECT_EQ(out_of_order, 0) << "first: " << first_bad;
}

TEST(KafkaSync, ModesKafkaCannotDoAreRefusedBeforeAnyDataMoves) {
  ASSERT_EQ(kt::Broker().error, "");
  for (const char* mode : {"overwrite", "overwrite-delete-stale"}) {
    TempDir dir;
    const std::string ns = std::string("sync_refused_") + mode;
    auto r = RunFerry({"sync", dir.Write("spec.yml", SpecText(ns, mode)), "--no-progress"}, dir.path());
    EXPECT_NE(r.exit_code, 0) << mode;
    EXPECT_NE((r.out + r.err).find("does not support write_mode \"" + std::string(mode) + "\""), std::string::npos)
        << r.out << r.err;
    FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(kt::BrokerSpec(ns)));
    EXPECT_EQ(ReadTopic(spec, TopicName(spec, "test_some_table"), 10000).status().code(), StatusCode::kNotFound)
        << "no topic was created";
  }
}

// CloudQuery's documented kafka example (plugins/destination/kafka/docs/
// _configuration.md), verbatim but for the version placeholder: format_spec
// holds only comments (null), SASL from the environment.
TEST(KafkaSync, CloudQuerysDocumentedSpecValidates) {
  TempDir dir;
  const std::string spec = dir.Write("cq.yml", R"(kind: source
spec:
  name: aws
  path: cloudquery/test
  version: v4.0.0
  tables: ["*"]
  destinations: [kafka]
---
kind: destination
spec:
  name: "kafka"
  path: "cloudquery/kafka"
  registry: "cloudquery"
  version: "v5.7.10"
  write_mode: "append"
  send_sync_summary: true
  spec:
    # required - list of brokers to connect to
    brokers: ["<broker-host>:<broker-port>"]
    # optional - if connecting via SASL/PLAIN, the username and password to use. If not set, no authentication will be used.
    sasl_username: "${KAFKA_SASL_USERNAME}"
    sasl_password: "${KAFKA_SASL_PASSWORD}"
    format: "json" # options: parquet, json, csv
    format_spec:
      # CSV specific parameters:
      # delimiter: ","
      # skip_header: false
      # Parquet specific parameters:
      # version: "v2Latest"
      # root_repetition: "repeated"
      # max_row_group_length: 134217728 # 128 * 1024 * 1024

    # Optional parameters
    # compression: "" # options: gzip
    # verbose: false
    # batch_size: 1000
    # topic_details:
      # num_partitions: 1
      # replication_factor: 1
)");
  auto r = RunFerry({"validate-config", spec}, dir.path(), {"KAFKA_SASL_USERNAME=u", "KAFKA_SASL_PASSWORD=p-9f3e"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Parquet: refused before any data moves, naming the file and key.
  const std::string parquet = dir.Write("parquet.yml", std::string(R"(kind: source
spec: {name: aws, path: cloudquery/test, version: v4.0.0, tables: ["*"], destinations: [kafka]}
---
kind: destination
spec:
  name: kafka
  path: cloudquery/kafka
  version: v5.7.10
  write_mode: append
  spec:
    brokers: ["127.0.0.1:9"]
    format: parquet
)"));
  r = RunFerry({"validate-config", parquet}, dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("parquet is not supported"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("parquet.yml"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace ferry::plugins::kafka
