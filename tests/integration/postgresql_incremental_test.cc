// Incremental syncs with PostgreSQL: as the destination whose own database
// keeps the cursors (rows and cursor in one transaction: exactly once, also
// under `kill -9`), and as the state backend of another destination (SQLite):
// the cursor commits only after that destination has the rows, so a crash
// never loses rows.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::postgresql {
namespace {

using ferry::testing::RunFerry;
using ferry::testing::TempDir;

struct Spec {
  std::string conninfo;          // the PostgreSQL database
  bool sqlite_destination = false;  // data into ./a.sqlite, cursors in PostgreSQL
  std::string write_mode = "append";
  int64_t rows = 30000;          // per client, 2 clients
};

std::string Render(const Spec& s) {
  std::string text = R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: [)" + std::string(s.sqlite_destination ? "sqlite" : "postgresql") + R"(]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.postgresql.connection"
  spec: {num_clients: 2, incremental_rows: )" + std::to_string(s.rows) + R"(, checkpoint_every: 997}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: )" + s.write_mode + R"(
  spec:
    connection_string: ")" + s.conninfo + R"("
    batch_size: 4000
)";
  if (s.sqlite_destination) {
    text += R"(---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + s.write_mode + R"(
  spec:
    connection_string: ./a.sqlite
    batch_size: 3000
)";
  }
  return text;
}

// Rows, distinct keys and a checksum of the content.
struct Contents {
  std::string rows, distinct, checksum;
  bool operator==(const Contents&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Contents& c) {
  return os << "{rows=" << c.rows << " distinct=" << c.distinct << " checksum=" << c.checksum << "}";
}
const char* kCount = "SELECT count(*) FROM test_incremental_table";
const char* kDistinct = "SELECT count(*) FROM (SELECT DISTINCT id, client_id FROM test_incremental_table) d";
const char* kChecksum = "SELECT coalesce(sum(id * 7 + client_id * 13 + length(payload)), 0) FROM test_incremental_table";

Contents ReadPg(const std::string& db) {
  auto q = [&](const char* sql) {
    auto r = testing::AdminQuery(db, sql);
    return r.ok() ? *r : "error: " + r.status().ToString();
  };
  return {q(kCount), q(kDistinct), q(kChecksum)};
}
Contents ReadSqlite(const std::string& file) {
  return {ferry::testing::SqliteQuery(file, kCount)[0], ferry::testing::SqliteQuery(file, kDistinct)[0],
          ferry::testing::SqliteQuery(file, kChecksum)[0]};
}

std::chrono::microseconds TimedSync(const TempDir& dir, const std::string& spec) {
  std::chrono::microseconds wall;
  auto r = ferry::testing::TimedSync(dir.path(), spec, &wall);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return wall;
}

void CrashThenResume(const TempDir& dir, const std::string& spec, std::chrono::microseconds delay) {
  ferry::testing::SyncKilledAfter(dir.path(), spec, delay);
  auto r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Append mode has no primary key to hide a duplicate: after any kill the
// resumed sync must leave exactly the rows of an uninterrupted run.
TEST(PostgresIncremental, KillNineAnywhereThenResumeEqualsUninterruptedRun) {
  const std::string ns = "inc_ref_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string ref_conn, testing::FreshDatabase(ns));
  TempDir ref;
  const auto full = TimedSync(ref, ref.Write("spec.yml", Render({.conninfo = ref_conn})));
  const Contents expected = ReadPg(testing::DatabaseName(ns));
  ASSERT_EQ(expected.rows, "60000");
  ASSERT_EQ(expected.distinct, "60000");
  // Nothing new: a second sync adds nothing.
  TimedSync(ref, ref.path() + "/spec.yml");
  ASSERT_EQ(ReadPg(testing::DatabaseName(ns)), expected);

  std::mt19937_64 rng(20261124);
  const int runs = ferry::testing::CrashRuns(8);
  int killed_mid_sync = 0;
  for (int run = 0; run < runs; ++run) {
    const std::string run_ns = "inc_crash_" + std::to_string(getpid()) + "_" + std::to_string(run);
    FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(run_ns));
    TempDir dir;
    const std::string spec = dir.Write("spec.yml", Render({.conninfo = conn}));
    const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() * 11 / 10 + 1));
    CrashThenResume(dir, spec, delay);
    EXPECT_EQ(ReadPg(testing::DatabaseName(run_ns)), expected)
        << "run " << run << " killed after " << delay.count() << " us of " << full.count();
    if (delay < full) ++killed_mid_sync;
  }
  EXPECT_GT(killed_mid_sync, runs / 2);
}

// PostgreSQL as the state backend of a SQLite destination: cursors live in
// PostgreSQL, rows in SQLite; a second sync fetches nothing; after a kill the
// destination has every row (overwrite mode turns replays into no-ops).
TEST(PostgresIncremental, StateBackendForAnotherDestination) {
  const std::string ns = "inc_backend_" + std::to_string(getpid());
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
  const std::string db = testing::DatabaseName(ns);
  TempDir ref;
  Spec s{.conninfo = conn, .sqlite_destination = true, .write_mode = "overwrite", .rows = 20000};
  const std::string spec = ref.Write("spec.yml", Render(s));
  const auto full = TimedSync(ref, spec);
  const Contents expected = ReadSqlite(ref.File("a.sqlite"));
  ASSERT_EQ(expected.distinct, "40000");
  FERRY_ASSERT_OK_AND_ASSIGN(std::string cursors, testing::AdminQuery(db, "SELECT count(*) FROM cq_state_events"));
  EXPECT_NE(cursors, "0") << "the cursors are in PostgreSQL";
  FERRY_ASSERT_OK_AND_ASSIGN(std::string data_in_pg,
                             testing::AdminQuery(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'test_incremental_table'"));
  EXPECT_EQ(data_in_pg, "0") << "no data rows go to the backend";
  auto list = RunFerry({"state", "list", spec}, ref.path());
  EXPECT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("test_incremental_table"), std::string::npos) << list.out;
  // Second sync: nothing new arrives, the summary says so.
  auto second = RunFerry({"sync", spec, "--no-progress"}, ref.path());
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(ReadSqlite(ref.File("a.sqlite")), expected);

  std::mt19937_64 rng(7);
  const int runs = ferry::testing::CrashRuns(6);
  for (int run = 0; run < runs; ++run) {
    const std::string run_ns = "inc_backend_crash_" + std::to_string(getpid()) + "_" + std::to_string(run);
    FERRY_ASSERT_OK_AND_ASSIGN(std::string run_conn, testing::FreshDatabase(run_ns));
    TempDir dir;
    Spec rs = s;
    rs.conninfo = run_conn;
    const std::string run_spec = dir.Write("spec.yml", Render(rs));
    const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() + 1));
    CrashThenResume(dir, run_spec, delay);
    EXPECT_EQ(ReadSqlite(dir.File("a.sqlite")), expected) << "run " << run << " killed after " << delay.count();
  }
}

}  // namespace
}  // namespace ferry::plugins::postgresql
