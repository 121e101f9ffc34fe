// Interop with CloudQuery's Python plugin SDK (cloudquery-plugin-sdk from PyPI,
// pinned in tests/peers/python/requirements.txt) through the MemDB plugin that
// ships inside it, served by tests/peers/python/memdb_plugin.py:
//  - MemDB as a SOURCE (`registry: grpc`, and `registry: local`, which needs
//    Ferry's TCP fallback) synced into Ferry's sqlite destination: the tables,
//    columns, types, keys and rows MemDB declares; the same tables as
//    CloudQuery's own CLI makes of it;
//  - MemDB as a DESTINATION of Ferry's `test` source: every type arrives as
//    pyarrow decodes it, read back with the protocol's Read call by a client
//    on CloudQuery's own protocol package (read_memdb.py); the write modes
//    MemDB has (append; overwrite without upserts) and those it refuses
//    (delete-stale, delete-record) as clear errors; MemDB as the state backend
//    of an incremental source; Ferry's message splitting under the Python
//    server's 4 MiB limit.
// MemDB's limitations these tests pin down are MemDB's, not Ferry's:
// tests/peers/python/README.md.
//
// Needs tests/peers/python/.venv (scripts/install-test-peers.sh); the
// comparison with CloudQuery's CLI also needs tests/peers/go/bin/cloudquery.
// Without them the tests skip, unless FERRY_REQUIRE_PEERS=1, when they fail.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
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

const fs::path kPy = fs::path(FERRY_SOURCE_DIR) / "tests" / "peers" / "python";
const fs::path kMemDb = kPy / "cq-memdb";
const fs::path kCqCli = fs::path(FERRY_SOURCE_DIR) / "tests" / "peers" / "go" / "bin" / "cloudquery";

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

// MemDB served by `cq-memdb serve --address 127.0.0.1:<free port>`, as
// CloudQuery's docs serve a plugin for `registry: grpc`; killed at scope exit.
// `keep_on_close`: FERRY_MEMDB_KEEP_ON_CLOSE=1 (memdb_plugin.py), so rows a
// sync wrote can be read back after the sync closed the plugin.
class MemDb : public ServedSdkPlugin {
 public:
  MemDb(const TempDir& dir, bool keep_on_close)
      : ServedSdkPlugin(dir.path(), kMemDb.string(),
                        {keep_on_close ? "FERRY_MEMDB_KEEP_ON_CLOSE=1" : "FERRY_MEMDB_KEEP_ON_CLOSE="}, "memdb") {}
};

#define START_MEMDB(var, dir, keep) \
  MemDb var(dir, keep);             \
  ASSERT_TRUE(var.ok()) << "MemDB did not serve on " << var.address() << ": " << var.Log()

// The tables' contents as read_memdb.py prints them (one JSON object per
// table: schema as pyarrow decoded it, rows), read with the Read call.
std::map<std::string, json> ReadBack(const MemDb& db, const std::vector<std::string>& tables, bool summary = false) {
  std::string cmd = Quote(PythonPeer().string()) + " " + Quote((kPy / "read_memdb.py").string()) +
                    (summary ? " --summary " : " ") + db.address();
  for (const auto& t : tables) cmd += " " + t;
  std::string out;
  const int rc = RunShell("timeout 120 " + cmd + " 2>&1", &out);
  std::map<std::string, json> result;
  EXPECT_EQ(rc, 0) << out;
  if (rc != 0) return result;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) {
      json j = json::parse(line);
      result[j["table"].get<std::string>()] = j;
    }
  return result;
}

// --- MemDB as a source -------------------------------------------------------

std::string MemDbSourceSpec(const std::string& registry_and_path, const std::string& tables, const std::string& db) {
  return "kind: source\nspec:\n  name: memdb\n" + registry_and_path + "  version: v1.0.0\n  tables: " + tables +
         "\n  destinations: [sqlite]\n---\nkind: destination\nspec:\n  name: sqlite\n  path: cloudquery/sqlite\n"
         "  registry: cloudquery\n  version: v2.0.0\n  spec:\n    connection_string: " + db + "\n";
}

std::string Grpc(const MemDb& db) { return "  registry: grpc\n  path: " + db.address() + "\n"; }
std::string Local() { return "  registry: local\n  path: " + kMemDb.string() + "\n"; }

std::vector<std::string> Columns(const std::string& db, const std::string& table) {
  return SqliteQuery(db, "SELECT name || ' ' || type || ' pk=' || pk || ' notnull=' || \"notnull\" FROM "
                         "pragma_table_info('" + table + "') ORDER BY cid");
}

// MemDB's three tables (cloudquery/sdk/internal/memdb/memdb.py in the pinned
// SDK) as Ferry's sqlite destination stores them.
void ExpectMemDbTables(const std::string& db) {
  EXPECT_EQ(SqliteQuery(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                            "ORDER BY name"),
            (std::vector<std::string>{"table_1", "table_1_relation_1", "table_2"}));
  // Ferry adds _cq_sync_time and _cq_source_name; MemDB's tables have no _cq_id.
  EXPECT_EQ(Columns(db, "table_1"),
            (std::vector<std::string>{"_cq_sync_time TIMESTAMP pk=0 notnull=0", "_cq_source_name TEXT pk=0 notnull=0",
                                      "name TEXT pk=1 notnull=1", "id INTEGER pk=2 notnull=1"}));
  EXPECT_EQ(Columns(db, "table_2"),
            (std::vector<std::string>{"_cq_sync_time TIMESTAMP pk=0 notnull=0", "_cq_source_name TEXT pk=0 notnull=0",
                                      "name TEXT pk=1 notnull=1", "id INTEGER pk=0 notnull=0"}));
  EXPECT_EQ(Columns(db, "table_1_relation_1"),
            (std::vector<std::string>{"_cq_sync_time TIMESTAMP pk=0 notnull=0", "_cq_source_name TEXT pk=0 notnull=0",
                                      "name TEXT pk=1 notnull=1", "data TEXT pk=0 notnull=0"}));
  for (const char* t : {"table_1", "table_2"})
    EXPECT_EQ(SqliteQuery(db, std::string("SELECT quote(name) || ':' || quote(id) FROM ") + t + " ORDER BY name"),
              (std::vector<std::string>{"'a':1", "'b':2", "'c':3"}))
        << t;
  // The SDK's JSON scalar writes json.dumps() of the dict: with a space.
  EXPECT_EQ(SqliteQuery(db, "SELECT quote(name) || ':' || quote(data) FROM table_1_relation_1 ORDER BY name"),
            (std::vector<std::string>{"'a':'{\"a\": 1}'", "'b':'{\"b\": 2}'", "'c':'{\"c\": 3}'"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT DISTINCT _cq_source_name FROM table_1 UNION SELECT _cq_source_name FROM table_2 "
                            "UNION SELECT _cq_source_name FROM table_1_relation_1"),
            std::vector<std::string>{"memdb"});
  EXPECT_EQ(SqliteQuery(db, "SELECT count(DISTINCT t) FROM (SELECT _cq_sync_time t FROM table_1 UNION ALL SELECT "
                            "_cq_sync_time FROM table_2 UNION ALL SELECT _cq_sync_time FROM table_1_relation_1)"),
            std::vector<std::string>{"1"});
}

// MemDB's GetTables as Ferry reads it (`ferry tables`): every table, column,
// type, key and flag MemDB declares.
void ExpectMemDbDeclarations(const json& tables) {
  ASSERT_TRUE(tables.is_array()) << tables.dump();
  ASSERT_EQ(tables.size(), 2u) << tables.dump();
  auto col = [](const json& c) {
    return c.value("name", "") + " " + c.value("type", "") + (c.value("is_primary_key", false) ? " pk" : "") +
           (c.value("not_null", false) ? " notnull" : "") + (c.value("unique", false) ? " unique" : "") +
           (c.value("is_incremental_key", false) ? " incremental" : "");
  };
  auto cols = [&](const json& t) {
    std::vector<std::string> out;
    for (const json& c : t["columns"]) out.push_back(col(c));
    return out;
  };
  const json& t1 = tables[0];
  EXPECT_EQ(t1.value("name", ""), "table_1");
  EXPECT_EQ(t1.value("title", ""), "Table 1");
  EXPECT_EQ(t1.value("description", ""), "Test Table 1");
  EXPECT_EQ(t1.value("is_incremental", false), true);
  EXPECT_EQ(t1.value("parent", "?"), "");
  EXPECT_EQ(cols(t1), (std::vector<std::string>{"name utf8 pk notnull unique", "id int64 pk notnull unique incremental"}));
  ASSERT_EQ(t1["relations"].size(), 1u);
  const json& rel = t1["relations"][0];
  EXPECT_EQ(rel.value("name", ""), "table_1_relation_1");
  EXPECT_EQ(rel.value("parent", ""), "table_1");
  EXPECT_EQ(rel.value("title", ""), "Table 1 Relation 1");
  EXPECT_EQ(cols(rel), (std::vector<std::string>{"name utf8 pk notnull unique", "data json"}));
  const json& t2 = tables[1];
  EXPECT_EQ(t2.value("name", ""), "table_2");
  EXPECT_EQ(t2.value("is_incremental", false), false);  // the key is left out when false
  EXPECT_EQ(cols(t2), (std::vector<std::string>{"name utf8 pk notnull unique", "id int64"}));
}

json FerryTablesJson(const TempDir& dir, const std::string& spec, const std::string& plugin) {
  CommandResult r = RunFerry({"tables", spec, "--format", "json", "--output-dir", "docs"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string path = dir.File("docs/" + plugin + "/__tables.json");
  if (!fs::exists(path)) return json();
  return json::parse(ReadFile(path));
}

TEST(CloudQueryPython, MemDbSourceOverGrpcSyncsEveryTableIntoSqlite) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, false);
  const std::string db = dir.File("memdb.sqlite");
  const std::string spec = dir.Write("spec.yml", MemDbSourceSpec(Grpc(memdb), "[\"*\"]", db));
  ExpectMemDbDeclarations(FerryTablesJson(dir, spec, "memdb"));

  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  EXPECT_EQ(SummaryRows(r.out, "table_1"), 3) << r.out;
  EXPECT_EQ(SummaryRows(r.out, "table_2"), 3) << r.out;
  // MemDB's relation resolver ignores its parent: all 3 rows for each of the
  // 3 parents. Their primary key is `name` alone, so 3 rows remain.
  EXPECT_EQ(SummaryRows(r.out, "table_1_relation_1"), 9) << r.out;
  ExpectMemDbTables(db);

  // A second sync (overwrite-delete-stale) changes nothing but the sync time.
  r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  ExpectMemDbTables(db);
}

// `registry: local`: Ferry starts it as CloudQuery does (`serve --network unix
// --address <socket>`). The SDK hands the bare path to gRPC, which cannot bind
// it (CloudQuery's own CLI fails there); Ferry starts it again on TCP, and
// folds its structlog JSON lines (`event`, not `message`) into its log.
TEST(CloudQueryPython, MemDbSourceAsLocalPluginIsStartedAgainOnTcp) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  const std::string db = dir.File("local.sqlite");
  const std::string spec = dir.Write("spec.yml", MemDbSourceSpec(Local(), "[\"*\"]", db));
  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectMemDbTables(db);
  EXPECT_NE(r.err.find("could not serve on a unix socket (--network unix); starting it on 127.0.0.1 over TCP"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(plugin): Starting server address=127.0.0.1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(plugin): table resolver finished successfully client_id=memdb"), std::string::npos)
      << r.err;
}

// MemDB ignores skip_dependent_tables (its get_tables never passes it on): a
// parent selected alone still brings the relation's rows. Ferry keeps to the
// spec's selection and says what it skipped.
TEST(CloudQueryPython, RelationRowsMemDbSendsUnaskedAreSkippedWithAWarning) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, false);
  const std::string db = dir.File("t1.sqlite");
  const std::string spec = dir.Write("spec.yml", MemDbSourceSpec(Grpc(memdb), "[\"table_1\"]", db));
  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SqliteQuery(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
            std::vector<std::string>{"table_1"});
  EXPECT_EQ(SqliteCount(db, "table_1"), 3);
  EXPECT_NE(r.out.find("sent rows of table table_1_relation_1, which the spec does not select; skipped"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Warnings: 1"), std::string::npos) << r.out;
}

// CloudQuery's own CLI syncing MemDB (registry: grpc) into Ferry's sqlite
// destination (registry: local) makes the tables, columns and rows Ferry's
// own sync of MemDB makes.
TEST(CloudQueryPython, CloudQueryCliAndFerryMakeTheSameTablesOfMemDb) {
  FERRY_REQUIRE_PYTHON_PEERS();
  FERRY_REQUIRE_PEER(fs::exists(kCqCli) ? "" : kCqCli.string() + " is missing: run scripts/install-test-peers.sh");
  TempDir dir;
  START_MEMDB(memdb, dir, false);
  fs::create_symlink(FERRY_BINARY, dir.File("ferry-destination-sqlite"));
  dir.Write("cq.yml", "kind: source\nspec:\n  name: memdb\n" + Grpc(memdb) +
                          "  version: v1.0.0\n  tables: [\"*\"]\n  destinations: [sqlite]\n---\n"
                          "kind: destination\nspec:\n  name: sqlite\n  registry: local\n"
                          "  path: ./ferry-destination-sqlite\n  version: v1.0.0\n  spec:\n"
                          "    connection_string: ./cq.sqlite\n");
  std::string out;
  const int rc = RunShell("cd " + Quote(dir.path()) + " && CQ_TELEMETRY_LEVEL=none timeout 300 " +
                              Quote(kCqCli.string()) + " sync cq.yml --log-console --no-log-file 2>&1",
                          &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"resources_per_table\":{\"table_1\":3,\"table_1_relation_1\":9,\"table_2\":3}"),
            std::string::npos)
      << out;
  const std::string cq = dir.File("cq.sqlite");
  ExpectMemDbTables(cq);

  const std::string ferry_db = dir.File("ferry.sqlite");
  CommandResult r =
      RunFerry({"sync", dir.Write("ferry.yml", MemDbSourceSpec(Grpc(memdb), "[\"*\"]", ferry_db)), "--no-progress"},
               dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* t : {"table_1", "table_2", "table_1_relation_1"}) {
    EXPECT_EQ(Columns(cq, t), Columns(ferry_db, t)) << t;
    const std::string rows = std::string("SELECT quote(_cq_source_name) || quote(name) || quote(") +
                             (std::string(t) == "table_1_relation_1" ? "data" : "id") + ") FROM " + t + " ORDER BY name";
    EXPECT_EQ(SqliteQuery(cq, rows), SqliteQuery(ferry_db, rows)) << t;
  }
}

// --- MemDB as a destination --------------------------------------------------

std::string TestSourceToMemDb(const MemDb& memdb, const std::string& tables, const std::string& write_mode,
                              const std::string& source_spec, const std::string& extra = "") {
  return "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  registry: cloudquery\n  version: v4.2.0\n"
         "  tables: " + tables + "\n  skip_dependent_tables: false\n  destinations: [memdb]\n" + extra +
         "  spec: " + source_spec + "\n---\nkind: destination\nspec:\n  name: memdb\n" + Grpc(memdb) +
         "  version: v1.0.0\n  write_mode: " + write_mode + "\n";
}

// The pyarrow type of a column Ferry declares with type `t` (`ferry tables`),
// as read_memdb.py names it: the SDK registers only uuid and json as
// extension types; inet and mac stay binary with their extension metadata.
std::string PyArrowType(std::string t) {
  if (t == "uuid") return "extension<uuid>[fixed_size_binary[16]]";
  if (t == "json") return "extension<json>[binary]";
  if (t == "inet" || t == "mac") return "binary";
  t = std::regex_replace(t, std::regex(", nullable>"), ">");
  // Type names, not field names: a type stands first or after ": ". Nested
  // extension types print as pyarrow's str() of their class.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"utf8", "string"}, {"float32", "float"}, {"float64", "double"}, {"date32", "date32[day]"},
           {"uuid", "extension<uuid<UUIDType>>"}, {"json", "extension<json<JSONType>>"}, {"inet", "binary"},
           {"mac", "binary"}})
    t = std::regex_replace(t, std::regex("(^|: )" + from + "(?=[,>]|$)"), "$1" + to);
  t = std::regex_replace(t, std::regex("(^|: )decimal\\("), "$1decimal128(");
  return t;
}

// The types and values of test_testdata_table (plugins/source/test/README.md)
// as pyarrow decoded what Ferry wrote into MemDB.
void ExpectTestdataTable(const json& t, const json& declared) {
  ASSERT_TRUE(t.is_object()) << t.dump();
  ASSERT_EQ(t.value("row_count", -1), 1) << t.dump();
  EXPECT_EQ(t["schema_metadata"].value("cq:table_name", ""), "test_testdata_table");
  EXPECT_EQ(t["schema_metadata"].value("cq:table_description", ""), "Testdata table");
  // Every column the test source declares, in order, after Ferry's two.
  std::vector<std::string> want = {"_cq_sync_time timestamp[us, tz=UTC]", "_cq_source_name string"};
  for (const json& c : declared["columns"]) want.push_back(c.value("name", "") + " " + PyArrowType(c.value("type", "")));
  std::vector<std::string> got;
  std::map<std::string, json> field;
  for (const json& f : t["schema"]) {
    got.push_back(f.value("name", "") + " " + f.value("type", ""));
    field[f.value("name", "")] = f;
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "column " << i;
  for (const char* ext : {"inet", "mac"}) {
    EXPECT_EQ(field[ext]["metadata"].value("ARROW:extension:name", ""), ext);
    EXPECT_EQ(field[ext]["metadata"].value("ARROW:extension:metadata", ""), std::string(ext) + "-serialized");
  }
  EXPECT_FALSE(field["_cq_id"].value("nullable", true));

  const json& row = t["rows"][0];
  const json want_values = {
      {"int8", -8}, {"int16", -1600}, {"int32", -320000}, {"int64", -6400000000LL},
      {"uint8", 8}, {"uint16", 1600}, {"uint32", 3200000}, {"uint64", 6400000000LL},
      {"float32", 1.5}, {"float64", 3.25},
      {"binary", "000102ff"}, {"string", "hello, w\xC3\xB6rld"}, {"boolean", true},
      {"uuid", "123e4567e89b42d3a456426614174000"},
      {"inet", Hex("192.0.2.0/24")}, {"mac", "02005e100001"},
      {"json", Hex("{\"key\":\"value\",\"list\":[1,2],\"n\":1}")},
      {"date32", "2024-01-02"}, {"date64", "2024-01-03"}, {"timestamp_us", "2024-01-02T03:04:05.123456+00:00"},
      {"timestamp_ns", "2024-01-02T03:04:05.654321+00:00"},
      {"duration_s", "90061000000us"}, {"duration_ms", "1500000us"}, {"duration_us", "-7us"},
      {"interval_month_day_nano", {1, 2, 3}}, {"large_binary", "cafe"}, {"large_string", "large \xE2\x9C\x93"},
      {"time32_s", "03:04:05"}, {"time32_ms", "03:04:05.123000"}, {"time64_us", "03:04:05.123456"},
      {"decimal128", "12345.6789000000"},
      {"int64_list", {1, 2, 3}}, {"string_list", {"a", "b", "c"}}, {"time32_s_list", {"03:04:05", nullptr}},
      {"client_id", 1}, {"_cq_source_name", "test"}, {"_cq_parent_id", nullptr}};
  for (const auto& [k, v] : want_values.items())
    EXPECT_EQ(row.contains(k) ? row[k] : json("<missing>"), v) << k << " in " << row.dump();
  EXPECT_EQ(row.value("_cq_id", "").size(), 32u) << row.dump();
  // pyarrow has no Python values for month and day-time intervals (also
  // inside the struct): the reader names the columns it left out.
  EXPECT_EQ(t["unreadable"], json({"interval_month", "interval_day_time", "struct", "interval_month_list",
                                   "interval_day_time_list", "struct_list"}));
}

TEST(CloudQueryPython, MemDbDestinationGetsEveryTypeOfTheTestSource) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, true);
  const std::string spec = dir.Write(
      "spec.yml", TestSourceToMemDb(memdb, "[\"test_some_table\", \"test_testdata_table\"]", "append",
                                    "{num_rows: 3, num_sub_rows: 2}"));
  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  json declared;
  for (const json& t : FerryTablesJson(dir, spec, "test"))
    if (t.value("name", "") == "test_testdata_table") declared = t;
  ASSERT_TRUE(declared.is_object()) << "ferry tables lists no test_testdata_table";

  auto got = ReadBack(memdb, {"test_some_table", "test_sub_table", "test_testdata_table"});
  ASSERT_EQ(got.size(), 3u);
  ExpectTestdataTable(got["test_testdata_table"], declared);

  const json& some = got["test_some_table"];
  ASSERT_EQ(some["row_count"], 3) << some.dump();
  std::set<std::string> parent_ids, sync_times;
  std::vector<std::string> values;
  for (const json& row : some["rows"]) {
    parent_ids.insert(row.value("_cq_id", ""));
    sync_times.insert(row.value("_cq_sync_time", ""));
    values.push_back(std::to_string(row["resource_id"].get<int64_t>()) + ":" + row.value("column2", ""));
  }
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<std::string>{"1:test_column_data_0", "2:test_column_data_1", "3:test_column_data_2"}));
  // append: schemas without primary keys, as CloudQuery's CLI sends them.
  for (const json& f : some["schema"]) EXPECT_EQ(f["metadata"].value("cq:extension:primary_key", ""), "false") << f;

  const json& sub = got["test_sub_table"];
  ASSERT_EQ(sub["row_count"], 6) << sub.dump();
  EXPECT_EQ(sub["schema_metadata"].value("cq:table_depends_on", ""), "test_some_table");
  std::map<std::string, int> children;
  for (const json& row : sub["rows"]) {
    ++children[row.value("_cq_parent_id", "")];
    sync_times.insert(row.value("_cq_sync_time", ""));
  }
  EXPECT_EQ(children.size(), 3u);
  for (const auto& [parent, n] : children) {
    EXPECT_TRUE(parent_ids.count(parent)) << parent;
    EXPECT_EQ(n, 2) << parent;
  }
  sync_times.insert(got["test_testdata_table"]["rows"][0].value("_cq_sync_time", ""));
  EXPECT_EQ(sync_times.size(), 1u);
}

// MemDB has no upserts: write_mode overwrite syncs fine (keys are sent, no
// delete is), and a second sync appends the rows again. MemDB's limitation.
TEST(CloudQueryPython, MemDbDestinationOverwriteHasKeysButMemDbAppends) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, true);
  const std::string spec =
      dir.Write("spec.yml", TestSourceToMemDb(memdb, "[\"test_some_table\"]", "overwrite", "{num_rows: 3, num_sub_rows: 0}"));
  for (int i = 0; i < 2; ++i) {
    CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  }
  auto got = ReadBack(memdb, {"test_some_table"});
  const json& t = got["test_some_table"];
  EXPECT_EQ(t["row_count"], 6) << t.dump();
  EXPECT_EQ(t["messages"], 2) << t.dump();
  std::vector<std::string> pks;
  for (const json& f : t["schema"])
    if (f["metadata"].value("cq:extension:primary_key", "") == "true") pks.push_back(f.value("name", ""));
  EXPECT_EQ(pks, (std::vector<std::string>{"resource_id", "client_id"}));
}

// MemDB's write() refuses delete-stale (`Unknown message type`) and the SDK's
// server refuses delete_record (`unknown write message type`): the sync ends
// with that error, naming the destination, exit code 1. The rows sent before
// stay in MemDB.
TEST(CloudQueryPython, MemDbRefusingDeleteStaleAndDeleteRecordFailsTheSync) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  {
    START_MEMDB(memdb, dir, true);
    // overwrite-delete-stale, the default.
    const std::string spec = dir.Write(
        "stale.yml", TestSourceToMemDb(memdb, "[\"test_some_table\"]", "overwrite-delete-stale", "{num_rows: 3, num_sub_rows: 0}"));
    CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("destination \"memdb\" (plugin " + memdb.address() + "): Write"), std::string::npos) << all;
    EXPECT_NE(all.find("Unknown message type <class 'cloudquery.sdk.message.write.WriteDeleteStale'>"),
              std::string::npos)
        << all;
    EXPECT_EQ(ReadBack(memdb, {"test_some_table"}, true)["test_some_table"]["row_count"], 3);
  }
  {
    START_MEMDB(memdb, dir, true);
    const std::string spec = dir.Write(
        "delete.yml", TestSourceToMemDb(memdb, "[\"test_some_table\"]", "append",
                                        "{num_rows: 3, num_sub_rows: 0, delete_records: [1]}"));
    CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("destination \"memdb\" (plugin " + memdb.address() + "): Write"), std::string::npos) << all;
    EXPECT_NE(all.find("unknown write message type delete_record"), std::string::npos) << all;
  }
}

// MemDB as the state backend of Ferry's incremental test source: cursors go
// in as inserts into the state table and come back through MemDB's Read.
// MemDB appends, so a key's older cursors come back too; the newest wins.
TEST(CloudQueryPython, MemDbIsTheStateBackendOfAnIncrementalSource) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, true);
  const std::string backend = "  backend_options:\n    table_name: cq_state_test\n    connection: memdb\n";
  auto spec = [&](int rows) {
    return dir.Write("inc" + std::to_string(rows) + ".yml",
                     TestSourceToMemDb(memdb, "[\"test_incremental_table\"]", "append",
                                       "{num_clients: 2, incremental_rows: " + std::to_string(rows) + "}", backend));
  };
  CommandResult r = RunFerry({"sync", spec(50), "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 100) << r.out;
  r = RunFerry({"sync", spec(50), "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 0) << r.out;
  r = RunFerry({"sync", spec(80), "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), 60) << r.out;

  auto got = ReadBack(memdb, {"cq_state_test", "test_incremental_table"});
  const json& rows = got["test_incremental_table"];
  EXPECT_EQ(rows["row_count"], 160);
  std::set<std::pair<int64_t, int64_t>> keys;
  for (const json& row : rows["rows"]) keys.insert({row["client_id"].get<int64_t>(), row["id"].get<int64_t>()});
  EXPECT_EQ(keys.size(), 160u) << "a row arrived twice";
  std::vector<std::string> state;
  for (const json& row : got["cq_state_test"]["rows"])
    state.push_back(row.value("key", "") + "=" + row.value("value", "") + " v" + std::to_string(row["version"].get<int64_t>()));
  std::sort(state.begin(), state.end());
  EXPECT_EQ(state, (std::vector<std::string>{"test_incremental_table:Client#2=50 v1", "test_incremental_table:Client#2=80 v2",
                                             "test_incremental_table:Client#3=50 v1", "test_incremental_table:Client#3=80 v2"}));
  std::map<std::string, std::string> types;
  for (const json& f : got["cq_state_test"]["schema"]) types[f.value("name", "")] = f.value("type", "");
  EXPECT_EQ(types, (std::map<std::string, std::string>{{"key", "string"}, {"value", "string"}, {"version", "uint64"}}));
}

// MemDB as shipped (no FERRY_MEMDB_KEEP_ON_CLOSE): its close() drops the rows
// and leaves a dict where its list of records was, so every later insert
// fails. Ferry reports that as the destination's error. MemDB's limitation.
TEST(CloudQueryPython, MemDbAsShippedDropsItsRowsAtCloseAndRefusesLaterWrites) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, false);
  const std::string spec =
      dir.Write("spec.yml", TestSourceToMemDb(memdb, "[\"test_some_table\"]", "append", "{num_rows: 3, num_sub_rows: 0}"));
  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  EXPECT_EQ(ReadBack(memdb, {"test_some_table"}, true)["test_some_table"]["row_count"], 0);
  r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("'dict' object has no attribute 'append'"), std::string::npos) << r.out << r.err;
}

// The SDK's gRPC server keeps grpcio's default 4 MiB limit on received
// messages: ~9 MB of wide rows arrive whole, in several inserts.
TEST(CloudQueryPython, BigBatchesReachMemDbUnderItsMessageLimit) {
  FERRY_REQUIRE_PYTHON_PEERS();
  TempDir dir;
  START_MEMDB(memdb, dir, true);
  const std::string spec =
      dir.Write("spec.yml", TestSourceToMemDb(memdb, "[\"test_wide_table\"]", "append", "{wide_rows: 9000}"));
  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err.substr(0, 4000) << memdb.Log().substr(0, 4000);
  const json t = ReadBack(memdb, {"test_wide_table"}, true)["test_wide_table"];
  EXPECT_EQ(t["row_count"], 9000);
  EXPECT_GE(t["messages"].get<int>(), 3) << "9 MB cannot fit in fewer than three 4 MiB messages";
}

}  // namespace
}  // namespace ferry::testing
