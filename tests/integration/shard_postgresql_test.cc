// Sharded syncs against a real PostgreSQL, with the shards of a run started
// in parallel (`ferry sync --shard N/T --shard-run ID`): PostgreSQL is both
// the destination and the state backend, so the shards' cursors, their
// delete-stale records (engine/shard_run.h) and their rows all meet in one
// server while they run. The SQLite e2e test (tests/e2e/shard_e2e_test.cc)
// runs shards one after the other; here they race.
//
// Every case gets a database of its own (FreshDatabase of a namespace with
// the test's pid), so ctest -j cannot mix their tables.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::postgresql {
namespace {

using ferry::testing::CommandResult;
using ferry::testing::RunFerry;
using ferry::testing::TempDir;

struct Spec {
  std::string conninfo;
  std::string write_mode = "overwrite-delete-stale";
  int clients = 6;
  int rows = 4;           // test_some_table rows per client (10 test_sub_table rows each)
  int incremental = 40;   // test_incremental_table ids per client
  std::string delay = "0s";
  int concurrency = 8;
  std::string batch_timeout = "20s";
};

std::string Render(const Spec& s) {
  // num_sub_cols 0: test_sub_table's key has no client_id, so in overwrite
  // modes its rows collide across clients; without the per-client extra
  // column the surviving row is the same whichever client wrote last.
  return R"(kind: source
spec:
  name: inv
  path: cloudquery/test
  version: v1.0.0
  tables: [test_some_table, test_sub_table, test_incremental_table]
  destinations: [postgresql]
  backend_options:
    table_name: cq_state_inv
    connection: "@@plugins.postgresql.connection"
  spec: {num_clients: )" + std::to_string(s.clients) + ", num_rows: " + std::to_string(s.rows) +
         ", num_sub_cols: 0, incremental_rows: " + std::to_string(s.incremental) +
         ", checkpoint_every: 7, resolve_delay: " + s.delay + ", concurrency: " + std::to_string(s.concurrency) + R"(}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: )" + s.write_mode + R"(
  spec:
    connection_string: ")" + s.conninfo + R"("
    batch_timeout: )" + s.batch_timeout + "\n";
}

// Count and digest of every table's content (meta columns left out: the
// shards' _cq_sync_time differ), and the cursors.
struct Contents {
  std::string some, sub, inc, cursors;
  bool operator==(const Contents&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Contents& c) {
  return os << "{some=" << c.some << " sub=" << c.sub << " inc=" << c.inc << " cursors=" << c.cursors << "}";
}

std::string Q(const std::string& db, const std::string& sql) {
  auto r = testing::AdminQuery(db, sql);
  return r.ok() ? *r : "error: " + r.status().ToString();
}
std::string Digest(const std::string& db, const std::string& table, const std::string& key) {
  return Q(db, "SELECT count(*) || ' ' || md5(coalesce(string_agg(" + key + ", ',' ORDER BY " + key + "), '')) FROM " +
                   table);
}
Contents Read(const std::string& db) {
  return {Digest(db, "test_some_table", "client_id || ':' || resource_id || ':' || column2"),
          Digest(db, "test_sub_table", "parent_resource_id || ':' || sub_resource_id || ':' || data_column"),
          Digest(db, "test_incremental_table", "client_id || ':' || id || ':' || payload || ':' || created_at"),
          Q(db, "SELECT coalesce(string_agg(key || '=' || value, ',' ORDER BY key), '') FROM "
                "(SELECT DISTINCT ON (key) key, value FROM cq_state_inv WHERE left(key, 17) <> '_ferry_shard_run:' "
                "ORDER BY key, version DESC) s")};
}
int64_t Count(const std::string& db, const std::string& table, const std::string& where = "") {
  std::string v = Q(db, "SELECT count(*) FROM " + table + (where.empty() ? "" : " WHERE " + where));
  return v.rfind("error", 0) == 0 ? -1 : std::stoll(v);
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> ShardArgs(const std::string& spec, int n, int total, const std::string& run) {
  return {"sync", spec, "--no-progress", "--shard", std::to_string(n) + "/" + std::to_string(total), "--shard-run", run};
}

// Starts shards `first`..`last` of T at once, each with its own spec file
// (specs[n-1]), and waits for all of them.
std::vector<CommandResult> RunShards(const TempDir& dir, const std::vector<std::string>& specs, int total,
                                     const std::string& run) {
  std::vector<int> pids;
  for (int n = 1; n <= total; ++n) {
    const std::string base = dir.File(run + "." + std::to_string(n));
    pids.push_back(ferry::testing::StartFerryTo(ShardArgs(specs[n - 1], n, total, run), dir.path(), base + ".out",
                                                base + ".err"));
  }
  std::vector<CommandResult> out;
  for (int n = 1; n <= total; ++n) {
    CommandResult r;
    r.exit_code = ferry::testing::WaitFerry(pids[n - 1]);
    const std::string base = dir.File(run + "." + std::to_string(n));
    r.out = Slurp(base + ".out");
    r.err = Slurp(base + ".err");
    out.push_back(std::move(r));
  }
  return out;
}
std::vector<CommandResult> RunShards(const TempDir& dir, const std::string& spec, int total, const std::string& run) {
  return RunShards(dir, std::vector<std::string>(total, spec), total, run);
}

void ExpectAllOk(const std::vector<CommandResult>& results) {
  for (size_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i].exit_code, 0) << "shard " << i + 1 << ":\n" << results[i].out << results[i].err;
}

// Shards whose output says they deleted stale rows / kept them waiting.
int Mentions(const std::vector<CommandResult>& results, const std::string& what) {
  int n = 0;
  for (const auto& r : results) n += (r.out + r.err).find(what) != std::string::npos;
  return n;
}

std::string Ns(const std::string& what) { return "shard_" + what + "_" + std::to_string(getpid()); }

// The reference: `first` then `second` synced unsharded into a fresh database `ns`.
void UnshardedPair(const std::string& ns, Spec first, Spec second) {
  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
  TempDir ref;
  for (Spec* s : {&first, &second}) {
    s->conninfo = conn;
    auto r = RunFerry({"sync", ref.Write("spec.yml", Render(*s)), "--no-progress"}, ref.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
}

class ShardPostgres : public ::testing::TestWithParam<std::string> {};

// T = 1, 2, 4, 8 shards in parallel write exactly what one unsharded run
// writes; a second sharded run adds exactly the incremental rows a second
// unsharded run adds (cursors stay per (table, client)).
TEST_P(ShardPostgres, ParallelShardsEqualOneRun) {
  const std::string mode = GetParam();
  std::string tag = mode;
  for (auto& c : tag) c = c == '-' ? '_' : c;
  // The reference: two unsharded runs, the second with more incremental rows.
  FERRY_ASSERT_OK_AND_ASSIGN(std::string ref_conn, testing::FreshDatabase(Ns(tag + "_ref")));
  const std::string ref_db = testing::DatabaseName(Ns(tag + "_ref"));
  TempDir ref;
  Spec first{.conninfo = ref_conn, .write_mode = mode};
  Spec second = first;
  second.incremental = 65;
  for (const Spec& s : {first, second}) {
    auto r = RunFerry({"sync", ref.Write("spec.yml", Render(s)), "--no-progress"}, ref.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // Only the second run's state is comparable after two runs; the first is
  // rebuilt in a second reference database.
  const Contents want2 = Read(ref_db);
  FERRY_ASSERT_OK_AND_ASSIGN(std::string ref1_conn, testing::FreshDatabase(Ns(tag + "_ref1")));
  const std::string ref1_db = testing::DatabaseName(Ns(tag + "_ref1"));
  {
    Spec s = first;
    s.conninfo = ref1_conn;
    auto r = RunFerry({"sync", ref.Write("spec1.yml", Render(s)), "--no-progress"}, ref.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Contents want1 = Read(ref1_db);
  ASSERT_EQ(Count(ref1_db, "test_some_table"), 24);
  ASSERT_EQ(Count(ref1_db, "test_incremental_table"), 6 * 40);
  ASSERT_EQ(Count(ref_db, "test_incremental_table"), 6 * 65);
  ASSERT_NE(want1, want2);

  for (int total : {1, 2, 4, 8}) {
    SCOPED_TRACE("T=" + std::to_string(total) + " " + mode);
    const std::string ns = Ns(tag + "_t" + std::to_string(total));
    FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
    const std::string db = testing::DatabaseName(ns);
    TempDir dir;
    Spec s1 = first, s2 = second;
    s1.conninfo = s2.conninfo = conn;
    auto a = RunShards(dir, dir.Write("a.yml", Render(s1)), total, "run-a");
    ExpectAllOk(a);
    EXPECT_EQ(Read(db), want1);
    auto b = RunShards(dir, dir.Write("b.yml", Render(s2)), total, "run-b");
    ExpectAllOk(b);
    EXPECT_EQ(Read(db), want2);
    if (mode == "overwrite-delete-stale" && total > 1) {
      // Every shard recorded its verdicts, once per run.
      EXPECT_EQ(Count(db, "cq_state_inv", "key LIKE '\\_ferry\\_shard\\_run:run-b:%'"), total);
    }
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, ShardPostgres, ::testing::Values("append", "overwrite", "overwrite-delete-stale"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

// A full sync of more data, then a sharded run of less: once every shard has
// finished, exactly the new data is left (incremental rows are never stale:
// they equal an unsharded pair of runs). T = 8 leaves some shards without any
// pair of test_some_table: they still count as having synced it completely.
TEST(ShardPostgresStale, StaleRowsGoOnceEveryParallelShardFinished) {
  const Spec big{.clients = 6, .rows = 5, .incremental = 30};
  const Spec small{.clients = 3, .rows = 3, .incremental = 45};
  const std::string ref_db = testing::DatabaseName(Ns("stale_ref"));
  ASSERT_NO_FATAL_FAILURE(UnshardedPair(Ns("stale_ref"), big, small));
  const Contents want = Read(ref_db);
  ASSERT_EQ(Count(ref_db, "test_some_table"), 9);
  ASSERT_EQ(Count(ref_db, "test_sub_table"), 30);
  ASSERT_EQ(Count(ref_db, "test_incremental_table"), 3 * 45 + 3 * 30);

  for (int total : {2, 4, 8}) {
    SCOPED_TRACE("T=" + std::to_string(total));
    const std::string ns = Ns("stale_t" + std::to_string(total));
    FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(ns));
    const std::string db = testing::DatabaseName(ns);
    TempDir dir;
    Spec b = big, s = small;
    b.conninfo = s.conninfo = conn;
    auto full = RunFerry({"sync", dir.Write("big.yml", Render(b)), "--no-progress"}, dir.path());
    ASSERT_EQ(full.exit_code, 0) << full.out << full.err;
    ASSERT_EQ(Count(db, "test_some_table"), 30);
    ASSERT_EQ(Count(db, "test_sub_table"), 50);

    auto shards = RunShards(dir, dir.Write("small.yml", Render(s)), total, "r1");
    ExpectAllOk(shards);
    EXPECT_EQ(Read(db), want);
    EXPECT_EQ(Count(db, "test_some_table", "client_id > 3 OR resource_id > 3"), 0);
    EXPECT_EQ(Count(db, "test_sub_table", "parent_resource_id > 3"), 0);
    // At least one shard (the last to record) deleted; the others saw a shard
    // still missing. None kept them for another reason.
    std::string all;
    for (const auto& r : shards) all += r.out + r.err;
    EXPECT_EQ(Mentions(shards, "stale rows kept") - Mentions(shards, "not finished"), 0) << all;
    EXPECT_LT(Mentions(shards, "not finished"), total) << all;
    if (HasFatalFailure()) return;
  }
}

// kill -9 of one shard while the others run: they finish, nothing is
// deleted; re-running the dead shard with the same run id completes the run.
TEST(ShardPostgresStale, KilledShardKeepsStaleRowsUntilItIsReRun) {
  const Spec big{.clients = 6, .rows = 5, .incremental = 30};
  const Spec small{.clients = 4, .rows = 3, .incremental = 45};
  ASSERT_NO_FATAL_FAILURE(UnshardedPair(Ns("kill_ref"), big, small));
  const Contents want = Read(testing::DatabaseName(Ns("kill_ref")));

  FERRY_ASSERT_OK_AND_ASSIGN(std::string conn, testing::FreshDatabase(Ns("kill")));
  const std::string db = testing::DatabaseName(Ns("kill"));
  TempDir dir;
  Spec b = big, s = small;
  b.conninfo = s.conninfo = conn;
  auto full = RunFerry({"sync", dir.Write("big.yml", Render(b)), "--no-progress"}, dir.path());
  ASSERT_EQ(full.exit_code, 0) << full.out << full.err;
  const Contents before = Read(db);
  ASSERT_EQ(Count(db, "test_some_table"), 30);
  const std::string big_time = Q(db, "SELECT max(_cq_sync_time) FROM test_some_table");

  // Shard 2/3 is slow: one pair at a time, 1.5 s before each resolver call.
  Spec slow = s;
  slow.delay = "1500ms";
  slow.concurrency = 1;
  slow.batch_timeout = "100ms";   // its first rows reach the table before it dies
  const std::string spec = dir.Write("small.yml", Render(s));
  const std::string slow_spec = dir.Write("slow.yml", Render(slow));
  const int victim = ferry::testing::StartFerryTo(ShardArgs(slow_spec, 2, 3, "r1"), dir.path(), dir.File("v.out"),
                                                  dir.File("v.err"));
  std::vector<int> others = {
      ferry::testing::StartFerryTo(ShardArgs(spec, 1, 3, "r1"), dir.path(), dir.File("1.out"), dir.File("1.err")),
      ferry::testing::StartFerryTo(ShardArgs(spec, 3, 3, "r1"), dir.path(), dir.File("3.out"), dir.File("3.err"))};
  for (int i = 0; i < 2; ++i) {
    const std::string n = i == 0 ? "1" : "3";
    const int code = ferry::testing::WaitFerry(others[i]);
    const std::string text = Slurp(dir.File(n + ".out")) + Slurp(dir.File(n + ".err"));
    EXPECT_EQ(code, 0) << text;
    EXPECT_NE(text.find("2/3"), std::string::npos) << text;
    EXPECT_NE(text.find("of run \"r1\" ha"), std::string::npos) << text;
  }
  // Wait until the victim has written rows of its own (its writes land when
  // a pair ends: 6 s for a test_some_table pair), then kill it mid-run.
  const std::string fresh = "_cq_sync_time > '" + big_time + "'";
  const int64_t by_others = Count(db, "test_some_table", fresh) + Count(db, "test_incremental_table", fresh);
  bool victim_wrote = false;
  for (int i = 0; i < 100 && !victim_wrote; ++i) {
    victim_wrote = Count(db, "test_some_table", fresh) + Count(db, "test_incremental_table", fresh) > by_others;
    if (!victim_wrote) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(victim_wrote) << "the slow shard wrote nothing in 10 s";
  int status = 0;
  ASSERT_EQ(waitpid(victim, &status, WNOHANG), 0) << "the slow shard ended before it was killed";
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  EXPECT_EQ(ferry::testing::WaitFerry(victim), 128 + SIGKILL);

  // Nothing stale went: every row of the full sync's keys is still there.
  EXPECT_EQ(Count(db, "test_some_table"), 30);
  EXPECT_EQ(Count(db, "test_sub_table"), 50);
  EXPECT_EQ(Count(db, "test_some_table", "client_id > 4 OR resource_id > 3"), 18);
  EXPECT_EQ(Count(db, "cq_state_inv", "key LIKE '\\_ferry\\_shard\\_run:r1:%'"), 2);
  EXPECT_NE(Read(db), before) << "the finished shards wrote their part";

  // The dead shard again, same run id: it completes the run and deletes.
  auto rerun = RunFerry(ShardArgs(spec, 2, 3, "r1"), dir.path());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_EQ((rerun.out + rerun.err).find("stale rows kept"), std::string::npos) << rerun.out << rerun.err;
  EXPECT_EQ(Read(db), want);
  EXPECT_EQ(Count(db, "test_some_table"), 12);
  EXPECT_EQ(Count(db, "test_sub_table"), 30);
}

}  // namespace
}  // namespace ferry::plugins::postgresql
