// CloudQuery protocol v3 between Ferry and Ferry: built-in integrations served
// by `ferry plugin serve` and used by `ferry sync` through `registry: grpc`
// (an address) and `registry: local` (a plugin binary Ferry starts on a unix
// socket, as CloudQuery does), compared with the same syncs in-process; and
// what happens when a plugin fails, crashes, hangs or is interrupted.
// Plugins built with CloudQuery's JavaScript SDK: cq_js_interop_test.cc.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/cli_runner.h"
#include "testing/plugin_util.h"

namespace ferry::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A test source spec; `where` is the registry/path block.
std::string SourceSpec(const std::string& where, const std::string& plugin_spec, const std::string& dest_block,
                       const std::string& extra = "") {
  return "kind: source\nspec:\n  name: test\n" + where + "  tables: [\"*\"]\n  skip_dependent_tables: false\n" +
         extra + "  destinations: [out]\n  spec:\n" + plugin_spec + "---\n" + dest_block;
}

std::string InProcess() { return "  path: cloudquery/test\n  registry: cloudquery\n  version: v4.2.0\n"; }
std::string Grpc(const std::string& address) { return "  path: " + address + "\n  registry: grpc\n"; }
std::string Local(const std::string& binary) { return "  path: " + binary + "\n  registry: local\n"; }

std::string SqliteDest(const std::string& db, const std::string& write_mode = "overwrite-delete-stale") {
  return "kind: destination\nspec:\n  name: out\n  path: cloudquery/sqlite\n  registry: cloudquery\n"
         "  version: v2.0.0\n  write_mode: " + write_mode + "\n  spec:\n    connection_string: " + db + "\n";
}

const char* kRows = "    num_rows: 40\n    num_sub_rows: 3\n    wide_rows: 25\n    seed: 11\n";

// Every row of every table of `db`, without the columns that differ between
// two syncs of the same data (_cq_sync_time, and the random _cq_id /
// _cq_parent_id, whose links are compared separately).
std::vector<std::string> Dump(const std::string& db) {
  std::vector<std::string> out;
  for (const auto& t : SqliteTables(db)) {
    std::string cols;
    for (const auto& c : SqliteColumns(db, t))
      if (c != "_cq_sync_time" && c != "_cq_id" && c != "_cq_parent_id")
        cols += (cols.empty() ? "" : " || '|' || ") + std::string("quote(\"") + c + "\")";
    out.push_back("table " + t);
    for (auto& row : SqliteQuery(db, "SELECT " + cols + " FROM \"" + t + "\" ORDER BY 1")) out.push_back(row);
  }
  return out;
}

// Syncs `plugin_yml` (through a plugin) then `ref_yml` (the same in-process),
// each expected to exit 0.
std::pair<CommandResult, CommandResult> SyncBoth(const TempDir& dir, const std::string& plugin_yml,
                                                 const std::string& ref_yml) {
  CommandResult r = RunFerry({"sync", plugin_yml, "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  CommandResult l = RunFerry({"sync", ref_yml, "--no-progress"}, dir.path());
  EXPECT_EQ(l.exit_code, 0) << l.out << l.err;
  return {r, l};
}

int64_t LinkedChildren(const std::string& db) {
  auto v = SqliteQuery(db, "SELECT count(*) FROM test_sub_table c JOIN test_some_table p ON c._cq_parent_id = p._cq_id");
  return v.size() == 1 ? std::stoll(v[0]) : -1;
}

TEST(GrpcPlugin, ServedSourceSyncsTheSameRowsAsInProcess) {
  TempDir dir;
  ServedFerry served("source", "test", dir.path());
  ASSERT_TRUE(served.ok());
  const std::string remote = dir.File("remote.sqlite"), local = dir.File("local.sqlite");
  const std::string spec_extra = "    delete_records: [3, 7]\n";
  dir.Write("remote.yml", SourceSpec(Grpc(served.address()), kRows + spec_extra, SqliteDest(remote)));
  dir.Write("local.yml", SourceSpec(InProcess(), kRows + spec_extra, SqliteDest(local)));
  CommandResult r = RunFerry({"sync", "remote.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  CommandResult l = RunFerry({"sync", "local.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(l.exit_code, 0) << l.out << l.err;

  const auto a = Dump(remote), b = Dump(local);
  EXPECT_EQ(a.size(), b.size());
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] != b[i]) {
      ADD_FAILURE() << "first difference at line " << i << ":\n  grpc:       " << a[i] << "\n  in-process: " << b[i];
      break;
    }
  EXPECT_GT(a.size(), 200u);
  EXPECT_EQ(SqliteCount(remote, "test_wide_table"), 25);
  // delete_records came through as delete_record messages.
  EXPECT_EQ(SqliteCount(remote, "test_some_table", "resource_id IN (3, 7)"), 0);
  EXPECT_GT(SqliteCount(remote, "test_some_table"), 0);
  EXPECT_GT(LinkedChildren(remote), 0);
  EXPECT_EQ(LinkedChildren(remote), LinkedChildren(local));
  EXPECT_EQ(SummaryRows(r.out, "test_sub_table"), SummaryRows(l.out, "test_sub_table"));
  EXPECT_EQ(served.Stop(SIGINT), 0) << "ferry plugin serve stops cleanly on SIGINT";
}

// Ferry's own sqlite destination as a `registry: local` plugin: migrations,
// upserts, delete-stale (a second sync with fewer rows) and the state table
// of an incremental table, all over the Write and Read calls.
TEST(GrpcPlugin, ServedSqliteDestinationAsLocalPlugin) {
  TempDir dir;
  const std::string plugin = WriteFerryPluginWrapper(dir.path(), "ferry-sqlite-plugin", "destination", "sqlite");
  const std::string db = dir.File("served.sqlite"), ref = dir.File("ref.sqlite");
  auto dest = [&](const std::string& path) {
    return "kind: destination\nspec:\n  name: out\n" + Local(plugin) + "  spec:\n    connection_string: " + path +
           "\n";
  };
  const std::string state = "  backend_options:\n    table_name: cq_state_test\n    connection: \"@@plugins.out.connection\"\n";
  auto run = [&](int rows, int incremental) {
    const std::string spec = "    num_rows: " + std::to_string(rows) + "\n    num_sub_rows: 2\n    incremental_rows: " +
                             std::to_string(incremental) + "\n";
    dir.Write("served.yml", SourceSpec(InProcess(), spec, dest(db), state));
    dir.Write("ref.yml", SourceSpec(InProcess(), spec, SqliteDest(ref), state));
    return SyncBoth(dir, "served.yml", "ref.yml").first;
  };
  run(30, 100);
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 30);
  EXPECT_EQ(SqliteCount(db, "test_incremental_table"), 100);
  EXPECT_EQ(Dump(db), Dump(ref));
  EXPECT_FALSE(WrapperRunning(plugin)) << "the plugin process outlived the sync";

  // Fewer rows: overwrite-delete-stale removes the rest through the plugin;
  // the incremental table fetches only the 20 new ids (cursor read back with Read).
  CommandResult r = run(10, 120);
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 10);
  EXPECT_EQ(SqliteCount(db, "test_sub_table"), 20);
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 20) << r.out;
  EXPECT_EQ(SqliteCount(db, "test_incremental_table"), 120);
  EXPECT_EQ(Dump(db), Dump(ref));
  EXPECT_EQ(SqliteQuery(db, "SELECT count(*) FROM cq_state_test WHERE value <> ''"),
            SqliteQuery(ref, "SELECT count(*) FROM cq_state_test WHERE value <> ''"));
}

// An incremental plugin source with backend_options: the plugin reads and
// writes its cursors through Ferry's state proxy, and Ferry commits them to the
// real backend (here the SQLite data destination, in the same transaction as
// the rows). A second sync fetches only what is new, as in-process.
TEST(GrpcPlugin, PluginSourceCursorsGoThroughFerrysStateBackend) {
  TempDir dir;
  ServedFerry served("source", "test", dir.path());
  ASSERT_TRUE(served.ok());
  const std::string remote = dir.File("remote.sqlite"), local = dir.File("local.sqlite");
  const std::string state = "  backend_options:\n    table_name: cq_state_test\n    connection: out\n";
  auto run = [&](int rows) {
    const std::string spec = "    num_rows: 2\n    num_clients: 2\n    incremental_rows: " + std::to_string(rows) +
                             "\n    checkpoint_every: 7\n";
    dir.Write("remote.yml", SourceSpec(Grpc(served.address()), spec, SqliteDest(remote), state));
    dir.Write("local.yml", SourceSpec(InProcess(), spec, SqliteDest(local), state));
    auto [r, l] = SyncBoth(dir, "remote.yml", "local.yml");
    EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), SummaryRows(l.out, "test_incremental_table"));
    return SummaryRows(r.out, "test_incremental_table");
  };
  EXPECT_EQ(run(30), 60);   // 2 clients x 30
  EXPECT_EQ(run(45), 30);   // only ids 31..45 of each client
  EXPECT_EQ(run(45), 0);    // nothing new
  EXPECT_EQ(SqliteCount(remote, "test_incremental_table"), 90);
  EXPECT_EQ(SqliteQuery(remote, "SELECT key || '=' || value FROM cq_state_test ORDER BY key"),
            SqliteQuery(local, "SELECT key || '=' || value FROM cq_state_test ORDER BY key"));
  EXPECT_EQ(SqliteQuery(remote, "SELECT count(*) FROM cq_state_test WHERE value = '45'"),
            std::vector<std::string>{"2"});
}

// kill -9 of `ferry sync` at random points while a plugin source streams an
// incremental table (append mode, so a duplicate would show): the cursors the
// plugin wrote commit with the rows they cover, so the resumed syncs end with
// every row exactly once.
TEST(GrpcPlugin, KillNineDuringAPluginSourceSyncNeverLosesOrDuplicatesRows) {
  TempDir dir;
  ServedFerry served("source", "test", dir.path());
  ASSERT_TRUE(served.ok());
  const std::string db = dir.File("db.sqlite");
  const std::string state = "  backend_options:\n    table_name: cq_state_test\n    connection: out\n";
  dir.Write("spec.yml", "kind: source\nspec:\n  name: test\n" + Grpc(served.address()) +
                            "  tables: [test_incremental_table]\n" + state +
                            "  destinations: [out]\n  spec:\n    num_clients: 2\n    incremental_rows: 20000\n"
                            "    checkpoint_every: 500\n---\n" + SqliteDest(db, "append"));
  std::srand(static_cast<unsigned>(getpid()));
  int killed = 0;
  for (int i = 0; i < 6; ++i) {
    const int pid = StartFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + std::rand() % 400));
    if (kill(pid, SIGKILL) == 0) ++killed;
    WaitFerry(pid);
  }
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_incremental_table"), 40000) << "after " << killed << " kills";
  EXPECT_EQ(SqliteQuery(db, "SELECT count(*) FROM (SELECT DISTINCT id, client_id FROM test_incremental_table)"),
            std::vector<std::string>{"40000"});
  r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 0) << r.out;
}

// The ferry binary under the name ferry-destination-sqlite (a symlink) is a
// CloudQuery-style plugin binary: `<path> serve --network unix ...` works
// without a wrapper script.
TEST(GrpcPlugin, SymlinkedFerryIsAPluginBinary) {
  TempDir dir;
  const std::string plugin = dir.File("ferry-destination-sqlite");
  ASSERT_EQ(symlink(FERRY_BINARY, plugin.c_str()), 0);
  const std::string db = dir.File("db.sqlite");
  dir.Write("spec.yml", SourceSpec(InProcess(), "    num_rows: 7\n",
                                   "kind: destination\nspec:\n  name: out\n" + Local(plugin) +
                                       "  spec:\n    connection_string: " + db + "\n"));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 7);
}

// A source started as `registry: local` on a unix socket: its JSON log lines
// are folded into Ferry's log, and it is gone when the sync ends.
TEST(GrpcPlugin, LocalSourcePluginLogsAreFoldedAndTheProcessStops) {
  TempDir dir;
  const std::string plugin = WriteFerryPluginWrapper(dir.path(), "ferry-test-plugin", "source", "test");
  const std::string db = dir.File("local.sqlite");
  dir.Write("spec.yml", SourceSpec(Local(plugin), kRows, SqliteDest(db)));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 40);
  EXPECT_NE(r.err.find("source \"test\" (plugin " + plugin + ") (plugin): ferry plugin serve: source test"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("listening on unix:/tmp/ferry-plugin-"), std::string::npos) << r.err;
  EXPECT_FALSE(WrapperRunning(plugin));
}

// Warning lines a local source plugin logs are the sync's warnings, counted
// in the summary under the table they name.
TEST(GrpcPlugin, PluginWarningLinesReachTheSummary) {
  TempDir dir;
  const std::string plugin = dir.File("warning-plugin");
  dir.Write("warning-plugin",
            "#!/bin/sh\n[ \"$1\" = serve ] && shift\n"
            "echo '{\"level\":\"warn\",\"message\":\"rate limited, slowing down\",\"table\":\"test_some_table\"}'\n"
            "echo '{\"level\":\"warn\",\"message\":\"token expires soon\"}'\n"
            "exec '" FERRY_BINARY "' plugin serve source test \"$@\"\n");
  chmod(plugin.c_str(), 0755);
  dir.Write("spec.yml", SourceSpec(Local(plugin), "    num_rows: 2\n", SqliteDest(dir.File("db.sqlite"))));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Warnings: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("table test_some_table: source \"test\" (plugin " + plugin + ") logged: rate limited"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("logged: token expires soon"), std::string::npos) << r.err;
}

// A table that fails in the plugin arrives as an error message: the sync
// fails, the table's earlier rows stay (no delete-stale), the others sync.
TEST(GrpcPlugin, TableErrorsFromThePluginFailTheSyncAndKeepStaleRows) {
  TempDir dir;
  ServedFerry served("source", "test", dir.path());
  ASSERT_TRUE(served.ok());
  const std::string db = dir.File("db.sqlite");
  dir.Write("ok.yml", SourceSpec(Grpc(served.address()), "    num_rows: 5\n", SqliteDest(db)));
  ASSERT_EQ(RunFerry({"sync", "ok.yml", "--no-progress"}, dir.path()).exit_code, 0);
  dir.Write("fail.yml", SourceSpec(Grpc(served.address()), "    num_rows: 3\n    fail_tables: [test_paid_table]\n",
                                   SqliteDest(db)));
  CommandResult r = RunFerry({"sync", "fail.yml", "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("test_paid_table"), std::string::npos);
  EXPECT_EQ(SqliteCount(db, "test_paid_table"), 5) << "stale rows of a failed table are kept";
  EXPECT_EQ(SqliteCount(db, "test_some_table"), 3) << "the other tables synced and deleted their stale rows";
}

// The plugin process dies mid-sync: the error names the plugin and says how
// it died; rows already written stay; nothing hangs.
TEST(GrpcPlugin, CrashedLocalSourceIsAClearError) {
  TempDir dir;
  const std::string plugin = WriteFerryPluginWrapper(dir.path(), "ferry-crashing-plugin", "source", "test");
  const std::string db = dir.File("db.sqlite");
  dir.Write("spec.yml", SourceSpec(Local(plugin), "    num_rows: 3\n    exit_immediately: true\n", SqliteDest(db)));
  const auto start = Clock::now();
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("source \"test\" (plugin " + plugin + ")"), std::string::npos) << all;
  EXPECT_NE(all.find("exited with code 1"), std::string::npos) << all;
  EXPECT_FALSE(WrapperRunning(plugin));
}

TEST(GrpcPlugin, ServedSourceKilledMidSyncIsAClearError) {
  TempDir dir;
  ServedFerry served("source", "test", dir.path());
  ASSERT_TRUE(served.ok());
  const std::string db = dir.File("db.sqlite");
  dir.Write("spec.yml", SourceSpec(Grpc(served.address()), "    num_rows: 2\n    resolve_delay: 30s\n", SqliteDest(db)));
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    served.Stop(SIGKILL);
  });
  const auto start = Clock::now();
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  killer.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("(plugin " + served.address() + "): Sync"), std::string::npos) << r.out << r.err;
}

// Ctrl-C during a sync with a local plugin: Ferry stops, and so does the plugin.
TEST(GrpcPlugin, InterruptStopsTheLocalPlugin) {
  TempDir dir;
  const std::string plugin = WriteFerryPluginWrapper(dir.path(), "ferry-slow-plugin", "source", "test");
  dir.Write("spec.yml", SourceSpec(Local(plugin), "    num_rows: 2\n    resolve_delay: 60s\n",
                                   SqliteDest(dir.File("db.sqlite"))));
  const int pid = StartFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!WrapperRunning(plugin) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(WrapperRunning(plugin)) << "the plugin never started";
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  kill(pid, SIGINT);
  const auto start = Clock::now();
  const int code = WaitFerry(pid);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(15));
  EXPECT_NE(code, 0);
  EXPECT_FALSE(WrapperRunning(plugin)) << "the plugin outlived Ferry";
}

// ~9 MB of wide rows in one engine batch arrive whole at a plugin destination
// (split into messages under 4 MiB; the JavaScript SDK's limit is checked in
// CqJsInterop.BigBatchesReachJsDestinationUnderItsMessageLimit).
TEST(GrpcPlugin, BigBatchesAreSplitUnderTheMessageLimit) {
  TempDir dir;
  const std::string plugin = WriteFerryPluginWrapper(dir.path(), "ferry-sqlite-plugin", "destination", "sqlite");
  const std::string db = dir.File("big.sqlite");
  dir.Write("spec.yml",
            "kind: source\nspec:\n  name: test\n" + InProcess() +
                "  tables: [test_wide_table]\n  destinations: [out]\n  spec:\n    wide_rows: 9000\n---\n"
                "kind: destination\nspec:\n  name: out\n" + Local(plugin) +
                "  spec:\n    connection_string: " + db + "\n");
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err.substr(0, 4000);
  EXPECT_EQ(SqliteCount(db, "test_wide_table"), 9000);
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT id) FROM test_wide_table"), std::vector<std::string>{"9000"});
}

// One source into two plugin destinations at once: batches encoded once are
// shared (EncodingCache), and both get every row.
TEST(GrpcPlugin, TwoPluginDestinationsGetTheSameRows) {
  TempDir dir;
  const std::string plugin = WriteFerryPluginWrapper(dir.path(), "ferry-sqlite-plugin", "destination", "sqlite");
  const std::string a = dir.File("a.sqlite"), b = dir.File("b.sqlite");
  auto dest = [&](const std::string& name, const std::string& db) {
    return "kind: destination\nspec:\n  name: " + name + "\n" + Local(plugin) +
           "  spec:\n    connection_string: " + db + "\n";
  };
  dir.Write("spec.yml", "kind: source\nspec:\n  name: test\n" + InProcess() +
                            "  tables: [test_synthetic_table, test_wide_table]\n  destinations: [a, b]\n"
                            "  spec:\n    synthetic_rows: 60000\n    wide_rows: 3000\n---\n" + dest("a", a) + "---\n" +
                            dest("b", b));
  CommandResult r = RunFerry({"--log-level", "debug", "sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err.substr(0, 3000);
  EXPECT_EQ(SqliteCount(a, "test_synthetic_table"), 60000);
  EXPECT_EQ(SqliteCount(a, "test_wide_table"), 3000);
  EXPECT_EQ(Dump(a), Dump(b));
  RecordProperty("shared_encodings", r.err.find("were sent as encoded for another") != std::string::npos ? "yes" : "no");
}

// `ferry test-connection`: plugins answer TestConnection, built-ins are
// initialised; one line per plugin, exit 1 when any fails.
TEST(GrpcPlugin, TestConnectionReportsEveryPlugin) {
  TempDir dir;
  ServedFerry served("destination", "sqlite", dir.path());
  ASSERT_TRUE(served.ok());
  auto dest = [&](const std::string& name, const std::string& where, const std::string& spec) {
    return "---\nkind: destination\nspec:\n  name: " + name + "\n" + where + "  spec:\n" + spec;
  };
  const std::string text = "kind: source\nspec:\n  name: test\n" + InProcess() +
                           "  tables: [\"*\"]\n  destinations: [good, bad, gone, builtin]\n" +
                           dest("good", Grpc(served.address()), "    connection_string: " + dir.File("a.db") + "\n") +
                           dest("bad", Grpc(served.address()), "    connection_strin: x\n") +
                           dest("gone", Grpc("127.0.0.1:1"), "    x: 1\n") +
                           dest("builtin", "  path: cloudquery/sqlite\n  version: v1.0.0\n",
                                "    connection_string: " + dir.File("b.db") + "\n");
  CommandResult r = RunFerry({"test-connection", dir.Write("spec.yml", text)}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Test Connection Results"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("source \"test\" (cloudquery/test): Success"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("destination \"good\" (" + served.address() + "): Success"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("destination \"bad\" (" + served.address() + "): Failure: INVALID_SPEC"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("connection_string"), std::string::npos) << "suggests the right key: " << r.out;
  EXPECT_NE(r.out.find("destination \"gone\" (127.0.0.1:1): Failure: CONNECTION_FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("destination \"builtin\" (cloudquery/sqlite): Success"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ferry::testing
