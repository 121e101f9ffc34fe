#include "plugins/destination/clickhouse/connection_string.h"

#include <gtest/gtest.h>

namespace ferry::plugins::clickhouse {
namespace {

TEST(ClickHouseConnectionString, HttpUrl) {
  auto ep = ParseConnectionString("http://bob:s%40cret%3Ax@db.example:18123/analytics?max_execution_time=60&a=b%20c");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->base_url, "http://db.example:18123");
  EXPECT_EQ(ep->user, "bob");
  EXPECT_EQ(ep->password, "s@cret:x");
  EXPECT_EQ(ep->database, "analytics");
  EXPECT_FALSE(ep->tls);
  ASSERT_EQ(ep->settings.size(), 2u);
  EXPECT_EQ(ep->settings[0], (std::pair<std::string, std::string>{"max_execution_time", "60"}));
  EXPECT_EQ(ep->settings[1], (std::pair<std::string, std::string>{"a", "b c"}));
}

TEST(ClickHouseConnectionString, Defaults) {
  auto ep = ParseConnectionString("http://localhost");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->base_url, "http://localhost:8123");
  EXPECT_EQ(ep->database, "default");
  EXPECT_TRUE(ep->user.empty());
  auto tls = ParseConnectionString("https://h/db");
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->base_url, "https://h:8443");
  EXPECT_TRUE(tls->tls);
}

TEST(ClickHouseConnectionString, CloudQueryDsnIsTheNativeProtocol) {
  auto ep = ParseConnectionString(
      "clickhouse://u:p@host:9000/db?dial_timeout=200ms&read_timeout=1m30s&max_execution_time=60&debug=true");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_TRUE(ep->native);
  EXPECT_EQ(ep->base_url, "clickhouse://host:9000");
  EXPECT_EQ(ep->host, "host");
  EXPECT_EQ(ep->port, 9000);
  EXPECT_FALSE(ep->tls);
  EXPECT_EQ(ep->database, "db");
  EXPECT_EQ(ep->dial_timeout_ms, 200);
  EXPECT_EQ(ep->read_timeout_ms, 90000);
  ASSERT_EQ(ep->settings.size(), 1u) << "client parameters are not server settings";
  EXPECT_EQ(ep->settings[0].first, "max_execution_time");
  // The spec from CloudQuery's documentation, unchanged.
  auto cq = ParseConnectionString(
      "clickhouse://user:password@localhost:9000/database?secure=true&dial_timeout=10s&compress=lz4");
  ASSERT_TRUE(cq.ok()) << cq.status().ToString();
  EXPECT_TRUE(cq->native && cq->tls);
  EXPECT_EQ(cq->port, 9000);
  EXPECT_EQ(cq->native_compress, Endpoint::NativeCompress::kLz4);
  EXPECT_FALSE(cq->compress) << "no gzip bodies on the native protocol";
  EXPECT_TRUE(cq->settings.empty());
  auto secure = ParseConnectionString("clickhouse://default:pw@abc.clickhouse.cloud/db?secure=true&skip_verify=1");
  ASSERT_TRUE(secure.ok());
  EXPECT_EQ(secure->port, 9440) << "the secure native port by default";
  EXPECT_TRUE(secure->skip_verify);
  auto params = ParseConnectionString("tcp://[::1]/db?username=x&password=y&compress=zstd");
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_TRUE(params->native);
  EXPECT_EQ(params->host, "::1");
  EXPECT_EQ(params->port, 9000);
  EXPECT_EQ(params->user, "x");
  EXPECT_EQ(params->password, "y");
  EXPECT_EQ(params->native_compress, Endpoint::NativeCompress::kZstd);
  for (const char* on : {"true", "1", "LZ4"}) {
    auto c = ParseConnectionString(std::string("clickhouse://h/db?compress=") + on);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->native_compress, Endpoint::NativeCompress::kLz4) << on;
  }
  auto off = ParseConnectionString("clickhouse://h:19000/db?compress=none");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->native_compress, Endpoint::NativeCompress::kNone);
  EXPECT_EQ(off->port, 19000) << "any port: it is the native protocol's";
  auto http = ParseConnectionString("http://h/db?compress=lz4");
  ASSERT_TRUE(http.ok());
  EXPECT_FALSE(http->native);
  EXPECT_TRUE(http->compress) << "HTTP compresses bodies with gzip";
}

TEST(ClickHouseConnectionString, RefusedOptionsSayWhy) {
  auto gz = ParseConnectionString("clickhouse://h/db?compress=gzip");
  ASSERT_FALSE(gz.ok());
  EXPECT_NE(gz.status().message().find("lz4 or zstd"), std::string::npos) << gz.status().message();
  auto dur = ParseConnectionString("clickhouse://h/db?dial_timeout=10");
  ASSERT_FALSE(dur.ok());
  EXPECT_NE(dur.status().message().find("dial_timeout"), std::string::npos) << dur.status().message();
}

TEST(ClickHouseConnectionString, GoDurations) {
  EXPECT_EQ(*ParseGoDuration("10s"), 10000);
  EXPECT_EQ(*ParseGoDuration("1h2m3s"), 3723000);
  EXPECT_EQ(*ParseGoDuration("1.5s"), 1500);
  EXPECT_EQ(*ParseGoDuration("250ms"), 250);
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_FALSE(ParseGoDuration("ten seconds").ok());
  EXPECT_FALSE(ParseGoDuration("5").ok());
}

TEST(ClickHouseConnectionString, ErrorsNeverShowThePassword) {
  for (const char* bad :
       {"", "localhost:8123", "ftp://u:hunter22@h/db", "clickhouse://u:hunter22@h:70000/db",
        "clickhouse://u:hunter22@h/db?compress=br", "http://u:hunter22@h:12ab/db",
        "http://u:hunter22@h1:8123,h2:8123/db", "http://u:hunt%zz@h/db"}) {
    auto ep = ParseConnectionString(bad);
    ASSERT_FALSE(ep.ok()) << bad;
    EXPECT_EQ(ep.status().message().find("hunter22"), std::string::npos) << ep.status().message();
  }
}

TEST(ClickHouseConnectionString, PercentCoding) {
  EXPECT_EQ(PercentEncode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
  auto d = PercentDecode("a%20b%2fc");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "a b/c");
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
