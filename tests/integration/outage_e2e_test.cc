// Destination outages with the real `ferry` binary (issue: ride through short
// ones, fail long ones once, and say it once). A private PostgreSQL server
// (its own state directory, so other tests never see it go down) is stopped
// mid-sync and started again on the same port and data; SQLite is locked by
// another connection. Short outages end in exit 0 with exact rows and a
// warning; long ones fail that destination once, the other destination
// completes, and a re-run completes the data.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/postgresql/connection.h"
#include "testing/cli_runner.h"
#include "testing/test_servers.h"

namespace ferry::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// A PostgreSQL server of this test alone.
class PrivatePostgres {
 public:
  PrivatePostgres() {
    std::string ignored;
    RunShell("chmod 755 '" + dir_.path() + "'", &ignored);  // the server runs as user postgres
    std::string out;
    if (RunShell(Env() + " start postgres 2>&1", &out) != 0) {
      error_ = out;
      return;
    }
    const size_t p = out.find("FERRY_PG_PORT=");
    if (p == std::string::npos) {
      error_ = out;
      return;
    }
    port_ = out.substr(p + 14, out.find('\n', p) - p - 14);
  }
  ~PrivatePostgres() {
    std::string out;
    RunShell(Env() + " stop postgres 2>&1", &out);
  }
  const std::string& error() const { return error_; }
  std::string Conninfo() const { return "host=127.0.0.1 port=" + port_ + " user=postgres dbname=postgres"; }
  // Stops the server, keeps it down for `secs`, starts it again (same port and data).
  int Restart(int secs) {
    std::string out;
    return RunShell(Env() + " restart postgres " + std::to_string(secs) + " >/dev/null 2>&1", &out);
  }
  Result<std::string> Query(const std::string& sql) {
    FERRY_ASSIGN_OR_RETURN(auto conn, plugins::postgresql::Connection::Open(Conninfo(), 5));
    FERRY_ASSIGN_OR_RETURN(auto r, conn->Query(sql, "test query"));
    if (PQntuples(r.get()) == 0) return std::string();
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
  int64_t Count(const std::string& table, const std::string& what = "count(*)") {
    auto r = Query("SELECT " + what + " FROM " + table);
    return r.ok() && !r->empty() ? std::stoll(*r) : -1;
  }

 private:
  std::string Env() const {
    return "FERRY_TEST_SERVERS_DIR=" + dir_.path() + " bash " + TestServersScript();
  }
  TempDir dir_;
  std::string port_, error_;
};

std::string PgDestination(const std::string& conninfo, const std::string& mode, const std::string& extra = "") {
  return R"(kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: )" + mode + R"(
  spec:
    connection_string: ")" + conninfo + R"("
    batch_size: 5000
    batch_timeout: 100ms
)" + extra;
}

std::string SqliteDestination(const std::string& db, const std::string& extra = "") {
  return R"(kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v2.0.0
  write_mode: append
  spec:
    connection_string: )" + db + R"(
    batch_size: 5000
    batch_timeout: 100ms
)" + extra;
}

// 4 clients x 40k synthetic rows, one client at a time with 1 s before each:
// about 4 s, so a 3 s outage lands in the middle.
std::string SyntheticSource(const std::string& dests, const std::string& table = "test_synthetic_table",
                            const std::string& backend = "", int clients = 4) {
  return R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v4.0.0
  tables: [)" + table + R"(]
  destinations: [)" + dests + R"(]
)" + backend + R"(  spec:
    num_clients: )" + std::to_string(clients) + R"(
    synthetic_rows: 40000
    incremental_rows: 40000
    checkpoint_every: 5000
    concurrency: 1
    resolve_delay: 1s
    seed: 3
---
)";
}

struct Mode {
  std::string name;
  std::string write_mode;
  bool incremental;
};

class PostgresOutage : public ::testing::TestWithParam<Mode> {};

TEST_P(PostgresOutage, ShortRestartMidSyncEndsCleanWithExactRows) {
  PrivatePostgres pg;
  ASSERT_TRUE(pg.error().empty()) << pg.error();
  TempDir dir;
  const Mode& m = GetParam();
  const std::string table = m.incremental ? "test_incremental_table" : "test_synthetic_table";
  const std::string backend = m.incremental ? "  backend_options:\n    table_name: cq_state_test\n"
                                              "    connection: \"@@plugins.postgresql.connection\"\n"
                                            : "";
  const std::string spec = dir.Write(
      "spec.yml", SyntheticSource("postgresql", table, backend) + PgDestination(pg.Conninfo(), m.write_mode));
  const int pid = StartFerryTo({"sync", spec, "--no-progress"}, dir.path(), dir.File("out"), dir.File("err"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pg.Count(table) <= 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(pg.Count(table), 0) << "the sync wrote nothing in 30 s";
  ASSERT_EQ(pg.Restart(3), 0);
  const int code = WaitFerry(pid);
  const std::string text = ReadFile(dir.File("out")) + ReadFile(dir.File("err"));
  EXPECT_EQ(code, 0) << text;
  EXPECT_NE(text.find("destination \"postgresql\" was unavailable or busy for"), std::string::npos) << text;
  EXPECT_EQ(pg.Count(table), 160000) << text;
  const std::string key = m.incremental ? "id" : "id";
  EXPECT_EQ(pg.Count("(SELECT DISTINCT client_id, " + key + " FROM " + table + ") d"), 160000);
  if (m.incremental) {
    // Cursors agree with the rows: a second sync adds nothing.
    auto again = RunFerry({"sync", spec, "--no-progress"}, dir.path());
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(pg.Count(table), 160000);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PostgresOutage,
                         ::testing::Values(Mode{"append", "append", false}, Mode{"overwrite", "overwrite", false},
                                           Mode{"incremental", "append", true}),
                         [](const auto& i) { return i.param.name; });

TEST(PostgresOutageLong, FailsTheDestinationOnceTheOtherCompletesAndARerunCompletes) {
  PrivatePostgres pg;
  ASSERT_TRUE(pg.error().empty()) << pg.error();
  TempDir dir;
  const std::string db = dir.File("b.sqlite");
  const std::string spec = dir.Write(
      "spec.yml", SyntheticSource("postgresql, sqlite") +
                      PgDestination(pg.Conninfo(), "append", "    retry_timeout: 2s\n") + "---\n" +
                      SqliteDestination(db));
  const int pid = StartFerryTo({"sync", spec, "--no-progress"}, dir.path(), dir.File("out"), dir.File("err"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pg.Count("test_synthetic_table") <= 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(pg.Count("test_synthetic_table"), 0);
  std::thread outage([&] { EXPECT_EQ(pg.Restart(7), 0); });   // down 7 s, past retry_timeout
  const int code = WaitFerry(pid);
  outage.join();
  const std::string text = ReadFile(dir.File("out")) + ReadFile(dir.File("err"));
  EXPECT_EQ(code, 1) << text;
  EXPECT_EQ(SqliteCount(db, "test_synthetic_table"), 160000) << "the other destination gets every row\n" << text;
  // One error names the destination and the cause; nothing repeats per batch.
  const std::string out = ReadFile(dir.File("out"));
  EXPECT_EQ(Occurrences(out, "error: destination \"postgresql\" failed: unavailable for longer than its retry_timeout"),
            1u)
      << out;
  EXPECT_LT(Occurrences(out, "\n"), 40u) << "the summary stays short\n" << out;
  const int64_t partial = pg.Count("test_synthetic_table");
  EXPECT_LT(partial, 160000);
  // A re-run (append) completes the data: every id present.
  auto again = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(pg.Count("(SELECT DISTINCT client_id, id FROM test_synthetic_table) d"), 160000);
}

// Waits (30 s at most) until the sync has created `table` in `db`.
bool WaitForTable(const std::string& db, const std::string& table) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    try {  // the file may not exist yet, or be locked by the sync's migration
      if (access(db.c_str(), F_OK) == 0 &&
          SqliteQuery(db, "SELECT count(*) FROM sqlite_master WHERE name = '" + table + "'")[0] == "1")
        return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Holds an exclusive lock on an SQLite file for `ms` from another connection.
std::thread LockFor(const std::string& db, int ms, std::atomic<bool>* locked) {
  return std::thread([db, ms, locked] {
    sqlite3* c = nullptr;
    sqlite3_open(db.c_str(), &c);
    sqlite3_exec(c, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
    *locked = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    sqlite3_exec(c, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(c);
  });
}

std::string SqliteSpec(const std::string& db, const std::string& extra) {
  return SyntheticSource("sqlite") + SqliteDestination(db, extra);
}

TEST(SqliteOutage, LockHeldTwoSecondsEndsClean) {
  TempDir dir;
  const std::string db = dir.File("a.sqlite");
  const std::string spec = dir.Write("spec.yml", SqliteSpec(db, ""));
  const int pid = StartFerryTo({"sync", spec, "--no-progress"}, dir.path(), dir.File("out"), dir.File("err"));
  ASSERT_TRUE(WaitForTable(db, "test_synthetic_table"));
  std::atomic<bool> locked{false};
  std::thread lock = LockFor(db, 2000, &locked);
  const int code = WaitFerry(pid);
  lock.join();
  const std::string text = ReadFile(dir.File("out")) + ReadFile(dir.File("err"));
  EXPECT_EQ(code, 0) << text;
  EXPECT_EQ(SqliteCount(db, "test_synthetic_table"), 160000);
}

TEST(SqliteOutage, LockHeldPastTheTimeoutsIsOneError) {
  TempDir dir;
  const std::string db = dir.File("a.sqlite");
  const std::string spec =
      dir.Write("spec.yml", SqliteSpec(db, "    busy_timeout: 500ms\n    retry_timeout: 1500ms\n"));
  const int pid = StartFerryTo({"sync", spec, "--no-progress"}, dir.path(), dir.File("out"), dir.File("err"));
  ASSERT_TRUE(WaitForTable(db, "test_synthetic_table"));
  std::atomic<bool> locked{false};
  std::thread lock = LockFor(db, 6000, &locked);
  const int code = WaitFerry(pid);
  lock.join();
  const std::string out = ReadFile(dir.File("out"));
  EXPECT_EQ(code, 1) << out;
  EXPECT_EQ(Occurrences(out, "error: destination \"sqlite\" failed: unavailable for longer than its retry_timeout"),
            1u)
      << out;
  EXPECT_NE(out.find("database is locked"), std::string::npos) << out;
  EXPECT_LT(Occurrences(out, "\n"), 40u) << "no line per batch\n" << out;
}

// A ClickHouse server of this test alone, crashed (kill -9) mid-sync and
// started again 3 s later, in overwrite mode: exit 0, and FINAL shows every row exactly once.
TEST(ClickHouseOutage, ShortRestartMidSyncEndsCleanWithExactRows) {
  TempDir state;
  const std::string env = "FERRY_TEST_SERVERS_DIR=" + state.path() + " bash " + TestServersScript();
  std::string out;
  ASSERT_EQ(RunShell(env + " start clickhouse 2>&1", &out), 0) << out;
  const size_t p = out.find("FERRY_CH_URL=");
  ASSERT_NE(p, std::string::npos) << out;
  const std::string url = out.substr(p + 13, out.find('\n', p) - p - 13);
  auto query = [&](const std::string& sql) {
    std::string r;
    RunShell("curl -sf --data-binary \"" + sql + "\" '" + url + "/' 2>/dev/null", &r);
    while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
    return r;
  };
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", SyntheticSource("clickhouse", "test_synthetic_table", "", 10) + R"(kind: destination
spec:
  name: clickhouse
  path: cloudquery/clickhouse
  version: v6.0.0
  write_mode: overwrite
  spec:
    connection_string: ")" + url + R"(/default"
    batch_size: 5000
    batch_timeout: 100ms
)");
  const int pid = StartFerryTo({"sync", spec, "--no-progress"}, dir.path(), dir.File("out"), dir.File("err"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto count = [&] {
    const std::string c = query("SELECT count() FROM default.test_synthetic_table");
    return c.empty() ? int64_t{-1} : std::stoll(c);
  };
  while (count() <= 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(count(), 0) << "the sync wrote nothing in 30 s";
  // A crash: a graceful stop (SIGTERM) of ClickHouse waits until clients
  // close their keep-alive connections, so Ferry would never see it down.
  std::string server_pid;
  ASSERT_EQ(RunShell("cat " + state.path() + "/clickhouse/pid", &server_pid), 0);
  ASSERT_EQ(RunShell("kill -9 " + server_pid, &out), 0);
  ASSERT_EQ(RunShell(env + " restart clickhouse 3 >/dev/null 2>&1", &out), 0);
  const int code = WaitFerry(pid);
  const std::string text = ReadFile(dir.File("out")) + ReadFile(dir.File("err"));
  EXPECT_EQ(code, 0) << text;
  EXPECT_NE(text.find("destination \"clickhouse\" was unavailable or busy for"), std::string::npos) << text;
  EXPECT_EQ(query("SELECT count() FROM default.test_synthetic_table FINAL"), "400000") << text;
  EXPECT_EQ(query("SELECT count() FROM (SELECT DISTINCT client_id, id FROM default.test_synthetic_table)"), "400000");
  RunShell(env + " stop clickhouse >/dev/null 2>&1", &out);
}

}  // namespace
}  // namespace ferry::testing
