// Paging helpers and the credential chain, against a real HTTP server on
// 127.0.0.1.
#include "ferry/http/paging.h"

#include <gtest/gtest.h>

#include "ferry/http/credentials.h"
#include "ferry/redact.h"
#include "testing/http_test_server.h"

namespace ferry::http {
namespace {

using ferry::testing::HttpTestServer;
using ferry::testing::ServerReply;
using ferry::testing::ServerRequest;

std::string Param(const std::string& target, const std::string& name) {
  const size_t p = target.find(name + "=");
  if (p == std::string::npos) return "";
  const size_t e = target.find('&', p);
  return target.substr(p + name.size() + 1, e == std::string::npos ? std::string::npos : e - p - name.size() - 1);
}

TEST(HttpPaging, BodyTokenUntilTheLastPage) {
  HttpTestServer server([](const ServerRequest& req) {
    const std::string t = Param(req.target, "NextToken");
    if (t.empty()) return ServerReply{.body = R"({"Items":[1,2],"NextToken":"a b/c"})"};
    if (t == "a%20b%2Fc") return ServerReply{.body = R"({"Items":[3],"NextToken":"t2"})"};
    if (t == "t2") return ServerReply{.body = R"({"Items":[4,5],"NextToken":""})"};
    return ServerReply{.status = 400, .body = "unexpected token " + t};
  });
  auto client = HttpClient::Make({}).MoveValue();
  std::vector<int> items;
  int pages = 0;
  Status st = ForEachPage(*client, {.url = server.url() + "/list?Filter=x"}, NextByBodyToken("NextToken", "NextToken"),
                          [&](const Response& page) {
                            ++pages;
                            const auto doc = nlohmann::json::parse(page.body);
                            for (const auto& v : doc["Items"]) items.push_back(v.get<int>());
                            return Status::OK();
                          });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(items, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(HttpPaging, RepeatedTokenIsAnErrorNotALoop) {
  HttpTestServer server([](const ServerRequest&) { return ServerReply{.body = R"({"NextToken":"same"})"}; });
  auto client = HttpClient::Make({}).MoveValue();
  Status st = ForEachPage(*client, {.url = server.url() + "/list"}, NextByBodyToken("NextToken", "NextToken"),
                          [](const Response&) { return Status::OK(); });
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("same next-page token"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(server.url() + "/list"), std::string::npos) << st.message();
  EXPECT_EQ(server.requests(), 2);
}

TEST(HttpPaging, LinkHeaderAndErrorsNameTheUrl) {
  HttpTestServer* self = nullptr;
  HttpTestServer server([&](const ServerRequest& req) {
    ServerReply r;
    if (req.target == "/repos") {
      r.headers["Link"] = "<" + self->url() + "/repos?page=2>; rel=\"next\", <" + self->url() + "/repos?page=9>; rel=\"last\"";
    } else if (req.target == "/repos?page=2") {
      r.status = 404;
      r.body = "gone";
    }
    return r;
  });
  self = &server;
  auto client = HttpClient::Make({}).MoveValue();
  int pages = 0;
  Status st = ForEachPage(*client, {.url = server.url() + "/repos"}, NextByLinkHeader(), [&](const Response&) {
    ++pages;
    return Status::OK();
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(pages, 1);
  EXPECT_NE(st.message().find("HTTP 404: gone"), std::string::npos) << st.message();
}

TEST(HttpPaging, WithQueryParamReplacesAndEncodes) {
  EXPECT_EQ(WithQueryParam("http://h/p", "a", "1"), "http://h/p?a=1");
  EXPECT_EQ(WithQueryParam("http://h/p?a=1&b=2", "a", "x y"), "http://h/p?b=2&a=x%20y");
  EXPECT_EQ(WithQueryParam("http://h/p?b=2#f", "t", "&"), "http://h/p?b=2&t=%26#f");
}

TEST(CredentialChain, FirstApplicableLinkWinsAndItsSecretsAreRegistered) {
  CredentialChain chain;
  chain.Add("environment", [] { return Result<LinkAnswer>(LinkAnswer::Skip("AWS_ACCESS_KEY_ID is not set")); })
      .Add("shared file", [] {
        return Result<LinkAnswer>(LinkAnswer::Found({.fields = {{"secret_access_key", "chain-secret-value-123"}}}));
      });
  auto c = chain.Resolve("aws source");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->source, "shared file");
  EXPECT_EQ(Redact("key chain-secret-value-123"), "key ***");
}

TEST(CredentialChain, NoLinkAppliesListsEveryLinkWithoutSecrets) {
  RegisterSecret("leaky-token-abcdef");
  CredentialChain chain;
  chain.Add("environment", [] { return Result<LinkAnswer>(LinkAnswer::Skip("AWS_ACCESS_KEY_ID is not set")); })
      .Add("metadata", [] { return Result<LinkAnswer>(LinkAnswer::Skip("refused token leaky-token-abcdef")); });
  auto c = chain.Resolve("aws source");
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_NE(m.find("environment: AWS_ACCESS_KEY_ID is not set"), std::string::npos) << m;
  EXPECT_NE(m.find("metadata: refused token ***"), std::string::npos) << m;
  EXPECT_EQ(m.find("leaky-token"), std::string::npos) << m;
}

TEST(CredentialChain, AnApplicableLinkThatFailsStopsTheChain) {
  bool later_called = false;
  CredentialChain chain;
  chain.Add("shared file", [] { return Result<LinkAnswer>(Status::Invalid("line 3: no '=' in \"[default\"")); })
      .Add("metadata", [&] {
        later_called = true;
        return Result<LinkAnswer>(LinkAnswer::Found({}));
      });
  auto c = chain.Resolve("aws source");
  ASSERT_FALSE(c.ok());
  EXPECT_FALSE(later_called);
  EXPECT_NE(c.status().message().find("credentials from shared file failed: line 3"), std::string::npos);
}

}  // namespace
}  // namespace ferry::http
