// JWTs for Google auth: base64url, RS256 with OpenSSL EVP, service account
// keys, the JWT bearer grant's assertion (RFC 7523) and self-signed JWTs.
// The claim sets are those Google's libraries send (google-auth-library-
// python's service_account.Credentials._make_authorization_grant_assertion
// and jwt.Credentials): a one-hour lifetime, "kid" = private_key_id.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "ferry/http/google_auth.h"
#include "ferry/redact.h"

namespace ferry::http {
namespace {

constexpr int64_t kJwtLifetimeSeconds = 3600;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

Result<std::string> SignJwt(const ServiceAccountKey& key, const nlohmann::json& claims) {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  const std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  auto sig = SignRs256(key.private_key, signing_input);
  if (!sig.ok()) return sig.status().WithContext("signing a JWT for " + key.client_email);
  return signing_input + "." + Base64UrlEncode(*sig);
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
    out += abc[v & 63];
  }
  if (i + 1 == data.size()) {
    const uint32_t v = uint8_t(data[i]) << 16;
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
  } else if (i + 2 == data.size()) {
    const uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
  }
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return Status::Invalid("base64url: a length of 4n+1 characters is impossible");
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return Status::Invalid("base64url: unexpected character (not A-Z a-z 0-9 - _)");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

Result<std::string> SignRs256(std::string_view pem, std::string_view data) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return Status::Internal("RS256: " + OpenSslError());
  // No passphrase callback: service account keys are unencrypted; an
  // encrypted one fails here instead of prompting on a terminal.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr), EVP_PKEY_free);
  if (!pkey) {
    ERR_clear_error();   // the OpenSSL message may quote nothing secret, but says little either
    return Status::Invalid(
        "the private key is not a PEM RSA private key (expected an unencrypted PKCS#8 PEM key, as in a "
        "service account key file downloaded from the IAM console)");
  }
  if (EVP_PKEY_base_id(pkey.get()) != EVP_PKEY_RSA)
    return Status::Invalid("the private key is not an RSA key (RS256 needs RSA)");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Status::Internal("RS256: " + OpenSslError());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Status::Internal("RS256: " + OpenSslError());
  sig.resize(len);
  return sig;
}

Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json, const std::string& where) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  // The parser's message would quote the text around the error: the key.
  if (j.is_discarded() || !j.is_object())
    return Status::Invalid(where + ": not a JSON object (expected a service account key file's JSON)");
  auto str = [&](const char* name) -> std::string {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ServiceAccountKey key;
  key.private_key = str("private_key");
  RegisterSecret(key.private_key);   // first, so nothing below can quote it
  const std::string type = str("type");
  if (type != "service_account")
    return Status::Invalid(where + ": \"type\" is \"" + type + "\", expected \"service_account\"");
  key.client_email = str("client_email");
  key.private_key_id = str("private_key_id");
  key.token_uri = str("token_uri");
  key.project_id = str("project_id");
  if (key.token_uri.empty()) key.token_uri = std::string(kGoogleTokenUri);
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"client_email", &key.client_email},
                             {"private_key", &key.private_key}})
    if (value->empty())
      return Status::Invalid(where + ": \"" + name + "\" is missing or not a string (a service account key "
                             "file as downloaded from the IAM console has it)");
  return key;
}

Result<std::string> MakeJwtBearerAssertion(const ServiceAccountKey& key, const std::vector<std::string>& scopes,
                                           std::chrono::system_clock::time_point now) {
  const int64_t iat = UnixSeconds(now);
  nlohmann::json claims = {{"iss", key.client_email},
                           {"scope", JoinScopes(scopes)},
                           {"aud", key.token_uri},
                           {"iat", iat},
                           {"exp", iat + kJwtLifetimeSeconds}};
  return SignJwt(key, claims);
}

Result<std::string> MakeSelfSignedJwt(const ServiceAccountKey& key, const std::string& audience,
                                      const std::vector<std::string>& scopes,
                                      std::chrono::system_clock::time_point now) {
  const int64_t iat = UnixSeconds(now);
  nlohmann::json claims = {{"iss", key.client_email}, {"sub", key.client_email}, {"iat", iat},
                           {"exp", iat + kJwtLifetimeSeconds}};
  if (!audience.empty()) claims["aud"] = audience;
  else claims["scope"] = JoinScopes(scopes);
  return SignJwt(key, claims);
}

}  // namespace ferry::http
