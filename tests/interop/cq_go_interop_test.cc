// Interop with CloudQuery's Go plugin SDK (github.com/cloudquery/plugin-sdk/v4,
// pinned in tests/peers/go/versions.env), through plugins made of it and
// served by its own command line (tests/peers/go/sdk-peer):
//  - cq-go-testdata, a source of the SDK's test table (schema.TestTable, the
//    table CloudQuery tests its destinations with) and rows from the SDK's
//    test-data generator: Ferry syncs what it declares and sends intact, row
//    for row the same as CloudQuery's CLI passing the same source to Ferry's
//    destination (times, durations, intervals and decimal128 included, also
//    through MemDB and back); the Arrow types Ferry does not carry (maps)
//    fail the sync with the table and column named, before any data moves;
//  - cq-go-memdb, the SDK's own MemDB plugin, as a destination of Ferry's test
//    source: overwrite (upserts by primary key), delete-stale and append as
//    Ferry asks for them, checked by syncing MemDB back (MemDB as a source);
//    MemDB as the state backend of an incremental sync.
// Needs tests/peers/go/bin (scripts/install-test-peers.sh); without it the
// tests skip, unless FERRY_REQUIRE_PEERS=1, when they fail. CloudQuery's own
// `test` source and Go destinations are modules the proxy here does not serve
// (tests/peers/go/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/bigquery_emulator.h"
#include "testing/cli_runner.h"
#include "testing/peers.h"
#include "testing/plugin_util.h"
#include "testing/test_servers.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kGoBin = fs::path(FERRY_SOURCE_DIR) / "tests" / "peers" / "go" / "bin";
const fs::path kTestdata = kGoBin / "cq-go-testdata";
const fs::path kMemDb = kGoBin / "cq-go-memdb";
const fs::path kCqCli = kGoBin / "cloudquery";

std::string GoPeersMissing() {
  for (const auto& p : {kGoBin / "ferry-go-sdk-peer", kCqCli})
    if (!fs::exists(p)) return p.string() + " is missing: run scripts/install-test-peers.sh";
  return "";
}
#define REQUIRE_GO_PEERS() FERRY_REQUIRE_PEER(GoPeersMissing())

// The groups of schema.TestTable whose Arrow types Ferry does not carry
// (docs/protocol.md, "Types"): maps, which CloudQuery's test source leaves
// out too.
const char* kFerryTypes = "[maps]";

std::string TestdataSource(const std::string& registry_and_path, const std::string& skip, bool null_rows) {
  return "kind: source\nspec:\n  name: gotd\n" + registry_and_path +
         "  version: v1.0.0\n  tables: [\"*\"]\n  destinations: [sqlite]\n"
         "  spec: {num_rows: 40, batch_rows: 7, seed: 3, null_rows: " + (null_rows ? "true" : "false") +
         ", skip: " + skip + "}\n";
}

std::string SqliteDestination(const std::string& registry_and_path, const std::string& db,
                              const std::string& write_mode = "append") {
  return "---\nkind: destination\nspec:\n  name: sqlite\n" + registry_and_path +
         "  version: v1.0.0\n  write_mode: " + write_mode + "\n  spec:\n    connection_string: " + db + "\n";
}

const std::string kBuiltinSqlite = "  path: cloudquery/sqlite\n";
std::string Local(const fs::path& p) { return "  registry: local\n  path: " + p.string() + "\n"; }
std::string Grpc(const ServedSdkPlugin& p) { return "  registry: grpc\n  path: " + p.address() + "\n"; }

CommandResult RunCq(const TempDir& dir, const std::string& spec) {
  CommandResult r;
  r.exit_code = RunShell("cd '" + dir.path() + "' && CQ_TELEMETRY_LEVEL=none timeout 300 '" + kCqCli.string() +
                             "' sync " + spec + " --log-console --no-log-file 2>&1",
                         &r.out);
  return r;
}

std::vector<std::string> TableNames(const std::string& db) {
  return SqliteQuery(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
}

std::vector<std::string> Columns(const std::string& db, const std::string& table) {
  return SqliteQuery(db, "SELECT name || ' ' || type || ' pk=' || pk || ' notnull=' || \"notnull\" FROM "
                         "pragma_table_info('" + table + "') ORDER BY cid");
}

// Every row of `table` without the columns that differ between two syncs by
// design (random ids, sync times, and the source name where a row went
// through MemDB), sorted.
std::vector<std::string> Rows(const std::string& db, const std::string& table, bool with_source_name = true) {
  std::string list;
  for (const auto& c : SqliteQuery(db, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid")) {
    if (c == "_cq_id" || c == "_cq_parent_id" || c == "_cq_sync_time") continue;
    if (c == "_cq_source_name" && !with_source_name) continue;
    list += (list.empty() ? "quote(\"" : " || '|' || quote(\"") + c + "\")";
  }
  auto rows = SqliteQuery(db, "SELECT " + list + " FROM \"" + table + "\"");
  std::sort(rows.begin(), rows.end());
  return rows;
}

// The SDK's test table, sent by a Go SDK plugin, lands in Ferry's sqlite
// destination the same whether Ferry runs the source or CloudQuery's CLI runs
// it and hands the rows to Ferry's destination (arrow-go decoding and
// re-encoding every value on the way). Both with values and with every
// nullable column null.
TEST(CloudQueryGoSdk, TestTableOfTheSdkSyncsAsUnderCloudQuerysCli) {
  REQUIRE_GO_PEERS();
  for (bool null_rows : {false, true}) {
    SCOPED_TRACE(null_rows ? "null rows" : "values");
    TempDir dir;
    fs::create_symlink(FERRY_BINARY, dir.File("ferry-destination-sqlite"));
    const std::string ferry_db = dir.File("ferry.sqlite"), cq_db = dir.File("cq.sqlite");
    CommandResult f = RunFerry({"sync",
                                dir.Write("ferry.yml", TestdataSource(Local(kTestdata), kFerryTypes, null_rows) +
                                                           SqliteDestination(kBuiltinSqlite, ferry_db)),
                                "--no-progress"},
                               dir.path());
    ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
    EXPECT_EQ(SummaryRows(f.out, "test_testdata_table"), 40) << f.out;
    CommandResult c = RunCq(dir, dir.Write("cq.yml", TestdataSource(Local(kTestdata), kFerryTypes, null_rows) +
                                                         SqliteDestination(Local(dir.File("ferry-destination-sqlite")), cq_db)));
    ASSERT_EQ(c.exit_code, 0) << c.out;

    ASSERT_EQ(TableNames(ferry_db), std::vector<std::string>{"test_testdata_table"});
    ASSERT_EQ(TableNames(cq_db), TableNames(ferry_db));
    const auto cols = Columns(ferry_db, "test_testdata_table");
    EXPECT_EQ(Columns(cq_db, "test_testdata_table"), cols);
    // Ferry's two, the SDK's _cq_id and _cq_parent_id, 77 of schema.TestTable
    // (18 primitive and extension, 2 dates, 4 durations, 3 intervals, 2 large,
    // 4 times, 4 timestamps, a decimal, a struct of those 38 and a list of each
    // but json) and client_id.
    EXPECT_EQ(cols.size(), 82u);
    EXPECT_EQ(Rows(cq_db, "test_testdata_table"), Rows(ferry_db, "test_testdata_table"));

    // Independent of the comparison: the generator's ids (it counts on from its
    // seed, 3, so 4..43), and each list
    // as the generator makes it ([value, null, value]) or null.
    EXPECT_EQ(SqliteQuery(ferry_db, "SELECT count(DISTINCT id) || ' ' || min(id) || ' ' || max(id) FROM test_testdata_table"),
              std::vector<std::string>{"40 4 43"});
    const std::string lists = "SELECT count(*) FROM test_testdata_table WHERE int64_list LIKE '[%,null,%]' AND "
                              "timestamp_ns_list LIKE '[\"2024-01-02 03:04:05.000000\",null,%'";
    EXPECT_EQ(SqliteQuery(ferry_db, lists), std::vector<std::string>{null_rows ? "0" : "40"});
    // Times, durations, intervals and decimals in Ferry's text forms, as the
    // generator makes them: the stable time 03:04:05 in every unit, one
    // month, {n days, n ms} and {n months, n days, n ns}, random counts, and
    // decimals with their 10 fraction digits.
    const std::string kept =
        "SELECT count(*) FROM test_testdata_table WHERE time32_s = '03:04:05' AND time32_ms = '03:04:05.000' AND "
        "time64_us = '03:04:05.000000' AND time64_ns = '03:04:05.000000000' AND duration_s GLOB '[0-9]*s' AND "
        "duration_ms GLOB '[0-9]*ms' AND duration_us GLOB '[0-9]*us' AND duration_ns GLOB '[0-9]*ns' AND "
        "interval_month = '1 month' AND interval_day_time GLOB '[0-9]* day* [0-9]*ms' AND "
        "interval_month_day_nano GLOB '[0-9]* month* [0-9]* day* [0-9]*ns' AND "
        "decimal128 GLOB '[0-9]*.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' AND "
        "json_extract(struct, '$.time64_ns') = '03:04:05.000000000' AND duration_ns_list GLOB '[[]\"[0-9]*ns\",null,*'";
    EXPECT_EQ(SqliteQuery(ferry_db, kept), std::vector<std::string>{null_rows ? "0" : "40"});
    EXPECT_EQ(SqliteQuery(ferry_db, "SELECT count(*) FROM test_testdata_table WHERE int8 IS NULL AND "
                                    "struct IS NULL AND large_string IS NULL"),
              std::vector<std::string>{null_rows ? "40" : "0"});
  }
}

// The SDK's test table with maps too (which CloudQuery's test source leaves
// out): maps are an Arrow type Ferry does not carry. GetTables fails the sync
// before any data moves, naming the table, the column and the way out.
TEST(CloudQueryGoSdk, ArrowTypesFerryDoesNotCarryFailTheSyncNamingTableAndColumn) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  const std::string db = dir.File("out.sqlite");
  CommandResult r = RunFerry(
      {"sync", dir.Write("spec.yml", TestdataSource(Local(kTestdata), "[]", false) + SqliteDestination(kBuiltinSqlite, db)),
       "--no-progress"},
      dir.path());
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("GetTables: table 0: arrow ipc: table test_testdata_table: field string_id_map: Arrow type map "
                     "(type id 17) is not supported"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("leave the table out with skip_tables"), std::string::npos) << all;
  EXPECT_TRUE(!fs::exists(db) || TableNames(db).empty()) << "nothing may be written";
}

// PostgreSQL stores the SDK's test table (times as time, decimal128 as
// numeric(19,10), durations and intervals as text) the same whether Ferry
// runs the source or CloudQuery's CLI runs it and hands the rows to Ferry's
// destination served as its plugin: the same column types, the same rows.
TEST(CloudQueryGoSdk, PostgresqlStoresTheSdksTestTableAsUnderCloudQuerysCli) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  fs::create_symlink(FERRY_BINARY, dir.File("ferry-destination-postgresql"));
  auto spec = [&](const std::string& where, const std::string& conn) {
    std::string src = TestdataSource(Local(kTestdata), kFerryTypes, false);
    src.replace(src.find("destinations: [sqlite]"), 22, "destinations: [pg]");
    return src + "---\nkind: destination\nspec:\n  name: pg\n" + where +
           "  version: v1.0.0\n  write_mode: append\n  spec:\n    connection_string: \"" + conn + "\"\n";
  };
  const std::string ferry_db = plugins::postgresql::testing::DatabaseName("go_sdk_pg_ferry");
  const std::string cq_db = plugins::postgresql::testing::DatabaseName("go_sdk_pg_cq");
  {
    auto conn = plugins::postgresql::testing::FreshDatabase("go_sdk_pg_ferry");
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    CommandResult f = RunFerry(
        {"sync", dir.Write("ferry.yml", spec("  path: cloudquery/postgresql\n", *conn)), "--no-progress"}, dir.path());
    ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  }
  {
    auto conn = plugins::postgresql::testing::FreshDatabase("go_sdk_pg_cq");
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    CommandResult c = RunCq(dir, dir.Write("cq.yml", spec(Local(dir.File("ferry-destination-postgresql")), *conn)));
    ASSERT_EQ(c.exit_code, 0) << c.out;
  }
  auto query = [](const std::string& db, const std::string& sql) {
    auto r = plugins::postgresql::testing::AdminQuery(db, sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::string();
  };
  const std::string columns =
      "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute "
      "WHERE attrelid = 'test_testdata_table'::regclass AND attnum > 0 AND NOT attisdropped";
  const std::string rows =
      "SELECT string_agg(r, E'\\n' ORDER BY r) FROM (SELECT (to_jsonb(t) - '_cq_id' - '_cq_parent_id' - "
      "'_cq_sync_time')::text AS r FROM test_testdata_table t) x";
  const std::string cols = query(ferry_db, columns);
  EXPECT_EQ(query(cq_db, columns), cols);
  EXPECT_EQ(query(cq_db, rows), query(ferry_db, rows));
  for (const char* c : {"time32_s time without time zone", "time64_ns time without time zone", "duration_ms text",
                        "interval_month_day_nano text", "decimal128 numeric(19,10)", "time32_ms_list time without time zone[]",
                        "decimal128_list numeric(19,10)[]"})
    EXPECT_NE(cols.find(c), std::string::npos) << c << " in " << cols;
  // Independent of the comparison: the generator's values as PostgreSQL reads them.
  EXPECT_EQ(query(ferry_db,
                  "SELECT count(*) FROM test_testdata_table WHERE time32_s = '03:04:05' AND time64_ns = '03:04:05' "
                  "AND duration_s ~ '^[0-9]+s$' AND interval_month = '1 month' AND "
                  "interval_day_time ~ '^[0-9]+ days? [0-9]+ms$' AND scale(decimal128) = 10 AND "
                  "time32_ms_list[1] = '03:04:05' AND struct->>'time64_ns' = '03:04:05.000000000'"),
            "40");
}

// Ferry's own test source has CloudQuery's test_testdata_table: the SDK's
// schema.TestTable without maps plus client_id, which CloudQuery's test
// source syncs. Both into SQLite and PostgreSQL through the same destination:
// the same column names, in the same order, with the same types and NOT NULLs
// as each destination reports them. (The values differ: CloudQuery generates
// them from a seed, Ferry's are fixed.)
TEST(CloudQueryGoSdk, FerrysTestSourceHasTheSdksTestTable) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  const std::string ferry_src =
      "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  version: v4.0.0\n"
      "  tables: [test_testdata_table]\n  destinations: [sqlite]\n  spec: {num_clients: 2}\n";
  const std::string sdk_src = TestdataSource(Local(kTestdata), kFerryTypes, false);
  const std::string ferry_db = dir.File("ferry.sqlite"), sdk_db = dir.File("sdk.sqlite");
  for (const auto& [src, db] : {std::pair{ferry_src, ferry_db}, std::pair{sdk_src, sdk_db}}) {
    CommandResult r = RunFerry(
        {"sync", dir.Write(db == ferry_db ? "ferry.yml" : "sdk.yml", src + SqliteDestination(kBuiltinSqlite, db)),
         "--no-progress"},
        dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const auto sqlite_columns = Columns(sdk_db, "test_testdata_table");
  EXPECT_EQ(sqlite_columns.size(), 82u) << "4 _cq_ columns, 77 of schema.TestTable without maps, client_id";
  EXPECT_EQ(Columns(ferry_db, "test_testdata_table"), sqlite_columns);

  auto pg = [&](const std::string& name, const std::string& src) {
    auto conn = plugins::postgresql::testing::FreshDatabase(name);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return std::string();
    std::string spec = src;
    spec.replace(spec.find("destinations: [sqlite]"), 22, "destinations: [pg]");
    spec += "---\nkind: destination\nspec:\n  name: pg\n  path: cloudquery/postgresql\n  version: v1.0.0\n"
            "  write_mode: append\n  spec:\n    connection_string: \"" + *conn + "\"\n";
    CommandResult r = RunFerry({"sync", dir.Write(name + ".yml", spec), "--no-progress"}, dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto cols = plugins::postgresql::testing::AdminQuery(
        plugins::postgresql::testing::DatabaseName(name),
        "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' "
        "ELSE '' END, ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'test_testdata_table'::regclass AND "
        "attnum > 0 AND NOT attisdropped");
    EXPECT_TRUE(cols.ok()) << cols.status().ToString();
    return cols.ok() ? *cols : std::string();
  };
  const std::string sdk_pg = pg("go_sdk_testdata_cols", sdk_src);
  EXPECT_NE(sdk_pg.find("id bigint NOT NULL, int8 smallint"), std::string::npos) << sdk_pg;
  EXPECT_EQ(pg("ferry_testdata_cols", ferry_src), sdk_pg);
}

// BigQuery stores the SDK's test table (times as TIME, durations as INTEGER,
// intervals as RECORDs, as CloudQuery's destination) the same whether Ferry
// runs the source or CloudQuery's CLI runs it and hands the rows to Ferry's
// destination served as its plugin: the same fields, the same rows, read
// with the emulator's REST API (tabledata.list), none of the destination's
// code. Left out for bqemulator's sake: decimals (it cannot create BIGNUMERIC
// columns; goccy's emulator covers them, BigQueryGoccy.DecimalsAsBignumeric...)
// and the columns named `binary` (its DuckDB DDL does not quote the name):
// the top-level one and the struct columns that hold one.
TEST(CloudQueryGoSdk, BigqueryStoresTheSdksTestTableAsUnderCloudQuerysCli) {
  REQUIRE_GO_PEERS();
  const BigQueryEmulator bq = SharedBigQueryEmulator();
  const std::string ferry_ds = MakeBigQueryDataset(bq, "go_sdk_ferry");
  const std::string cq_ds = MakeBigQueryDataset(bq, "go_sdk_cq");
  TempDir dir;
  fs::create_symlink(FERRY_BINARY, dir.File("ferry-destination-bigquery"));
  auto spec = [&](const std::string& where, const std::string& dataset) {
    std::string src =
        TestdataSource(Local(kTestdata), "[maps, decimals, structs], drop_columns: [binary]", false);
    src.replace(src.find("destinations: [sqlite]"), 22, "destinations: [bigquery]");
    std::string dest = BigQueryDestinationYaml(bq, dataset, "");
    dest.replace(dest.find("  path: cloudquery/bigquery\n"), 28, where);
    return src + "---\n" + dest;
  };
  CommandResult f = RunFerry(
      {"sync", dir.Write("ferry.yml", spec("  path: cloudquery/bigquery\n", ferry_ds)), "--no-progress"}, dir.path());
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  CommandResult c = RunCq(dir, dir.Write("cq.yml", spec(Local(dir.File("ferry-destination-bigquery")), cq_ds)));
  ASSERT_EQ(c.exit_code, 0) << c.out;

  auto fields = [&](const std::string& dataset) {
    const nlohmann::json t = BigQueryRest(bq, "GET", "/datasets/" + dataset + "/tables/test_testdata_table", nullptr);
    if (!t.contains("schema")) return nlohmann::json();
    // Descriptions differ: CloudQuery's CLI sends _cq_sync_time and
    // _cq_source_name without the ones Ferry's engine gives them.
    nlohmann::json out = t["schema"]["fields"];
    for (auto& f : out) f.erase("description");
    return out;
  };
  // Every row as its cells' JSON, without the columns that differ per run.
  auto rows = [&](const std::string& dataset, const nlohmann::json& schema) {
    std::vector<size_t> keep;
    for (size_t i = 0; i < schema.size(); ++i)
      if (schema[i]["name"].get<std::string>().rfind("_cq_", 0) != 0 || schema[i]["name"] == "_cq_source_name")
        keep.push_back(i);
    std::vector<std::string> out;
    std::string token;
    do {
      const nlohmann::json page = BigQueryRest(
          bq, "GET", "/datasets/" + dataset + "/tables/test_testdata_table/data?maxResults=1000" +
                         (token.empty() ? "" : "&pageToken=" + token), nullptr);
      for (const auto& r : page.value("rows", nlohmann::json::array())) {
        nlohmann::json cells = nlohmann::json::array();
        for (size_t i : keep) cells.push_back(r["f"][i]["v"]);
        out.push_back(cells.dump());
      }
      token = page.value("pageToken", "");
    } while (!token.empty());
    std::sort(out.begin(), out.end());
    return out;
  };
  const nlohmann::json schema = fields(ferry_ds);
  ASSERT_TRUE(schema.is_array()) << "no table in " << ferry_ds;
  EXPECT_EQ(fields(cq_ds), schema);
  std::map<std::string, std::string> type;
  for (const auto& field : schema) {
    std::string t = field.value("type", "") + (field.value("mode", "") == "REPEATED" ? "[]" : "");
    if (field.contains("fields"))
      for (const auto& sub : field["fields"]) t += " " + sub.value("name", "");
    type[field.value("name", "")] = t;
  }
  EXPECT_EQ(type["time32_s"], "TIME");
  EXPECT_EQ(type["time64_ns"], "TIME");
  EXPECT_EQ(type["duration_ms"], "INTEGER");
  EXPECT_EQ(type["interval_month"], "RECORD months");
  EXPECT_EQ(type["interval_day_time"], "RECORD days milliseconds");
  EXPECT_EQ(type["interval_month_day_nano"], "RECORD months days nanoseconds");
  EXPECT_EQ(type["time32_ms_list"], "TIME[]");
  const auto ferry_rows = rows(ferry_ds, schema);
  EXPECT_EQ(ferry_rows.size(), 40u);
  EXPECT_EQ(rows(cq_ds, schema), ferry_rows);
  // Independent of the comparison: the generator's values as BigQuery holds them.
  EXPECT_EQ(BigQueryQueryInts(bq, "SELECT count(*) FROM `" + ferry_ds + ".test_testdata_table` WHERE "
                                  "time32_s = TIME '03:04:05' AND time64_ns = TIME '03:04:05' AND "
                                  "interval_month.months = 1 AND duration_s >= 0"),
            std::vector<int64_t>{40});
}

// The Go SDK does not send a Sync message over 100 MiB: it logs "Message
// exceeds max size" at error level and goes on without those rows. Ferry
// fails the table on that log line, so overwrite-delete-stale keeps the rows
// of the previous sync. CloudQuery's CLI (v6.41.1) counts it as a source error
// but not as the table's, ends with exit code 0 and deletes the table's rows
// as stale: the difference this test pins down.
TEST(CloudQueryGoSdk, AMessageTheSdkDropsFailsTheTableAndKeepsItsRows) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  fs::create_symlink(FERRY_BINARY, dir.File("ferry-destination-sqlite"));
  auto spec = [&](const std::string& dest, const std::string& db, int pad) {
    return "kind: source\nspec:\n  name: gotd\n" + Local(kTestdata) +
           "  version: v1.0.0\n  tables: [\"*\"]\n  destinations: [sqlite]\n"
           "  spec: {num_rows: 3, batch_rows: 1, pad_bytes: " + std::to_string(pad) + ", skip: " + kFerryTypes + "}\n" +
           SqliteDestination(dest, db, "overwrite-delete-stale");
  };
  const int kOver100MiB = 110'000'000;
  for (bool cq : {false, true}) {
    SCOPED_TRACE(cq ? "CloudQuery's CLI" : "Ferry");
    const std::string db = dir.File(cq ? "cq.sqlite" : "ferry.sqlite");
    const std::string dest = cq ? Local(dir.File("ferry-destination-sqlite")) : kBuiltinSqlite;
    auto run = [&](const std::string& name, int pad) {
      const std::string file = dir.Write(name, spec(dest, db, pad));
      return cq ? RunCq(dir, file) : RunFerry({"sync", file, "--no-progress"}, dir.path());
    };
    CommandResult r = run(cq ? "cq1.yml" : "ferry1.yml", 1000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_EQ(SqliteCount(db, "test_testdata_table"), 3);
    r = run(cq ? "cq2.yml" : "ferry2.yml", kOver100MiB);
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("Message exceeds max size"), std::string::npos) << all.substr(0, 4000);
    if (cq) {
      EXPECT_EQ(r.exit_code, 0) << all.substr(0, 4000);
      EXPECT_NE(all.find("\"errors_per_table\":{\"test_testdata_table\":0}"), std::string::npos) << all.substr(0, 4000);
      EXPECT_EQ(SqliteCount(db, "test_testdata_table"), 0) << "CloudQuery's CLI deleted the rows as stale";
    } else {
      EXPECT_EQ(r.exit_code, 1) << all.substr(0, 4000);
      EXPECT_NE(all.find("test_testdata_table            0        1"), std::string::npos) << r.out;
      EXPECT_EQ(SqliteCount(db, "test_testdata_table"), 3) << "the failed table's rows of the last sync stay";
    }
  }
}

// --- MemDB as a destination ---------------------------------------------------

std::string TestSourceTo(const std::string& dest_registry_and_path, const std::string& write_mode,
                         const std::string& source_spec, const std::string& tables, const std::string& extra = "") {
  return "kind: source\nspec:\n  name: test\n  path: cloudquery/test\n  version: v4.2.0\n  tables: " + tables +
         "\n  destinations: [dest]\n" + extra + "  spec: " + source_spec +
         "\n---\nkind: destination\nspec:\n  name: dest\n" + dest_registry_and_path +
         "  version: v1.0.0\n  write_mode: " + write_mode + "\n";
}

// MemDB's rows, synced out of it (MemDB as a source) into a fresh SQLite file.
std::string SyncBack(const TempDir& dir, const ServedSdkPlugin& memdb, const std::string& name,
                     const std::string& tables = "[\"test_*\"]") {
  const std::string db = dir.File(name + ".sqlite");
  CommandResult r = RunFerry({"sync",
                              dir.Write(name + ".yml", "kind: source\nspec:\n  name: memdb\n" + Grpc(memdb) +
                                                           "  version: v1.0.0\n  tables: " + tables + "\n"
                                                           "  destinations: [sqlite]\n" +
                                                           SqliteDestination(kBuiltinSqlite, db)),
                              "--no-progress"},
                             dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  return db;
}

#define START_GO_MEMDB(var, dir)                                                           \
  ServedSdkPlugin var((dir).path(), kMemDb.string(), {"FERRY_MEMDB_KEEP_ON_CLOSE=1"}, "memdb"); \
  ASSERT_TRUE(var.ok()) << "MemDB did not serve on " << var.address() << ": " << var.Log()

// overwrite-delete-stale into MemDB, with 2 clients and then 1: MemDB upserts
// by primary key and deletes what the second sync did not write, so it ends
// holding exactly what one sync of the second spec writes into SQLite.
TEST(CloudQueryGoSdk, MemDbDestinationUpsertsAndDeletesStaleAsFerryAsks) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  START_GO_MEMDB(memdb, dir);
  const std::string tables = "[test_some_table, test_testdata_table]";
  const std::string mode = "overwrite-delete-stale";
  for (const char* clients : {"{num_clients: 2, num_rows: 3}", "{num_clients: 1, num_rows: 2}"}) {
    CommandResult r = RunFerry(
        {"sync", dir.Write("memdb.yml", TestSourceTo(Grpc(memdb), mode, clients, tables)), "--no-progress"}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
  }
  const std::string back = SyncBack(dir, memdb, "back");
  const std::string direct = dir.File("direct.sqlite");
  CommandResult r = RunFerry({"sync",
                              dir.Write("direct.yml", TestSourceTo("  path: cloudquery/sqlite\n", mode,
                                                                   "{num_clients: 1, num_rows: 2}", tables) +
                                                          "  spec:\n    connection_string: " + direct + "\n"),
                              "--no-progress"},
                             dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* t : {"test_some_table", "test_testdata_table"}) {
    const auto want = Rows(direct, t, false);
    EXPECT_FALSE(want.empty()) << t;
    EXPECT_EQ(Rows(back, t, false), want) << t;
  }
  // MemDB as a source hands back Ferry's _cq_source_name column; Ferry gives
  // it this sync's value instead of adding a second one.
  EXPECT_EQ(SqliteQuery(back, "SELECT DISTINCT _cq_source_name FROM test_some_table"), std::vector<std::string>{"memdb"});
}

// append into MemDB: two syncs, every row twice.
TEST(CloudQueryGoSdk, MemDbDestinationAppendsEveryRowOfEverySync) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  START_GO_MEMDB(memdb, dir);
  const std::string spec =
      dir.Write("memdb.yml", TestSourceTo(Grpc(memdb), "append", "{num_clients: 2, num_rows: 3}", "[test_some_table]"));
  for (int i = 0; i < 2; ++i) {
    CommandResult r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
    EXPECT_EQ(SummaryRows(r.out, "test_some_table"), 6) << r.out;
  }
  const std::string back = SyncBack(dir, memdb, "back");
  EXPECT_EQ(SqliteCount(back, "test_some_table"), 12);
  EXPECT_EQ(SqliteQuery(back, "SELECT count(*) FROM (SELECT DISTINCT client_id, resource_id FROM test_some_table)"),
            std::vector<std::string>{"6"});
}

// The SDK's test table, times, durations, intervals and decimal128 included,
// through Ferry into MemDB (arrow-go decoding Ferry's encoding of every type)
// and back out of MemDB (arrow-go encoding, Ferry decoding) lands in SQLite as
// it does when Ferry writes the source's rows there directly.
TEST(CloudQueryGoSdk, TestTableThroughMemDbKeepsEveryArrowType) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  START_GO_MEMDB(memdb, dir);
  for (bool null_rows : {false, true}) {
    SCOPED_TRACE(null_rows ? "null rows" : "values");
    const std::string n = null_rows ? "nulls" : "values";
    const std::string to_memdb = "---\nkind: destination\nspec:\n  name: sqlite\n" + Grpc(memdb) +
                                 "  version: v1.0.0\n  write_mode: overwrite-delete-stale\n";
    CommandResult r = RunFerry(
        {"sync", dir.Write("memdb_" + n + ".yml", TestdataSource(Local(kTestdata), kFerryTypes, null_rows) + to_memdb),
         "--no-progress"},
        dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
    const std::string back = SyncBack(dir, memdb, "back_" + n);
    const std::string direct = dir.File("direct_" + n + ".sqlite");
    r = RunFerry({"sync",
                  dir.Write("direct_" + n + ".yml", TestdataSource(Local(kTestdata), kFerryTypes, null_rows) +
                                                        SqliteDestination(kBuiltinSqlite, direct)),
                  "--no-progress"},
                 dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto want = Rows(direct, "test_testdata_table", false);
    ASSERT_EQ(want.size(), 40u);
    EXPECT_EQ(Rows(back, "test_testdata_table", false), want);
    EXPECT_EQ(SqliteQuery(back, "SELECT count(*) FROM pragma_table_info('test_testdata_table')"),
              SqliteQuery(direct, "SELECT count(*) FROM pragma_table_info('test_testdata_table')"));
  }
}

// MemDB as the state backend of Ferry's incremental test source: the cursors
// go in as upserts on the state table's key and come back through MemDB's
// Read, so a second sync fetches nothing and a third only what is new.
TEST(CloudQueryGoSdk, MemDbIsTheStateBackendOfAnIncrementalSource) {
  REQUIRE_GO_PEERS();
  TempDir dir;
  START_GO_MEMDB(memdb, dir);
  const std::string backend = "  backend_options:\n    table_name: cq_state_test\n    connection: dest\n";
  auto spec = [&](int rows) {
    return dir.Write("inc" + std::to_string(rows) + ".yml",
                     TestSourceTo(Grpc(memdb), "append", "{num_clients: 2, incremental_rows: " + std::to_string(rows) + "}",
                                  "[test_incremental_table]", backend));
  };
  for (auto [rows, want] : std::vector<std::pair<int, int>>{{50, 100}, {50, 0}, {80, 60}}) {
    CommandResult r = RunFerry({"sync", spec(rows), "--no-progress"}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << memdb.Log();
    EXPECT_EQ(SummaryRows(r.out, "test_incremental_table"), want) << rows << "\n" << r.out;
  }
  const std::string back = SyncBack(dir, memdb, "back", "[\"test_*\", \"cq_*\"]");
  EXPECT_EQ(SqliteCount(back, "test_incremental_table"), 160);
  EXPECT_EQ(SqliteQuery(back, "SELECT count(*) FROM (SELECT DISTINCT client_id, id FROM test_incremental_table)"),
            std::vector<std::string>{"160"});
  EXPECT_EQ(SqliteQuery(back, "SELECT key || '=' || value FROM cq_state_test ORDER BY key"),
            (std::vector<std::string>{"test_incremental_table:Client#2=80", "test_incremental_table:Client#3=80"}));
}

}  // namespace
}  // namespace ferry::testing
