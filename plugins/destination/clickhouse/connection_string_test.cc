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

TEST(ClickHouseConnectionString, CloudQueryDsnMapsToHttp) {
  auto ep = ParseConnectionString("clickhouse://u:p@host:9000/db?dial_timeout=200ms&max_execution_time=60&debug=true");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->base_url, "http://host:8123");
  EXPECT_EQ(ep->database, "db");
  ASSERT_EQ(ep->settings.size(), 1u) << "client parameters are not server settings";
  EXPECT_EQ(ep->settings[0].first, "max_execution_time");
  auto cloud = ParseConnectionString("clickhouse://default:pw@abc.clickhouse.cloud:9440/db?secure=true");
  ASSERT_TRUE(cloud.ok());
  EXPECT_EQ(cloud->base_url, "https://abc.clickhouse.cloud:8443");
  auto params = ParseConnectionString("clickhouse://host/db?username=x&password=y&compress=lz4");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->user, "x");
  EXPECT_EQ(params->password, "y");
  EXPECT_TRUE(params->compress);
}

TEST(ClickHouseConnectionString, ErrorsNeverShowThePassword) {
  for (const char* bad :
       {"", "localhost:8123", "ftp://u:hunter22@h/db", "clickhouse://u:hunter22@h:7000/db",
        "http://u:hunter22@h:12ab/db", "http://u:hunter22@h1:8123,h2:8123/db", "http://u:hunt%zz@h/db"}) {
    auto ep = ParseConnectionString(bad);
    ASSERT_FALSE(ep.ok()) << bad;
    EXPECT_EQ(ep.status().message().find("hunter22"), std::string::npos) << ep.status().message();
  }
  auto native = ParseConnectionString("clickhouse://u:p@h:7000/db");
  EXPECT_NE(native.status().message().find("http://user:password@h:HTTP_PORT/db"), std::string::npos)
      << native.status().message();
}

TEST(ClickHouseConnectionString, PercentCoding) {
  EXPECT_EQ(PercentEncode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
  auto d = PercentDecode("a%20b%2fc");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "a b/c");
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
