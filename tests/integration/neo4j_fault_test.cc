// The answer to a COMMIT lost on the way back (testing/tcp_fault_proxy.h):
// the server committed, Ferry cannot know. The retry of the same request
// must not write the rows twice: MERGE (tables with a key) is idempotent,
// and a request of CREATEs (no key, append mode) leaves a marker in its
// transaction that the retry finds. The control shows the proxy really
// loses a committed answer: a second request with another id doubles the rows.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include "ferry/builder.h"
#include "ferry/options.h"
#include "plugins/common/tcp_socket.h"
#include "plugins/destination/neo4j/testing/neo4j_test_server.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"
#include "testing/tcp_fault_proxy.h"

namespace ferry::plugins::neo4j {
namespace {

namespace nt = testing;
using namespace ferry::testing::conformance;  // NOLINT
using ferry::testing::Col;
using ferry::testing::MetaRow;
using ferry::testing::TableWithMeta;

void LostCommitIsRetriedWithoutDuplicates(const std::string& ns, bool keyed) {
  ASSERT_EQ(nt::Server().error, "");
  ferry::testing::TcpFaultProxy proxy("127.0.0.1", nt::Server().Port("FERRY_NEO4J_PORT"));
  auto spec = nt::ServerSpec(ns, {{"connection_string", "bolt://127.0.0.1:" + std::to_string(proxy.port())}});
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, nt::OpenNeo4j(spec));
  auto t = TableWithMeta("lost_commit", {Col("id", types::Int64(), keyed), Col("name", types::Utf8())});
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  std::vector<Row> rows;
  for (int i = 0; i < 500; ++i)
    rows.push_back(MetaRow(kT1, "src", static_cast<uint64_t>(i), {Value::Int(i), Value::String("n" + std::to_string(i))}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, ferry::testing::MakeBatch(t, rows));
  WriteRequest req;
  req.table = t;
  req.batches = {batch};
  req.request_id = 41;
  // The server answers BEGIN and RUN at once and COMMIT after the MERGE: the
  // proxy waits for 3 s of quiet after its last byte before closing.
  proxy.LoseNextAnswer(std::chrono::seconds(3));
  Status first = d->Write(req);
  ASSERT_EQ(proxy.lost(), 1);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.code(), StatusCode::kTransient) << first.ToString();
  const std::string label = "`" + spec["label_prefix"].get<std::string>() + "lost_commit`";
  EXPECT_EQ(nt::PyCount("MATCH (n:" + label + ") RETURN count(n)"), 500) << "the server committed the first attempt";
  // The engine's retry: the same request, attempt 1.
  req.attempt = 1;
  FERRY_ASSERT_OK(d->Write(req));
  EXPECT_EQ(nt::PyCount("MATCH (n:" + label + ") RETURN count(n)"), 500) << "the retry wrote nothing twice";
  // Control: another request with the same rows.
  req.request_id = 42;
  req.attempt = 0;
  FERRY_ASSERT_OK(d->Write(req));
  EXPECT_EQ(nt::PyCount("MATCH (n:" + label + ") RETURN count(n)"), keyed ? 500 : 1000);
  FERRY_ASSERT_OK(d->Close());
  // This process's markers only: ctest runs the other fault test beside
  // this one, and its markers exist until its own Close.
  EXPECT_EQ(nt::PyCount("MATCH (m:_ferry_write) WHERE m.invocation = 'test-invocation-" + std::to_string(getpid()) +
                        "' RETURN count(m)"),
            0)
      << "Close removes this sync's markers";
}

TEST(Neo4jFault, LostCommitOfCreatesIsFoundByItsMarker) { LostCommitIsRetriedWithoutDuplicates("n4_lost_create", false); }
TEST(Neo4jFault, LostCommitOfMergesIsReplayedSafely) { LostCommitIsRetriedWithoutDuplicates("n4_lost_merge", true); }

// A FAILURE in the middle of a pipelined transaction: the server ignores
// the rest, Ferry resets the connection and it is usable at once.
// A cancelled sync (DestinationInit::cancel) stops waiting on a server that
// stopped answering kCancelGrace after the cancel, instead of io_timeout.
TEST(Neo4jFault, ACancelledSyncStopsWaitingForAServerThatDoesNotAnswer) {
  ASSERT_EQ(nt::Server().error, "");
  std::unique_ptr<Neo4jDestination> d;   // outlives the write below
  std::future<Status> write;
  ferry::testing::TcpFaultProxy proxy("127.0.0.1", nt::Server().Port("FERRY_NEO4J_PORT"));
  auto spec = nt::ServerSpec("n4_cancel", {{"connection_string", "bolt://127.0.0.1:" + std::to_string(proxy.port())}});
  std::atomic<bool> cancel{false};
  FERRY_ASSERT_OK_AND_ASSIGN(Options o, ValidateOptions(SpecOptions(), spec, "destination \"neo4j\"", nullptr));
  d = std::make_unique<Neo4jDestination>();
  DestinationInit init{"neo4j", "test-invocation-" + std::to_string(getpid())};
  init.cancel = &cancel;
  FERRY_ASSERT_OK(d->Init(o, init));
  auto t = TableWithMeta("cancelled", {Col("id", types::Int64(), true), Col("name", types::Utf8())});
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  std::vector<Row> rows;
  for (int i = 0; i < 10; ++i)
    rows.push_back(MetaRow(kT1, "src", static_cast<uint64_t>(i), {Value::Int(i), Value::String("n" + std::to_string(i))}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, ferry::testing::MakeBatch(t, rows));
  WriteRequest req;
  req.table = t;
  req.batches = {batch};
  req.request_id = 1;
  FERRY_ASSERT_OK(d->Write(req));

  proxy.Freeze();
  cancel = true;
  const auto t0 = std::chrono::steady_clock::now();
  req.request_id = 2;
  write = std::async(std::launch::async, [&] { return d->Write(req); });
  ASSERT_EQ(write.wait_for(kCancelGrace + std::chrono::seconds(10)), std::future_status::ready)
      << "the write should give up after the grace";
  const Status st = write.get();
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, kCancelGrace - std::chrono::milliseconds(300));
}

TEST(Neo4jFault, ServerErrorRollsBackAndTheConnectionStaysUsable) {
  ASSERT_EQ(nt::Server().error, "");
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, nt::OpenNeo4j(nt::ServerSpec("n4_failure")));
  auto bad = d->Query("RETURN 1 +");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("Neo.ClientError.Statement.SyntaxError"), std::string::npos)
      << bad.status().message();
  auto one = d->Query("RETURN 41 + 1");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ((*one)[0].as_list()[0].as_int(), 42);
  EXPECT_GE(d->bolt_version().major, 5) << "Neo4j 5.26 speaks Bolt 5";
}

// The key is the one part of a table Neo4j keeps as schema (the uniqueness
// constraint): a changed key is refused in safe mode, naming the table and
// both keys, and re-keyed in forced mode; other column changes just pass.
TEST(Neo4jMigrate, KeyChangeRefusedInSafeModeAppliedInForced) {
  ASSERT_EQ(nt::Server().error, "");
  auto spec = nt::ServerSpec("n4_rekey");
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, nt::OpenNeo4j(spec));
  auto v1 = TableWithMeta("rekeyed", {Col("id", types::Int64(), true), Col("name", types::Utf8())});
  FERRY_ASSERT_OK(d->Migrate({v1}, MigrateOptions{}));
  auto v2 = TableWithMeta("rekeyed", {Col("id", types::Int64(), true), Col("name", types::Utf8(), true),
                                      Col("added", types::Bool())});
  Status safe = d->Migrate({v2}, MigrateOptions{});
  ASSERT_EQ(safe.code(), StatusCode::kSchemaChange) << safe.ToString();
  EXPECT_NE(safe.message().find("from (id) to (id, name)"), std::string::npos) << safe.message();
  EXPECT_NE(safe.message().find("migrate_mode: forced"), std::string::npos) << safe.message();
  const std::string name = "_cq_index_" + spec["label_prefix"].get<std::string>() + "rekeyed";
  auto props = [&] {
    auto r = nt::PyQuery({"SHOW CONSTRAINTS YIELD name, properties WHERE name = '" + name + "' RETURN properties"});
    return r.ok() && !(*r)[0].empty() ? (*r)[0][0][0] : nlohmann::json();
  };
  EXPECT_EQ(props(), nlohmann::json::array({"id"}));
  FERRY_ASSERT_OK(d->Migrate({v2}, MigrateOptions{MigrateMode::kForced}));
  EXPECT_EQ(props(), nlohmann::json::array({"id", "name"}));
  // Columns alone are no schema change.
  auto v3 = TableWithMeta("rekeyed", {Col("id", types::Int64(), true), Col("name", types::Utf8(), true)});
  FERRY_EXPECT_OK(d->Migrate({v3}, MigrateOptions{}));
  FERRY_ASSERT_OK(d->Close());
}

}  // namespace
}  // namespace ferry::plugins::neo4j
