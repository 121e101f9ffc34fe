// `ferry sync` into a real Neo4j 5.26 (scripts/test-servers.sh start neo4j),
// checked with Neo4j's own Python driver: nodes per label, property types,
// relationships per relation, delete-stale, a migration adding properties,
// bad credentials, TLS, neo4j:// routing, a server without authentication,
// a server restart in the middle of a sync, and exactly-once incremental
// syncs with Neo4j as its own state backend under kill -9.
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/neo4j/testing/neo4j_test_server.h"
#include "testing/cli_runner.h"

namespace ferry::plugins::neo4j {
namespace {

namespace nt = testing;
using ferry::testing::RunFerry;
using ferry::testing::TempDir;

struct Opts {
  std::string ns;
  std::string tables = "[test_some_table, test_sub_table]";
  int rows = 5, sub_rows = 3, sub_cols = 1, synthetic_rows = 0, incremental_rows = 0;
  std::string write_mode = "overwrite-delete-stale";
  std::string uri;       // default: the server's bolt://
  std::string password;  // default: the server's
  std::string extra;     // more lines of the destination's spec (4 spaces in)
  std::string backend;   // backend_options lines (4 spaces in)
  bool noauth = false;
};

std::string Render(const Opts& o) {
  const auto& srv = nt::Server();
  std::string dst;
  if (o.noauth) {
    dst = "    connection_string: \"" + ferry::testing::SharedTestServer("neo4j-noauth").Get("FERRY_NEO4J_NOAUTH_URI") + "\"\n";
  } else {
    dst = "    connection_string: \"" + (o.uri.empty() ? srv.Get("FERRY_NEO4J_URI") : o.uri) + "\"\n" +
          "    username: neo4j\n    password: \"" + (o.password.empty() ? srv.Get("FERRY_NEO4J_PASSWORD") : o.password) +
          "\"\n";
  }
  return R"(kind: source
spec:
  name: test
  path: cloudquery/test
  version: v1.0.0
  tables: )" + o.tables + R"(
  destinations: [neo4j]
)" + (o.backend.empty() ? "" : "  backend_options:\n" + o.backend) +
         "  spec: {num_clients: 1, num_rows: " + std::to_string(o.rows) + ", num_sub_rows: " +
         std::to_string(o.sub_rows) + ", num_sub_cols: " + std::to_string(o.sub_cols) +
         ", synthetic_rows: " + std::to_string(o.synthetic_rows) + ", incremental_rows: " +
         std::to_string(o.incremental_rows) + R"(, checkpoint_every: 997}
---
kind: destination
spec:
  name: neo4j
  path: cloudquery/neo4j
  version: v5.5.10
  write_mode: )" + o.write_mode + R"(
  spec:
)" + dst + "    label_prefix: " + nt::LabelPrefix(o.ns) + "\n" + o.extra;
}

ferry::testing::CommandResult Sync(const TempDir& dir, const Opts& o) {
  return RunFerry({"sync", dir.Write("spec.yml", Render(o)), "--no-progress"}, dir.path());
}

std::string L(const Opts& o, const std::string& table) { return "`" + nt::LabelPrefix(o.ns) + table + "`"; }

TEST(Neo4jSync, NodesPropertiesAndRelationshipsAsThePythonDriverSeesThem) {
  ASSERT_EQ(nt::Server().error, "");
  TempDir dir;
  Opts o{.ns = "n4_sync"};
  auto r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string some = L(o, "test_some_table"), sub = L(o, "test_sub_table");
  auto q = nt::PyQuery({
      "MATCH (n:" + some + ") RETURN count(n)",
      "MATCH (n:" + sub + ") RETURN count(n)",
      "MATCH (c:" + sub + ")-[e:CHILD_OF]->(p:" + some + ") RETURN count(e)",
      // Every child links to the parent its parent_resource_id names, once.
      "MATCH (c:" + sub + ") OPTIONAL MATCH (c)-[:CHILD_OF]->(p) "
      "WITH c, collect(p) AS ps WHERE size(ps) <> 1 OR ps[0].resource_id <> c.parent_resource_id RETURN count(c)",
      "MATCH (n:" + some + " {resource_id: 1}) RETURN n",
      "SHOW CONSTRAINTS YIELD name, type, properties WHERE name = '_cq_index_" + nt::LabelPrefix(o.ns) +
          "test_sub_table' RETURN type, properties",
  });
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)[0][0][0], 5);
  EXPECT_EQ((*q)[1][0][0], 15);
  EXPECT_EQ((*q)[2][0][0], 15);
  EXPECT_EQ((*q)[3][0][0], 0) << "children without exactly one link to their own parent";
  const auto& props = (*q)[4][0][0]["properties"];
  EXPECT_EQ(props["column2"], "test_column_data_0");
  EXPECT_EQ(props["client_id"], 1);
  EXPECT_TRUE(props["_cq_sync_time"].contains("DateTime")) << props.dump();
  EXPECT_EQ(props["_cq_sync_time"]["tz"], "UTC") << props.dump();
  EXPECT_EQ(props["_cq_id"].get<std::string>().size(), 36u) << "uuid as canonical text";
  EXPECT_FALSE(props.contains("_cq_parent_id")) << "null cells are no property";
  ASSERT_EQ((*q)[5].size(), 1u) << "the key is a uniqueness constraint";
  EXPECT_EQ((*q)[5][0][0], "UNIQUENESS");  // Neo4j 5.26's name
  EXPECT_EQ((*q)[5][0][1], nlohmann::json::array({"parent_resource_id", "sub_resource_id"}));

  // A second sync with fewer rows: the stale nodes go, with their links; a
  // new column appears as a property on every node.
  o.rows = 2;
  o.sub_cols = 2;
  r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  q = nt::PyQuery({"MATCH (n:" + some + ") RETURN count(n)", "MATCH (n:" + sub + ") RETURN count(n)",
                   "MATCH (:" + sub + ")-[e:CHILD_OF]->() RETURN count(e)",
                   "MATCH (n:" + sub + ") WHERE n.extra_column_1 IS NULL RETURN count(n)"});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)[0][0][0], 2);
  EXPECT_EQ((*q)[1][0][0], 6);
  EXPECT_EQ((*q)[2][0][0], 6);
  EXPECT_EQ((*q)[3][0][0], 0);
}

// Every type of the test source's testdata table, as Neo4j's Python driver
// reads the properties back: Neo4j's own types where it has them.
TEST(Neo4jSync, PropertyTypesAsTheDriverReadsThem) {
  ASSERT_EQ(nt::Server().error, "");
  TempDir dir;
  Opts o{.ns = "n4_types", .tables = "[test_testdata_table]"};
  auto r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto q = nt::PyQuery({"MATCH (n:" + L(o, "test_testdata_table") + ") RETURN n"});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ((*q)[0].size(), 1u);
  const auto& p = (*q)[0][0][0]["properties"];
  EXPECT_TRUE(p["int64"].is_number_integer()) << p.dump();
  EXPECT_TRUE(p["uint64"].is_number_integer()) << p.dump();
  EXPECT_TRUE(p["float64"].contains("float")) << p.dump();
  EXPECT_TRUE(p["boolean"].is_boolean()) << p.dump();
  EXPECT_TRUE(p["binary"].contains("bytes")) << p.dump();
  EXPECT_TRUE(p["large_binary"].contains("bytes")) << p.dump();
  EXPECT_EQ(p["time32_s"], "03:04:05") << p.dump();
  EXPECT_EQ(p["decimal128"], "12345.6789") << p.dump();
  EXPECT_TRUE(p["date32"].contains("Date")) << p.dump();
  EXPECT_TRUE(p["timestamp_us"].contains("DateTime")) << p.dump();
  EXPECT_EQ(p["uuid"].get<std::string>().size(), 36u) << p.dump();
  EXPECT_TRUE(p["int64_list"].is_array()) << p.dump();
  EXPECT_TRUE(p["string_list"].is_array()) << p.dump();
  auto js = nlohmann::json::parse(p["struct"].get<std::string>(), nullptr, false);
  EXPECT_TRUE(js.is_object() && js.contains("id")) << p.dump();
  EXPECT_FALSE(nlohmann::json::parse(p["json"].get<std::string>(), nullptr, false).is_discarded()) << p.dump();
  EXPECT_NE(p["mac"].get<std::string>().find(':'), std::string::npos) << p.dump();
}

TEST(Neo4jSync, EdgesByColumnLinkTablesEitherWayRound) {
  ASSERT_EQ(nt::Server().error, "");
  TempDir dir;
  // test_some_table.resource_id = test_sub_table.parent_resource_id, as a
  // rule of its own: both directions of writing link the same pairs.
  Opts o{.ns = "n4_edges"};
  o.extra =
      "    relationships: false\n"
      "    edges:\n"
      "      - {from_table: test_sub_table, from_column: parent_resource_id, to_table: test_some_table, "
      "to_column: resource_id, type: BELONGS_TO}\n";
  auto r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string some = L(o, "test_some_table"), sub = L(o, "test_sub_table");
  auto q = nt::PyQuery({"MATCH (c:" + sub + ")-[e:BELONGS_TO]->(p:" + some +
                            ") WHERE c.parent_resource_id = p.resource_id RETURN count(e)",
                        "MATCH ()-[e:CHILD_OF]->(:" + some + ") RETURN count(e)"});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)[0][0][0], 15);
  EXPECT_EQ((*q)[1][0][0], 0) << "relationships: false";
  // Sub rows only, then the parents only: the second sync links nothing
  // new and keeps every link.
  o.tables = "[test_some_table]";
  ASSERT_EQ(Sync(dir, o).exit_code, 0);
  EXPECT_EQ(nt::PyCount("MATCH (:" + sub + ")-[e:BELONGS_TO]->(:" + some + ") RETURN count(e)"), 15);
}

TEST(Neo4jSync, WrongPasswordIsAClearErrorWithoutThePassword) {
  ASSERT_EQ(nt::Server().error, "");
  TempDir dir;
  Opts o{.ns = "n4_auth"};
  o.password = "wrong-Pa55word-xyz";
  auto r = Sync(dir, o);
  EXPECT_NE(r.exit_code, 0);
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("refused the credentials of user \"neo4j\""), std::string::npos) << all;
  EXPECT_EQ(all.find("wrong-Pa55word-xyz"), std::string::npos) << all;
}

TEST(Neo4jSync, TlsVerifiedWithTheCaSelfSignedAndRefusedWithoutIt) {
  ASSERT_EQ(nt::Server().error, "");
  const auto& srv = nt::Server();
  const std::string hostport = srv.Get("FERRY_NEO4J_HOST") + ":" + srv.Get("FERRY_NEO4J_PORT");
  {
    TempDir dir;
    Opts o{.ns = "n4_tls", .uri = "bolt+s://" + hostport};
    o.extra = "    tls_ca_file: " + srv.Get("FERRY_NEO4J_CA") + "\n";
    auto r = Sync(dir, o);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(nt::PyCount("MATCH (n:" + L(o, "test_some_table") + ") RETURN count(n)"), 5);
  }
  {
    TempDir dir;
    Opts o{.ns = "n4_tls_untrusted", .uri = "bolt+s://" + hostport};
    auto r = Sync(dir, o);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE((r.out + r.err).find("certificate is not trusted"), std::string::npos) << r.out << r.err;
  }
  {
    TempDir dir;
    Opts o{.ns = "n4_tls_ssc", .uri = "bolt+ssc://" + hostport};
    auto r = Sync(dir, o);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // The Python driver over TLS sees what Ferry wrote over TLS.
  auto q = nt::PyQuery({"MATCH (n:" + L(Opts{.ns = "n4_tls"}, "test_sub_table") + ") RETURN count(n)"},
                       "bolt+s://" + hostport, srv.Get("FERRY_NEO4J_CA"));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)[0][0][0], 15);
}

TEST(Neo4jSync, RoutingSchemeWritesThroughTheWriter) {
  ASSERT_EQ(nt::Server().error, "");
  TempDir dir;
  const auto& srv = nt::Server();
  Opts o{.ns = "n4_route", .uri = "neo4j://" + srv.Get("FERRY_NEO4J_HOST") + ":" + srv.Get("FERRY_NEO4J_PORT")};
  auto r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nt::PyCount("MATCH (n:" + L(o, "test_sub_table") + ") RETURN count(n)"), 15);
}

TEST(Neo4jSync, ServerWithoutAuthentication) {
  const auto& srv = ferry::testing::SharedTestServer("neo4j-noauth");
  ASSERT_EQ(srv.error, "");
  TempDir dir;
  Opts o{.ns = "n4_noauth", .noauth = true};
  auto r = Sync(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto q = nt::PyQuery({"MATCH (n:" + L(o, "test_sub_table") + ") RETURN count(n)"}, "", "", "neo4j-noauth");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)[0][0][0], 15);
}

// The server goes away for a few seconds in the middle of a sync: the
// engine retries the failed requests and the sync completes with every row.
// A server of its own (its own state dir), so no other test sees it go.
TEST(Neo4jSync, ServerRestartMidSyncLosesNothing) {
  ASSERT_EQ(nt::Server().error, "");
  TempDir srv;
  const std::string env = "FERRY_TEST_SERVERS_DIR=" + srv.path() + " bash '" + ferry::testing::TestServersScript() + "'";
  std::string out;
  ASSERT_EQ(ferry::testing::RunShell(env + " start neo4j 2>&1", &out), 0) << out;
  const size_t at = out.find("FERRY_NEO4J_URI=");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string uri = out.substr(at + 16, out.find('\n', at) - at - 16);
  TempDir dir;
  Opts o{.ns = "n4_restart", .tables = "[test_synthetic_table]", .synthetic_rows = 60000, .uri = uri};
  o.extra = "    batch_size: 2000\n    retry_timeout: 3m\n";
  const std::string spec = dir.Write("spec.yml", Render(o));
  ferry::testing::CommandResult result;
  std::thread sync([&] { result = RunFerry({"sync", spec, "--no-progress"}, dir.path()); });
  // Once nodes are arriving, restart the server (down for 3 s).
  const std::string label = L(o, "test_synthetic_table");
  auto count = [&](const std::string& what) {
    auto r = nt::PyQuery({"MATCH (n:" + label + ") RETURN " + what}, uri);
    return r.ok() && !(*r)[0].empty() ? (*r)[0][0][0].get<int64_t>() : -1;
  };
  for (int i = 0; i < 300 && count("count(n)") < 2000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string restart;
  EXPECT_EQ(ferry::testing::RunShell(env + " restart neo4j 3 2>&1", &restart), 0) << restart;
  sync.join();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(count("count(n)"), 60000);
  EXPECT_EQ(count("count(DISTINCT n.id)"), 60000);
  ferry::testing::RunShell(env + " stop neo4j 2>&1", &out);
}

// Neo4j as its own state backend, append mode (CREATE: a repeated row would
// show): after kill -9 at random points and a resume, exactly the rows of an
// uninterrupted run.
TEST(Neo4jSync, KillNineAnywhereThenResumeIsExactlyOnce) {
  ASSERT_EQ(nt::Server().error, "");
  auto opts = [](const std::string& ns) {
    Opts o{.ns = ns, .tables = "[test_incremental_table]", .incremental_rows = 20000};
    o.write_mode = "append";
    o.backend = "    table_name: cq_state_n4\n    connection: \"@@plugins.neo4j.connection\"\n";
    o.extra = "    batch_size: 1500\n";
    return o;
  };
  auto count = [](const Opts& o) {
    return nt::PyQuery({"MATCH (n:" + L(o, "test_incremental_table") + ") RETURN count(n), count(DISTINCT n.id)"});
  };
  TempDir ref;
  const Opts ro = opts("n4_inc_ref");
  const std::string ref_spec = ref.Write("spec.yml", Render(ro));
  std::chrono::microseconds full;
  auto r = ferry::testing::TimedSync(ref.path(), ref_spec, &full);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto c = count(ro);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ((*c)[0][0], nlohmann::json::array({20000, 20000}));
  r = RunFerry({"sync", ref_spec, "--no-progress"}, ref.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ((*count(ro))[0][0], nlohmann::json::array({20000, 20000})) << "a second sync finds nothing new";

  std::mt19937_64 rng(20261205);
  const int runs = ferry::testing::CrashRuns(3), kills_per_run = 3;
  int kills = 0, mid_sync = 0;
  for (int run = 0; run < runs; ++run) {
    TempDir dir;
    const Opts o = opts("n4_inc_crash_" + std::to_string(run));
    const std::string spec = dir.Write("spec.yml", Render(o));
    for (int k = 0; k < kills_per_run; ++k) {
      const auto delay = std::chrono::microseconds(rng() % static_cast<uint64_t>(full.count() * 11 / 10 + 1));
      ferry::testing::SyncKilledAfter(dir.path(), spec, delay);
      ++kills;
      if (delay < full) ++mid_sync;
    }
    auto done = RunFerry({"sync", spec, "--no-progress"}, dir.path());
    ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
    auto got = count(o);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ((*got)[0][0], nlohmann::json::array({20000, 20000})) << "run " << run;
  }
  std::cout << "kills: " << kills << " (" << mid_sync << " before a full sync's duration of " << full.count() / 1000
            << " ms)\n";
  EXPECT_GT(mid_sync, kills / 2);
}

}  // namespace
}  // namespace ferry::plugins::neo4j
