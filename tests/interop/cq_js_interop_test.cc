// Interop with plugins built on CloudQuery's own JavaScript SDK
// (@cloudquery/plugin-sdk-javascript from npm; tests/peers/cq-plugins/):
//  - the JS source (`cq-source-js`, registry: local and registry: grpc) synced by
//    `ferry sync` into SQLite with every column type intact;
//  - Ferry's `sqlite` destination served by `ferry plugin serve` driven by a raw
//    gRPC client built on the SDK's protocol package (cq-client.mjs);
//  - Ferry's built-in `test` source synced into the JS destination.
// The SDK's quirks these tests exercise are listed in tests/peers/cq-plugins/README.md.
//
// Needs `node` and tests/peers/node_modules (scripts/install-test-peers.sh).
// Without them the tests skip, unless FERRY_REQUIRE_PEERS=1, when they fail.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/cli_runner.h"
#include "testing/peers.h"
#include "testing/plugin_util.h"
#include "testing/test_servers.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kPeers = fs::path(FERRY_SOURCE_DIR) / "tests" / "peers";
const fs::path kCq = kPeers / "cq-plugins";

#define REQUIRE_PEERS() \
  FERRY_REQUIRE_PEERS("@cloudquery/plugin-sdk-javascript", "@cloudquery/plugin-pb-javascript", "apache-arrow")

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Runs tests/peers/cq-plugins/cq-client.mjs; its stdout is one JSON line.
json RunClient(const std::string& args, int* rc, std::string* raw) {
  const std::string cmd = "node " + Quote((kCq / "cq-client.mjs").string()) + " " + args + " 2>/dev/null";
  raw->clear();
  *rc = RunShell(cmd, raw);
  try {
    return json::parse(*raw);
  } catch (...) {
    return json();
  }
}

// A child process (ferry plugin serve, or a JS plugin) killed at scope exit.
class Child {
 public:
  Child() = default;
  // Starts argv[0] with stdout+stderr to `log`.
  Child(const std::vector<std::string>& argv, const std::string& cwd, const std::string& log) {
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      if (chdir(cwd.c_str()) != 0) _exit(127);
      if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
      std::vector<std::string> copy = argv;
      std::vector<char*> args;
      for (auto& a : copy) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  explicit Child(int pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int pid() const { return pid_; }
  // True while the process has not exited.
  bool Running() {
    if (reaped_) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return false;
    }
    return true;
  }
  // Sends `sig`, waits up to `timeout`; returns the exit code (128+signal), or
  // -1 when it had to be killed.
  int Stop(int sig, std::chrono::seconds timeout) {
    if (!Running()) return code_;
    kill(pid_, sig);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (!Running()) return code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
    return -1;
  }
  int code() const { return code_; }

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int code_ = -1;
};

// Waits until `ready()` or the child exits or 30 s pass.
template <typename F>
bool WaitReady(Child& c, F ready) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    if (!c.Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<json> ReadJsonLines(const std::string& path) {
  std::vector<json> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

std::string JsSourceSpec(const std::string& db, const std::string& tables,
                         const std::string& registry_and_path, const std::string& plugin_spec = "") {
  // skip_dependent_tables defaults to true (CloudQuery's default): the child
  // relation comes only when asked for.
  return "kind: source\nspec:\n  name: js\n" + registry_and_path + "  tables: " + tables +
         "\n  skip_dependent_tables: false\n  destinations: [sqlite]\n" + (plugin_spec.empty() ? "" : "  spec:\n" + plugin_spec) +
         "---\nkind: destination\nspec:\n  name: sqlite\n  path: cloudquery/sqlite\n  registry: cloudquery\n"
         "  version: v2.0.0\n  spec:\n    connection_string: " + db + "\n";
}

std::string LocalSource() {
  return "  path: " + (kCq / "cq-source-js").string() + "\n  registry: local\n";
}

std::string Where(const std::string& db, const std::string& table, const std::string& expr, int64_t id) {
  auto v = SqliteQuery(db, "SELECT " + expr + " FROM " + table + " WHERE id = " + std::to_string(id));
  return v.size() == 1 ? v[0] : "<" + std::to_string(v.size()) + " rows>";
}

// The JS source's js_all_types rows (tests/peers/cq-plugins/lib/source.mjs) as
// Ferry's sqlite destination stores them; quote() shows the storage class.
void ExpectAllTypes(const std::string& db) {
  const std::string t = "js_all_types";
  ASSERT_EQ(SqliteCount(db, t), 3);
  ASSERT_EQ(SqliteCount(db, "js_all_types_children"), 4);

  const std::vector<std::string> cols = SqliteColumns(db, t);
  const std::vector<std::string> want_cols = {
      "_cq_sync_time", "_cq_source_name", "_cq_id", "_cq_parent_id", "id", "c_bool", "c_int8", "c_int16",
      "c_int32", "c_int64", "c_uint8", "c_uint16", "c_uint32", "c_uint64", "c_float32", "c_float64",
      "c_utf8", "c_binary", "c_timestamp", "c_date", "c_uuid", "c_json", "c_inet", "c_mac",
      "c_list_utf8", "c_list_int64", "c_struct"};
  EXPECT_EQ(cols, want_cols);

  struct Check {
    std::string expr;
    std::string row1, row2;
  };
  const std::vector<Check> checks = {
      {"quote(c_bool)", "1", "0"},
      {"quote(c_int8)", "127", "-128"},
      {"quote(c_int16)", "32767", "-32768"},
      {"quote(c_int32)", "2147483647", "-2147483648"},
      {"quote(c_int64)", "9007199254740991", "-9007199254740991"},
      {"quote(c_uint8)", "255", "0"},
      {"quote(c_uint16)", "65535", "0"},
      {"quote(c_uint32)", "4294967295", "0"},
      {"quote(c_uint64)", "9007199254740991", "0"},
      {"typeof(c_float32) || ':' || (c_float32 = 1.5)", "real:1", "real:0"},
      {"c_float32 = -0.25", "0", "1"},
      {"typeof(c_float64) || ':' || (c_float64 = 3.141592653589793)", "real:1", "real:0"},
      {"c_float64 = -1e300", "0", "1"},
      {"quote(c_utf8)", "'h\xC3\xA9llo, w\xC3\xB6rld \xE2\x9C\x93'", "''"},
      {"quote(c_binary)", "X'0001FEFF'", "X''"},
      {"quote(c_timestamp)", "'2024-01-02 03:04:05.678000'", "'1969-12-31 23:59:59.999000'"},
      {"quote(c_date)", "'2024-02-29'", "'1969-12-31'"},
      {"quote(c_uuid)", "'0a1b2c3d-4e5f-4061-8273-8495a6b7c8d9'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"},
      // The SDK keeps a JSON string's bytes as given (spaces and all).
      {"quote(c_json)", "'{\"a\": 1, \"b\": [true, null], \"s\": \"x\"}'", "'[]'"},
      {"quote(c_inet)", "'192.168.1.0/24'", "'2001:db8::1'"},
      {"quote(c_mac)", "X'001A2B3C4D5E'", "X'FFFFFFFFFFFF'"},
      // SDK quirk: its List scalar turns an empty list into null.
      {"quote(c_list_utf8)", "'[\"x\",\"y\"]'", "NULL"},
      {"quote(c_list_int64)", "'[1,-2,3]'", "'[]'"},
      {"quote(c_struct)", "'{\"a\":\"q\",\"n\":7}'", "'{\"a\":null,\"n\":-1}'"},
      {"quote(_cq_source_name)", "'js'", "'js'"},
      {"_cq_parent_id IS NULL", "1", "1"},
      {"length(_cq_id) = 36 AND _cq_id GLOB '*-*-4*'", "1", "1"},
  };
  for (const auto& c : checks) {
    SCOPED_TRACE(c.expr);
    EXPECT_EQ(Where(db, t, c.expr, 1), c.row1);
    EXPECT_EQ(Where(db, t, c.expr, 2), c.row2);
  }
  // Row 3: every column but the key null.
  std::string all_null = "1";
  for (size_t i = 5; i < want_cols.size(); ++i) all_null += " AND " + want_cols[i] + " IS NULL";
  EXPECT_EQ(Where(db, t, all_null, 3), "1");
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT _cq_id) FROM js_all_types"), std::vector<std::string>{"3"});
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT _cq_sync_time) FROM js_all_types"), std::vector<std::string>{"1"});

  // The child relation: rows point at their parent's _cq_id.
  EXPECT_EQ(SqliteColumns(db, "js_all_types_children"),
            (std::vector<std::string>{"_cq_sync_time", "_cq_source_name", "_cq_id", "_cq_parent_id", "parent_id",
                                      "child_id", "name"}));
  EXPECT_EQ(SqliteQuery(db,
                        "SELECT count(*) FROM js_all_types_children c JOIN js_all_types p "
                        "ON c._cq_parent_id = p._cq_id AND c.parent_id = p.id"),
            std::vector<std::string>{"4"});
  EXPECT_EQ(SqliteQuery(db, "SELECT parent_id || ':' || child_id || ':' || name FROM js_all_types_children "
                            "ORDER BY child_id"),
            (std::vector<std::string>{"1:10:one-a", "1:11:one-b", "2:20:two-a", "2:21:two-b"}));
}

// The test plugins on their own, without Ferry (cq-plugins/selftest.mjs drives
// them with the SDK-protocol client): proves the peers, not Ferry.
TEST(CqJsInterop, PluginsWorkWithoutFerry) {
  REQUIRE_PEERS();
  int rc = 0;
  std::string out;
  rc = RunShell("node " + Quote((kCq / "selftest.mjs").string()) + " 2>&1", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
}

// --- JS source -> Ferry -> SQLite -------------------------------------------

TEST(CqJsInterop, JsSourceRegistryLocalSyncsEveryColumnTypeIntoSqlite) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string db = dir.File("js.sqlite");
  dir.Write("spec.yml", JsSourceSpec(db, "[\"js_all_types\"]", LocalSource()));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SummaryRows(r.out, "js_all_types"), 3) << r.out;
  // The parent brings its child relation.
  EXPECT_EQ(SummaryRows(r.out, "js_all_types_children"), 4) << r.out;
  ExpectAllTypes(db);
  const std::string first_ids =
      SqliteQuery(db, "SELECT group_concat(_cq_id) FROM (SELECT _cq_id FROM js_all_types ORDER BY id)")[0];

  // Second sync (overwrite-delete-stale): upserts on the JS table's primary key
  // `id`; nothing duplicated, nothing left stale.
  r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectAllTypes(db);
  // The SDK's _cq_id is random (deterministic_cq_id false): the rows were replaced.
  EXPECT_NE(SqliteQuery(db, "SELECT group_concat(_cq_id) FROM (SELECT _cq_id FROM js_all_types ORDER BY id)")[0],
            first_ids);
}

// GetTables of a local JS plugin through `ferry tables`: the relation and every column.
TEST(CqJsInterop, FerryTablesDocumentsJsSourceFromGetTables) {
  REQUIRE_PEERS();
  TempDir dir;
  dir.Write("spec.yml", JsSourceSpec(dir.File("unused.sqlite"), "[\"*\"]", LocalSource()));
  CommandResult r = RunFerry({"tables", "spec.yml", "--format", "json", "--output-dir", "docs"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json tables;
  for (const auto& e : fs::recursive_directory_iterator(dir.File("docs")))
    if (e.path().filename() == "__tables.json") tables = json::parse(ReadFile(e.path().string()));
  ASSERT_TRUE(tables.is_array()) << "no __tables.json under docs/";
  const json* all = nullptr;
  for (const json& t : tables)
    if (t.value("name", "") == "js_all_types") all = &t;
  ASSERT_NE(all, nullptr) << tables.dump();
  std::vector<std::string> names;
  for (const json& c : (*all)["columns"]) names.push_back(c.value("name", ""));
  for (const char* want : {"_cq_id", "_cq_parent_id", "id", "c_int8", "c_uint64", "c_uuid", "c_json", "c_inet",
                           "c_mac", "c_list_int64", "c_struct"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want << " in " << (*all).dump();
  ASSERT_TRUE((*all).contains("relations")) << (*all).dump();
  EXPECT_NE((*all)["relations"].dump().find("js_all_types_children"), std::string::npos) << (*all).dump();
  EXPECT_NE(tables.dump().find("js_extra_types"), std::string::npos);
}

TEST(CqJsInterop, JsSourceRegistryGrpcSyncsEveryColumnTypeIntoSqlite) {
  REQUIRE_PEERS();
  TempDir dir;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  // A JS plugin served over TCP by hand, as CloudQuery's docs do for `registry: grpc`.
  Child plugin({(kCq / "cq-source-js").string(), "serve", "--address", "127.0.0.1:" + std::to_string(port),
                "--log-format", "json"},
               dir.path(), dir.File("plugin.log"));
  ASSERT_TRUE(WaitReady(plugin, [&] { return CanConnectTcp(port); })) << ReadFile(dir.File("plugin.log"));

  const std::string db = dir.File("grpc.sqlite");
  dir.Write("spec.yml", JsSourceSpec(db, "[\"js_all_types\"]",
                                     "  path: 127.0.0.1:" + std::to_string(port) + "\n  registry: grpc\n"));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(dir.File("plugin.log"));
  ExpectAllTypes(db);
}

// Arrow types the JS SDK emits that Ferry has no type of its own for
// (large_utf8, large_binary, date64, timestamp s/ms/ns without a zone,
// float16). Either they are widened losslessly, or the sync fails with an
// error that names the column's type; never a crash or silently wrong data.
TEST(CqJsInterop, JsSourceExtraArrowTypesAreConvertedOrClearlyRefused) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string db = dir.File("extra.sqlite");
  dir.Write("spec.yml", JsSourceSpec(db, "[\"js_extra_types\"]", LocalSource()));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_LT(r.exit_code, 128) << "crashed: " << r.out << r.err;
  if (r.exit_code != 0) {
    const std::string all = r.out + r.err;
    const bool named = all.find("large") != std::string::npos || all.find("Large") != std::string::npos ||
                       all.find("date64") != std::string::npos || all.find("Date64") != std::string::npos ||
                       all.find("float16") != std::string::npos || all.find("Float16") != std::string::npos ||
                       all.find("unit") != std::string::npos;
    EXPECT_TRUE(named) << "refused without naming the type: " << all;
    RecordProperty("extra_types", "refused");
    return;
  }
  RecordProperty("extra_types", "converted");
  const std::string t = "js_extra_types";
  ASSERT_EQ(SqliteCount(db, t), 2);
  EXPECT_EQ(Where(db, t, "quote(c_large_utf8)", 1), "'large \xE2\x9C\x93'");
  EXPECT_EQ(Where(db, t, "quote(c_large_binary)", 1), "X'010203'");
  EXPECT_EQ(Where(db, t, "c_date64", 1).substr(0, 10), "2024-02-29");
  EXPECT_EQ(Where(db, t, "quote(c_ts_s)", 1), "'2024-01-02 03:04:05.000000'");
  EXPECT_EQ(Where(db, t, "quote(c_ts_ms)", 1), "'2024-01-02 03:04:05.678000'");
  // The SDK computes nanoseconds from a JS Date through a double: ...678000128 ns.
  EXPECT_EQ(Where(db, t, "quote(c_ts_ns)", 1), "'2024-01-02 03:04:05.678000'");
  EXPECT_EQ(Where(db, t, "c_float16 = 0.5", 1), "1");
  EXPECT_EQ(Where(db, t,
                  "c_large_utf8 IS NULL AND c_large_binary IS NULL AND c_date64 IS NULL AND c_ts_s IS NULL AND "
                  "c_ts_ms IS NULL AND c_ts_ns IS NULL AND c_float16 IS NULL",
                  2),
            "1");
}

// The JS SDK only logs a failing table resolver (an "error" JSON log line on
// the plugin's stdout); the Sync stream carries no error message and ends OK.
// Ferry folds the plugin's log lines into its log and summary, so the failure
// must show and the sync must not exit 0 (README: a table error is never 0).
TEST(CqJsInterop, JsSourceTableErrorOnlyLoggedBySdkStillFailsTheSync) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string db = dir.File("fail.sqlite");
  dir.Write("spec.yml", JsSourceSpec(db, "[\"js_all_types\", \"js_extra_types\"]", LocalSource(),
                                     "    fail_table: js_all_types\n"));
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("fail_table: js_all_types fails on purpose"), std::string::npos) << r.out << r.err;
  // The other table is unaffected.
  EXPECT_EQ(SqliteCount(db, "js_extra_types"), 2);
}

// CloudQuery's CLI (and Ferry) start a local plugin with `--network unix`,
// which the JS SDK 0.1.25 rejects ("Invalid values: Argument: network, Given:
// "unix", Choices: "tcp""; exit 1). cq-source-js rewrites the flag unless
// FERRY_CQ_JS_NO_UNIX_REWRITE=1. Without the rewrite Ferry must either get the
// plugin running anyway (e.g. falling back to TCP) or fail fast with an error
// that says why; never hang.
TEST(CqJsInterop, JsSdkRejectingUnixNetworkIsHandled) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string db = dir.File("unix.sqlite");
  dir.Write("spec.yml", JsSourceSpec(db, "[\"js_all_types\"]", LocalSource()));
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path(), {"FERRY_CQ_JS_NO_UNIX_REWRITE=1"});
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
  EXPECT_LT(secs.count(), 60) << "took too long";
  if (r.exit_code == 0) {
    RecordProperty("unix_network", "fallback");
    ExpectAllTypes(db);
    return;
  }
  RecordProperty("unix_network", "error");
  EXPECT_LT(r.exit_code, 128) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_TRUE(all.find("cq-source-js") != std::string::npos || all.find("js") != std::string::npos) << all;
  EXPECT_TRUE(all.find("network") != std::string::npos || all.find("unix") != std::string::npos) << all;
}

// --- JS gRPC client -> ferry plugin serve destination sqlite ----------------

void ExpectClientRows(const std::string& db) {
  // Rows 1 and 2 rewritten at T2; row 3 (T1 only) removed by delete_stale.
  ASSERT_EQ(SqliteCount(db, "js_client_rows"), 2);
  EXPECT_EQ(SqliteColumns(db, "js_client_rows"),
            (std::vector<std::string>{"_cq_sync_time", "_cq_source_name", "_cq_id", "_cq_parent_id", "id", "name",
                                      "score", "active", "small", "data", "tags"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(name) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"'alpha v2'", "'beta \xE2\x9C\x93 v2'"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(_cq_sync_time) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"'2024-01-02 03:05:05.000000'", "'2024-01-02 03:05:05.000000'"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(_cq_source_name) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"'js-client'", "'js-client'"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(_cq_id) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"'11111111-1111-4111-8111-111111111111'",
                                      "'22222222-2222-4222-8222-222222222222'"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(score) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"1.5", "NULL"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(active) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"1", "0"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(small) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"-7", "32767"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(data) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"'{\"k\":\"v\"}'", "'[1,2]'"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(tags) FROM js_client_rows ORDER BY id"),
            (std::vector<std::string>{"'[\"a\",\"b\"]'", "'[]'"}));
}

TEST(CqJsInterop, ServedSqliteDestinationDrivenByJsClientOverTcp) {
  REQUIRE_PEERS();
  TempDir dir;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Child ferry(StartFerry({"plugin", "serve", "destination", "sqlite", "--network", "tcp", "--address", address},
                         dir.path()));
  ASSERT_TRUE(WaitReady(ferry, [&] { return CanConnectTcp(port); }))
      << "ferry plugin serve did not listen on " << address << " (exit " << ferry.code() << ")";

  const std::string db = dir.File("served.sqlite");
  int rc = 0;
  std::string raw;
  const json out = RunClient("dest-sqlite " + address + " " + Quote(db), &rc, &raw);
  ASSERT_EQ(rc, 0) << raw;
  EXPECT_EQ(out.value("ok", false), true) << raw;
  EXPECT_EQ(out.value("name", ""), "sqlite") << raw;
  EXPECT_FALSE(out.value("version", "").empty()) << raw;
  ExpectClientRows(db);

  // CloudQuery stops a plugin with SIGINT (then kills it after 5 s).
  const int code = ferry.Stop(SIGINT, std::chrono::seconds(5));
  EXPECT_NE(code, -1) << "ferry plugin serve ignored SIGINT for 5 s";
}

TEST(CqJsInterop, ServedSqliteDestinationDrivenByJsClientOverUnixSocket) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string sock = dir.File("ferry.sock");
  Child ferry(StartFerry({"plugin", "serve", "destination", "sqlite", "--network", "unix", "--address", sock,
                          "--log-format", "json"},
                         dir.path()));
  ASSERT_TRUE(WaitReady(ferry, [&] { return CanConnectUnix(sock); }))
      << "ferry plugin serve did not listen on " << sock << " (exit " << ferry.code() << ")";
  const std::string db = dir.File("served_unix.sqlite");
  int rc = 0;
  std::string raw;
  const json out = RunClient("dest-sqlite " + Quote("unix:" + sock) + " " + Quote(db), &rc, &raw);
  ASSERT_EQ(rc, 0) << raw;
  EXPECT_EQ(out.value("ok", false), true) << raw;
  ExpectClientRows(db);
  EXPECT_NE(ferry.Stop(SIGTERM, std::chrono::seconds(5)), -1) << "ferry plugin serve ignored SIGTERM for 5 s";
}

// The served destination reports a bad spec as an Init error the client sees.
TEST(CqJsInterop, ServedSqliteDestinationRejectsBadSpecInInit) {
  REQUIRE_PEERS();
  TempDir dir;
  const int port = FreePort();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Child ferry(StartFerry({"plugin", "serve", "destination", "sqlite", "--address", address}, dir.path()));
  ASSERT_TRUE(WaitReady(ferry, [&] { return CanConnectTcp(port); })) << "exit " << ferry.code();
  // dest-jsonl sends {"path": ...}: an unknown key for sqlite.
  int rc = 0;
  std::string raw;
  const json out = RunClient("dest-jsonl " + address + " " + Quote(dir.File("x")), &rc, &raw);
  EXPECT_EQ(rc, 1) << raw;
  EXPECT_EQ(out.value("rpc", ""), "Init") << raw;
  EXPECT_NE(out.value("error", "").find("path"), std::string::npos) << raw;
}

// --- Ferry's test source -> JS destination ----------------------------------

TEST(CqJsInterop, FerrySyncsTestSourceIntoJsDestination) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string out_file = dir.File("dest.jsonl");
  dir.Write("spec.yml", "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  registry: cloudquery\n"
                        "  version: v4.2.0\n  tables: [\"test_some_table\", \"test_testdata_table\"]\n"
                        "  skip_dependent_tables: false\n  destinations: [js]\n  spec:\n    num_rows: 3\n    num_sub_rows: 2\n"
                        "---\nkind: destination\nspec:\n  name: js\n  path: " +
                            (kCq / "cq-destination-js").string() +
                            "\n  registry: local\n  spec:\n    path: " + out_file + "\n");
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<json> lines = ReadJsonLines(out_file);
  ASSERT_FALSE(lines.empty());

  std::map<std::string, json> migrated;
  std::map<std::string, int64_t> rows;
  std::map<std::string, std::string> delete_stale_time;
  std::set<std::string> sync_times;
  bool closed = false;
  for (const json& l : lines) {
    const std::string kind = l["kind"];
    const std::string table = l.value("table", "");
    if (kind == "migrate_table") {
      migrated[table] = l;
    } else if (kind == "insert") {
      EXPECT_TRUE(migrated.count(table)) << "insert before migrate_table for " << table;
      rows[table] += static_cast<int64_t>(l["rows"].size());
      for (const json& row : l["rows"]) {
        sync_times.insert(row.value("_cq_sync_time", ""));
        EXPECT_EQ(row.value("_cq_source_name", ""), "test");
        EXPECT_EQ(row.value("_cq_id", "").size(), 32u) << row.dump();
      }
    } else if (kind == "delete_stale") {
      EXPECT_EQ(l.value("source_name", ""), "test");
      delete_stale_time[table] = l.value("sync_time_micros", "");
    } else if (kind == "close") {
      closed = true;
    }
  }
  EXPECT_TRUE(closed) << "Close was not called";
  EXPECT_EQ(rows["test_some_table"], 3);
  EXPECT_EQ(rows["test_sub_table"], 6);
  EXPECT_EQ(rows["test_testdata_table"], 1);
  ASSERT_EQ(sync_times.size(), 1u);
  for (const char* t : {"test_some_table", "test_sub_table", "test_testdata_table"}) {
    SCOPED_TRACE(t);
    ASSERT_TRUE(migrated.count(t));
    const json& m = migrated[t];
    EXPECT_EQ(m["metadata"].value("cq:table_name", ""), t);
    const json& cols = m["columns"];
    ASSERT_GE(cols.size(), 4u);
    EXPECT_EQ(cols[0]["name"], "_cq_sync_time");
    EXPECT_EQ(cols[0]["type"], "Timestamp<MICROSECOND, UTC>");
    EXPECT_EQ(cols[1]["name"], "_cq_source_name");
    EXPECT_EQ(cols[1]["type"], "Utf8");
    EXPECT_EQ(cols[2]["name"], "_cq_id");
    EXPECT_EQ(cols[2]["type"], "FixedSizeBinary[16]");
    EXPECT_EQ(cols[2]["extension"], "uuid");
    EXPECT_EQ(cols[3]["name"], "_cq_parent_id");
    // overwrite-delete-stale (the default): one delete_stale per table, at the sync time.
    EXPECT_EQ(delete_stale_time[t], *sync_times.begin());
  }
  EXPECT_EQ(migrated["test_sub_table"]["metadata"].value("cq:table_depends_on", ""), "test_some_table");
  // test_some_table's key is (resource_id, client_id).
  int pks = 0;
  for (const json& c : migrated["test_some_table"]["columns"]) pks += c.value("primary_key", false) ? 1 : 0;
  EXPECT_EQ(pks, 2);
}

// The JS SDK's gRPC server refuses messages over 4 MiB (quirk 6): ~9 MB of
// wide rows in one engine batch must arrive whole, in several inserts.
TEST(CqJsInterop, BigBatchesReachJsDestinationUnderItsMessageLimit) {
  REQUIRE_PEERS();
  TempDir dir;
  const std::string out_file = dir.File("dest.jsonl");
  dir.Write("spec.yml", "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  registry: cloudquery\n"
                        "  version: v4.2.0\n  tables: [\"test_wide_table\"]\n  destinations: [js]\n"
                        "  spec:\n    wide_rows: 9000\n---\nkind: destination\nspec:\n  name: js\n  path: " +
                            (kCq / "cq-destination-js").string() + "\n  registry: local\n  spec:\n    path: " +
                            out_file + "\n");
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err.substr(0, 4000);
  int64_t rows = 0, inserts = 0;
  std::set<std::string> ids;
  for (const json& l : ReadJsonLines(out_file)) {
    if (l["kind"] != "insert") continue;
    ++inserts;
    rows += static_cast<int64_t>(l["rows"].size());
    for (const json& row : l["rows"]) ids.insert(row["id"].dump());
  }
  EXPECT_EQ(rows, 9000);
  EXPECT_EQ(ids.size(), 9000u);
  EXPECT_GE(inserts, 3) << "9 MB cannot fit in fewer than three 4 MiB messages";
}

// A destination plugin that dies (SIGKILL) or stops answering in the middle
// of a Write: a clear error naming the plugin, never a hang.
TEST(CqJsInterop, CrashedOrHungJsDestinationIsAClearError) {
  REQUIRE_PEERS();
  for (const std::string mode : {"crash_on_insert", "hang_on_insert"}) {
    SCOPED_TRACE(mode);
    TempDir dir;
    dir.Write("spec.yml", "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  registry: cloudquery\n"
                          "  version: v4.2.0\n  tables: [\"test_some_table\"]\n  destinations: [js]\n"
                          "---\nkind: destination\nspec:\n  name: js\n  path: " +
                              (kCq / "cq-destination-js").string() + "\n  registry: local\n  spec:\n    path: " +
                              dir.File("dest.jsonl") + "\n    " + mode + ": true\n");
    const auto start = std::chrono::steady_clock::now();
    CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path(), {"FERRY_PLUGIN_TIMEOUT=3s"});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("destination \"js\" (plugin"), std::string::npos) << all;
    if (mode == "crash_on_insert") EXPECT_NE(all.find("killed by signal 9"), std::string::npos) << all;
    else EXPECT_NE(all.find("no progress for 3 s"), std::string::npos) << all;
  }
}

// A destination that fails a Write: the sync reports it and exits 1.
TEST(CqJsInterop, JsDestinationWriteErrorFailsTheSync) {
  REQUIRE_PEERS();
  TempDir dir;
  dir.Write("spec.yml", "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  registry: cloudquery\n"
                        "  version: v4.2.0\n  tables: [\"test_some_table\"]\n  destinations: [js]\n"
                        "---\nkind: destination\nspec:\n  name: js\n  path: " +
                            (kCq / "cq-destination-js").string() + "\n  registry: local\n  spec:\n    path: " +
                            dir.File("dest.jsonl") + "\n    fail_on_insert: true\n");
  CommandResult r = RunFerry({"sync", "spec.yml", "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("fail_on_insert: insert refused on purpose"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace ferry::testing
