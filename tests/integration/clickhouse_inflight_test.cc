// Two INSERTs in flight (ClickHousePlugin's concurrent_writes, the engine's
// DestinationWriter, src/engine/destination_writer.h) against the real
// server: the INSERTs do overlap; an error of the first of two in flight
// fails its own table, named, and not the other; lost answers and lost
// requests on either connection lose no acknowledged batch and write none
// twice (HTTP through a fault-injecting transport, the native protocol
// through a TCP proxy that drops answers); a cursor is committed only after
// the INSERT of its rows answered; two writes of one table with a primary
// key never overlap.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "engine/destination_writer.h"
#include "engine/memory_budget.h"
#include "engine/state_coordinator.h"
#include "ferry/options.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"
#include "testing/tcp_fault_proxy.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::conformance::ItemRow;
using ferry::testing::conformance::Items;
using ferry::testing::conformance::kT1;
using namespace std::chrono_literals;

enum class Fault { kNone, kLoseRequest, kLoseResponse, kRefuse };

// What the INSERTs of one destination meet, shared by its connections.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;     // INSERT requests begun
  int active = 0;      // INSERT requests in Post now
  int max_active = 0;
  std::map<std::string, int> active_of, max_active_of;  // by table
  int completed = 0;   // INSERT requests that returned
  // The first INSERT waits (before it is sent) until a second one began, at
  // most 10 s: without overlap it goes alone and max_active stays 1.
  bool first_waits_for_second = false;
  // Every INSERT waits until `open` (the test opens it).
  bool hold = false;
  bool open = false;
  std::deque<Fault> faults;  // for the INSERTs in the order they begin
  int reached_server = 0;
};

std::string TableOf(const std::string& query_string) {
  // "...query=INSERT%20INTO%20%60db%60.%60name%60%20(..." : the name after the database
  const std::string marker = "INSERT";
  size_t at = query_string.find(marker);
  if (at == std::string::npos) return "";
  for (const char* t : {"alpha", "beta", "keyed"})
    if (query_string.find(std::string("%60") + t + "%60", at) != std::string::npos ||
        query_string.find(std::string("`") + t + "`", at) != std::string::npos)
      return t;
  return "?";
}

class GatedTransport final : public HttpTransport {
 public:
  GatedTransport(std::unique_ptr<HttpTransport> real, std::shared_ptr<Gate> gate)
      : real_(std::move(real)), gate_(std::move(gate)) {}

  Result<HttpResponse> Post(const std::string& query_string, const HttpBody& body,
                            const std::vector<std::string>& headers) override {
    if (query_string.find("query=INSERT") == std::string::npos) return real_->Post(query_string, body, headers);
    const std::string table = TableOf(query_string);
    Gate& g = *gate_;
    Fault fault = Fault::kNone;
    int me;
    {
      std::unique_lock<std::mutex> lock(g.mu);
      me = ++g.started;
      g.max_active = std::max(g.max_active, ++g.active);
      g.max_active_of[table] = std::max(g.max_active_of[table], ++g.active_of[table]);
      if (!g.faults.empty()) {
        fault = g.faults.front();
        g.faults.pop_front();
      }
      g.cv.notify_all();
      if (me == 1 && g.first_waits_for_second) g.cv.wait_for(lock, 10s, [&] { return g.started >= 2; });
      if (g.hold) g.cv.wait_for(lock, 30s, [&] { return g.open; });
    }
    Result<HttpResponse> r = Status::Internal("unset");
    switch (fault) {
      case Fault::kRefuse:
        r = Status::Transient("Couldn't connect to server (injected)");
        break;
      case Fault::kLoseRequest:
        r = Status::IOError("Recv failure: Connection reset by peer (injected, request dropped)");
        break;
      case Fault::kLoseResponse:
        r = real_->Post(query_string, body, headers);
        if (r.ok()) r = Status::IOError("Operation timed out (injected, after the insert ran)");
        break;
      case Fault::kNone:
        r = real_->Post(query_string, body, headers);
        break;
    }
    std::lock_guard<std::mutex> lock(g.mu);
    if (fault == Fault::kNone || fault == Fault::kLoseResponse) ++g.reached_server;
    --g.active;
    --g.active_of[table];
    ++g.completed;
    g.cv.notify_all();
    return r;
  }

 private:
  std::unique_ptr<HttpTransport> real_;
  std::shared_ptr<Gate> gate_;
};

class ClickHouseInFlight : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string ns = std::string("inflight_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto url = testing::FreshDatabase(ns);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
    db_ = testing::DatabaseName(ns);
    gate_ = std::make_shared<Gate>();
  }

  // The destination over HTTP through GatedTransport, `tables` migrated.
  Result<std::unique_ptr<Destination>> Open(const std::vector<TableSchemaPtr>& tables, std::string url = "") {
    auto gate = gate_;
    auto d = std::make_unique<Destination>(
        [gate](const Endpoint& ep, const TransportOptions& o) -> Result<std::unique_ptr<HttpTransport>> {
          FERRY_ASSIGN_OR_RETURN(auto real, NewCurlTransport(ep, o));
          return std::unique_ptr<HttpTransport>(new GatedTransport(std::move(real), gate));
        });
    nlohmann::json spec = {{"connection_string", url.empty() ? url_ : url}};
    FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), spec, "destination \"ch\"", nullptr));
    FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"ch", "inv"}));
    FERRY_RETURN_NOT_OK(d->Migrate(tables, MigrateOptions{}));
    return d;
  }

  // A writer as a sync makes it for this plugin (writes in flight from its
  // capabilities), flushing every `batch_rows` rows.
  std::unique_ptr<engine::DestinationWriter> Writer(Destination* d, const std::vector<TableSchemaPtr>& tables,
                                                    int64_t batch_rows, WriteMode mode = WriteMode::kAppend) {
    engine::WriterOptions w;
    w.name = "ch";
    w.batch_size = batch_rows;
    w.settings.write_mode = mode;
    w.retry.max_retries = 5;
    w.retry.initial_backoff = 1ms;
    // The destination can take two Writes at once; set here explicitly so
    // the overlap is exercised whatever ClickHousePlugin declares.
    w.writes_in_flight = in_flight_;
    w.source_name = "src";
    w.sync_time_us = kT1;
    std::map<std::string, TableSchemaPtr> schemas;
    for (const auto& t : tables) schemas[t->name] = t;
    extra_(w);
    auto writer = std::make_unique<engine::DestinationWriter>(d, w, &budget_, schemas);
    writer->Start();
    return writer;
  }
  std::function<void(engine::WriterOptions&)> extra_ = [](engine::WriterOptions&) {};

  void PushRows(engine::DestinationWriter& w, const TableSchemaPtr& t, int64_t from, int64_t n,
                const std::string& name = "") {
    std::vector<Row> rows;
    for (int64_t i = from; i < from + n; ++i)
      rows.push_back(ItemRow(kT1, "src", i, name.empty() ? "row " + std::to_string(i) : name, 0.5 * i));
    auto b = ferry::testing::MakeBatch(t, rows);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    engine::WriterMessage m{engine::WriterMessage::Kind::kInsert, *b, t->name, "client", {}, {}, 0};
    w.Push(std::move(m));
  }

  std::string Q(const std::string& sql) {
    auto r = testing::Admin(sql + " FORMAT TSV");
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    std::string s = r.ok() ? *r : "";
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  // "rows distinct-ids" of a table.
  std::string Rows(const std::string& table) {
    return Q("SELECT count(), uniqExact(id) FROM " + QualifiedName(db_, table));
  }

  engine::MemoryBudget budget_{256 << 20};
  // Writes in flight for Writer(): 2, the destination's most.
  int in_flight_ = 2;
  std::string url_, db_;
  std::shared_ptr<Gate> gate_;
};

TEST_F(ClickHouseInFlight, TwoInsertsOverlap) {
  auto a = Items("alpha", false), b = Items("beta", false);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({a, b}));
  gate_->first_waits_for_second = true;
  auto w = Writer(d.get(), {a, b}, 1000);
  PushRows(*w, a, 0, 1000);
  PushRows(*w, b, 0, 1000);
  PushRows(*w, a, 1000, 1000);
  PushRows(*w, b, 1000, 1000);
  w->Finish();
  EXPECT_TRUE(w->errors().empty()) << w->errors().front();
  EXPECT_EQ(gate_->max_active, 2) << "the second INSERT began while the first was in flight";
  EXPECT_EQ(gate_->started, 4);
  EXPECT_EQ(w->stats().at("alpha").rows_written, 2000);
  EXPECT_EQ(w->stats().at("beta").rows_written, 2000);
  EXPECT_EQ(Rows("alpha"), "2000\t2000");
  EXPECT_EQ(Rows("beta"), "2000\t2000");
}

TEST_F(ClickHouseInFlight, ErrorOfTheFirstOfTwoInFlightFailsItsTableOnly) {
  auto a = Items("alpha", false), b = Items("beta", false);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({a, b}));
  // The server refuses alpha's INSERT (its table went behind Ferry's back):
  // a permanent error, found while beta's INSERT is in flight.
  ASSERT_TRUE(testing::Admin("DROP TABLE " + QualifiedName(db_, "alpha")).ok());
  gate_->first_waits_for_second = true;
  auto w = Writer(d.get(), {a, b}, 1000);
  PushRows(*w, a, 0, 1000);
  PushRows(*w, b, 0, 1000);
  PushRows(*w, b, 1000, 1000);
  w->Finish();
  EXPECT_EQ(gate_->max_active, 2);
  ASSERT_EQ(w->errors().size(), 1u) << ::testing::PrintToString(w->errors());
  EXPECT_NE(w->errors()[0].find("destination \"ch\", table alpha: writing 1000 rows failed"), std::string::npos)
      << w->errors()[0];
  EXPECT_NE(w->errors()[0].find("alpha"), std::string::npos);
  EXPECT_NE(w->errors()[0].find("doesn't exist"), std::string::npos) << w->errors()[0];
  EXPECT_EQ(w->stats().at("alpha").rows_failed, 1000);
  EXPECT_EQ(w->stats().at("alpha").rows_written, 0);
  EXPECT_EQ(w->stats().at("beta").rows_written, 2000);
  EXPECT_EQ(w->stats().at("beta").rows_failed, 0);
  EXPECT_TRUE(w->stats().at("beta").errors.empty());
  EXPECT_EQ(Rows("beta"), "2000\t2000");
}

TEST_F(ClickHouseInFlight, LostAnswersAndRequestsLoseNoAcknowledgedBatch) {
  // Two in flight: two answers lost at once once resent a written INSERT
  // (its QueryFinish was not yet in system.query_log after SYSTEM FLUSH
  // LOGS, see client.h); they lose and repeat nothing.
  in_flight_ = 2;
  auto a = Items("alpha", false), b = Items("beta", false);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({a, b}));
  gate_->first_waits_for_second = in_flight_ > 1;
  // The first INSERT ran but its answer is lost (resolved from the query
  // log, not resent) while the second one's request is lost (resent, maybe on
  // the other connection); then a refused connection and another lost answer.
  gate_->faults = {Fault::kLoseResponse, Fault::kLoseRequest, Fault::kNone, Fault::kRefuse, Fault::kLoseResponse};
  auto w = Writer(d.get(), {a, b}, 500);
  for (int i = 0; i < 6; ++i) {
    PushRows(*w, a, i * 500, 500);
    PushRows(*w, b, i * 500, 500);
  }
  w->Finish();
  EXPECT_TRUE(w->errors().empty()) << ::testing::PrintToString(w->errors());
  EXPECT_EQ(gate_->max_active, in_flight_);
  EXPECT_TRUE(gate_->faults.empty());
  EXPECT_EQ(w->stats().at("alpha").rows_written, 3000);
  EXPECT_EQ(w->stats().at("beta").rows_written, 3000);
  EXPECT_EQ(Rows("alpha"), "3000\t3000") << "every row once";
  EXPECT_EQ(Rows("beta"), "3000\t3000") << "every row once";
  EXPECT_EQ(gate_->reached_server, 12) << "12 requests, 2 lost before the server and resent, none resent after it ran";
}

// The native protocol: the proxy drops the server's answers on whichever of
// the two connections speaks next, several times during the sync.
TEST_F(ClickHouseInFlight, NativeConnectionsLosingAnswersLoseNoAcknowledgedBatch) {
  // Two in flight: two answers lost at once once resent a written INSERT
  // (its QueryFinish was not yet in system.query_log after SYSTEM FLUSH
  // LOGS, see client.h); they lose and repeat nothing.
  in_flight_ = 2;
  ferry::testing::TcpFaultProxy proxy("127.0.0.1", testing::TestServer().tcp_port);
  const std::string url = "clickhouse://127.0.0.1:" + std::to_string(proxy.port()) + "/" + db_;
  auto a = Items("alpha", false), b = Items("beta", false);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({a, b}, url));
  ASSERT_TRUE(d->client()->native());
  auto w = Writer(d.get(), {a, b}, 2000);
  for (int i = 0; i < 8; ++i) {
    if (i % 3 == 1) proxy.LoseNextAnswer(200ms);
    PushRows(*w, a, i * 2000, 2000);
    PushRows(*w, b, i * 2000, 2000);
    std::this_thread::sleep_for(30ms);
  }
  w->Finish();
  EXPECT_TRUE(w->errors().empty()) << ::testing::PrintToString(w->errors());
  EXPECT_GE(proxy.lost(), 1) << "the proxy lost no answer: the test tested nothing";
  EXPECT_EQ(w->stats().at("alpha").rows_written, 16000);
  EXPECT_EQ(w->stats().at("beta").rows_written, 16000);
  EXPECT_EQ(Rows("alpha"), "16000\t16000") << "every row once";
  EXPECT_EQ(Rows("beta"), "16000\t16000") << "every row once";
}

// A cursor covering rows in flight is committed only once their INSERT
// answered (the engine collects every write in flight first).
TEST_F(ClickHouseInFlight, CursorWaitsForTheInsertsInFlight) {
  auto a = Items("alpha", false);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({a}));
  std::mutex mu;
  std::vector<std::pair<StateEntry, int>> commits;  // entry, INSERTs completed when it committed
  auto gate = gate_;
  engine::StateCoordinator coordinator({}, 1, [&](std::vector<StateEntry> entries, std::vector<engine::PreparedToken>) {
    std::lock_guard<std::mutex> lock(gate->mu);
    std::lock_guard<std::mutex> l2(mu);
    for (auto& e : entries) commits.emplace_back(std::move(e), gate->completed);
  });
  extra_ = [&](engine::WriterOptions& o) {
    o.state_mode = engine::WriterOptions::StateMode::kCoordinated;
    o.coordinator = &coordinator;
  };
  gate_->hold = true;
  auto w = Writer(d.get(), {a}, 1000);
  PushRows(*w, a, 0, 1000);  // a full batch: its INSERT starts and is held
  StateEntry e{"alpha", "cursor-1"};
  const uint64_t seq = coordinator.Register(e);
  engine::WriterMessage cp{engine::WriterMessage::Kind::kCheckpoint, nullptr, "alpha", "client", {}, e, seq};
  w->Push(std::move(cp));
  {
    std::unique_lock<std::mutex> lock(gate_->mu);
    ASSERT_TRUE(gate_->cv.wait_for(lock, 10s, [&] { return gate_->started == 1; }));
  }
  std::this_thread::sleep_for(500ms);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(commits.empty()) << "the cursor was committed while its rows were in flight";
  }
  {
    std::lock_guard<std::mutex> lock(gate_->mu);
    gate_->open = true;
    gate_->cv.notify_all();
  }
  w->Finish();
  EXPECT_TRUE(w->errors().empty()) << ::testing::PrintToString(w->errors());
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].first.value, "cursor-1");
  EXPECT_EQ(commits[0].second, 1) << "committed after the INSERT returned";
  EXPECT_EQ(Rows("alpha"), "1000\t1000");
}

// Overwrite mode: the later row of a key wins, so two writes of a table with
// a primary key are never in flight together (a keyless table's are).
TEST_F(ClickHouseInFlight, WritesOfOneKeyedTableDoNotOverlap) {
  auto k = Items("keyed", true), b = Items("beta", false);
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open({k, b}));
  auto w = Writer(d.get(), {k, b}, 300, WriteMode::kOverwrite);
  for (int round = 0; round < 4; ++round) {
    PushRows(*w, k, 0, 300, "round " + std::to_string(round));
    PushRows(*w, b, round * 300, 300);
  }
  w->Finish();
  EXPECT_TRUE(w->errors().empty()) << ::testing::PrintToString(w->errors());
  EXPECT_EQ(gate_->max_active_of["keyed"], 1);
  EXPECT_EQ(gate_->started, 8);
  EXPECT_EQ(Q("SELECT count(), min(name), max(name) FROM " + QualifiedName(db_, "keyed") + " FINAL"),
            "300\tround 3\tround 3")
      << "the last round's rows won";
  EXPECT_EQ(Rows("beta"), "1200\t1200");
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
