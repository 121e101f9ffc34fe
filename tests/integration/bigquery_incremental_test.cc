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
#include <nlohmann/json.hpp>

#include "ferry/http/client.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/test_servers.h"

namespace ferry {
namespace {

using ferry::testing::TempDir;
using nlohmann::json;

const ferry::testing::TestServerInfo& Emulator() { return ferry::testing::SharedTestServer("bigquery"); }

// A REST call to the emulator with Ferry's HTTP client, none of the
// destination's code.
json Rest(const std::string& method, const std::string& path, const json& body) {
  auto client = http::HttpClient::Make(http::ClientOptions{});
  EXPECT_TRUE(client.ok());
  http::Request req;
  req.method = method;
  req.url = Emulator().Get("FERRY_BQ_REST") + "/bigquery/v2/projects/" + Emulator().Get("FERRY_BQ_PROJECT") + path;
  req.headers["Content-Type"] = "application/json";
  if (!body.is_null()) req.body = body.dump();
  auto r = (*client)->Do(req);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return json();
  return json::parse(r->body, nullptr, false);
}

void MakeDataset(const std::string& dataset) {
  Rest("POST", "/datasets", json{{"datasetReference", {{"projectId", Emulator().Get("FERRY_BQ_PROJECT")},
                                                       {"datasetId", dataset}}}});
}

std::string Render(const std::string& dataset, const std::string& api = "storage_write") {
  const auto& s = Emulator();
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
kind: destination
spec:
  name: bigquery
  path: cloudquery/bigquery
  version: v4.0.0
  write_mode: append
  spec:
    project_id: )" + s.Get("FERRY_BQ_PROJECT") + R"(
    dataset_id: )" + dataset + R"(
    endpoint: ")" + s.Get("FERRY_BQ_REST") + R"("
    storage_write_endpoint: ")" + s.Get("FERRY_BQ_GRPC") + R"("
    write_api: )" + api + R"(
    batch_size: 3000
---
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

Contents ReadBq(const std::string& dataset) {
  const std::string table = "`" + Emulator().Get("FERRY_BQ_PROJECT") + "." + dataset + ".test_incremental_table`";
  json r = Rest("POST", "/queries",
                json{{"useLegacySql", false},
                     {"query", "SELECT COUNT(*), COUNT(DISTINCT CONCAT(CAST(client_id AS STRING), ':', CAST(id AS "
                               "STRING))), SUM(id * 7 + client_id * 13 + LENGTH(payload)) FROM " + table}});
  Contents c;
  if (!r.is_object() || !r.contains("rows")) {
    ADD_FAILURE() << r.dump();
    return c;
  }
  const json& f = r["rows"][0]["f"];
  auto num = [](const json& v) { return v.is_string() ? std::stoll(v.get<std::string>()) : 0LL; };
  c.rows = num(f[0]["v"]);
  c.distinct = num(f[1]["v"]);
  c.checksum = num(f[2]["v"]);
  return c;
}

std::chrono::microseconds TimedSync(const TempDir& dir, const std::string& spec) {
  std::chrono::microseconds wall;
  auto r = ferry::testing::TimedSync(dir.path(), spec, &wall);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return wall;
}

TEST(BigQueryIncremental, KillNineAnywhereThenResumeIsExactlyOnce) {
  ASSERT_EQ(Emulator().error, "");
  const std::string ref_ds = ferry::testing::NamespaceDatabase("bqinc_ref");
  MakeDataset(ref_ds);
  TempDir ref;
  const auto full = TimedSync(ref, ref.Write("spec.yml", Render(ref_ds)));
  const Contents expected = ReadBq(ref_ds);
  ASSERT_EQ(expected.rows, 40000) << expected;
  ASSERT_EQ(expected.distinct, 40000) << expected;
  TimedSync(ref, ref.path() + "/spec.yml");
  ASSERT_EQ(ReadBq(ref_ds), expected) << "a second sync finds nothing new";

  // Several kills per run: each resumed sync may be killed again.
  std::mt19937_64 rng(20261206);
  const int runs = ferry::testing::CrashRuns(7), kills_per_run = 3;
  int kills = 0, mid_sync = 0;
  for (int run = 0; run < runs; ++run) {
    const std::string ds = ferry::testing::NamespaceDatabase("bqinc_crash_" + std::to_string(run));
    MakeDataset(ds);
    TempDir dir;
    const std::string spec = dir.Write("spec.yml", Render(ds));
    for (int k = 0; k < kills_per_run; ++k) {
      const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() * 11 / 10 + 1));
      ferry::testing::SyncKilledAfter(dir.path(), spec, delay);
      ++kills;
      if (delay < full) ++mid_sync;
    }
    TimedSync(dir, spec);
    EXPECT_EQ(ReadBq(ds), expected) << "run " << run;
  }
  std::cout << "kills: " << kills << " (" << mid_sync << " before a full sync's duration of " << full.count() / 1000
            << " ms)\n";
  EXPECT_GE(kills, 21);
  EXPECT_GT(mid_sync, kills / 2);
}

// The same workload through tabledata.insertAll, which cannot hold rows back:
// a cursor commits after its rows (never loss), so a second sync after a
// complete one fetches nothing, but a kill between rows and cursor replays.
TEST(BigQueryIncremental, InsertAllKeepsCursorsBehindTheRows) {
  ASSERT_EQ(Emulator().error, "");
  const std::string ds = ferry::testing::NamespaceDatabase("bqinc_insertall");
  MakeDataset(ds);
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", Render(ds, "insert_all"));
  TimedSync(dir, spec);
  const Contents first = ReadBq(ds);
  EXPECT_EQ(first.rows, 40000) << first;
  EXPECT_EQ(first.distinct, 40000) << first;
  TimedSync(dir, spec);
  EXPECT_EQ(ReadBq(ds), first);
}

}  // namespace
}  // namespace ferry
