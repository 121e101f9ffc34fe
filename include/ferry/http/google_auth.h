// Google authentication as Google's client libraries do it, for the
// integrations that call Google APIs (BigQuery destination, GCP source).
//
// What an integration holds is a GoogleAuthorizer: Authorize(request) adds
// "Authorization: Bearer <token>" (or nothing, for an emulator). Behind it:
//   - a service account key (JSON: type "service_account", client_email,
//     private_key (PEM PKCS#8), private_key_id, token_uri): the OAuth 2.0 JWT
//     bearer grant (RFC 7523): a JWT {alg RS256, typ JWT, kid} . {iss, scope,
//     aud = token_uri, iat, exp = iat + 3600} signed with the key (OpenSSL
//     EVP), POSTed form-encoded to token_uri; or, where no token endpoint is
//     wanted, a self-signed JWT used as the token itself (aud = the API's
//     audience, or the scope claim), as Google's libraries do;
//   - Application Default Credentials (ADC), in Google's order (the facts
//     relied on are in google_auth.cc): GOOGLE_APPLICATION_CREDENTIALS (a
//     service_account or authorized_user file), gcloud's well-known file
//     ($CLOUDSDK_CONFIG or ~/.config/gcloud, application_default_credentials.json),
//     then the GCE metadata server (GCE_METADATA_HOST overrides its host);
//   - no auth at all when `endpoint` points at an emulator.
// Tokens are cached in a GoogleTokenSource shared by every thread, refreshed
// when less than refresh_margin is left (3 min 45 s, as Google's Python and
// Java libraries), one refresh in flight at a time.
//
// Secrets: private keys, refresh tokens, client secrets and access tokens are
// registered with RegisterSecret (ferry/redact.h) as soon as they are read;
// errors name the credential source (a file path, "metadata server at HOST")
// and the token endpoint, never a key or a token.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/http/client.h"
#include "ferry/status.h"

namespace ferry::http {

inline constexpr std::string_view kGoogleTokenUri = "https://oauth2.googleapis.com/token";
inline constexpr std::string_view kGoogleCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

// base64url (RFC 4648 section 5) without padding, as JWTs use it.
std::string Base64UrlEncode(std::string_view data);
// Accepts input with or without padding; fails on other characters.
Result<std::string> Base64UrlDecode(std::string_view text);

// The RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `data` with a PEM
// private key (PKCS#8 "BEGIN PRIVATE KEY", or PKCS#1 "BEGIN RSA PRIVATE KEY").
// Errors never quote the key.
Result<std::string> SignRs256(std::string_view pem_private_key, std::string_view data);

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;      // PEM
  std::string private_key_id;   // the JWT's "kid"; may be empty
  std::string token_uri;        // kGoogleTokenUri when the file has none
  std::string project_id;       // may be empty
};

// Parses a service account key file's JSON. `where` names it in errors (a
// file path, or "service_account_key_json"); missing fields are named.
Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json, const std::string& where);

// The signed JWT of the JWT bearer grant: claims iss = client_email, scope =
// the scopes joined by spaces, aud = token_uri, iat = now, exp = iat + 3600.
Result<std::string> MakeJwtBearerAssertion(const ServiceAccountKey& key, const std::vector<std::string>& scopes,
                                           std::chrono::system_clock::time_point now);

// A self-signed JWT, used as the access token itself (no token endpoint):
// iss = sub = client_email, iat, exp = iat + 3600, and aud = `audience`
// ("https://bigquery.googleapis.com/") when given, else the scope claim.
Result<std::string> MakeSelfSignedJwt(const ServiceAccountKey& key, const std::string& audience,
                                      const std::vector<std::string>& scopes,
                                      std::chrono::system_clock::time_point now);

struct AccessToken {
  std::string token;
  std::chrono::system_clock::time_point expiry;
};

// What obtains a fresh token: one per kind of credential.
class TokenFetcher {
 public:
  virtual ~TokenFetcher() = default;
  virtual Result<AccessToken> Fetch(std::chrono::system_clock::time_point now) = 0;
  // For messages: "service account a@b.iam.gserviceaccount.com from FILE,
  // token endpoint URL". Never secret.
  virtual std::string Describe() const = 0;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

// Where ADC reads its environment; tests pass a map instead of the process's.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

struct GoogleAuthOptions {
  // Set: an emulator; no auth at all (Authorize adds nothing).
  std::string endpoint;
  // Set: this service account key (JSON text), not ADC.
  std::string service_account_key_json;
  // Empty: kGoogleCloudPlatformScope.
  std::vector<std::string> scopes;
  // With a service account key: self-signed JWTs as tokens, no token
  // endpoint; aud = self_signed_jwt_audience, or the scope claim when empty.
  // Off: the JWT bearer grant.
  bool self_signed_jwt = false;
  std::string self_signed_jwt_audience;
  // Refresh when less than this is left before expiry.
  std::chrono::seconds refresh_margin{225};
  // The metadata server must answer its probe within this.
  std::chrono::milliseconds metadata_timeout{3000};
  EnvLookup env = ProcessEnv();
  Clock clock = [] { return std::chrono::system_clock::now(); };
  // Names the integration in messages ("bigquery destination").
  std::string what = "google auth";
  // Set: the credentials above (key or ADC) only sign in; every token is
  // this service account's, from IAM Credentials generateAccessToken
  // (POST {iam_credentials_endpoint}/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken
  // with {scope, delegates, lifetime}), as Google's impersonated credentials
  // do. Scopes: impersonation_scopes, else cloud-platform.
  std::string impersonate_service_account;
  std::vector<std::string> impersonation_delegates;   // emails, in chain order
  std::vector<std::string> impersonation_scopes;
  std::string iam_credentials_endpoint = "https://iamcredentials.googleapis.com";
};

// A cached token shared by every thread. Thread-safe.
class GoogleTokenSource {
 public:
  GoogleTokenSource(std::unique_ptr<TokenFetcher> fetcher, std::string source, Clock clock,
                    std::chrono::seconds refresh_margin);

  // The cached token when more than refresh_margin is left; else one caller
  // fetches a new one while the others wait for it (or, while the old token
  // has not expired yet, go on using it). A failed fetch is an error naming
  // the source and the token endpoint, for its caller and the waiters.
  Result<std::string> Token();
  // Where the token comes from: the ADC link or "service_account_key_json",
  // then the fetcher's description.
  std::string Describe() const;
  int64_t fetches() const;

 private:
  std::unique_ptr<TokenFetcher> fetcher_;
  std::string source_;
  Clock clock_;
  std::chrono::seconds margin_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<AccessToken> token_;
  bool refreshing_ = false;
  uint64_t generation_ = 0;   // bumped by every finished fetch
  Status last_error_;
  int64_t fetches_ = 0;
};

// Application Default Credentials: the first applicable of
// GOOGLE_APPLICATION_CREDENTIALS, gcloud's well-known file, the metadata
// server (a ferry::http::CredentialChain). A file that exists but cannot be
// used stops the search with its error (it does not fall through to another
// identity); when nothing applies the error names each link and why.
Result<std::unique_ptr<GoogleTokenSource>> DefaultGoogleCredentials(const GoogleAuthOptions& options,
                                                                    std::shared_ptr<HttpClient> http);

// A token source from a credentials file's JSON (service_account or
// authorized_user), `where` naming it.
Result<std::unique_ptr<TokenFetcher>> FetcherFromCredentialsJson(std::string_view json, const std::string& where,
                                                                 const GoogleAuthOptions& options,
                                                                 std::shared_ptr<HttpClient> http);

// What an integration holds: adds the Authorization header to its requests.
class GoogleAuthorizer {
 public:
  // `http` carries the token requests (the integration's own client will
  // do; it must have no `endpoint` of its own). Null: a client is made.
  static Result<std::unique_ptr<GoogleAuthorizer>> Make(GoogleAuthOptions options,
                                                        std::shared_ptr<HttpClient> http = nullptr);
  // Adds "Authorization: Bearer ..." unless anonymous().
  Status Authorize(Request& request);
  // Whether requests go without auth (an emulator endpoint).
  bool anonymous() const { return tokens_ == nullptr; }
  std::string Describe() const;
  GoogleTokenSource* tokens() const { return tokens_.get(); }

 private:
  std::unique_ptr<GoogleTokenSource> tokens_;
  std::string what_;
};

}  // namespace ferry::http
