// Faults against a real PostgreSQL: the connection dies in the middle of a
// write (during COPY, before COMMIT, after COMMIT was sent), the server
// restarts, a whole `ferry sync` has its connections killed repeatedly. In
// every case the final rows are exactly those of an undisturbed run: no row
// lost, none duplicated (append mode makes duplicates visible).
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "ferry/options.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/postgresql/table_reader.h"
#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/row_compare.h"
#include "testing/tcp_fault_proxy.h"

namespace ferry::plugins::postgresql {
namespace {

using ferry::testing::conformance::ItemRow;
using ferry::testing::conformance::Items;
using ferry::testing::conformance::kT1;

Result<std::unique_ptr<Destination>> Open(const std::string& conninfo) {
  FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), {{"connection_string", conninfo}}, "d", nullptr));
  auto d = std::make_unique<Destination>();
  FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"pg", "fault-test"}));
  return d;
}

// What the engine's DestinationWriter::WriteWithRetry does.
Status WriteWithRetry(Destination* d, const WriteRequest& req, int* transient_failures) {
  Status st;
  for (int attempt = 0; attempt <= 3; ++attempt) {
    st = d->Write(req);
    if (st.ok() || !st.IsRetryable()) return st;
    ++*transient_failures;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
  }
  return st;
}

std::vector<Row> ItemRows(int64_t first, int64_t n) {
  std::vector<Row> rows;
  for (int64_t i = first; i < first + n; ++i) rows.push_back(ItemRow(kT1, "src", i, "row " + std::to_string(i), 0.5 * i));
  return rows;
}

struct FaultCase {
  const char* point;  // where the connection breaks during the second write
  bool kill_backend;  // pg_terminate_backend from another session, else shut the socket down
  bool upsert;        // table with a primary key (staging + merge) or append
};

class PostgresFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(PostgresFault, ConnectionLostMidWriteNeitherLosesNorDuplicatesRows) {
  const FaultCase fc = GetParam();
  const std::string ns = std::string("fault_") + fc.point + (fc.kill_backend ? "_kill" : "_shut") +
                         (fc.upsert ? "_upsert_" : "_append_") + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conninfo, testing::FreshDatabase(ns));
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(conninfo));
  auto t = Items("fault_items", fc.upsert);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  const auto first = ItemRows(0, 5000), second = ItemRows(5000, 20000);
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b1, ferry::testing::MakeBatch(t, first));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b2, ferry::testing::MakeBatch(t, second));
  FERRY_ASSERT_OK(d->Write(WriteRequest{t, {b1}, nullptr, {}}));

  const std::string db = testing::DatabaseName(ns);
  bool fired = false;
  d->SetFaultHook([&](std::string_view point, PGconn* conn) {
    if (point != fc.point || fired) return;
    fired = true;
    if (fc.kill_backend) {
      const std::string pid = std::to_string(PQbackendPID(conn));
      ASSERT_TRUE(testing::AdminExec(db, "SELECT pg_terminate_backend(" + pid + ")").ok());
    } else {
      shutdown(PQsocket(conn), SHUT_RDWR);
    }
  });
  int transient = 0;
  // Two batches in one request: a slice makes sure offsets survive the retry.
  WriteRequest req{t, {b2->Slice(0, 7000), b2->Slice(7000, 13000)}, nullptr, {}};
  FERRY_ASSERT_OK(WriteWithRetry(d.get(), req, &transient));
  EXPECT_TRUE(fired) << "the fault fired";
  if (std::string_view(fc.point) == "commit_sent") {
    // A race by design: the server may commit and answer before the backend
    // is terminated, and an answer already queued in the kernel is still
    // read after shutdown(); both outcomes must give the same rows.
    EXPECT_LE(transient, 1);
    EXPECT_EQ(d->connects(), 1 + transient) << "one reconnect per lost connection";
  } else {
    EXPECT_EQ(transient, 1) << "one failed attempt, then success";
    EXPECT_EQ(d->connects(), 2) << "reconnected once";
  }

  FERRY_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(conninfo, 10));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTable(*conn, *t));
  std::vector<Row> want = first;
  want.insert(want.end(), second.begin(), second.end());
  EXPECT_TRUE(ferry::testing::SameRows(want, got));
  // The destination keeps working on its new connection.
  FERRY_ASSERT_OK(d->Write(WriteRequest{t, {b1->Slice(0, 1)}, nullptr, {}}));
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresFault,
                         ::testing::Values(FaultCase{"copy", true, false}, FaultCase{"copy", true, true},
                                           FaultCase{"before_commit", true, false},
                                           FaultCase{"before_commit", false, true},
                                           FaultCase{"commit_sent", false, false},
                                           FaultCase{"commit_sent", false, true},
                                           FaultCase{"commit_sent", true, false}),
                         [](const ::testing::TestParamInfo<FaultCase>& i) {
                           return std::string(i.param.point) + (i.param.kill_backend ? "_kill" : "_shutdown") +
                                  (i.param.upsert ? "_upsert" : "_append");
                         });

TEST(PostgresFaultState, CursorCommitsOnceWithItsRowsAcrossACommitLoss) {
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conninfo, testing::FreshDatabase("fault_state_" + std::to_string(getpid())));
  // The server can answer COMMIT before the socket is shut down (the answer
  // is then still read): that attempt proves nothing, so try again on fresh
  // tables until the answer was really lost.
  int transient = 0;
  for (int attempt = 0; attempt < 5 && transient == 0; ++attempt) {
    FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(conninfo));
    const std::string suffix = std::to_string(attempt);
    auto t = Items("fault_state_rows_" + suffix, false);
    auto st = StateTableSchema("fault_state_" + suffix);
    FERRY_ASSERT_OK(d->Migrate({t, st}, MigrateOptions{}));
    bool fired = false;
    d->SetFaultHook([&](std::string_view point, PGconn* conn) {
      if (point != "commit_sent" || fired) return;
      fired = true;
      shutdown(PQsocket(conn), SHUT_RDWR);
    });
    FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, ferry::testing::MakeBatch(t, ItemRows(0, 100)));
    WriteRequest req{t, {b}, st, {{"tbl", "cursor-100", 1}}};
    FERRY_ASSERT_OK(WriteWithRetry(d.get(), req, &transient));
    EXPECT_TRUE(fired);
    FERRY_ASSERT_OK_AND_ASSIGN(auto state, d->ReadState(st));
    ASSERT_EQ(state.size(), 1u);
    EXPECT_EQ(state[0].value, "cursor-100");
    FERRY_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(conninfo, 10));
    FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTable(*conn, *t));
    EXPECT_EQ(got.size(), 100u) << "rows and cursor committed once";
  }
  EXPECT_EQ(transient, 1) << "the commit's answer was never lost in 5 attempts";
}

// A private server (its own state directory) restarted while a COPY is
// streaming: the write fails, reconnects to the restarted server and lands once.
TEST(PostgresFaultRestart, ServerRestartMidCopy) {
  ferry::testing::TempDir dir;
  std::string ignored;
  ferry::testing::RunShell("chmod 755 '" + dir.path() + "'", &ignored);  // the server runs as user postgres
  const std::string env = "FERRY_TEST_SERVERS_DIR=" + dir.path() + " ";
  const std::string script = "bash " + ferry::testing::TestServersScript();
  std::string out;
  ASSERT_EQ(ferry::testing::RunShell(env + script + " start postgres 2>&1", &out), 0) << out;
  const size_t p = out.find("FERRY_PG_PORT=");
  ASSERT_NE(p, std::string::npos) << out;
  const std::string port = out.substr(p + 14, out.find('\n', p) - p - 14);
  const std::string conninfo = "host=127.0.0.1 port=" + port + " user=postgres dbname=postgres";
  {
    FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(conninfo));
    auto t = Items("restart_items", false);
    FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
    bool fired = false;
    d->SetFaultHook([&](std::string_view point, PGconn*) {
      if (point != "copy" || fired) return;
      fired = true;
      std::string o;
      EXPECT_EQ(ferry::testing::RunShell(env + script + " restart postgres 2>&1", &o), 0) << o;
    });
    FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, ferry::testing::MakeBatch(t, ItemRows(0, 30000)));
    int transient = 0;
    FERRY_ASSERT_OK(WriteWithRetry(d.get(), WriteRequest{t, {b}, nullptr, {}}, &transient));
    EXPECT_TRUE(fired);
    EXPECT_GE(transient, 1);
    FERRY_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(conninfo, 10));
    FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTable(*conn, *t));
    EXPECT_EQ(got.size(), 30000u);
  }
  ferry::testing::RunShell(env + script + " stop postgres", &out);
}

// `ferry sync` of 2 x 100k synthetic rows in append mode while another
// session terminates ferry's connection three times.
TEST(PostgresFaultSync, SyncSurvivesKilledConnections) {
  const std::string ns = "fault_sync_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conninfo, testing::FreshDatabase(ns));
  const std::string db = testing::DatabaseName(ns);
  ferry::testing::TempDir dir;
  const std::string spec = dir.Write("sync.yml", R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v4.0.0
  tables: ["test_synthetic_table"]
  destinations: [postgresql]
  spec: {num_clients: 2, synthetic_rows: 100000, seed: 7}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: append
  spec:
    connection_string: ")" + conninfo + R"("
    batch_size: 5000
)");
  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    const std::string sql =
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db +
        "' AND application_name = 'ferry' AND pid <> pg_backend_pid() AND state <> 'idle'";
    while (!done && kills < 3) {
      auto n = testing::AdminQuery(db, "SELECT count(*) FROM test_synthetic_table");
      if (n.ok() && !n->empty() && std::stoll(*n) > 20000LL * (kills + 1)) {
        auto k = testing::AdminQuery(db, sql);
        if (k.ok() && *k != "0") ++kills;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto r = ferry::testing::RunFerry({"sync", spec, "--no-progress"}, dir.path());
  done = true;
  killer.join();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(kills.load(), 1) << "the sync finished before a connection could be killed";
  FERRY_ASSERT_OK_AND_ASSIGN(std::string count, testing::AdminQuery(db, "SELECT count(*) FROM test_synthetic_table"));
  FERRY_ASSERT_OK_AND_ASSIGN(std::string distinct,
                             testing::AdminQuery(db, "SELECT count(DISTINCT id) FROM test_synthetic_table"));
  EXPECT_EQ(count, "200000") << "kills: " << kills;
  EXPECT_EQ(distinct, "200000");
}

}  // namespace
}  // namespace ferry::plugins::postgresql

namespace ferry::plugins::postgresql {
namespace {

// A sync killed just after sending COMMIT leaves a transaction that is still
// committing its rows and cursor. ReadState at the start of the resumed sync
// must wait for it, not return the cursor from before those rows.
TEST(PostgresFaultState, ReadStateWaitsForACursorBeingCommitted) {
  const std::string ns = "fault_state_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conninfo, testing::FreshDatabase(ns));
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(conninfo));
  const TableSchemaPtr state = StateTableSchema("cq_state_wait");
  FERRY_ASSERT_OK(d->Migrate({state}, MigrateOptions{}));
  WriteRequest first{state, {}, state, {StateEntry{"t:c", "100", 1}}};
  FERRY_ASSERT_OK(d->Write(first));
  // The "killed" sync: its transaction has upserted the cursor and not committed yet.
  FERRY_ASSERT_OK_AND_ASSIGN(auto other, Connection::Open(conninfo, 10));
  FERRY_ASSERT_OK(other->Exec("BEGIN; UPDATE cq_state_wait SET value = '200', version = 2 WHERE key = 't:c'",
                              "hold"));
  std::thread commit([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    EXPECT_TRUE(other->Exec("COMMIT", "commit").ok());
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto read = d->ReadState(state);
  const auto waited = std::chrono::steady_clock::now() - t0;
  commit.join();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].value, "200") << "read the cursor from before the committing transaction";
  EXPECT_GE(waited, std::chrono::milliseconds(500));
}

// A cancelled sync (DestinationInit::cancel) ends a call PostgreSQL does not
// finish: a write waiting for a lock another session holds is cancelled on
// the server kCancelGrace after the cancel, fails with Cancelled and commits
// nothing; the server answered, so the destination keeps working for the
// rows the engine still has to write.
TEST(PostgresCancel, ACancelledSyncEndsAWriteWaitingForALock) {
  const std::string ns = "cancel_lock_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conninfo, testing::FreshDatabase(ns));
  std::atomic<bool> cancel{false};
  FERRY_ASSERT_OK_AND_ASSIGN(Options opts,
                             ValidateOptions(SpecOptions(), {{"connection_string", conninfo}}, "d", nullptr));
  // Declared in this order so that a failing assertion releases the lock
  // (locker) before waiting for the write, and the write ends before d goes.
  auto d = std::make_unique<Destination>();
  std::future<Status> write;
  DestinationInit init{"pg", "cancel-test"};
  init.cancel = &cancel;
  FERRY_ASSERT_OK(d->Init(opts, init));
  auto t = Items("cancel_items", /*pk=*/true);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b1, ferry::testing::MakeBatch(t, ItemRows(0, 100)));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b2, ferry::testing::MakeBatch(t, ItemRows(100, 100)));
  FERRY_ASSERT_OK(d->Write(WriteRequest{t, {b1}, nullptr, {}}));

  FERRY_ASSERT_OK_AND_ASSIGN(auto locker, Connection::Open(conninfo, 10));
  FERRY_ASSERT_OK(locker->Exec("BEGIN; LOCK TABLE cancel_items IN ACCESS EXCLUSIVE MODE", "lock"));
  write = std::async(std::launch::async, [&] { return d->Write(WriteRequest{t, {b2}, nullptr, {}}); });
  ASSERT_EQ(write.wait_for(std::chrono::milliseconds(1500)), std::future_status::timeout)
      << "the write should wait for the lock";
  const auto t0 = std::chrono::steady_clock::now();
  cancel = true;
  ASSERT_EQ(write.wait_for(kCancelGrace + std::chrono::seconds(5)), std::future_status::ready)
      << "the write should end after the grace";
  const auto waited = std::chrono::steady_clock::now() - t0;
  const Status st = write.get();
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  EXPECT_NE(st.message().find("cancelled it"), std::string::npos) << st.ToString();
  EXPECT_GE(waited, kCancelGrace - std::chrono::milliseconds(200)) << "the write gets its grace";
  // A write begun after the grace gets a moment (kLateCallGrace), not a
  // grace of its own: writes queued behind the lock end in seconds.
  const auto t1 = std::chrono::steady_clock::now();
  const Status late = d->Write(WriteRequest{t, {b2}, nullptr, {}});
  EXPECT_EQ(late.code(), StatusCode::kCancelled) << late.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, kLateCallGrace + std::chrono::seconds(2));
  FERRY_ASSERT_OK(locker->Exec("ROLLBACK", "unlock"));

  // Nothing of the cancelled write is in the table, and the destination
  // still writes (the server answered the cancel).
  FERRY_ASSERT_OK_AND_ASSIGN(auto reader, Connection::Open(conninfo, 10));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTable(*reader, *t));
  EXPECT_TRUE(ferry::testing::SameRows(ItemRows(0, 100), got));
  FERRY_ASSERT_OK(d->Write(WriteRequest{t, {b2}, nullptr, {}}));
  FERRY_ASSERT_OK_AND_ASSIGN(got, ReadTable(*reader, *t));
  EXPECT_TRUE(ferry::testing::SameRows(ItemRows(0, 200), got));
}

// A server that answers nothing (not even the cancel request): the call is
// cut off kShutGrace after the cancel was sent, and later calls fail at once
// instead of waiting on the server again.
TEST(PostgresCancel, ACancelledSyncStopsWaitingForAServerThatDoesNotAnswer) {
  const std::string ns = "cancel_frozen_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string direct, testing::FreshDatabase(ns));
  // In this order so that a failing assertion closes the proxy (unblocking
  // the write) before waiting for the write, and the write ends before d goes.
  std::unique_ptr<Destination> d;
  std::future<Status> write;
  ferry::testing::TcpFaultProxy proxy(testing::TestServer().host, testing::TestServer().port);
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(proxy.port()) + " user=" +
                               testing::TestServer().user + " dbname=" + testing::DatabaseName(ns);
  std::atomic<bool> cancel{false};
  FERRY_ASSERT_OK_AND_ASSIGN(Options opts,
                             ValidateOptions(SpecOptions(), {{"connection_string", conninfo}}, "d", nullptr));
  d = std::make_unique<Destination>();
  DestinationInit init{"pg", "cancel-test"};
  init.cancel = &cancel;
  FERRY_ASSERT_OK(d->Init(opts, init));
  auto t = Items("frozen_items", /*pk=*/false);
  FERRY_ASSERT_OK(d->Migrate({t}, MigrateOptions{}));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b1, ferry::testing::MakeBatch(t, ItemRows(0, 100)));
  FERRY_ASSERT_OK(d->Write(WriteRequest{t, {b1}, nullptr, {}}));

  proxy.Freeze();
  cancel = true;
  const auto t0 = std::chrono::steady_clock::now();
  write = std::async(std::launch::async, [&] { return d->Write(WriteRequest{t, {b1}, nullptr, {}}); });
  const auto limit = kCancelGrace + CancelWatch::kShutGrace + std::chrono::seconds(5);
  ASSERT_EQ(write.wait_for(limit), std::future_status::ready) << "the write should be cut off";
  const Status st = write.get();
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  EXPECT_NE(st.message().find("connection was closed"), std::string::npos) << st.ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, kCancelGrace + CancelWatch::kShutGrace -
                                                       std::chrono::milliseconds(200));

  const auto t1 = std::chrono::steady_clock::now();
  const Status again = d->Write(WriteRequest{t, {b1}, nullptr, {}});
  EXPECT_EQ(again.code(), StatusCode::kCancelled) << again.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(2)) << "a later write fails at once";

  // The first write is there, once; the cut-off one committed nothing.
  FERRY_ASSERT_OK_AND_ASSIGN(auto reader, Connection::Open(direct, 10));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, ReadTable(*reader, *t));
  EXPECT_TRUE(ferry::testing::SameRows(ItemRows(0, 100), got));
}

}  // namespace
}  // namespace ferry::plugins::postgresql
