// Incremental syncs into ClickHouse, which is not a state backend: the cursors
// live in another destination's database (SQLite here), and the engine moves a
// cursor only after ClickHouse has the rows it covers. After `kill -9` the
// resumed sync may replay rows (at-least-once into ClickHouse); in overwrite
// mode ReplacingMergeTree folds the replays, so `FINAL` shows exactly the rows
// of an uninterrupted run: none lost.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "testing/cli_runner.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::RunFerry;
using ferry::testing::TempDir;

std::string Render(const std::string& url, const std::string& mode) {
  return R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: [ch]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.state.connection"
  spec: {num_clients: 2, incremental_rows: 20000, checkpoint_every: 997}
---
kind: destination
spec:
  name: ch
  path: cloudquery/clickhouse
  version: v7.0.0
  write_mode: )" + mode + R"(
  spec:
    connection_string: ")" + url + R"("
    batch_size: 3000
---
kind: destination
spec:
  name: state
  path: cloudquery/sqlite
  version: v1.0.0
  spec:
    connection_string: ./state.sqlite
)";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Rows (FINAL: after replacing), distinct keys and a checksum.
std::string Contents(const std::string& db) {
  const std::string t = QualifiedName(db, "test_incremental_table");
  auto r = testing::Admin("SELECT count(), uniqExact(id, client_id), sum(id * 7 + client_id * 13 + length(payload)) FROM " +
                          t + " FINAL FORMAT TSV");
  return r.ok() ? Trim(*r) : "error: " + r.status().ToString();
}

TEST(ClickHouseIncremental, KillNineNeverLosesRowsAndReplaysFoldInOverwriteMode) {
  const std::string ns = "inc_ref_" + std::to_string(getpid());
  auto ref_url = testing::FreshDatabase(ns);
  ASSERT_TRUE(ref_url.ok()) << ref_url.status().ToString();
  TempDir ref;
  const std::string spec = ref.Write("spec.yml", Render(*ref_url, "overwrite"));
  const auto t0 = std::chrono::steady_clock::now();
  auto first = RunFerry({"sync", spec, "--no-progress"}, ref.path());
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const auto full = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  const std::string expected = Contents(testing::DatabaseName(ns));
  ASSERT_EQ(expected.substr(0, expected.find('\t')), "40000") << expected;
  EXPECT_GT(ferry::testing::SqliteCount(ref.File("state.sqlite"), "cq_state_events"), 0) << "cursors are in SQLite";
  // Nothing new: the second sync writes nothing.
  auto second = RunFerry({"sync", spec, "--no-progress"}, ref.path());
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  auto raw = testing::Admin("SELECT count() FROM " + QualifiedName(testing::DatabaseName(ns), "test_incremental_table") +
                            " FORMAT TSV");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(Trim(*raw), "40000") << "a sync with nothing new inserts nothing";

  std::mt19937_64 rng(99);
  const char* env = std::getenv("FERRY_CRASH_RUNS");
  const int runs = env ? std::atoi(env) : 6;
  for (int run = 0; run < runs; ++run) {
    const std::string run_ns = "inc_crash_" + std::to_string(getpid()) + "_" + std::to_string(run);
    auto url = testing::FreshDatabase(run_ns);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    TempDir dir;
    const std::string run_spec = dir.Write("spec.yml", Render(*url, "overwrite"));
    const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() + 1));
    const int pid = ferry::testing::StartFerry({"sync", run_spec, "--no-progress"}, dir.path());
    std::this_thread::sleep_for(delay);
    kill(pid, SIGKILL);
    ferry::testing::WaitFerry(pid);
    auto resumed = RunFerry({"sync", run_spec, "--no-progress"}, dir.path());
    ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
    EXPECT_EQ(Contents(testing::DatabaseName(run_ns)), expected) << "run " << run << " killed after " << delay.count();
  }
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
