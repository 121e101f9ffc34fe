// Retries against a real ClickHouse server through a fault-injecting
// transport: refused connections, lost requests, lost answers and busy
// servers never lose or duplicate a row, and an insert whose fate cannot be
// known fails permanently instead of being repeated. The destination makes
// one attempt per call; the retries are the engine's (CallWithRetry), as in
// a sync.
#include <gtest/gtest.h>

#include <deque>

#include "engine/retrying.h"
#include "ferry/options.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "plugins/destination/clickhouse/testing/write_faults.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::conformance::ItemRow;
using ferry::testing::conformance::Items;
using ferry::testing::conformance::kT1;

enum class Fault {
  kRefuse,        // connection refused: Transient, nothing sent
  kLoseRequest,   // the request never arrives, but the client cannot know: IOError
  kLoseResponse,  // the server runs the insert, the answer is lost: IOError
  kBusy,          // the server answers "too many parts" (code 252) without inserting
  kSlowResponse,  // the insert runs; the answer is lost while the query log is not readable
};

struct Plan {
  std::deque<Fault> faults;     // applied to INSERT requests, in order
  bool hide_query_log = false;  // answer queries on system.query_log with "unknown table"
  int inserts_sent = 0;         // INSERT requests that reached the server
};

class FaultyTransport final : public HttpTransport {
 public:
  FaultyTransport(std::unique_ptr<HttpTransport> real, std::shared_ptr<Plan> plan)
      : real_(std::move(real)), plan_(std::move(plan)) {}

  Result<HttpResponse> Post(const std::string& query_string, const HttpBody& body,
                            const std::vector<std::string>& headers) override {
    if (plan_->hide_query_log && body.bytes.find("system.query_log") != std::string_view::npos)
      return HttpResponse{404,
                          "Code: 60, e.displayText() = DB::Exception: Table system.query_log doesn't exist., "
                          "e.what() = DB::Exception\n"};
    const bool insert = query_string.find("query=INSERT") != std::string::npos;
    if (!insert || plan_->faults.empty()) {
      if (insert) ++plan_->inserts_sent;
      return real_->Post(query_string, body, headers);
    }
    const Fault f = plan_->faults.front();
    plan_->faults.pop_front();
    switch (f) {
      case Fault::kRefuse:
        return Status::Transient("Couldn't connect to server (injected)");
      case Fault::kLoseRequest:
        return Status::IOError("Recv failure: Connection reset by peer (injected, request dropped)");
      case Fault::kBusy:
        return HttpResponse{500,
                            "Code: 252, e.displayText() = DB::Exception: Too many parts (600). Merges are "
                            "processing significantly slower than inserts., e.what() = DB::Exception\n"};
      case Fault::kLoseResponse:
      case Fault::kSlowResponse: {
        ++plan_->inserts_sent;
        auto r = real_->Post(query_string, body, headers);
        if (!r.ok()) return r;
        if (f == Fault::kSlowResponse) plan_->hide_query_log = true;
        return Status::IOError("Operation timed out (injected, after the insert ran)");
      }
    }
    return Status::Internal("unreachable");
  }

 private:
  std::unique_ptr<HttpTransport> real_;
  std::shared_ptr<Plan> plan_;
};

class ClickHouseRetry : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string ns = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto url = testing::FreshDatabase("retry_" + ns);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    db_ = testing::DatabaseName("retry_" + ns);
    plan_ = std::make_shared<Plan>();
    auto plan = plan_;
    dest_ = std::make_unique<Destination>(
        [plan](const Endpoint& ep, const TransportOptions& o) -> Result<std::unique_ptr<HttpTransport>> {
          FERRY_ASSIGN_OR_RETURN(auto real, NewCurlTransport(ep, o));
          return std::unique_ptr<HttpTransport>(new FaultyTransport(std::move(real), plan));
        });
    nlohmann::json spec = {{"connection_string", *url}};
    auto opts = ValidateOptions(SpecOptions(), spec, "destination \"ch\"", nullptr);
    ASSERT_TRUE(opts.ok()) << opts.status().ToString();
    FERRY_ASSERT_OK(dest_->Init(*opts, DestinationInit{"ch", "inv"}));
    table_ = Items("items", false);
    FERRY_ASSERT_OK(dest_->Migrate({table_}, MigrateOptions{}));
  }

  Status WriteRows(int n) {
    std::vector<Row> rows;
    for (int i = 0; i < n; ++i) rows.push_back(ItemRow(kT1, "src", i, "x", i));
    FERRY_ASSIGN_OR_RETURN(BatchPtr b, ferry::testing::MakeBatch(table_, rows));
    WriteRequest req{table_, {b}, nullptr, {}};
    req.request_id = ++request_id_;
    return testing::WriteWithEngineRetry(*dest_, req);
  }
  uint64_t request_id_ = 0;

  int64_t Count() {
    auto r = testing::Admin("SELECT count() FROM " + QualifiedName(db_, "items") + " FORMAT TSV");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::stoll(*r) : -1;
  }

  std::string db_;
  std::shared_ptr<Plan> plan_;
  std::unique_ptr<Destination> dest_;
  TableSchemaPtr table_;
};

TEST_F(ClickHouseRetry, RefusedConnectionsAreRetried) {
  plan_->faults = {Fault::kRefuse, Fault::kRefuse};
  FERRY_ASSERT_OK(WriteRows(10));
  EXPECT_EQ(dest_->client()->last_insert_attempts(), 3);
  EXPECT_EQ(Count(), 10);
}

TEST_F(ClickHouseRetry, BusyServerIsRetried) {
  plan_->faults = {Fault::kBusy};
  FERRY_ASSERT_OK(WriteRows(10));
  EXPECT_EQ(dest_->client()->last_insert_attempts(), 2);
  EXPECT_EQ(Count(), 10);
}

TEST_F(ClickHouseRetry, LostAnswerIsResolvedFromTheQueryLogWithoutResending) {
  plan_->faults = {Fault::kLoseResponse};
  FERRY_ASSERT_OK(WriteRows(10));
  EXPECT_EQ(dest_->client()->last_insert_attempts(), 1) << "the insert ran: it must not be sent again";
  EXPECT_EQ(plan_->inserts_sent, 1);
  EXPECT_EQ(Count(), 10);
}

TEST_F(ClickHouseRetry, LostRequestIsResent) {
  plan_->faults = {Fault::kLoseRequest, Fault::kLoseRequest};
  FERRY_ASSERT_OK(WriteRows(10));
  EXPECT_EQ(dest_->client()->last_insert_attempts(), 3);
  EXPECT_EQ(Count(), 10);
}

TEST_F(ClickHouseRetry, UnknownFateFailsPermanentlyInsteadOfDuplicating) {
  plan_->faults = {Fault::kSlowResponse};
  Status st = WriteRows(10);
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(st.IsRetryable()) << "the engine must not resend it: " << st.ToString();
  EXPECT_NE(st.message().find("may or may not be in the table"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("query_log"), std::string::npos) << st.message();
  EXPECT_EQ(Count(), 10) << "it ran once and was not repeated";
}

TEST_F(ClickHouseRetry, GivingUpIsTransientSoTheEngineRetriesLater) {
  plan_->faults = {Fault::kRefuse, Fault::kRefuse, Fault::kRefuse, Fault::kRefuse};
  Status st = WriteRows(10);
  EXPECT_EQ(st.code(), StatusCode::kTransient) << st.ToString();
  EXPECT_NE(st.message().find("gave up after 3 retries"), std::string::npos) << st.message();
  EXPECT_EQ(Count(), 0);
  FERRY_ASSERT_OK(WriteRows(10));  // the engine's retry of the same request
  EXPECT_EQ(Count(), 10);
}

using testing::FailingBody;

TEST_F(ClickHouseRetry, BodyThatFailsMidStreamInsertsNothing) {
  std::vector<Row> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(ItemRow(kT1, "src", i, "x", i));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, ferry::testing::MakeBatch(table_, rows));
  const TableLayout layout = LayoutOf(table_, dest_->features());
  NativeBody native(layout, {{b.get(), 0, 1000}}, "table items");
  FailingBody failing(&native, 5);  // the header and four columns leave before the error
  std::string into = QualifiedName(db_, "items") + " (";
  for (size_t i = 0; i < layout.columns.size(); ++i) into += (i ? ", " : "") + QuoteIdent(layout.columns[i].name);
  Status st = dest_->client()->Insert(into + ")", failing, 1000, false, false, "table items: insert");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("injected encoding error"), std::string::npos);
  EXPECT_EQ(Count(), 0) << "the server keeps nothing of an INSERT whose body did not end";
  FailingBody fine(&native, 100);
  FERRY_ASSERT_OK(dest_->client()->Insert(into + ")", fine, 1000, false, false, "table items: insert"));
  EXPECT_EQ(Count(), 1000);
  EXPECT_EQ(testing::Admin("SELECT count() FROM system.parts WHERE active AND database = '" + db_ +
                           "' AND table = 'items' FORMAT TSV")
                .value(),
            "1\n");
}

TEST_F(ClickHouseRetry, PermanentErrorsCarryTheServerMessage) {
  ASSERT_TRUE(testing::Admin("ALTER TABLE " + QualifiedName(db_, "items") + " DROP COLUMN name").ok());
  Status st = WriteRows(3);
  EXPECT_FALSE(st.IsRetryable());
  EXPECT_NE(st.message().find("table items: insert: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("name"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("(code 16, HTTP"), std::string::npos) << st.message();
  EXPECT_EQ(dest_->client()->last_insert_attempts(), 1);
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
