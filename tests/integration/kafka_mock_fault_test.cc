// Faults a single real broker cannot show, against librdkafka's mock cluster
// (rdkafka_mock.h: three in-process brokers on 127.0.0.1 that speak the
// Kafka protocol; a test double shipped with the client library, named as
// such): produce requests failing with retriable errors, partition leaders
// moving during a write, a broker down and up, a permanent error, and an
// aborted transaction. Every row arrives (exactly once where the producer
// can promise it), or the write fails with the broker's error.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/kafka/kafka_destination.h"
#include "plugins/destination/kafka/message_codec.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::kafka {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::MetaRow;
using ferry::testing::TableWithMeta;
using ferry::testing::conformance::kT1;

constexpr int16_t kProduce = 0;   // Kafka API keys
constexpr int16_t kEndTxn = 26;

class MockCluster {
 public:
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err);   // unused: the handle only owns the cluster
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    mc_ = rd_kafka_mock_cluster_new(rk_, 3);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  rd_kafka_mock_cluster_t* get() { return mc_; }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

TableSchemaPtr Table(const std::string& name) {
  auto t = std::make_shared<TableSchema>(*TableWithMeta(name, {Col("id", types::Int64())}));
  t->source_primary_key = {"id"};
  return t;
}

Status WriteRange(Destination* d, const TableSchemaPtr& t, int64_t first, int64_t n) {
  std::vector<Row> rows;
  for (int64_t i = first; i < first + n; ++i) rows.push_back(MetaRow(kT1, "src", static_cast<uint64_t>(i), {Value::Int(i)}));
  FERRY_ASSIGN_OR_RETURN(BatchPtr b, MakeBatch(t, rows));
  WriteRequest req;
  req.table = t;
  req.batches = {b};
  return d->Write(req);
}

// What the engine does with a transient failure: the same write again,
// after a backoff.
Status WriteRangeWithRetry(Destination* d, const TableSchemaPtr& t, int64_t first, int64_t n, int* retries) {
  Status st;
  for (int attempt = 0; attempt < 6; ++attempt) {
    st = WriteRange(d, t, first, n);
    if (st.ok() || !st.IsRetryable()) return st;
    ++*retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
  }
  return st;
}

nlohmann::json MockSpec(MockCluster& mc, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json j = {{"brokers", {mc.bootstraps()}}, {"format", "json"}, {"create_topics", false}, {"message_timeout", "60s"}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

Result<std::unique_ptr<KafkaDestination>> Open(const nlohmann::json& j, const std::atomic<bool>* cancel = nullptr) {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), j, "destination \"kafka\"", nullptr));
  auto d = std::make_unique<KafkaDestination>();
  DestinationInit init{"kafka", "mock-test"};
  init.cancel = cancel;
  FERRY_RETURN_NOT_OK(d->Init(o, init));
  return d;
}

// Every message's key once, and how many messages there were.
void ExpectExactlyOnce(const nlohmann::json& j, const std::string& topic, int64_t rows) {
  FERRY_ASSERT_OK_AND_ASSIGN(Options o, ValidateOptions(SpecOptions(), j, "d", nullptr));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, ParseSpec(o));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, topic, 60000));
  std::set<std::string> keys;
  for (const auto& m : msgs) keys.insert(m.key);
  EXPECT_EQ(static_cast<int64_t>(msgs.size()), rows) << "messages";
  EXPECT_EQ(static_cast<int64_t>(keys.size()), rows) << "distinct keys";
}

TEST(KafkaMockCluster, RetriableProduceErrorsDuplicateNothing) {
  MockCluster mc;
  ASSERT_EQ(rd_kafka_mock_topic_create(mc.get(), "retried", 4, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto j = MockSpec(mc);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(j));
  FERRY_ASSERT_OK(d->Migrate({Table("retried")}, {}));
  rd_kafka_mock_push_request_errors(mc.get(), kProduce, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  for (int i = 0; i < 5; ++i) FERRY_ASSERT_OK(WriteRange(d.get(), Table("retried"), i * 2000, 2000));
  FERRY_ASSERT_OK(d->Close());
  ExpectExactlyOnce(j, "retried", 10000);
}

// Where lost rows went, for the failure message: per partition, the log's
// offsets (a first offset above 0: the mock dropped its oldest message sets,
// which it does beyond 5 MB a partition) and how many messages the reader
// took from it (fewer than the log holds: the reader stopped early; as many
// but keys missing: the producer acknowledged rows the log never got). CI
// saw 19,713 of 20,000 once (2026-12-06); 200 runs here under load did not.
std::string LossReport(MockCluster& mc, const std::string& topic, int partitions,
                       const std::vector<ConsumedMessage>& msgs) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", mc.bootstraps().c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "loss-report", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  std::string out;
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = -1, hi = -1, read = 0, first = -1;
    rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000);
    for (const auto& m : msgs)
      if (m.partition == p) {
        ++read;
        if (first < 0 || m.offset < first) first = m.offset;
      }
    out += "\npartition " + std::to_string(p) + ": log offsets [" + std::to_string(lo) + ", " + std::to_string(hi) +
           "), read " + std::to_string(read) + " from offset " + std::to_string(first);
  }
  rd_kafka_destroy(rk);
  return out;
}

// Leaders moving and brokers going down and up under writes. Transactional:
// every row exactly once for a read_committed reader (an aborted write is
// written again, as the engine does). Idempotent only: every row, but not
// always once: librdkafka (2.0.2 here, and still in 2025,
// confluentinc/librdkafka#4953) bumps the producer epoch when requests
// behind a failed one answer OUT_OF_ORDER_SEQUENCE_NUMBER, and a message of
// another partition that may already be stored is then sent again under the
// new epoch. CI saw 328 of 20,000 once; the README says so, and that
// exactly-once needs a transactional_id.
class KafkaMockLeaders : public ::testing::TestWithParam<bool> {};

TEST_P(KafkaMockLeaders, LeadersMovingAndABrokerDownAndUpDuringWrites) {
  const bool txn = GetParam();
  MockCluster mc;
  ASSERT_EQ(rd_kafka_mock_topic_create(mc.get(), "moving", 3, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto j = txn ? MockSpec(mc, {{"transactional_id", "ferry-mock-moving"}}) : MockSpec(mc);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(j));
  FERRY_ASSERT_OK(d->Migrate({Table("moving")}, {}));
  // First leaders move between live brokers, then brokers go down and come
  // back (leaders staying put, as the mock does not move them). Both at once
  // would make a down broker the leader, which a real cluster never does
  // (and the mock then answers in ways no broker does).
  std::atomic<bool> done{false};
  std::atomic<int> phase{0};
  std::thread chaos([&] {
    int step = 0;
    while (!done) {
      if (phase == 0) {
        for (int p = 0; p < 3; ++p) rd_kafka_mock_partition_set_leader(mc.get(), "moving", p, 1 + (step + p) % 3);
      } else {
        if (step % 2 == 0) rd_kafka_mock_broker_set_down(mc.get(), 1 + (step / 2) % 3);
        else rd_kafka_mock_broker_set_up(mc.get(), -1);
      }
      ++step;
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    rd_kafka_mock_broker_set_up(mc.get(), -1);
  });
  Status st;
  int retries = 0;
  for (int i = 0; i < 20 && st.ok(); ++i) {
    if (i == 10) phase = 1;
    st = txn ? WriteRangeWithRetry(d.get(), Table("moving"), i * 1000, 1000, &retries)
             : WriteRange(d.get(), Table("moving"), i * 1000, 1000);
  }
  done = true;
  chaos.join();
  FERRY_ASSERT_OK(st);
  FERRY_ASSERT_OK(d->Close());
  if (txn) {
    ExpectExactlyOnce(j, "moving", 20000);
    return;
  }
  FERRY_ASSERT_OK_AND_ASSIGN(Options o, ValidateOptions(SpecOptions(), j, "d", nullptr));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, ParseSpec(o));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, "moving", 60000));
  std::set<std::string> keys;
  for (const auto& m : msgs) keys.insert(m.key);
  EXPECT_EQ(static_cast<int64_t>(keys.size()), 20000) << "every row arrives" << LossReport(mc, "moving", 3, msgs);
  if (msgs.size() > keys.size())
    std::printf("idempotent producer: %zu duplicate messages of 20000 (librdkafka#4953)\n", msgs.size() - keys.size());
}

INSTANTIATE_TEST_SUITE_P(Modes, KafkaMockLeaders, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Transactional" : "Idempotent"; });

// A cancelled sync (SIGINT, SIGTERM) whose brokers stopped answering ends in
// seconds: the write waiting for acknowledgements gives up kCancelGrace after
// it sees the cancel, where it would wait out message_timeout (60 s here)
// otherwise. A sync cancelled while its brokers answer still writes the rows
// it fetched (docs/semantics.md, "Cancelling a sync").
class KafkaMockCancel : public ::testing::TestWithParam<bool> {};

TEST_P(KafkaMockCancel, ACancelledSyncStopsWaitingForBrokersThatDoNotAnswer) {
  const bool txn = GetParam();
  MockCluster mc;
  ASSERT_EQ(rd_kafka_mock_topic_create(mc.get(), "stuck", 1, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto j = txn ? MockSpec(mc, {{"transactional_id", "ferry-mock-cancel"}}) : MockSpec(mc);
  std::atomic<bool> cancel{false};
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(j, &cancel));
  FERRY_ASSERT_OK(d->Migrate({Table("stuck")}, {}));
  FERRY_ASSERT_OK(WriteRange(d.get(), Table("stuck"), 0, 100));
  // Cancelled, brokers answering: the rows fetched before the cancel land.
  cancel = true;
  FERRY_ASSERT_OK(WriteRange(d.get(), Table("stuck"), 100, 100));
  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_down(mc.get(), b);
  const auto t0 = std::chrono::steady_clock::now();
  Status st = WriteRange(d.get(), Table("stuck"), 200, 1000);
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  EXPECT_NE(st.message().find("cancelled while 1000 of 1000 messages"), std::string::npos) << st.message();
  if (txn) {
    EXPECT_NE(st.message().find("aborted"), std::string::npos) << st.message();
  }
  EXPECT_LT(waited, kCancelGrace + std::chrono::seconds(8)) << "message_timeout is 60 s";
  const auto t1 = std::chrono::steady_clock::now();
  (void)d->Close();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(15)) << "closing a producer of a cancelled sync";
  for (int b = 1; b <= 3; ++b) rd_kafka_mock_broker_set_up(mc.get(), b);
  // The 200 rows written before the brokers went away are there.
  FERRY_ASSERT_OK_AND_ASSIGN(Options o, ValidateOptions(SpecOptions(), j, "d", nullptr));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, ParseSpec(o));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, "stuck", 60000));
  std::set<std::string> keys;
  for (const auto& m : msgs) keys.insert(m.key);
  EXPECT_GE(keys.size(), 200u);
  if (txn) {
    EXPECT_EQ(msgs.size(), 200u) << "the cancelled transaction is not visible to read_committed readers";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, KafkaMockCancel, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Transactional" : "Idempotent"; });

TEST(KafkaMockCluster, APermanentBrokerErrorFailsTheWriteWithTheBrokersWords) {
  MockCluster mc;
  ASSERT_EQ(rd_kafka_mock_topic_create(mc.get(), "denied", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(MockSpec(mc)));
  FERRY_ASSERT_OK(d->Migrate({Table("denied")}, {}));
  rd_kafka_mock_push_request_errors(mc.get(), kProduce, 50, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  Status st = WriteRange(d.get(), Table("denied"), 0, 10);
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(st.IsRetryable()) << st.ToString();
  EXPECT_NE(st.message().find("denied"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("uthoriz"), std::string::npos) << st.message();
}

TEST(KafkaMockCluster, TransactionsAbortRetryAndFailForGood) {
  MockCluster mc;
  ASSERT_EQ(rd_kafka_mock_topic_create(mc.get(), "txn", 2, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto j = MockSpec(mc, {{"transactional_id", "ferry-mock-txn"}});
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(j));
  FERRY_ASSERT_OK(d->Migrate({Table("txn")}, {}));
  FERRY_ASSERT_OK(WriteRange(d.get(), Table("txn"), 0, 500));
  // A produce request refused inside the transaction: the destination aborts
  // it (nothing of it is visible) and says the write may be retried.
  rd_kafka_mock_push_request_errors(mc.get(), kProduce, 1, RD_KAFKA_RESP_ERR_INVALID_RECORD);
  Status st = WriteRange(d.get(), Table("txn"), 500, 500);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsRetryable()) << st.ToString();
  EXPECT_NE(st.message().find("aborted"), std::string::npos) << st.message();
  int retries = 0;
  FERRY_ASSERT_OK(WriteRangeWithRetry(d.get(), Table("txn"), 500, 500, &retries));
  // The coordinator busy at commit time: the commit is asked again.
  rd_kafka_mock_push_request_errors(mc.get(), kEndTxn, 2, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                    RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
  FERRY_ASSERT_OK(WriteRange(d.get(), Table("txn"), 1000, 500));
  // A fatal answer: the producer is done, and every later write says so.
  rd_kafka_mock_push_request_errors(mc.get(), kEndTxn, 1, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE);
  st = WriteRange(d.get(), Table("txn"), 1500, 500);
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(st.IsRetryable()) << st.ToString();
  EXPECT_NE(st.message().find("failed for good"), std::string::npos) << st.message();
  EXPECT_FALSE(WriteRange(d.get(), Table("txn"), 2000, 10).ok());
  FERRY_ASSERT_OK(d->Close());
  // What read_committed consumers see is checked against the real broker
  // (kafka_incremental_test.cc, kafka_destination_test.cc): the mock's
  // fetch path does not hide aborted transactions.
}

}  // namespace
}  // namespace ferry::plugins::kafka
