// The kafka destination against a real Kafka 4.4 broker (test-server.sh):
// message keys and headers, CSV values, what an independent client (kcat)
// reads, topic creation off, SASL/PLAIN and TLS listeners, transactions and
// fencing, and a broker restart in the middle of a write (a broker of its
// own, so other tests never see it go down).
#include <cstdlib>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "ferry/redact.h"
#include "plugins/destination/kafka/message_codec.h"
#include "plugins/destination/kafka/testing/kafka_test_server.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/row_compare.h"

namespace ferry::plugins::kafka {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::MetaRow;
using ferry::testing::TableWithMeta;
using ferry::testing::conformance::kT1;
namespace kt = testing;

#define REQUIRE_BROKER() ASSERT_EQ(kt::Broker().error, "") << "the Kafka test server did not start"

// An append-mode table as the engine sends it: the key stripped from the
// columns but kept as the source's key.
TableSchemaPtr AppendTable(const std::string& name) {
  auto t = std::make_shared<TableSchema>(*TableWithMeta(name, {Col("id", types::Int64()), Col("name", types::Utf8())}));
  t->source_primary_key = {"id"};
  return t;
}

std::vector<Row> Rows(int64_t first, int64_t n) {
  std::vector<Row> rows;
  for (int64_t i = first; i < first + n; ++i)
    rows.push_back(MetaRow(kT1, "aws", static_cast<uint64_t>(i), {Value::Int(i), Value::String("row " + std::to_string(i))}));
  return rows;
}

Status WriteRows(Destination* d, const TableSchemaPtr& t, const std::vector<Row>& rows) {
  FERRY_ASSIGN_OR_RETURN(BatchPtr b, MakeBatch(t, rows));
  WriteRequest req;
  req.table = t;
  req.batches = {b};
  return d->Write(req);
}

TEST(KafkaBroker, KeysHeadersAndValues) {
  REQUIRE_BROKER();
  const auto j = kt::BrokerSpec("keys");
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(j));
  auto keyed = AppendTable("keyed");
  auto plain = TableWithMeta("plain", {Col("id", types::Int64())});
  FERRY_ASSERT_OK(d->Migrate({keyed, plain}, {}));
  FERRY_ASSERT_OK(WriteRows(d.get(), keyed, Rows(1, 3)));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr pb, MakeBatch(plain, {MetaRow(kT1, "aws", 9, {Value::Int(9)})}));
  WriteRequest preq;
  preq.table = plain;
  preq.batches = {pb};
  FERRY_ASSERT_OK(d->Write(preq));
  FERRY_ASSERT_OK(d->Close());

  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(j));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, TopicName(spec, "keyed"), 30000));
  ASSERT_EQ(msgs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(msgs[i].has_key);
    EXPECT_EQ(msgs[i].key, "{\"id\":" + std::to_string(i + 1) + "}");
    EXPECT_EQ(msgs[i].headers["cq_table"], "keyed");
    EXPECT_EQ(msgs[i].headers["cq_source_name"], "aws");
    EXPECT_EQ(msgs[i].headers["cq_sync_time"], "2024-01-02T03:04:05.678901Z");
    EXPECT_EQ(msgs[i].headers.count("cq_sync_group_id"), 0u);
    FERRY_ASSERT_OK_AND_ASSIGN(Row r, DecodeJsonRow(*keyed, msgs[i].value));
    EXPECT_EQ(r, Rows(static_cast<int64_t>(i) + 1, 1)[0]);
  }
  FERRY_ASSERT_OK_AND_ASSIGN(auto pm, ReadTopic(spec, TopicName(spec, "plain"), 30000));
  ASSERT_EQ(pm.size(), 1u);
  EXPECT_FALSE(pm[0].has_key) << "a table without a primary key gives unkeyed messages";
}

// kcat (Debian's, an independent client) reads what Ferry wrote: every
// type's JSON, and CSV.
TEST(KafkaBroker, AnIndependentClientReadsEveryType) {
  REQUIRE_BROKER();
  const auto j = kt::BrokerSpec("kcat");
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(j));
  auto t = ferry::testing::AllTypesTable("all_types");
  auto rows = ferry::testing::AllTypesRows(kT1, "aws");
  FERRY_ASSERT_OK(d->Migrate({t}, {}));
  FERRY_ASSERT_OK(WriteRows(d.get(), t, rows));
  FERRY_ASSERT_OK(d->Close());
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(j));
  std::string out;
  const std::string cmd = "kcat -C -b " + kt::Broker().Get("FERRY_KAFKA_BROKERS") + " -t " + TopicName(spec, "all_types") +
                          " -o beginning -e -q -X isolation.level=read_committed -f '%s' 2>&1";
  ASSERT_EQ(ferry::testing::RunShell(cmd, &out), 0) << out;
  // Each value ends with a newline: kcat's output is JSON lines.
  std::vector<Row> got;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    FERRY_ASSERT_OK_AND_ASSIGN(Row r, DecodeJsonRow(*t, std::string_view(out).substr(pos, nl - pos)));
    got.push_back(std::move(r));
    pos = nl + 1;
  }
  EXPECT_EQ(got.size(), rows.size());
  // The same rows as Ferry's own reader, which the conformance suite checks
  // against what was written (EveryTypeRoundTrips).
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, TopicName(spec, "all_types"), 30000));
  std::vector<Row> ours;
  for (const auto& m : msgs) {
    FERRY_ASSERT_OK_AND_ASSIGN(Row r, DecodeJsonRow(*t, m.value));
    ours.push_back(std::move(r));
  }
  EXPECT_TRUE(ferry::testing::SameRows(ours, got));
}

TEST(KafkaBroker, CsvMessages) {
  REQUIRE_BROKER();
  const auto j = kt::BrokerSpec("csv", {{"format", "csv"}, {"format_spec", {{"delimiter", "|"}}}});
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(j));
  auto t = std::make_shared<TableSchema>();
  t->name = "csv_table";
  t->columns = {Col("id", types::Int64()), Col("name", types::Utf8())};
  FERRY_ASSERT_OK(d->Migrate({t}, {}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {{Value::Int(1), Value::String("a|b")}, {Value::Int(2), Value::Null()}}));
  WriteRequest req;
  req.table = t;
  req.batches = {b};
  FERRY_ASSERT_OK(d->Write(req));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(j));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, TopicName(spec, "csv_table"), 30000));
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].value, "id|name\n1|\"a|b\"\n");
  EXPECT_EQ(msgs[1].value, "id|name\n2|\n");
}

TEST(KafkaBroker, MissingTopicsWithCreateTopicsOffFailBeforeAnyData) {
  REQUIRE_BROKER();
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(kt::BrokerSpec("nocreate", {{"create_topics", false}})));
  Status st = d->Migrate({AppendTable("absent_one"), AppendTable("absent_two")}, {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("absent_one"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("absent_two"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("create_topics"), std::string::npos) << st.message();
  // The broker does not create topics on its own either (auto.create.topics.enable=false).
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(kt::BrokerSpec("nocreate")));
  EXPECT_EQ(ReadTopic(spec, TopicName(spec, "absent_one"), 10000).status().code(), StatusCode::kNotFound);
}

TEST(KafkaBroker, SaslPlainAndTls) {
  REQUIRE_BROKER();
  const std::string user = kt::Broker().Get("FERRY_KAFKA_SASL_USER"), pass = kt::Broker().Get("FERRY_KAFKA_SASL_PASSWORD");
  ASSERT_FALSE(user.empty());
  auto sasl = kt::BrokerSpec("sasl", {{"brokers", {kt::Broker().Get("FERRY_KAFKA_SASL_BROKERS")}},
                                      {"sasl_username", user},
                                      {"sasl_password", pass}});
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(sasl));
  auto t = AppendTable("over_sasl");
  FERRY_ASSERT_OK(d->Migrate({t}, {}));
  FERRY_ASSERT_OK(WriteRows(d.get(), t, Rows(1, 10)));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec sspec, kt::SpecOf(sasl));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTopic(sspec, TopicName(sspec, "over_sasl"), 30000));
  EXPECT_EQ(got.size(), 10u);

  // A wrong password: a clear error that names the keys, never the password.
  auto wrong = sasl;
  wrong["sasl_password"] = "not-the-password-8c1f";
  wrong["message_timeout"] = "5s";
  auto bad = kt::OpenKafka(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sasl_username"), std::string::npos) << bad.status().message();
  EXPECT_EQ(bad.status().message().find("not-the-password-8c1f"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(bad.status().IsRetryable()) << "authentication failures are not retried";

  // TLS, verifying the broker against the test CA (host name included).
  auto tls = kt::BrokerSpec("tls", {{"brokers", {kt::Broker().Get("FERRY_KAFKA_SSL_BROKERS")}},
                                    {"enforce_tls_verification", true},
                                    {"tls_details", {{"ca_file_path", kt::Broker().Get("FERRY_KAFKA_CA")}}}});
  FERRY_ASSERT_OK_AND_ASSIGN(auto dt, kt::OpenKafka(tls));
  auto tt = AppendTable("over_tls");
  FERRY_ASSERT_OK(dt->Migrate({tt}, {}));
  FERRY_ASSERT_OK(WriteRows(dt.get(), tt, Rows(1, 5)));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec tspec, kt::SpecOf(tls));
  FERRY_ASSERT_OK_AND_ASSIGN(auto tgot, ReadTopic(tspec, TopicName(tspec, "over_tls"), 30000));
  EXPECT_EQ(tgot.size(), 5u);
  // Verification on, without the CA: the broker's certificate is refused.
  auto untrusted = tls;
  untrusted["tls_details"] = nlohmann::json::object();
  untrusted["enable_tls"] = true;
  untrusted["message_timeout"] = "5s";
  auto refused = kt::OpenKafka(untrusted);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("ca_file_path"), std::string::npos) << refused.status().message();
  EXPECT_FALSE(refused.status().IsRetryable());
}

TEST(KafkaBroker, TransactionsCommitRowsAndCursorsTogether) {
  REQUIRE_BROKER();
  const auto j = kt::BrokerSpec("txn", {{"transactional_id", "ferry-test-txn-" + kt::TopicPrefix("txn")}});
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(j));
  auto t = AppendTable("txn_rows");
  auto st = StateTableSchema("txn_state");
  FERRY_ASSERT_OK(d->Migrate({t, st}, {}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, Rows(1, 100)));
  WriteRequest req;
  req.table = t;
  req.batches = {b};
  req.state_table = st;
  req.state = {{"txn_rows", "cursor-100", 1}};
  FERRY_ASSERT_OK(d->Write(req));
  FERRY_ASSERT_OK_AND_ASSIGN(auto state, d->ReadState(st));
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].value, "cursor-100");

  // A second producer with the same transactional_id fences the first: its
  // next write fails for good and says why; the new one works.
  FERRY_ASSERT_OK_AND_ASSIGN(auto d2, kt::OpenKafka(j));
  FERRY_ASSERT_OK(d2->Migrate({t, st}, {}));
  Status fenced = WriteRows(d.get(), t, Rows(101, 10));
  ASSERT_FALSE(fenced.ok());
  EXPECT_FALSE(fenced.IsRetryable()) << fenced.ToString();
  EXPECT_NE(fenced.message().find("transactional_id"), std::string::npos) << fenced.message();
  FERRY_ASSERT_OK(WriteRows(d2.get(), t, Rows(201, 10)));
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(j));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, TopicName(spec, "txn_rows"), 30000));
  EXPECT_EQ(msgs.size(), 110u) << "the fenced producer's rows are not committed";
  // The state topic is compacted.
  std::string out;
  ferry::testing::RunShell("kcat -L -b " + kt::Broker().Get("FERRY_KAFKA_BROKERS") + " -t " + TopicName(spec, "txn_state") + " 2>&1", &out);
  EXPECT_NE(out.find("1 partitions"), std::string::npos) << out;
}

// A broker of its own (FERRY_TEST_SERVERS_DIR elsewhere) restarted while
// 200k rows are being written, idempotent and transactional. Idempotent: the
// producer retries inside each write. Transactional: a write whose
// transaction the restart aborted is Transient and written again, as the
// engine does. Either way a read_committed consumer sees every row once.
class KafkaRestart : public ::testing::TestWithParam<bool> {};

TEST_P(KafkaRestart, BrokerRestartMidWriteLosesAndDuplicatesNothing) {
  REQUIRE_BROKER();
  const bool txn = GetParam();
  ferry::testing::TempDir dir;
  const std::string env = "FERRY_TEST_SERVERS_DIR=" + dir.path() + " bash " + ferry::testing::TestServersScript();
  std::string out;
  ASSERT_EQ(ferry::testing::RunShell(env + " start kafka 2>&1", &out), 0) << out;
  const size_t p = out.find("FERRY_KAFKA_BROKERS=");
  ASSERT_NE(p, std::string::npos) << out;
  const std::string brokers = out.substr(p + 20, out.find('\n', p) - p - 20);
  const std::string ns = txn ? "restart_txn" : "restart";
  auto j = kt::BrokerSpec(ns, {{"brokers", {brokers}}, {"message_timeout", "120s"}});
  if (txn) j["transactional_id"] = "ferry-restart-" + kt::TopicPrefix(ns);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, kt::OpenKafka(j));
  auto t = AppendTable("restarted");
  FERRY_ASSERT_OK(d->Migrate({t}, {}));
  const int64_t kRows = 200000, kPer = 20000;
  std::atomic<bool> restarted{false};
  std::thread restarter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::string o;
    ferry::testing::RunShell("PAUSE=2 " + env + " restart kafka 2>&1", &o);
    restarted = true;
  });
  Status st;
  int retried = 0;
  for (int64_t first = 0; first < kRows && st.ok(); first += kPer) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      st = WriteRows(d.get(), t, Rows(first, kPer));
      if (st.ok() || !st.IsRetryable()) break;
      ++retried;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  restarter.join();
  EXPECT_TRUE(restarted.load());
  FERRY_EXPECT_OK(st);
  FERRY_ASSERT_OK(d->Close());
  FERRY_ASSERT_OK_AND_ASSIGN(Spec spec, kt::SpecOf(j));
  FERRY_ASSERT_OK_AND_ASSIGN(auto msgs, ReadTopic(spec, TopicName(spec, "restarted"), 60000));
  std::set<std::string> keys;
  for (const auto& m : msgs) keys.insert(m.key);
  EXPECT_EQ(msgs.size(), static_cast<size_t>(kRows)) << retried << " writes retried";
  EXPECT_EQ(keys.size(), static_cast<size_t>(kRows));
  ferry::testing::RunShell(env + " stop kafka 2>&1", &out);
}

INSTANTIATE_TEST_SUITE_P(Modes, KafkaRestart, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Transactional" : "Idempotent"; });

}  // namespace
}  // namespace ferry::plugins::kafka
