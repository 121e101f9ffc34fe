// Google token fetchers, the cached token source, Application Default
// Credentials and the authorizer (contract in ferry/http/google_auth.h).
//
// Facts relied on (google-auth-library-python: google/auth/_default.py,
// _cloud_sdk.py, environment_vars.py, _helpers.py, compute_engine/_metadata.py;
// google-auth-library-java: OAuth2Credentials; Google's ADC documentation):
//   - ADC order: GOOGLE_APPLICATION_CREDENTIALS, then gcloud's
//     application_default_credentials.json, then (App Engine standard's App
//     Identity, not supported here) the metadata server. A set
//     GOOGLE_APPLICATION_CREDENTIALS whose file is missing or unusable is an
//     error, not a fall-through; a missing gcloud file is skipped.
//   - Credential files: "type" is "service_account" (client_email,
//     private_key, private_key_id, token_uri, project_id) or
//     "authorized_user" (client_id, client_secret, refresh_token; token
//     endpoint https://oauth2.googleapis.com/token unless "token_uri" says).
//   - gcloud's config directory: $CLOUDSDK_CONFIG, else ~/.config/gcloud.
//   - Metadata server: host $GCE_METADATA_HOST, else $GCE_METADATA_ROOT (its
//     old name), else metadata.google.internal; token at
//     /computeMetadata/v1/instance/service-accounts/default/token, scopes as
//     ?scopes=a,b; every request carries "Metadata-Flavor: Google" and the
//     answer has it too. Python probes $GCE_METADATA_IP (169.254.169.254) with a
//     3 s timeout (GCE_METADATA_TIMEOUT); NO_GCE_CHECK=true skips the probe.
//     Here the probe goes to GCE_METADATA_HOST when that is set (so an
//     override points every request, the probe included, at one place).
//   - Refresh margin: 3 min 45 s (Python _helpers.REFRESH_THRESHOLD, Java
//     OAuth2Credentials.DEFAULT_REFRESH_MARGIN; Java treats the token as
//     expired 3 min before expiry).
//   - Token endpoint answers: {"access_token", "expires_in" (seconds),
//     "token_type"}; errors {"error", "error_description"}.
#include "ferry/http/google_auth.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ferry/http/credentials.h"
#include "ferry/http/client.h"
#include "ferry/redact.h"
#include "ferry/text_codec.h"

namespace ferry::http {
namespace {

std::string Form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  return out;
}

// Sends a token request and parses {"access_token", "expires_in"}. Errors
// name `endpoint` (without query) and the answer's error code and description.
Result<AccessToken> ExchangeForToken(HttpClient& http, Request request, const std::string& endpoint,
                                     std::chrono::system_clock::time_point now) {
  // Asking for a token twice is harmless: transient failures are retried.
  request.idempotent = true;
  auto response = http.Do(request);
  if (!response.ok()) return response.status().WithContext("token endpoint " + UrlForMessages(endpoint));
  nlohmann::json j = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status != 200) {
    std::string detail;
    if (j.is_object()) {
      if (auto e = j.find("error"); e != j.end() && e->is_string()) detail = e->get<std::string>();
      if (auto d = j.find("error_description"); d != j.end() && d->is_string())
        detail += (detail.empty() ? "" : ": ") + d->get<std::string>();
    }
    if (detail.empty()) detail = response->body.substr(0, 200);
    return Status::IOError("token endpoint " + UrlForMessages(endpoint) + " answered " +
                           std::to_string(response->status) + ": " + Redact(detail));
  }
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    return Status::IOError("token endpoint " + UrlForMessages(endpoint) +
                           " answered 200 without a string \"access_token\"");
  AccessToken t;
  t.token = j["access_token"].get<std::string>();
  RegisterSecret(t.token);
  int64_t expires_in = 3600;   // RFC 6749: optional; Google always sends it
  if (auto e = j.find("expires_in"); e != j.end()) {
    if (e->is_number_integer()) expires_in = e->get<int64_t>();
    else if (e->is_string()) expires_in = std::atoll(e->get<std::string>().c_str());
  }
  t.expiry = now + std::chrono::seconds(expires_in);
  return t;
}

class ServiceAccountFetcher : public TokenFetcher {
 public:
  ServiceAccountFetcher(ServiceAccountKey key, std::vector<std::string> scopes, std::shared_ptr<HttpClient> http)
      : key_(std::move(key)), scopes_(std::move(scopes)), http_(std::move(http)) {}
  Result<AccessToken> Fetch(std::chrono::system_clock::time_point now) override {
    FERRY_ASSIGN_OR_RETURN(std::string assertion, MakeJwtBearerAssertion(key_, scopes_, now));
    RegisterSecret(assertion);   // a signed grant is as good as a token for an hour
    Request r{.method = "POST", .url = key_.token_uri};
    r.headers["Content-Type"] = "application/x-www-form-urlencoded";
    r.body = Form({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}});
    return ExchangeForToken(*http_, std::move(r), key_.token_uri, now);
  }
  std::string Describe() const override {
    return "service account " + key_.client_email + ", token endpoint " + UrlForMessages(key_.token_uri);
  }

 private:
  ServiceAccountKey key_;
  std::vector<std::string> scopes_;
  std::shared_ptr<HttpClient> http_;
};

class SelfSignedJwtFetcher : public TokenFetcher {
 public:
  SelfSignedJwtFetcher(ServiceAccountKey key, std::string audience, std::vector<std::string> scopes)
      : key_(std::move(key)), audience_(std::move(audience)), scopes_(std::move(scopes)) {}
  Result<AccessToken> Fetch(std::chrono::system_clock::time_point now) override {
    FERRY_ASSIGN_OR_RETURN(std::string jwt, MakeSelfSignedJwt(key_, audience_, scopes_, now));
    RegisterSecret(jwt);
    return AccessToken{jwt, now + std::chrono::seconds(3600)};
  }
  std::string Describe() const override {
    return "service account " + key_.client_email + ", self-signed JWT for " +
           (audience_.empty() ? "its scopes" : audience_) + " (no token endpoint)";
  }

 private:
  ServiceAccountKey key_;
  std::string audience_;
  std::vector<std::string> scopes_;
};

class AuthorizedUserFetcher : public TokenFetcher {
 public:
  AuthorizedUserFetcher(std::string client_id, std::string client_secret, std::string refresh_token,
                        std::string token_uri, std::shared_ptr<HttpClient> http)
      : client_id_(std::move(client_id)), client_secret_(std::move(client_secret)),
        refresh_token_(std::move(refresh_token)), token_uri_(std::move(token_uri)), http_(std::move(http)) {}
  Result<AccessToken> Fetch(std::chrono::system_clock::time_point now) override {
    Request r{.method = "POST", .url = token_uri_};
    r.headers["Content-Type"] = "application/x-www-form-urlencoded";
    r.body = Form({{"grant_type", "refresh_token"}, {"client_id", client_id_},
                   {"client_secret", client_secret_}, {"refresh_token", refresh_token_}});
    return ExchangeForToken(*http_, std::move(r), token_uri_, now);
  }
  std::string Describe() const override {
    return "authorized user (client " + client_id_ + "), token endpoint " + UrlForMessages(token_uri_);
  }

 private:
  std::string client_id_, client_secret_, refresh_token_, token_uri_;
  std::shared_ptr<HttpClient> http_;
};

class MetadataFetcher : public TokenFetcher {
 public:
  MetadataFetcher(std::string host, std::vector<std::string> scopes, std::shared_ptr<HttpClient> http)
      : host_(std::move(host)), scopes_(std::move(scopes)), http_(std::move(http)) {}
  Result<AccessToken> Fetch(std::chrono::system_clock::time_point now) override {
    std::string url = TokenUrl();
    std::string query;
    for (const auto& s : scopes_) query += (query.empty() ? "" : ",") + s;
    Request r{.method = "GET", .url = url + (query.empty() ? "" : "?scopes=" + PercentEncode(query))};
    r.headers["Metadata-Flavor"] = "Google";
    return ExchangeForToken(*http_, std::move(r), url, now);
  }
  std::string Describe() const override { return "metadata server, token endpoint " + TokenUrl(); }

 private:
  std::string TokenUrl() const {
    return "http://" + host_ + "/computeMetadata/v1/instance/service-accounts/default/token";
  }
  std::string host_;
  std::vector<std::string> scopes_;
  std::shared_ptr<HttpClient> http_;
};

// Impersonation: the base credentials' token buys the target's through IAM
// Credentials (facts: the generateAccessToken reference: body {"scope": [...],
// "delegates": ["projects/-/serviceAccounts/EMAIL"], "lifetime": "3600s"};
// answer {"accessToken", "expireTime" (RFC 3339)}).
class ImpersonationFetcher : public TokenFetcher {
 public:
  ImpersonationFetcher(std::unique_ptr<GoogleTokenSource> base, std::string target, std::vector<std::string> delegates,
                       std::vector<std::string> scopes, std::string endpoint, std::shared_ptr<HttpClient> http)
      : base_(std::move(base)), target_(std::move(target)), delegates_(std::move(delegates)),
        scopes_(std::move(scopes)), endpoint_(std::move(endpoint)), http_(std::move(http)) {}
  Result<AccessToken> Fetch(std::chrono::system_clock::time_point now) override {
    FERRY_ASSIGN_OR_RETURN(std::string base_token, base_->Token());
    nlohmann::json body = {{"scope", scopes_}, {"lifetime", "3600s"}};
    body["delegates"] = nlohmann::json::array();
    for (const auto& d : delegates_) body["delegates"].push_back("projects/-/serviceAccounts/" + d);
    Request r{.method = "POST", .url = Url(), .body = body.dump()};
    r.headers["Authorization"] = "Bearer " + base_token;
    r.headers["Content-Type"] = "application/json";
    FERRY_ASSIGN_OR_RETURN(Response resp, http_->Do(r));
    if (resp.status != 200) {
      auto j = nlohmann::json::parse(resp.body, nullptr, false);
      std::string said = resp.body.substr(0, 300);
      if (j.is_object() && j.contains("error") && j["error"].is_object()) said = j["error"].value("message", said);
      return Status::IOError("impersonating " + target_ + " (" + Url() + "): HTTP " +
                                      std::to_string(resp.status) + ": " + said +
                                      " (the signed-in credentials need roles/iam.serviceAccountTokenCreator on it)");
    }
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (!j.is_object() || !j.contains("accessToken") || !j["accessToken"].is_string())
      return Status::IOError("impersonating " + target_ + ": the answer of " + Url() + " has no accessToken");
    AccessToken t;
    t.token = j["accessToken"].get<std::string>();
    RegisterSecret(t.token);
    t.expiry = now + std::chrono::seconds(3600);
    if (j.contains("expireTime") && j["expireTime"].is_string()) {
      std::string text = j["expireTime"].get<std::string>();
      auto micros = ParseTimestamp(text);
      if (micros.ok()) t.expiry = std::chrono::system_clock::time_point(std::chrono::microseconds(*micros));
    }
    return t;
  }
  std::string Describe() const override {
    return "service account " + target_ + " impersonated through " + Url() + ", signed in with " + base_->Describe();
  }

 private:
  std::string Url() const {
    // The email as Google's libraries put it in the path ('@' is a valid path
    // character); anything else that is not unreserved is escaped.
    std::string email = PercentEncode(target_);
    for (size_t at; (at = email.find("%40")) != std::string::npos;) email.replace(at, 3, "@");
    return endpoint_ + "/v1/projects/-/serviceAccounts/" + email + ":generateAccessToken";
  }
  std::unique_ptr<GoogleTokenSource> base_;
  std::string target_;
  std::vector<std::string> delegates_, scopes_;
  std::string endpoint_;
  std::shared_ptr<HttpClient> http_;
};

std::vector<std::string> ScopesOf(const GoogleAuthOptions& o) {
  return o.scopes.empty() ? std::vector<std::string>{std::string(kGoogleCloudPlatformScope)} : o.scopes;
}

std::optional<std::string> NonEmptyEnv(const GoogleAuthOptions& o, const std::string& name) {
  auto v = o.env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

Result<std::string> ReadFile(const std::string& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(where + ": cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  // Not the whole file: its paths and emails must stay readable in errors;
  // the parsers register the secrets in it (key, refresh token, client secret).
  return ss.str();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
}

Result<std::unique_ptr<TokenFetcher>> FetcherFromCredentialsJson(std::string_view json, const std::string& where,
                                                                 const GoogleAuthOptions& options,
                                                                 std::shared_ptr<HttpClient> http) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Invalid(where + ": not a JSON object");
  auto str = [&](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string type = str("type");
  if (type == "service_account") {
    FERRY_ASSIGN_OR_RETURN(ServiceAccountKey key, ParseServiceAccountKey(json, where));
    if (options.self_signed_jwt)
      return std::unique_ptr<TokenFetcher>(
          new SelfSignedJwtFetcher(std::move(key), options.self_signed_jwt_audience, ScopesOf(options)));
    return std::unique_ptr<TokenFetcher>(new ServiceAccountFetcher(std::move(key), ScopesOf(options), std::move(http)));
  }
  if (type == "authorized_user") {
    std::string secret = str("client_secret"), refresh = str("refresh_token");
    RegisterSecret(secret);
    RegisterSecret(refresh);
    for (const char* name : {"client_id", "client_secret", "refresh_token"})
      if (str(name).empty())
        return Status::Invalid(where + ": \"" + name + "\" is missing (an authorized_user file, as "
                               "`gcloud auth application-default login` writes it, has it)");
    std::string uri = str("token_uri");
    if (uri.empty()) uri = std::string(kGoogleTokenUri);
    return std::unique_ptr<TokenFetcher>(
        new AuthorizedUserFetcher(str("client_id"), secret, refresh, uri, std::move(http)));
  }
  if (type.empty()) return Status::Invalid(where + ": no \"type\" (expected \"service_account\" or \"authorized_user\")");
  return Status::Unsupported(where + ": credentials of type \"" + type +
                             "\" are not supported (supported: service_account, authorized_user)");
}

GoogleTokenSource::GoogleTokenSource(std::unique_ptr<TokenFetcher> fetcher, std::string source, Clock clock,
                                     std::chrono::seconds refresh_margin)
    : fetcher_(std::move(fetcher)), source_(std::move(source)), clock_(std::move(clock)), margin_(refresh_margin) {}

std::string GoogleTokenSource::Describe() const { return source_ + " (" + fetcher_->Describe() + ")"; }

int64_t GoogleTokenSource::fetches() const {
  std::lock_guard lk(mu_);
  return fetches_;
}

Result<std::string> GoogleTokenSource::Token() {
  std::unique_lock lk(mu_);
  auto now = clock_();
  if (token_ && now + margin_ < token_->expiry) return token_->token;
  if (refreshing_) {
    // Another thread is fetching: the old token while it is still valid,
    // else wait for the fetch and share its outcome.
    if (token_ && now < token_->expiry) return token_->token;
    const uint64_t gen = generation_;
    cv_.wait(lk, [&] { return generation_ != gen; });
    if (!last_error_.ok()) return last_error_;
    return token_->token;
  }
  refreshing_ = true;
  lk.unlock();
  Result<AccessToken> fetched = fetcher_->Fetch(now);
  lk.lock();
  refreshing_ = false;
  ++generation_;
  ++fetches_;
  if (fetched.ok()) {
    token_ = fetched.MoveValue();
    last_error_ = Status::OK();
  } else {
    last_error_ = RedactStatus(fetched.status().WithContext("no access token from " + Describe()));
  }
  cv_.notify_all();
  if (!last_error_.ok()) return last_error_;
  return token_->token;
}

Result<std::unique_ptr<GoogleTokenSource>> DefaultGoogleCredentials(const GoogleAuthOptions& options,
                                                                    std::shared_ptr<HttpClient> http) {
  std::unique_ptr<TokenFetcher> found;
  CredentialChain chain;
  // The links fill `found`; the chain's Credential stays empty (its fields
  // would all be registered as secrets, and a path or an email is not one).
  chain.Add("GOOGLE_APPLICATION_CREDENTIALS", [&]() -> Result<LinkAnswer> {
    auto path = NonEmptyEnv(options, "GOOGLE_APPLICATION_CREDENTIALS");
    if (!path) return LinkAnswer::Skip("GOOGLE_APPLICATION_CREDENTIALS is not set");
    const std::string where = "GOOGLE_APPLICATION_CREDENTIALS=" + *path;
    if (!std::filesystem::is_regular_file(*path))
      return Status::NotFound(where + ": the file does not exist (set the variable to a service account "
                              "key file or unset it)");
    FERRY_ASSIGN_OR_RETURN(std::string json, ReadFile(*path, where));
    FERRY_ASSIGN_OR_RETURN(found, FetcherFromCredentialsJson(json, where, options, http));
    return LinkAnswer::Found({});
  });
  chain.Add("gcloud application default credentials", [&]() -> Result<LinkAnswer> {
    std::string dir;
    if (auto c = NonEmptyEnv(options, "CLOUDSDK_CONFIG")) dir = *c;
    else if (auto h = NonEmptyEnv(options, "HOME")) dir = *h + "/.config/gcloud";
    else return LinkAnswer::Skip("neither CLOUDSDK_CONFIG nor HOME is set");
    const std::string path = dir + "/application_default_credentials.json";
    if (!std::filesystem::is_regular_file(path))
      return LinkAnswer::Skip(path + " does not exist (`gcloud auth application-default login` writes it)");
    FERRY_ASSIGN_OR_RETURN(std::string json, ReadFile(path, path));
    FERRY_ASSIGN_OR_RETURN(found, FetcherFromCredentialsJson(json, path, options, http));
    return LinkAnswer::Found({});
  });
  chain.Add("metadata server", [&]() -> Result<LinkAnswer> {
    auto no_check = NonEmptyEnv(options, "NO_GCE_CHECK");
    if (no_check && (*no_check == "true" || *no_check == "True" || *no_check == "1"))
      return LinkAnswer::Skip("NO_GCE_CHECK is set");
    auto host = NonEmptyEnv(options, "GCE_METADATA_HOST");
    if (!host) host = NonEmptyEnv(options, "GCE_METADATA_ROOT");
    std::string probe_host = host ? *host : NonEmptyEnv(options, "GCE_METADATA_IP").value_or("169.254.169.254");
    if (!host) host = "metadata.google.internal";
    ClientOptions po;
    po.connect_timeout = po.request_timeout = options.metadata_timeout;
    po.retry.max_retries = 0;
    po.http2 = false;
    FERRY_ASSIGN_OR_RETURN(auto prober, HttpClient::Make(po));
    Request probe{.method = "GET", .url = "http://" + probe_host + "/"};
    probe.headers["Metadata-Flavor"] = "Google";
    auto answer = prober->Do(probe);
    if (!answer.ok())
      return LinkAnswer::Skip("no metadata server at " + probe_host + " (" + answer.status().message() + ")");
    if (answer->Header("Metadata-Flavor") != "Google")
      return LinkAnswer::Skip(probe_host + " answered " + std::to_string(answer->status) +
                              " without \"Metadata-Flavor: Google\": not a metadata server");
    found = std::make_unique<MetadataFetcher>(*host, ScopesOf(options), http);
    return LinkAnswer::Found({});
  });
  FERRY_ASSIGN_OR_RETURN(Credential c, chain.Resolve(options.what));
  return std::make_unique<GoogleTokenSource>(std::move(found), "Application Default Credentials: " + c.source,
                                             options.clock, options.refresh_margin);
}

Result<std::unique_ptr<GoogleAuthorizer>> GoogleAuthorizer::Make(GoogleAuthOptions options,
                                                                 std::shared_ptr<HttpClient> http) {
  auto a = std::unique_ptr<GoogleAuthorizer>(new GoogleAuthorizer());
  a->what_ = options.what;
  if (!options.endpoint.empty()) return a;   // an emulator: no auth
  if (!http) {
    FERRY_ASSIGN_OR_RETURN(auto made, HttpClient::Make({}));
    http = std::move(made);
  }
  if (!options.service_account_key_json.empty()) {
    const std::string where = options.what + ": service_account_key_json";
    auto fetcher = FetcherFromCredentialsJson(options.service_account_key_json, where, options, http);
    if (!fetcher.ok()) return RedactStatus(fetcher.status());
    a->tokens_ = std::make_unique<GoogleTokenSource>(fetcher.MoveValue(), "service_account_key_json",
                                                     options.clock, options.refresh_margin);
  } else {
    FERRY_ASSIGN_OR_RETURN(a->tokens_, DefaultGoogleCredentials(options, http));
  }
  if (!options.impersonate_service_account.empty()) {
    std::vector<std::string> scopes = options.impersonation_scopes;
    if (scopes.empty()) scopes.push_back(std::string(kGoogleCloudPlatformScope));
    auto fetcher = std::make_unique<ImpersonationFetcher>(std::move(a->tokens_), options.impersonate_service_account,
                                                          options.impersonation_delegates, std::move(scopes),
                                                          options.iam_credentials_endpoint, http);
    a->tokens_ = std::make_unique<GoogleTokenSource>(std::move(fetcher), "service_account_impersonation",
                                                     options.clock, options.refresh_margin);
  }
  return a;
}

Status GoogleAuthorizer::Authorize(Request& request) {
  if (!tokens_) return Status::OK();
  auto token = tokens_->Token();
  if (!token.ok()) return token.status().WithContext(what_);
  request.headers["Authorization"] = "Bearer " + *token;
  return Status::OK();
}

std::string GoogleAuthorizer::Describe() const {
  return tokens_ ? tokens_->Describe() : std::string("no auth (emulator endpoint)");
}

}  // namespace ferry::http
