// Exactly-once incremental syncs into BigQuery (the bqemulator test server)
// with the cursors in another destination (SQLite): rows of the incremental
// table go to PENDING Storage Write streams, finalized when their cursor is
// covered; the stream name is stored with the cursor in one SQLite
// transaction and committed after (again at the next start if a crash came
// between). After `kill -9` at random points and a resume, the table holds
// exactly the rows of an uninterrupted run: none lost, none twice.
#include <chrono>
#include <iostream>
#include <random>

#include <gtest/gtest.h>

#include "testing/bigquery_emulator.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/test_servers.h"

namespace ferry {
namespace {

using ferry::testing::TempDir;

using Bq = ferry::testing::BigQueryEmulator;
using PrivateEmulator = ferry::testing::PrivateBigQueryEmulator;
using ferry::testing::BigQueryDestinationYaml;

Bq Shared() { return ferry::testing::SharedBigQueryEmulator(); }

std::string Render(const Bq& bq, const std::string& dataset, const std::string& api = "storage_write") {
  return R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: [bigquery]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.sqlite.connection"
  spec: {num_clients: 2, incremental_rows: 20000, checkpoint_every: 997}
---
)" + BigQueryDestinationYaml(bq, dataset, api, "    batch_size: 3000\n") + R"(---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  spec:
    connection_string: ./state.sqlite
)";
}

// Rows, distinct (client_id, id) pairs and a checksum, by a query.
struct Contents {
  int64_t rows = -1, distinct = -1, checksum = -1;
  bool operator==(const Contents&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Contents& c) {
  return os << "{rows=" << c.rows << " distinct=" << c.distinct << " checksum=" << c.checksum << "}";
}

Contents ReadBq(const Bq& bq, const std::string& dataset) {
  const std::string table = "`" + bq.project + "." + dataset + ".test_incremental_table`";
  const auto v = ferry::testing::BigQueryQueryInts(
      bq, "SELECT COUNT(*), COUNT(DISTINCT CONCAT(CAST(client_id AS STRING), ':', CAST(id AS STRING))), "
          "SUM(id * 7 + client_id * 13 + LENGTH(payload)) FROM " + table);
  Contents c;
  if (v.size() == 3) c = {v[0], v[1], v[2]};
  return c;
}

std::chrono::microseconds TimedSync(const TempDir& dir, const std::string& spec) {
  std::chrono::microseconds wall;
  auto r = ferry::testing::TimedSync(dir.path(), spec, &wall);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return wall;
}

TEST(BigQueryIncremental, KillNineAnywhereThenResumeIsExactlyOnce) {
  const Bq shared = Shared();
  const std::string ref_ds = ferry::testing::MakeBigQueryDataset(shared, "bqinc_ref");
  TempDir ref;
  const auto full = TimedSync(ref, ref.Write("spec.yml", Render(shared, ref_ds)));
  const Contents expected = ReadBq(shared, ref_ds);
  ASSERT_EQ(expected.rows, 40000) << expected;
  ASSERT_EQ(expected.distinct, 40000) << expected;
  TimedSync(ref, ref.path() + "/spec.yml");
  ASSERT_EQ(ReadBq(shared, ref_ds), expected) << "a second sync finds nothing new";

  // Several kills per run: each resumed sync may be killed again.
  std::mt19937_64 rng(20261206);
  const int runs = ferry::testing::CrashRuns(7), kills_per_run = 3;
  int kills = 0, mid_sync = 0;
  for (int run = 0; run < runs; ++run) {
    PrivateEmulator emulator;
    const Bq& bq = emulator.bq();
    ASSERT_FALSE(bq.rest.empty());
    const std::string ds = ferry::testing::MakeBigQueryDataset(bq, "bqinc_crash_" + std::to_string(run));
    TempDir dir;
    const std::string spec = dir.Write("spec.yml", Render(bq, ds));
    for (int k = 0; k < kills_per_run; ++k) {
      const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() * 11 / 10 + 1));
      ferry::testing::SyncKilledAfter(dir.path(), spec, delay);
      ++kills;
      if (delay < full) ++mid_sync;
    }
    TimedSync(dir, spec);
    EXPECT_EQ(ReadBq(bq, ds), expected) << "run " << run;
  }
  std::cout << "kills: " << kills << " (" << mid_sync << " before a full sync's duration of " << full.count() / 1000
            << " ms)\n";
  EXPECT_GT(mid_sync, kills / 2);
}

// CloudQuery's spec for an emulator (project_id, dataset_id, endpoint; no
// Ferry keys) runs unchanged and, as CloudQuery's, through
// tabledata.insertAll, which cannot hold rows back: a cursor commits after
// its rows (never loss), so a second sync after a complete one fetches
// nothing, but a kill between rows and cursor would replay.
TEST(BigQueryIncremental, CloudQuerySpecWithAnEmulatorEndpointUsesInsertAll) {
  const Bq bq = Shared();
  const std::string ds = ferry::testing::MakeBigQueryDataset(bq, "bqinc_insertall");
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", Render(bq, ds, ""));
  TimedSync(dir, spec);
  const Contents first = ReadBq(bq, ds);
  EXPECT_EQ(first.rows, 40000) << first;
  EXPECT_EQ(first.distinct, 40000) << first;
  TimedSync(dir, spec);
  EXPECT_EQ(ReadBq(bq, ds), first);
}

}  // namespace
}  // namespace ferry
