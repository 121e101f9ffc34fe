// Incremental syncs end to end: cursors in a state backend, resumption, and
// the exactly-once claim under `kill -9` (a crash harness with many seeds).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "testing/cli_runner.h"

namespace ferry::testing {
namespace {

struct IncSpec {
  int64_t rows = 1000;
  int64_t clients = 2;
  int64_t checkpoint_every = 100;
  std::string write_mode = "append";
  bool second_destination = false;   // a second sqlite destination (b.sqlite)
  std::string backend = "@@plugins.sqlite.connection";
  int64_t batch_size = 10000;
};

std::string Render(const IncSpec& s) {
  std::string dests = s.second_destination ? "[sqlite, sqlite_b]" : "[sqlite]";
  std::string text = R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: )" + dests + R"(
  backend_options:
    table_name: cq_state_events
    connection: ")" + s.backend + R"("
  spec:
    num_clients: )" + std::to_string(s.clients) + R"(
    incremental_rows: )" + std::to_string(s.rows) + R"(
    checkpoint_every: )" + std::to_string(s.checkpoint_every) + R"(
---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + s.write_mode + R"(
  spec:
    connection_string: ./a.sqlite
    batch_size: )" + std::to_string(s.batch_size) + "\n";
  if (s.second_destination) {
    text += R"(---
kind: destination
spec:
  name: sqlite_b
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + s.write_mode + R"(
  spec:
    connection_string: ./b.sqlite
    batch_size: )" + std::to_string(s.batch_size / 3 + 1) + "\n";
  }
  return text;
}

// Rows, distinct keys, and a checksum of the content.
struct Contents {
  int64_t rows, distinct, checksum;
  bool operator==(const Contents& o) const { return rows == o.rows && distinct == o.distinct && checksum == o.checksum; }
};
std::ostream& operator<<(std::ostream& os, const Contents& c) {
  return os << "{rows=" << c.rows << " distinct=" << c.distinct << " checksum=" << c.checksum << "}";
}
Contents Read(const std::string& db) {
  Contents c;
  c.rows = SqliteCount(db, "test_incremental_table");
  c.distinct = std::stoll(SqliteQuery(db, "SELECT count(*) FROM (SELECT DISTINCT id, client_id FROM test_incremental_table)")[0]);
  c.checksum = std::stoll(SqliteQuery(db, "SELECT coalesce(sum(id * 7 + client_id * 13 + length(payload)), 0) FROM test_incremental_table")[0]);
  return c;
}

TEST(IncrementalE2E, SecondSyncFetchesOnlyNewRowsAndStateCanBeReset) {
  TempDir dir;
  IncSpec s;
  std::string spec = dir.Write("spec.yml", Render(s));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(dir.File("a.sqlite"), "test_incremental_table"), 2000);
  EXPECT_EQ(SqliteQuery(dir.File("a.sqlite"), "SELECT value FROM cq_state_events ORDER BY key"),
            (std::vector<std::string>{"1000", "1000"}));

  // Nothing new: nothing fetched (append mode would otherwise duplicate).
  r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 0) << r.out;
  EXPECT_EQ(SqliteCount(dir.File("a.sqlite"), "test_incremental_table"), 2000);

  // The table grows: only the new rows arrive.
  s.rows = 1500;
  dir.Write("spec.yml", Render(s));
  r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Read(dir.File("a.sqlite")).rows, 3000);
  EXPECT_EQ(Read(dir.File("a.sqlite")).distinct, 3000);

  // ferry state list shows the cursors; reset makes the next sync a full one.
  r = RunFerry({"state", "list", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("test_incremental_table"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1500"), std::string::npos) << r.out;
  r = RunFerry({"state", "reset", spec, "--table", "test_incremental_*"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("reset 2 cursor(s)"), std::string::npos) << r.out;
  r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 3000) << r.out;
}

TEST(IncrementalE2E, NeverDeleteStaledWithABackend) {
  TempDir dir;
  IncSpec s;
  s.write_mode = "overwrite-delete-stale";
  std::string spec = dir.Write("spec.yml", Render(s));
  ASSERT_EQ(RunFerry({"sync", spec}, dir.path()).exit_code, 0);
  CommandResult r = RunFerry({"sync", spec}, dir.path());  // fetches nothing new
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Read(dir.File("a.sqlite")).distinct, 2000) << "rows of an incremental table must not be deleted as stale";
}

TEST(IncrementalE2E, WithoutBackendEverySyncIsFull) {
  TempDir dir;
  IncSpec s;
  std::string text = Render(s);
  text.erase(text.find("  backend_options:"), text.find("  spec:\n    num_clients") - text.find("  backend_options:"));
  std::string spec = dir.Write("spec.yml", text);
  ASSERT_EQ(RunFerry({"sync", spec}, dir.path()).exit_code, 0);
  ASSERT_EQ(RunFerry({"sync", spec}, dir.path()).exit_code, 0);
  EXPECT_EQ(Read(dir.File("a.sqlite")).rows, 4000);  // append, full each time
}

TEST(IncrementalE2E, BackendThatIsNotADestinationIsAClearError) {
  TempDir dir;
  IncSpec s;
  s.backend = "@@plugins.postgres.connection";
  CommandResult r = RunFerry({"sync", dir.Write("spec.yml", Render(s))}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("\"postgres\""), std::string::npos) << r.err;
}

// Runs the sync once, kills it with SIGKILL after `delay`, then re-runs it to
// completion.
void CrashThenResume(const TempDir& dir, const std::string& spec, std::chrono::microseconds delay) {
  int pid = StartFerry({"sync", spec, "--no-progress"}, dir.path());
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  WaitFerry(pid);
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Exactly-once: state and data in the same SQLite database, append mode (no
// primary key to hide duplicates), killed at random points.
TEST(IncrementalCrashE2E, KillNineAnywhereThenResumeEqualsUninterruptedRun) {
  IncSpec s;
  s.rows = 60000;
  s.checkpoint_every = 997;
  s.batch_size = 4000;
  TempDir ref;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunFerry({"sync", ref.Write("spec.yml", Render(s))}, ref.path()).exit_code, 0);
  auto full = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  const Contents expected = Read(ref.File("a.sqlite"));
  ASSERT_EQ(expected.rows, 120000);
  ASSERT_EQ(expected.distinct, 120000);

  std::mt19937_64 rng(20261123);
  // FERRY_CRASH_RUNS raises the count for a longer soak.
  const int kRuns = std::getenv("FERRY_CRASH_RUNS") ? std::atoi(std::getenv("FERRY_CRASH_RUNS")) : 12;
  int killed_mid_sync = 0;
  for (int run = 0; run < kRuns; ++run) {
    TempDir dir;
    std::string spec = dir.Write("spec.yml", Render(s));
    auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() * 11 / 10 + 1));
    CrashThenResume(dir, spec, delay);
    Contents got = Read(dir.File("a.sqlite"));
    EXPECT_EQ(got, expected) << "run " << run << " killed after " << delay.count() << " us of " << full.count();
    if (delay < full) ++killed_mid_sync;
  }
  EXPECT_GT(killed_mid_sync, kRuns / 2);
}

// Several destinations: the cursor commits only when both have the rows, so
// no destination can miss rows after a crash (replays are allowed, and
// overwrite mode turns them into no-ops).
TEST(IncrementalCrashE2E, TwoDestinationsNeverLoseRowsAfterKillNine) {
  IncSpec s;
  s.rows = 40000;
  s.checkpoint_every = 1009;
  s.batch_size = 3000;
  s.write_mode = "overwrite";
  s.second_destination = true;
  TempDir ref;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunFerry({"sync", ref.Write("spec.yml", Render(s))}, ref.path()).exit_code, 0);
  auto full = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  const Contents expected = Read(ref.File("a.sqlite"));
  ASSERT_EQ(expected.distinct, 80000);
  ASSERT_EQ(Read(ref.File("b.sqlite")), expected);

  std::mt19937_64 rng(42);
  const int kRuns = std::getenv("FERRY_CRASH_RUNS") ? std::atoi(std::getenv("FERRY_CRASH_RUNS")) : 8;
  for (int run = 0; run < kRuns; ++run) {
    TempDir dir;
    std::string spec = dir.Write("spec.yml", Render(s));
    auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() + 1));
    CrashThenResume(dir, spec, delay);
    EXPECT_EQ(Read(dir.File("a.sqlite")), expected) << "run " << run << " a.sqlite, killed after " << delay.count();
    EXPECT_EQ(Read(dir.File("b.sqlite")), expected) << "run " << run << " b.sqlite, killed after " << delay.count();
  }
}

}  // namespace
}  // namespace ferry::testing
