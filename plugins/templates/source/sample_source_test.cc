// The sample source against a real HTTP server on 127.0.0.1 (an API of the
// documented shape, served by testing/http_test_server) and through the
// fault proxy. TEMPLATE: an integration's own tests point the source at its
// emulator (scripts/test-servers.sh) the same way, with `endpoint`.
#include "plugins/templates/source/sample_source.h"

#include <gtest/gtest.h>

#include "testing/fake_sink.h"
#include "testing/http_test_server.h"

namespace ferry::plugins::sample {
namespace {

using ferry::plugins::test::testing::FakeSink;
using ferry::plugins::test::testing::MakeSource;
using ferry::plugins::test::testing::SyncAll;
using ferry::testing::HttpFaultProxy;
using ferry::testing::HttpTestServer;
using ferry::testing::ServerReply;
using ferry::testing::ServerRequest;

ServerReply Pages(const ServerRequest& req) {
  if (req.target == "/items") return ServerReply{.body = R"({"items":[{"id":1,"name":"a"},{"id":2}],"next_token":"p2"})"};
  if (req.target == "/items?page_token=p2") return ServerReply{.body = R"({"items":[{"id":3,"name":"c"}]})"};
  return ServerReply{.status = 404, .body = "no " + req.target};
}

TEST(SampleSource, SyncsEveryPageThroughFaults) {
  HttpTestServer api(Pages);
  HttpFaultProxy proxy(api.url());
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kStatus, .status = 429, .retry_after_seconds = 0});
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kReset});
  auto src = MakeSource(SampleSourcePlugin(), {{"endpoint", proxy.url()}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = SyncAll(**src, sink);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(sink.Rows(kItemsTable), 3);
  auto done = sink.DoneFor(kItemsTable);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].status.ok()) << done[0].status.ToString();
  EXPECT_EQ(proxy.faults_served(), 2);
  // The table's API figures reach the sink (and so the summary): two pages
  // plus one attempt per retry; the 429 is a throttle. (A reset of a reused
  // connection is retried inside libcurl, so it may not count as a retry.)
  const ApiCallFigures& f = sink.figures[kItemsTable];
  EXPECT_GE(f.retries, 1);
  EXPECT_EQ(f.requests, 2 + f.retries);
  EXPECT_EQ(f.throttled, 1);
  EXPECT_EQ(f.failures, 0);
  EXPECT_GT(f.bytes_received, 0);
}

TEST(SampleSource, AnApiErrorFailsTheTableWithTheUrl) {
  HttpTestServer api([](const ServerRequest&) { return ServerReply{.status = 403, .body = "{\"reason\":\"denied\"}"}; });
  auto src = MakeSource(SampleSourcePlugin(), {{"endpoint", api.url()}});
  ASSERT_TRUE(src.ok());
  FakeSink sink;
  (void)SyncAll(**src, sink);
  auto done = sink.DoneFor(kItemsTable);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_FALSE(done[0].status.ok());
  EXPECT_NE(done[0].status.message().find(api.url() + "/items: HTTP 403"), std::string::npos) << done[0].status.message();
}

TEST(SampleSource, SpecIsValidated) {
  EXPECT_FALSE(MakeSource(SampleSourcePlugin(), nlohmann::json::object()).ok()) << "endpoint is required";
  EXPECT_FALSE(MakeSource(SampleSourcePlugin(), {{"endpoint", "ftp://x"}}).ok());
  EXPECT_FALSE(MakeSource(SampleSourcePlugin(), {{"endpoint", "http://x"}, {"concurrency", 0}}).ok());
}

}  // namespace
}  // namespace ferry::plugins::sample
