// HttpClient against real HTTP servers on 127.0.0.1 (testing/http_test_server)
// and through the fault proxy: retries, Retry-After, deadlines, rate limits,
// connection reuse, gzip, proxies from the environment.
#include "ferry/http/client.h"

#include <cstdlib>
#include <thread>
#include <mutex>

#include <gtest/gtest.h>

#include "ferry/redact.h"
#include "testing/http_test_server.h"

namespace ferry::http {
namespace {

using ferry::testing::HttpFaultProxy;
using ferry::testing::HttpTestServer;
using ferry::testing::ServerReply;
using ferry::testing::ServerRequest;
using Clock = std::chrono::steady_clock;

RetryPolicy Fast(int retries = 5, int deadline_ms = 5000) {
  RetryPolicy p;
  p.max_retries = retries;
  p.initial_backoff = std::chrono::milliseconds(5);
  p.max_backoff = std::chrono::milliseconds(20);
  p.deadline = std::chrono::milliseconds(deadline_ms);
  return p;
}

std::unique_ptr<HttpClient> Client(ClientOptions o = {}) {
  if (o.retry.initial_backoff.count() == 200) o.retry = Fast();
  auto c = HttpClient::Make(std::move(o));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.MoveValue();
}

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

TEST(HttpClient, RetriesServiceUnavailableThenSucceeds) {
  std::atomic<int> n{0};
  HttpTestServer server([&](const ServerRequest&) {
    ServerReply r;
    if (n++ < 2) r.status = 503;
    r.body = "ok";
    return r;
  });
  auto c = Client();
  auto r = c->Do({.url = server.url() + "/x"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(c->Snapshot().retries, 2);
  EXPECT_EQ(c->Snapshot().requests, 3);
}

TEST(HttpClient, HonoursRetryAfter) {
  std::atomic<int> n{0};
  HttpTestServer server([&](const ServerRequest&) {
    ServerReply r;
    if (n++ == 0) {
      r.status = 429;
      r.headers["Retry-After"] = "1";
    }
    return r;
  });
  auto c = Client();
  const auto t0 = Clock::now();
  auto r = c->Do({.url = server.url() + "/x"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(Seconds(t0), 0.95) << "Retry-After: 1 is a lower bound on the delay";
  EXPECT_EQ(c->Snapshot().throttled, 1);
}

TEST(HttpClient, GivesUpAtTheDeadlineNamingUrlAndLastAnswer) {
  HttpTestServer server([](const ServerRequest&) { return ServerReply{.status = 502}; });
  ClientOptions o;
  o.retry = Fast(1000, 300);
  auto c = Client(o);
  const auto t0 = Clock::now();
  auto r = c->Do({.url = server.url() + "/items?signature=s3cr3t-value"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_LT(Seconds(t0), 2.0);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("GET " + server.url() + "/items"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 502"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cr3t"), std::string::npos) << "the query string (signatures, tokens) is not printed: " << m;
}

TEST(HttpClient, ClientErrorsAreNotRetried) {
  HttpTestServer server([](const ServerRequest&) { return ServerReply{.status = 400, .body = "{\"code\":\"Bad\"}"}; });
  auto c = Client();
  auto r = c->Do({.url = server.url() + "/x"});
  ASSERT_TRUE(r.ok()) << "a permanent answer is returned to the caller";
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, ThrottlingCodeInA400BodyIsRetried) {
  std::atomic<int> n{0};
  HttpTestServer server([&](const ServerRequest&) {
    ServerReply r;
    if (n++ == 0) {
      r.status = 400;
      r.body = "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
    }
    return r;
  });
  auto c = Client();
  auto r = c->Do({.url = server.url() + "/x"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c->Snapshot().throttled, 1);
}

TEST(HttpClient, ResetAndTruncatedBodyThroughTheFaultProxyAreRetried) {
  HttpTestServer upstream([](const ServerRequest& req) { return ServerReply{.body = "page " + req.target}; });
  HttpFaultProxy proxy(upstream.url());
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kReset});
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kTruncate});
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kStatus, .status = 503, .retry_after_seconds = 0});
  auto c = Client();
  auto r = c->Do({.url = proxy.url() + "/p1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "page /p1");
  EXPECT_EQ(proxy.faults_served(), 3);
  EXPECT_EQ(c->Snapshot().retries, 3);
}

TEST(HttpClient, PostIsNotRepeatedAfterAnUnansweredAttempt) {
  HttpTestServer upstream([](const ServerRequest&) { return ServerReply{}; });
  HttpFaultProxy proxy(upstream.url());
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kReset});
  auto c = Client();
  auto r = c->Do({.method = "POST", .url = proxy.url() + "/create", .body = "{}"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not idempotent"), std::string::npos) << r.status().message();
  EXPECT_EQ(upstream.requests(), 0);
  // Marked idempotent by the caller, it is.
  proxy.Inject({.kind = HttpFaultProxy::Fault::Kind::kReset});
  auto again = c->Do({.method = "POST", .url = proxy.url() + "/describe", .body = "{}", .idempotent = true});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

TEST(HttpClient, GzipBodiesAreDecoded) {
  const std::string big(100000, 'z');
  HttpTestServer server([&](const ServerRequest& req) {
    EXPECT_NE(req.headers.count("Accept-Encoding"), 0u);
    return ServerReply{.body = big, .gzip = true};
  });
  auto c = Client();
  auto r = c->Do({.url = server.url() + "/x"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, big);
  EXPECT_LT(c->Snapshot().bytes_received, 100000 + 1);
}

TEST(HttpClient, ConnectionsAreReused) {
  HttpTestServer server([](const ServerRequest&) { return ServerReply{.body = "x"}; });
  auto c = Client();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Do({.url = server.url() + "/n"}).ok());
  EXPECT_EQ(server.requests(), 20);
  EXPECT_EQ(server.connections(), 1) << "one thread, sequential requests: one kept-alive connection";
}

TEST(HttpClient, RateLimitPerHost) {
  HttpTestServer server([](const ServerRequest&) { return ServerReply{}; });
  ClientOptions o;
  o.rate_per_second = 10;
  o.burst = 5;
  auto c = Client(o);
  const auto t0 = Clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Do({.url = server.url() + "/r"}).ok());
  // 5 from the burst, 15 at 10/s.
  EXPECT_GE(Seconds(t0), 1.4);
  EXPECT_GT(c->Snapshot().rate_wait.count(), 1000);
}

// max_in_flight bounds the requests on the wire over all threads (a source's
// `concurrency`); without it the same load has more at once.
TEST(HttpClient, MaxInFlightBoundsConcurrentRequestsAcrossThreads) {
  std::mutex mu;
  int now = 0, most = 0;
  HttpTestServer server([&](const ServerRequest&) {
    {
      std::lock_guard<std::mutex> l(mu);
      most = std::max(most, ++now);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    {
      std::lock_guard<std::mutex> l(mu);
      --now;
    }
    return ServerReply{.body = "x"};
  });
  auto load = [&](int64_t bound) {
    {
      std::lock_guard<std::mutex> l(mu);
      most = 0;
    }
    ClientOptions o;
    o.max_in_flight = bound;
    auto c = Client(o);
    std::vector<std::thread> threads;
    for (int t = 0; t < 12; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 3; ++i) EXPECT_TRUE(c->Do({.url = server.url() + "/b"}).ok());
      });
    for (auto& th : threads) th.join();
    std::lock_guard<std::mutex> l(mu);
    return most;
  };
  EXPECT_GT(load(0), 3) << "the server answers requests at once";
  const int bounded = load(3);
  EXPECT_LE(bounded, 3);
  EXPECT_GE(bounded, 2);
}

TEST(HttpClient, ThrottlingHalvesTheRateAndSuccessRecoversIt) {
  std::atomic<int> n{0};
  HttpTestServer server([&](const ServerRequest&) {
    ServerReply r;
    if (n++ == 0) r.status = 429;
    return r;
  });
  ClientOptions o;
  o.rate_per_second = 100;
  o.burst = 100;
  auto c = Client(o);
  const std::string host = HostOf(server.url());
  EXPECT_EQ(c->CurrentRate(host), 100);
  ASSERT_TRUE(c->Do({.url = server.url() + "/t"}).ok());
  const double after = c->CurrentRate(host);
  EXPECT_LT(after, 60) << "halved on the 429, then one success";
  EXPECT_GE(after, 50);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(c->Do({.url = server.url() + "/t"}).ok());
  EXPECT_GT(c->CurrentRate(host), after);
}

TEST(HttpClient, EndpointOverrideReplacesSchemeAndHost) {
  HttpTestServer server([](const ServerRequest& req) { return ServerReply{.body = req.target}; });
  ClientOptions o;
  o.endpoint = server.url();
  auto c = Client(o);
  auto r = c->Do({.url = "https://ec2.us-east-1.amazonaws.com/?Action=DescribeInstances"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "/?Action=DescribeInstances");
}

TEST(HttpClient, ProxyFromTheEnvironmentAndNoProxy) {
  HttpTestServer server([](const ServerRequest&) { return ServerReply{.body = "direct"}; });
  HttpFaultProxy proxy("http://127.0.0.1:1");   // forward-proxy use: absolute targets
  ::setenv("http_proxy", proxy.url().c_str(), 1);
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  auto c = Client();
  auto via = c->Do({.url = server.url() + "/p"});
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ(proxy.forwarded(), 1) << "http_proxy is honoured";
  ::setenv("no_proxy", "127.0.0.1", 1);
  auto direct = c->Do({.url = server.url() + "/p"});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(proxy.forwarded(), 1) << "no_proxy bypasses it";
  ::unsetenv("http_proxy");
  ::unsetenv("no_proxy");
}

TEST(HttpClient, RetryAfterParsing) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);   // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), std::chrono::milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now), std::chrono::milliseconds(10000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:00 GMT", now), std::chrono::milliseconds(0));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("", now));
}

TEST(HttpClient, Classifier) {
  EXPECT_EQ(DefaultClassifier({.status = 200}), Verdict::kOk);
  EXPECT_EQ(DefaultClassifier({.status = 404}), Verdict::kPermanent);
  EXPECT_EQ(DefaultClassifier({.status = 500}), Verdict::kTransient);
  EXPECT_EQ(DefaultClassifier({.status = 429}), Verdict::kThrottled);
  EXPECT_EQ(DefaultClassifier({.status = 400, .body = "{\"__type\":\"com.amazonaws#ThrottlingException\"}"}),
            Verdict::kThrottled);
  EXPECT_EQ(DefaultClassifier({.status = 403, .body = "{\"error\":{\"errors\":[{\"reason\":\"rateLimitExceeded\"}]}}"}),
            Verdict::kThrottled);
  EXPECT_EQ(DefaultClassifier({.status = 503, .body = "<Error><Code>SlowDown</Code></Error>"}), Verdict::kThrottled);
  EXPECT_EQ(DefaultClassifier({.status = 403, .body = "{\"reason\":\"forbidden\"}"}), Verdict::kPermanent);
}

TEST(HttpClient, RefusedConnectionIsTransientWithTheUrl) {
  ClientOptions o;
  o.retry = Fast(2, 500);
  auto c = Client(o);
  auto r = c->Do({.url = "http://127.0.0.1:1/nothing"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_NE(r.status().message().find("127.0.0.1:1/nothing"), std::string::npos) << r.status().message();
  EXPECT_EQ(c->Snapshot().requests, 3);
}

}  // namespace
}  // namespace ferry::http
