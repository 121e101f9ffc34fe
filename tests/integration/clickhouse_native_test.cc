// The native TCP protocol against the real server (Debian's 18.16.1,
// revision 54412; plugins/destination/clickhouse/native_connection.h):
// handshake and queries, compressed blocks both ways (LZ4 and ZSTD; the
// server checks Ferry's CityHash128 checksums and Ferry checks the
// server's), errors with their codes and classes, a body that fails
// mid-block, and a connection whose answer is lost after the insert ran
// (testing/tcp_fault_proxy.h): no row lost, none written twice; TLS
// (secure=true) on the server's tcp_port_secure with the test CA.
#include <atomic>
#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include "engine/retrying.h"
#include "ferry/options.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/clickhouse/table_reader.h"
#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "plugins/destination/clickhouse/testing/write_faults.h"
#include "testing/batch_gen.h"
#include "testing/conformance_util.h"
#include "testing/tcp_fault_proxy.h"

namespace ferry::plugins::clickhouse {
namespace {

using ferry::testing::conformance::ItemRow;
using ferry::testing::conformance::Items;
using ferry::testing::conformance::kT1;

class ClickHouseNativeServer : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string ns = std::string("native_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto url = testing::FreshDatabase(ns);
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    db_ = testing::DatabaseName(ns);
    table_ = Items("items", false);
  }

  Result<std::unique_ptr<Destination>> Open(const std::string& connection_string, const std::string& ca_cert = "") {
    nlohmann::json spec = {{"connection_string", connection_string}};
    if (!ca_cert.empty()) spec["ca_cert"] = ca_cert;
    FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), spec, "destination \"ch\"", nullptr));
    auto d = std::make_unique<Destination>();
    FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"ch", "inv"}));
    FERRY_RETURN_NOT_OK(d->Migrate({table_}, MigrateOptions{}));
    return d;
  }

  Status WriteRows(Destination& d, int from, int n) {
    std::vector<Row> rows;
    for (int i = from; i < from + n; ++i) rows.push_back(ItemRow(kT1, "src", i, "name " + std::to_string(i), i));
    FERRY_ASSIGN_OR_RETURN(BatchPtr b, ferry::testing::MakeBatch(table_, rows));
    WriteRequest req{table_, {b}, nullptr, {}};
    req.request_id = ++request_id_;
    return testing::WriteWithEngineRetry(d, req);
  }

  int64_t Count() {
    auto r = testing::Admin("SELECT count() FROM " + QualifiedName(db_, "items") + " FORMAT TSV");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::stoll(*r) : -1;
  }

  std::string db_;
  TableSchemaPtr table_;
  uint64_t request_id_ = 0;
};

// A cancelled sync (DestinationInit::cancel) stops waiting on a server that
// stopped answering kCancelGrace after the cancel, over both protocols,
// instead of waiting out request_timeout (10 minutes by default).
TEST_F(ClickHouseNativeServer, ACancelledSyncStopsWaitingForAServerThatDoesNotAnswer) {
  for (const bool native : {true, false}) {
    SCOPED_TRACE(native ? "native" : "http");
    std::unique_ptr<Destination> d;   // outlives the write below
    std::future<Status> write;
    ferry::testing::TcpFaultProxy proxy("127.0.0.1",
                                        native ? testing::TestServer().tcp_port : testing::TestServer().http_port);
    const std::string url = std::string(native ? "clickhouse" : "http") + "://127.0.0.1:" +
                            std::to_string(proxy.port()) + "/" + db_;
    std::atomic<bool> cancel{false};
    FERRY_ASSERT_OK_AND_ASSIGN(Options opts, ValidateOptions(SpecOptions(), {{"connection_string", url}},
                                                             "destination \"ch\"", nullptr));
    d = std::make_unique<Destination>();
    DestinationInit init{"ch", "inv"};
    init.cancel = &cancel;
    FERRY_ASSERT_OK(d->Init(opts, init));
    FERRY_ASSERT_OK(d->Migrate({table_}, MigrateOptions{}));
    const int64_t before = Count();
    FERRY_ASSERT_OK(WriteRows(*d, 0, 10));
    EXPECT_EQ(Count(), before + 10);

    proxy.Freeze();
    cancel = true;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Row> rows;
    for (int i = 10; i < 20; ++i) rows.push_back(ItemRow(kT1, "src", i, "late", i));
    FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, ferry::testing::MakeBatch(table_, rows));
    write = std::async(std::launch::async, [&] {
      WriteRequest req{table_, {b}, nullptr, {}};
      req.request_id = 1000 + (native ? 1 : 2);
      return d->Write(req);
    });
    ASSERT_EQ(write.wait_for(kCancelGrace + std::chrono::seconds(10)), std::future_status::ready)
        << "the write should give up after the grace";
    const Status st = write.get();
    EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, kCancelGrace - std::chrono::milliseconds(300));
  }
}

TEST_F(ClickHouseNativeServer, HandshakeAndQueries) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto client, testing::NewNativeClient(db_));
  FERRY_ASSERT_OK_AND_ASSIGN(std::string v, client->Query("SELECT version() FORMAT TSV", "version"));
  EXPECT_EQ(v, testing::TestServer().version + "\n");
  FERRY_ASSERT_OK_AND_ASSIGN(std::string rows,
                             client->Query("SELECT number, toString(number) AS s, 'a\\tb' FROM system.numbers LIMIT "
                                           "3 FORMAT TSV",
                                           "numbers"));
  EXPECT_EQ(rows, "0\t0\ta\\tb\n1\t1\ta\\tb\n2\t2\ta\\tb\n");
  // Many blocks (max_block_size 1000): every one arrives, in order.
  FERRY_ASSERT_OK_AND_ASSIGN(std::string many, client->Query("SELECT sum(number) FROM (SELECT number FROM "
                                                             "system.numbers LIMIT 100000) FORMAT TSV",
                                                             "sum"));
  EXPECT_EQ(many, "4999950000\n");
  FERRY_ASSERT_OK_AND_ASSIGN(std::string native,
                             client->Query("SELECT number FROM system.numbers LIMIT 10000 SETTINGS max_block_size = "
                                           "1000 FORMAT Native",
                                           "native"));
  auto cols = DecodeNative(native);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 1u);
  ASSERT_EQ((*cols)[0].values.size(), 10000u);
  EXPECT_EQ((*cols)[0].values[9999].as_uint(), 9999u);
  FERRY_ASSERT_OK(client->Query("CREATE TABLE t (x UInt8) ENGINE = Memory", "ddl").status());
  // Settings from the connection string reach the server (18.16: in the
  // typed binary format), an unknown one is the server's error.
  FERRY_ASSERT_OK_AND_ASSIGN(auto tuned, testing::NewNativeClient(db_, "max_block_size=777&load_balancing=in_order"));
  FERRY_ASSERT_OK_AND_ASSIGN(
      std::string set, tuned->Query("SELECT name, value FROM system.settings WHERE name IN ('max_block_size', "
                                    "'load_balancing') ORDER BY name FORMAT TSV",
                                    "settings"));
  EXPECT_EQ(set, "load_balancing\tin_order\nmax_block_size\t777\n");
  FERRY_ASSERT_OK_AND_ASSIGN(auto unknown, testing::NewNativeClient(db_, "no_such_setting=1"));
  auto refused = unknown->Query("SELECT 1", "unknown setting");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("no_such_setting"), std::string::npos) << refused.status().message();
  // Ping/Pong, and the revision both sides use.
  FERRY_ASSERT_OK_AND_ASSIGN(Endpoint ep, ParseConnectionString(testing::TestServer().NativeUrl(db_)));
  NativeConnection conn(ep, NativeOptions{});
  FERRY_ASSERT_OK(conn.Ping());
  EXPECT_EQ(conn.revision(), std::min<uint64_t>(native::kOfferedRevision, conn.server().revision));
  EXPECT_EQ(conn.server().name, "ClickHouse");
  const std::string major_minor = std::to_string(conn.server().major) + "." + std::to_string(conn.server().minor) + ".";
  EXPECT_EQ(testing::TestServer().version.rfind(major_minor, 0), 0u) << testing::TestServer().version;
  FERRY_ASSERT_OK_AND_ASSIGN(std::string none, client->Query("SELECT * FROM t FORMAT TSV", "empty"));
  EXPECT_EQ(none, "");
}

TEST_F(ClickHouseNativeServer, ErrorsAreClassifiedAsOverHttp) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto client, testing::NewNativeClient(db_));
  auto missing = client->Query("SELECT * FROM no_such_table FORMAT TSV", "read");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("(code 60)"), std::string::npos) << missing.status().message();
  auto syntax = client->Query("SELEKT 1", "typo");
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalidArgument) << syntax.status().ToString();
  // The connection is still in step after errors.
  FERRY_ASSERT_OK_AND_ASSIGN(std::string one, client->Query("SELECT 1", "after"));
  EXPECT_EQ(one, "1\n");
  auto unsupported = client->Query("SELECT 1 FORMAT JSON", "json");
  EXPECT_EQ(unsupported.status().code(), StatusCode::kUnsupported);
  // A wrong password: permanent, says what to check, never shows it.
  auto bad = testing::NewNativeClient(db_, "username=ferry&password=wr0ng-s3cret");
  ASSERT_TRUE(bad.ok());
  auto denied = (*bad)->Query("SELECT 1", "connect");
  EXPECT_EQ(denied.status().code(), StatusCode::kInvalidArgument) << denied.status().ToString();
  EXPECT_NE(denied.status().message().find("check the user and password"), std::string::npos);
  EXPECT_EQ(denied.status().message().find("wr0ng-s3cret"), std::string::npos);
  auto good = testing::NewNativeClient(db_, "username=ferry&password=p%40ss%3Aw%2Frd");
  ASSERT_TRUE(good.ok());
  FERRY_ASSERT_OK((*good)->Query("SELECT 1", "connect").status());
  // Nothing listens: Transient (a retry may find the server up).
  Endpoint nowhere;
  nowhere.native = true;
  nowhere.host = "127.0.0.1";
  nowhere.port = 1;
  NativeConnection conn(nowhere, NativeOptions{});
  auto refused = conn.Execute(WireRequest{"SELECT 1", {}, "", nullptr, false});
  EXPECT_EQ(refused.status().code(), StatusCode::kTransient) << refused.status().ToString();
}

TEST_F(ClickHouseNativeServer, WritesAndReadsBackWithEveryCompression) {
  for (const char* params : {"", "compress=lz4", "compress=zstd"}) {
    FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(testing::TestServer().NativeUrl(db_, params)));
    FERRY_ASSERT_OK(testing::Admin("TRUNCATE TABLE " + QualifiedName(db_, "items")).status());
    EXPECT_TRUE(d->client()->native());
    FERRY_ASSERT_OK(WriteRows(*d, 0, 5000));
    FERRY_ASSERT_OK(WriteRows(*d, 5000, 3));
    EXPECT_EQ(Count(), 5003) << params;
    // Read back over the same protocol and compression: the server's frames.
    FERRY_ASSERT_OK_AND_ASSIGN(auto reader, testing::NewNativeClient(db_, params));
    FERRY_ASSERT_OK_AND_ASSIGN(
        auto rows, ReadTable(*reader, db_, LayoutOf(table_, d->features()), false));
    ASSERT_EQ(rows.size(), 5003u) << params;
    FERRY_ASSERT_OK_AND_ASSIGN(std::string s, reader->Query("SELECT sum(id) FROM items FORMAT TSV", "sum"));
    EXPECT_EQ(s, std::to_string(5002LL * 5003 / 2) + "\n") << params;
    FERRY_ASSERT_OK(d->Close());
  }
}

TEST_F(ClickHouseNativeServer, ServerRefusesTheInsertBeforeData) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(testing::TestServer().NativeUrl(db_)));
  ASSERT_TRUE(testing::Admin("ALTER TABLE " + QualifiedName(db_, "items") + " DROP COLUMN name").ok());
  Status st = WriteRows(*d, 0, 3);
  EXPECT_FALSE(st.IsRetryable()) << st.ToString();
  EXPECT_NE(st.message().find("table items: insert: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("(code 16)"), std::string::npos) << st.message();
  EXPECT_EQ(d->client()->last_insert_attempts(), 1);
}

using testing::FailingBody;

TEST_F(ClickHouseNativeServer, BodyThatFailsMidBlockInsertsNothing) {
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(testing::TestServer().NativeUrl(db_, "compress=lz4")));
  std::vector<Row> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(ItemRow(kT1, "src", i, "x", i));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, ferry::testing::MakeBatch(table_, rows));
  const TableLayout layout = LayoutOf(table_, d->features());
  NativeBody native(layout, {{b.get(), 0, 1000}}, "table items");
  FailingBody failing(&native, 5);
  std::string into = QualifiedName(db_, "items") + " (";
  for (size_t i = 0; i < layout.columns.size(); ++i) into += (i ? ", " : "") + QuoteIdent(layout.columns[i].name);
  into += ")";
  Status st = d->client()->Insert(into, failing, 1000, false, false, "table items: insert");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("injected encoding error"), std::string::npos);
  EXPECT_EQ(Count(), 0) << "the server keeps nothing of a block that did not end";
  FailingBody fine(&native, 100);
  FERRY_ASSERT_OK(d->client()->Insert(into, fine, 1000, false, false, "table items: insert"));
  EXPECT_EQ(Count(), 1000);
}

// Arms the proxy when the body's last piece is handed out: the rest of the
// insert (that piece and the empty block that ends the data) reaches the
// server, and the server's answer is lost.
class ArmingBody final : public BodySource {
 public:
  ArmingBody(BodySource* inner, ferry::testing::TcpFaultProxy* proxy) : inner_(inner), proxy_(proxy) {}
  void Rewind() override { inner_->Rewind(); }
  Result<bool> Next(ByteBuffer* out) override {
    FERRY_ASSIGN_OR_RETURN(bool more, inner_->Next(out));
    if (!more) proxy_->LoseNextAnswer();
    return more;
  }

 private:
  BodySource* inner_;
  ferry::testing::TcpFaultProxy* proxy_;
};

TEST_F(ClickHouseNativeServer, ConnectionCutMidInsertNeitherLosesNorDuplicates) {
  ferry::testing::TcpFaultProxy proxy("127.0.0.1", testing::TestServer().tcp_port);
  const std::string url = "clickhouse://127.0.0.1:" + std::to_string(proxy.port()) + "/" + db_ + "?compress=lz4";
  FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(url));
  FERRY_ASSERT_OK(WriteRows(*d, 0, 100));
  EXPECT_EQ(Count(), 100);
  // 1. Cut before the data: the Query reaches the server, the sample block
  // never comes back. Nothing was inserted, so the engine resends.
  proxy.LoseNextAnswer();
  FERRY_ASSERT_OK(WriteRows(*d, 100, 50));
  EXPECT_EQ(proxy.lost(), 1);
  EXPECT_EQ(d->client()->last_insert_attempts(), 2);
  EXPECT_EQ(Count(), 150) << "no row lost, none twice";
  // 2. Cut after the data: the block and its end reach the server, the
  // answer does not. The client cannot know; it asks system.query_log (on a
  // new connection) and must not send it again.
  std::vector<Row> rows;
  for (int i = 150; i < 180; ++i) rows.push_back(ItemRow(kT1, "src", i, "x", i));
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, ferry::testing::MakeBatch(table_, rows));
  const TableLayout layout = LayoutOf(table_, d->features());
  NativeBody native(layout, {{b.get(), 0, 30}}, "table items");
  ArmingBody arming(&native, &proxy);
  std::string into = QualifiedName(db_, "items") + " (";
  for (size_t i = 0; i < layout.columns.size(); ++i) into += (i ? ", " : "") + QuoteIdent(layout.columns[i].name);
  into += ")";
  FERRY_ASSERT_OK(d->client()->Insert(into, arming, 30, false, false, "table items: insert"));
  EXPECT_EQ(proxy.lost(), 2);
  EXPECT_EQ(d->client()->last_insert_attempts(), 1) << "resolved from the query log, not resent";
  EXPECT_EQ(Count(), 180) << "no row lost, none twice";
  // And the destination goes on over a fresh connection.
  FERRY_ASSERT_OK(WriteRows(*d, 180, 10));
  EXPECT_EQ(Count(), 190);
}

TEST_F(ClickHouseNativeServer, SecureConnections) {
  const testing::ChServer& srv = testing::TestServer();
  if (srv.tcp_secure_port == 0)
    GTEST_SKIP() << "the running test server has no tcp_port_secure (started by an older test-server.sh: "
                    "scripts/test-servers.sh stop clickhouse, then rerun)";
  const std::string secure = "clickhouse://ferry:p%40ss%3Aw%2Frd@127.0.0.1:" + std::to_string(srv.tcp_secure_port) +
                             "/" + db_ + "?secure=true&compress=lz4";
  {  // the CA as a file path, as ca_cert allows
    FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(secure, srv.ca_file));
    FERRY_ASSERT_OK(WriteRows(*d, 0, 20));
    EXPECT_EQ(Count(), 20);
  }
  {  // the CA as PEM text (${file:ca.pem} in a spec)
    std::FILE* f = std::fopen(srv.ca_file.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::string pem(8192, '\0');
    pem.resize(std::fread(pem.data(), 1, pem.size(), f));
    std::fclose(f);
    FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(secure, pem));
    FERRY_ASSERT_OK(WriteRows(*d, 20, 5));
    EXPECT_EQ(Count(), 25);
  }
  {  // not trusted: the system store does not know the test CA
    auto d = Open(secure);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << d.status().ToString();
    EXPECT_NE(d.status().message().find("not trusted"), std::string::npos) << d.status().message();
    EXPECT_NE(d.status().message().find("ca_cert"), std::string::npos) << d.status().message();
    EXPECT_EQ(d.status().message().find("p@ss"), std::string::npos);
  }
  {  // skip_verify: encrypted without the check
    FERRY_ASSERT_OK_AND_ASSIGN(auto d, Open(secure + "&skip_verify=true"));
    FERRY_ASSERT_OK(WriteRows(*d, 25, 5));
    EXPECT_EQ(Count(), 30);
  }
  {  // TLS to the plain port: a clear failure, not a hang
    auto d = Open(testing::TestServer().NativeUrl(db_, "secure=true&dial_timeout=2s&read_timeout=2s"), srv.ca_file);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("TLS"), std::string::npos) << d.status().message();
  }
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
