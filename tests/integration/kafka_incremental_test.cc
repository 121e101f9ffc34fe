// Exactly-once incremental syncs into Kafka: with a transactional_id and the
// Kafka destination as its own state backend, each Write commits its rows
// and their cursor in one Kafka transaction. After `kill -9` at random
// points and a resume, a read_committed consumer sees exactly the rows of an
// uninterrupted run: none lost, none twice. Also: Kafka as the state backend
// of another destination (SQLite), where the cursor follows the rows.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/kafka/testing/kafka_test_server.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::kafka {
namespace {

namespace kt = testing;
using ferry::testing::RunFerry;
using ferry::testing::TempDir;

std::string Render(const std::string& ns, bool sqlite_data, bool transactional = true) {
  const nlohmann::json j = kt::BrokerSpec(ns);
  std::string text = R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: [)" + std::string(sqlite_data ? "sqlite" : "kafka") + R"(]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.kafka.connection"
  spec: {num_clients: 2, incremental_rows: 30000, checkpoint_every: 997}
---
kind: destination
spec:
  name: kafka
  path: cloudquery/kafka
  version: v5.0.0
  write_mode: append
  spec:
    brokers: [")" + j["brokers"][0].get<std::string>() + R"("]
    format: json
    topic_prefix: ")" + j["topic_prefix"].get<std::string>() + R"("
    batch_size: 4000
)";
  if (transactional) text += "    transactional_id: \"ferry-test-" + j["topic_prefix"].get<std::string>() + "\"\n";
  if (sqlite_data)
    text += R"(---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: append
  spec:
    connection_string: ./a.sqlite
)";
  return text;
}

// Rows, distinct (client_id, id) pairs and a checksum, as a read_committed
// consumer sees the topic.
struct Contents {
  int64_t rows = 0, distinct = 0, checksum = 0;
  std::string error;
  bool operator==(const Contents&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Contents& c) {
  return os << "{rows=" << c.rows << " distinct=" << c.distinct << " checksum=" << c.checksum << c.error << "}";
}

Contents ReadKafka(const std::string& ns) {
  Contents c;
  auto spec = kt::SpecOf(kt::BrokerSpec(ns));
  auto msgs = ReadTopic(*spec, TopicName(*spec, "test_incremental_table"), 60000);
  if (!msgs.ok()) {
    c.error = " " + msgs.status().ToString();
    return c;
  }
  std::set<std::pair<int64_t, int64_t>> keys;
  for (const auto& m : *msgs) {
    auto j = nlohmann::json::parse(m.value, nullptr, false);
    if (j.is_discarded()) {
      c.error = " bad message";
      return c;
    }
    const int64_t id = j["id"].get<int64_t>(), client = j["client_id"].get<int64_t>();
    ++c.rows;
    keys.insert({client, id});
    c.checksum += id * 7 + client * 13 + static_cast<int64_t>(j["payload"].get<std::string>().size());
  }
  c.distinct = static_cast<int64_t>(keys.size());
  return c;
}

std::chrono::microseconds TimedSync(const TempDir& dir, const std::string& spec) {
  std::chrono::microseconds wall;
  auto r = ferry::testing::TimedSync(dir.path(), spec, &wall);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return wall;
}

TEST(KafkaIncremental, KillNineAnywhereThenResumeIsExactlyOnce) {
  ASSERT_EQ(kt::Broker().error, "");
  const std::string ref_ns = "kinc_ref";
  TempDir ref;
  const auto full = TimedSync(ref, ref.Write("spec.yml", Render(ref_ns, false)));
  const Contents expected = ReadKafka(ref_ns);
  ASSERT_EQ(expected.rows, 60000) << expected;
  ASSERT_EQ(expected.distinct, 60000) << expected;
  TimedSync(ref, ref.path() + "/spec.yml");
  ASSERT_EQ(ReadKafka(ref_ns), expected) << "a second sync finds nothing new";

  // Several kills per run: each resumed sync may be killed again.
  std::mt19937_64 rng(20261205);
  const int runs = ferry::testing::CrashRuns(4), kills_per_run = 3;
  int kills = 0, mid_sync = 0;
  for (int run = 0; run < runs; ++run) {
    const std::string ns = "kinc_crash_" + std::to_string(run);
    TempDir dir;
    const std::string spec = dir.Write("spec.yml", Render(ns, false));
    for (int k = 0; k < kills_per_run; ++k) {
      const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() * 11 / 10 + 1));
      ferry::testing::SyncKilledAfter(dir.path(), spec, delay);
      ++kills;
      if (delay < full) ++mid_sync;
    }
    TimedSync(dir, spec);
    EXPECT_EQ(ReadKafka(ns), expected) << "run " << run;
  }
  std::cout << "kills: " << kills << " (" << mid_sync << " before a full sync's duration of " << full.count() / 1000
            << " ms)\n";
  EXPECT_GT(mid_sync, kills / 2);
}

// Kafka keeps the cursors of rows that go to SQLite: the cursor is written
// once SQLite has the rows (coordinated mode), so a second sync fetches
// nothing and a crash never loses rows.
TEST(KafkaIncremental, StateBackendForAnotherDestination) {
  ASSERT_EQ(kt::Broker().error, "");
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", Render("kinc_backend", true, false));
  TimedSync(dir, spec);
  EXPECT_EQ(ferry::testing::SqliteQuery(dir.File("a.sqlite"), "SELECT count(*) FROM test_incremental_table")[0], "60000");
  TimedSync(dir, spec);
  EXPECT_EQ(ferry::testing::SqliteQuery(dir.File("a.sqlite"), "SELECT count(*) FROM test_incremental_table")[0], "60000")
      << "the cursors in Kafka stopped the second sync from fetching again";
  FERRY_ASSERT_OK_AND_ASSIGN(Spec s, kt::SpecOf(kt::BrokerSpec("kinc_backend")));
  FERRY_ASSERT_OK_AND_ASSIGN(auto state, ReadTopic(s, TopicName(s, "cq_state_events"), 30000));
  EXPECT_FALSE(state.empty());
}

}  // namespace
}  // namespace ferry::plugins::kafka
