// Google JWTs checked independently: keys made by the `openssl` command,
// signatures verified by `openssl dgst -sha256 -verify` on header.payload,
// claims decoded and compared with what Google's token endpoint expects.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ferry/http/google_auth.h"
#include "ferry/redact.h"
#include "testing/google_auth_fixture.h"
#include "testing/peers.h"

namespace ferry::http {
namespace {

using ferry::testing::OpensslKey;

std::vector<std::string> Split(const std::string& jwt) {
  std::vector<std::string> parts;
  std::stringstream ss(jwt);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  return parts;
}

nlohmann::json DecodePart(const std::string& part) {
  auto raw = Base64UrlDecode(part);
  EXPECT_TRUE(raw.ok()) << raw.status().ToString();
  return nlohmann::json::parse(*raw);
}

// `openssl dgst -sha256 -verify pub.pem -signature sig header.payload`: 0 when it verifies.
int OpensslVerify(const OpensslKey& k, const std::string& signing_input, const std::string& signature) {
  const auto data = k.dir / "data.txt", sig = k.dir / "sig.bin";
  std::ofstream(data, std::ios::binary) << signing_input;
  std::ofstream(sig, std::ios::binary) << signature;
  const std::string cmd = "openssl dgst -sha256 -verify '" + (k.dir / "pub.pem").string() + "' -signature '" +
                          sig.string() + "' '" + data.string() + "' >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

TEST(GoogleJwt, Base64UrlKnownAnswersWithoutPadding) {
  // RFC 4648 section 10's vectors, padding removed; 0xfb 0xff uses - and _.
  const std::pair<std::string, std::string> cases[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
      {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    auto back = Base64UrlDecode(encoded);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, plain);
  }
  EXPECT_EQ(*Base64UrlDecode("Zm8="), "fo");
  EXPECT_FALSE(Base64UrlDecode("Zm+v").ok()) << "'+' is base64, not base64url";
}

TEST(GoogleJwt, BearerAssertionSignatureVerifiesWithOpensslAndClaimsAreGoogles) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  auto key = ParseServiceAccountKey(k.KeyJson("https://oauth2.example.test/token"), "key.json");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto jwt = MakeJwtBearerAssertion(*key, {"https://www.googleapis.com/auth/bigquery", "scope2"}, now);
  ASSERT_TRUE(jwt.ok()) << jwt.status().ToString();
  auto parts = Split(*jwt);
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& p : parts) EXPECT_EQ(p.find('='), std::string::npos) << "no padding in a JWT";

  nlohmann::json header = DecodePart(parts[0]);
  EXPECT_EQ(header, (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-0123456789"}}));
  nlohmann::json claims = DecodePart(parts[1]);
  EXPECT_EQ(claims["iss"], "ferry-test@ferry-project.iam.gserviceaccount.com");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/bigquery scope2");
  EXPECT_EQ(claims["aud"], "https://oauth2.example.test/token");
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700003600);

  auto sig = Base64UrlDecode(parts[2]);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 256u) << "RSA-2048 signature";
  EXPECT_EQ(OpensslVerify(k, parts[0] + "." + parts[1], *sig), 0) << "openssl does not verify Ferry's RS256 signature";
  // The check can fail: one changed claim and the signature no longer verifies.
  std::string forged = Base64UrlEncode(nlohmann::json{{"iss", "someone-else"}}.dump());
  EXPECT_NE(OpensslVerify(k, parts[0] + "." + forged, *sig), 0);
}

TEST(GoogleJwt, SelfSignedJwtHasAudienceOrScopeAndVerifies) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  auto key = ParseServiceAccountKey(k.KeyJson(""), "key.json");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->token_uri, kGoogleTokenUri) << "token_uri defaults to Google's";
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto jwt = MakeSelfSignedJwt(*key, "https://bigquery.googleapis.com/", {}, now);
  ASSERT_TRUE(jwt.ok());
  auto parts = Split(*jwt);
  ASSERT_EQ(parts.size(), 3u);
  nlohmann::json claims = DecodePart(parts[1]);
  EXPECT_EQ(claims["aud"], "https://bigquery.googleapis.com/");
  EXPECT_EQ(claims["iss"], claims["sub"]);
  EXPECT_FALSE(claims.contains("scope"));
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 3600);
  EXPECT_EQ(OpensslVerify(k, parts[0] + "." + parts[1], *Base64UrlDecode(parts[2])), 0);

  auto scoped = MakeSelfSignedJwt(*key, "", {"a", "b"}, now);
  ASSERT_TRUE(scoped.ok());
  nlohmann::json c2 = DecodePart(Split(*scoped)[1]);
  EXPECT_EQ(c2["scope"], "a b");
  EXPECT_FALSE(c2.contains("aud"));
}

TEST(GoogleJwt, BadKeysAreNamedButNeverQuoted) {
  FERRY_REQUIRE_PEER(ferry::testing::OpensslMissing());
  OpensslKey k = OpensslKey::Make();
  // A key whose PEM body is damaged (one base64 line dropped): unparseable.
  std::string broken = k.pem;
  const size_t cut = broken.find('\n', 40);
  broken.erase(cut, broken.find('\n', cut + 1) - cut);
  nlohmann::json j = nlohmann::json::parse(k.KeyJson(""));
  j["private_key"] = broken;
  auto key = ParseServiceAccountKey(j.dump(), "service_account_key_json");
  ASSERT_TRUE(key.ok());
  auto jwt = MakeJwtBearerAssertion(*key, {"s"}, std::chrono::system_clock::now());
  ASSERT_FALSE(jwt.ok());
  const std::string msg = Redact(jwt.status().message());
  EXPECT_NE(msg.find("not a PEM RSA private key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ferry-test@ferry-project"), std::string::npos) << "names whose key: " << msg;
  for (size_t i = 0; i + 16 <= broken.size(); i += 8)
    EXPECT_EQ(jwt.status().message().find(broken.substr(i, 16)), std::string::npos) << "key text in: " << msg;

  // Missing fields and a wrong type are named; the message never has the key.
  j = nlohmann::json::parse(k.KeyJson(""));
  j.erase("client_email");
  auto missing = ParseServiceAccountKey(j.dump(), "service_account_key_json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"client_email\" is missing"), std::string::npos);
  EXPECT_EQ(missing.status().message().find("PRIVATE KEY"), std::string::npos);
  j = nlohmann::json::parse(k.KeyJson(""));
  j["type"] = "authorized_user";
  auto wrong = ParseServiceAccountKey(j.dump(), "key.json");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("key.json: \"type\" is \"authorized_user\""), std::string::npos);
  // Not JSON at all (a key pasted alone): the parser's excerpt is not quoted.
  auto notjson = ParseServiceAccountKey(k.pem, "service_account_key_json");
  ASSERT_FALSE(notjson.ok());
  EXPECT_EQ(notjson.status().message().find("MII"), std::string::npos) << notjson.status().message();
}

}  // namespace
}  // namespace ferry::http
