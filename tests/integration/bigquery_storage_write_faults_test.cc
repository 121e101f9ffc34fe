// `ferry sync` into BigQuery (the bqemulator test server) through the
// Storage Write API fault proxy (testing/storage_write_fault_proxy.h): a real
// gRPC server between Ferry and the emulator that forwards every call and
// fails the ones scripted, as Google's front ends do. What it proves:
//   - transient codes (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED) on
//     CreateWriteStream, AppendRows and FinalizeWriteStream are retried by
//     the engine with backoff, and the sync ends with every row exactly once;
//   - an append that reached the emulator but whose answer was lost is
//     retried at the same offset, answered ALREADY_EXISTS, not added twice;
//   - a permanent code (PERMISSION_DENIED) fails its table only, with an
//     error naming it, while the other table of the sync is written whole;
//   - with cursors in a state backend (PENDING streams, prepared writes),
//     lost answers to AppendRows, FinalizeWriteStream and
//     BatchCommitWriteStreams leave every row once and the cursor right.
// The rows are counted with jobs.query over REST (Ferry's HTTP client, none
// of the destination's code).
#include <utility>

#include <gtest/gtest.h>

#include "testing/bigquery_emulator.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/storage_write_fault_proxy.h"
#include "testing/test_servers.h"

namespace ferry {
namespace {

using ferry::testing::BigQueryDestinationYaml;
using ferry::testing::StorageWriteFaultProxy;
using ferry::testing::TempDir;
using Method = StorageWriteFaultProxy::Method;
using Fault = StorageWriteFaultProxy::Fault;
using Pair = std::pair<int64_t, int64_t>;

using Bq = ferry::testing::BigQueryEmulator;

Bq Shared() { return ferry::testing::SharedBigQueryEmulator(); }  // held by this process alone (OneProcessAtATime)

std::string MakeDataset(const Bq& bq, const std::string& name) { return ferry::testing::MakeBigQueryDataset(bq, name); }

// Rows and distinct pairs of `key` columns of `table`.
Pair Count(const Bq& bq, const std::string& ds, const std::string& table, const std::string& id = "resource_id") {
  const auto v = ferry::testing::BigQueryQueryInts(
      bq, "SELECT COUNT(*), COUNT(DISTINCT CONCAT(CAST(client_id AS STRING), ':', CAST(" + id +
              " AS STRING))) FROM `" + bq.project + "." + ds + "." + table + "`");
  return v.size() == 2 ? Pair(v[0], v[1]) : Pair(-1, -1);
}

// Two tables (test_some_table, test_paid_table), `rows` rows per client and
// table for 2 clients, appended in requests of `batch` rows, with a short
// backoff so that the retries are quick.
std::string Spec(const Bq& bq, const std::string& ds, const std::string& grpc_target, int rows, int batch) {
  return R"(kind: source
spec:
  name: faults
  path: cloudquery/test
  version: v1.0.0
  tables: [test_some_table, test_paid_table]
  destinations: [bigquery]
  spec: {num_clients: 2, num_rows: )" + std::to_string(rows) + R"(, num_sub_rows: 0}
---
)" + BigQueryDestinationYaml(bq, ds, "storage_write",
                                   "    batch_size: " + std::to_string(batch) +
                                       "\n    retry_initial_backoff: 20ms\n    retry_max_backoff: 200ms\n",
                                   grpc_target);
}

TEST(BigQueryStorageWriteFaults, TransientCodesAreRetriedAndEveryRowLandsOnce) {
  const Bq bq = Shared();
  ASSERT_FALSE(bq.grpc.empty());
  StorageWriteFaultProxy proxy(bq.grpc);
  ASSERT_NE(proxy.target(), "127.0.0.1:0");
  const std::string ds = MakeDataset(bq, "bq_grpc_transient");
  // 2 x 600 rows per table in appends of at most 200.
  proxy.Inject({.method = Method::kCreateWriteStream, .code = grpc::StatusCode::UNAVAILABLE});
  proxy.Inject({.method = Method::kAppendRows, .code = grpc::StatusCode::UNAVAILABLE});
  proxy.Inject({.method = Method::kAppendRows, .code = grpc::StatusCode::RESOURCE_EXHAUSTED}, 2);
  proxy.Inject({.method = Method::kAppendRows, .code = grpc::StatusCode::DEADLINE_EXCEEDED});
  // Lost answers: the rows are in the emulator; the retry at the same offset
  // must find them there (ALREADY_EXISTS), one on each table.
  proxy.Inject({.method = Method::kAppendRows, .code = grpc::StatusCode::UNAVAILABLE, .after_forward = true,
                .table = "test_some_table"});
  proxy.Inject({.method = Method::kAppendRows, .code = grpc::StatusCode::UNAVAILABLE, .after_forward = true,
                .table = "test_paid_table"});
  TempDir dir;
  auto r = ferry::testing::RunFerry({"sync", dir.Write("spec.yml", Spec(bq, ds, proxy.target(), 600, 200)),
                                     "--no-progress"},
                                    dir.path());
  const std::string out = r.out + r.err;
  ASSERT_EQ(r.exit_code, 0) << out;
  EXPECT_EQ(proxy.faults_pending(), 0) << "every scripted fault was met";
  EXPECT_EQ(proxy.faults_served(), 7);
  // The two appends whose answers were lost were sent again at their
  // offsets, and the emulator answered that it had them.
  EXPECT_EQ(proxy.append_errors(grpc::StatusCode::ALREADY_EXISTS), 2);
  EXPECT_EQ(Count(bq, ds, "test_some_table"), Pair(1200, 1200));
  EXPECT_EQ(Count(bq, ds, "test_paid_table"), Pair(1200, 1200));
  // The engine's figures: the destination was busy, every retry then succeeded.
  EXPECT_NE(out.find("(7 retries); every retried call then succeeded"), std::string::npos) << out;
}

// A lost answer to FinalizeWriteStream at the end of the sync (the rows of a
// COMMITTED stream are visible already) and an UNAVAILABLE one.
TEST(BigQueryStorageWriteFaults, FinalizeFailuresAtTheEndDoNotFailACompleteSync) {
  const Bq bq = Shared();
  StorageWriteFaultProxy proxy(bq.grpc);
  ASSERT_NE(proxy.target(), "127.0.0.1:0");
  const std::string ds = MakeDataset(bq, "bq_grpc_finalize");
  proxy.Inject({.method = Method::kFinalizeWriteStream, .code = grpc::StatusCode::UNAVAILABLE,
                .table = "test_some_table"});
  proxy.Inject({.method = Method::kFinalizeWriteStream, .code = grpc::StatusCode::UNAVAILABLE, .after_forward = true,
                .table = "test_paid_table"});
  TempDir dir;
  auto r = ferry::testing::RunFerry({"sync", dir.Write("spec.yml", Spec(bq, ds, proxy.target(), 50, 1000)),
                                     "--no-progress"},
                                    dir.path());
  const std::string out = r.out + r.err;
  EXPECT_EQ(r.exit_code, 0) << out;
  EXPECT_EQ(proxy.faults_served(), 2);
  EXPECT_EQ(Count(bq, ds, "test_some_table"), Pair(100, 100));
  EXPECT_EQ(Count(bq, ds, "test_paid_table"), Pair(100, 100));
}

TEST(BigQueryStorageWriteFaults, APermanentCodeFailsItsTableOnly) {
  const Bq bq = Shared();
  StorageWriteFaultProxy proxy(bq.grpc);
  ASSERT_NE(proxy.target(), "127.0.0.1:0");
  const std::string ds = MakeDataset(bq, "bq_grpc_permanent");
  // Every append to test_paid_table is refused (one write per client: the
  // writer keeps going with a failed table's later writes, and each is
  // refused on its own, none retried).
  proxy.Inject({.method = Method::kAppendRows, .code = grpc::StatusCode::PERMISSION_DENIED,
                .table = "test_paid_table"},
               100);
  TempDir dir;
  auto r = ferry::testing::RunFerry({"sync", dir.Write("spec.yml", Spec(bq, ds, proxy.target(), 50, 1000)),
                                     "--no-progress"},
                                    dir.path());
  const std::string out = r.out + r.err;
  EXPECT_NE(r.exit_code, 0) << out;
  EXPECT_GE(proxy.faults_served(), 1);
  EXPECT_EQ(proxy.faults_served() + proxy.faults_pending(), 100);
  EXPECT_NE(out.find("AppendRows to table test_paid_table at offset 0: gRPC PERMISSION_DENIED"), std::string::npos)
      << out;
  EXPECT_NE(out.find("destination \"bigquery\", table test_paid_table: writing 50 rows failed"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("table test_some_table:"), std::string::npos) << "no error for the other table: " << out;
  EXPECT_EQ(out.find("retries"), std::string::npos) << "a permanent code is not retried: " << out;
  EXPECT_EQ(Count(bq, ds, "test_some_table"), Pair(100, 100)) << "the other table is whole";
  EXPECT_EQ(Count(bq, ds, "test_paid_table").first, 0);
}

// Exactly-once incremental syncs (README "Exactly-once incremental syncs"):
// rows in PENDING streams, finalized when their cursor is covered and
// committed after the cursor is stored in SQLite. Each of those calls loses
// its answer once (the emulator did it): the engine retries Prepare
// (Finalize again: the stream is finalized already) and the commit
// (BatchCommit again: committed already), and an append's retry finds its
// rows at their offset.
TEST(BigQueryStorageWriteFaults, LostAnswersOnPendingStreamsLeaveEveryRowOnce) {
  const Bq bq = Shared();
  StorageWriteFaultProxy proxy(bq.grpc);
  ASSERT_NE(proxy.target(), "127.0.0.1:0");
  const std::string ds = MakeDataset(bq, "bq_grpc_pending");
  const std::string spec = R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: [bigquery]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.sqlite.connection"
  spec: {num_clients: 2, incremental_rows: 3000, checkpoint_every: 997}
---
kind: destination
spec:
  name: bigquery
  path: cloudquery/bigquery
  version: v4.0.0
  write_mode: append
  spec:
    project_id: )" + bq.project + R"(
    dataset_id: )" + ds + R"(
    endpoint: ")" + bq.rest + R"("
    storage_write_endpoint: ")" + proxy.target() + R"("
    write_api: storage_write
    batch_size: 500
    retry_initial_backoff: 20ms
    retry_max_backoff: 200ms
---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  spec:
    connection_string: ./state.sqlite
)";
  const auto lost = [](Method m) {
    return Fault{.method = m, .code = grpc::StatusCode::UNAVAILABLE, .after_forward = true};
  };
  proxy.Inject(lost(Method::kAppendRows));
  proxy.Inject(lost(Method::kFinalizeWriteStream));
  proxy.Inject(lost(Method::kBatchCommit));
  proxy.Inject({.method = Method::kBatchCommit, .code = grpc::StatusCode::RESOURCE_EXHAUSTED});
  TempDir dir;
  const std::string path = dir.Write("spec.yml", spec);
  auto r = ferry::testing::RunFerry({"sync", path, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(proxy.faults_pending(), 0);
  EXPECT_EQ(proxy.append_errors(grpc::StatusCode::ALREADY_EXISTS), 1);
  auto count = [&] { return Count(bq, ds, "test_incremental_table", "id"); };
  EXPECT_EQ(count(), Pair(6000, 6000));
  // The cursors were stored: a second sync fetches nothing new.
  auto again = ferry::testing::RunFerry({"sync", path, "--no-progress"}, dir.path());
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count(), Pair(6000, 6000));
}

}  // namespace
}  // namespace ferry
