// Credentials fetched over HTTP: STS (AssumeRole, AssumeRoleWithWebIdentity),
// the ECS container endpoint and EC2 instance metadata.
//
// Facts relied on:
//   - STS API Reference: query protocol, Version=2011-06-15, form-encoded
//     POST; AssumeRole(RoleArn, RoleSessionName, ExternalId, DurationSeconds),
//     AssumeRoleWithWebIdentity(RoleArn, RoleSessionName, WebIdentityToken,
//     DurationSeconds), the latter unsigned; answers
//     <XResponse><XResult><Credentials><AccessKeyId/><SecretAccessKey/>
//     <SessionToken/><Expiration/> (ISO 8601)</Credentials>...; errors as
//     <ErrorResponse> (aws_error.h). Regional endpoint sts.REGION.amazonaws.com
//     (amazonaws.com.cn for cn- regions).
//   - ECS task credentials (ECS Developer Guide, "Task IAM role"; botocore's
//     ContainerProvider; EKS Pod Identity): GET http://169.254.170.2$RELATIVE_URI
//     or $FULL_URI, Authorization: the token; JSON {AccessKeyId,
//     SecretAccessKey, Token, Expiration}.
//   - EC2 instance metadata (EC2 User Guide, "Use IMDSv2"; "Retrieve security
//     credentials from instance metadata"): PUT /latest/api/token with
//     X-aws-ec2-metadata-token-ttl-seconds (21600 here, the SDKs' value), then
//     X-aws-ec2-metadata-token on GET /latest/meta-data/iam/security-credentials/
//     (the role name) and .../ROLE (JSON {Code: "Success", AccessKeyId,
//     SecretAccessKey, Token, Expiration}).
//   - IAM Identity Center: the AWS CLI's token cache (~/.aws/sso/cache/
//     <sha1 hex>.json with accessToken and expiresAt, named by the SHA-1 of
//     the sso-session name or of a legacy profile's sso_start_url: AWS SDKs
//     and Tools Reference Guide, "SSO token provider"), and the SSO Portal
//     API's GetRoleCredentials (GET /federation/credentials, query
//     account_id and role_name, header x-amz-sso_bearer_token; answer
//     {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken,
//     expiration in epoch milliseconds}}; 401 UnauthorizedException when the
//     token is no longer valid).
#include "aws_remote_credentials.h"

#include <fstream>
#include <sstream>

#include <openssl/sha.h>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "ferry/http/aws_error.h"
#include "ferry/redact.h"
#include "ferry/text_codec.h"

namespace ferry::http::aws {
namespace internal {

Result<std::chrono::system_clock::time_point> ParseExpiry(const std::string& text, const std::string& where) {
  auto micros = ParseTimestamp(text);
  if (!micros.ok()) return Status::IOError(where + ": expiration \"" + text + "\" is not an ISO 8601 time");
  return std::chrono::system_clock::time_point(std::chrono::microseconds(*micros));
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

AwsCredentials CredentialsFromJson(const nlohmann::json& j, const char* id, const char* secret, const char* token) {
  AwsCredentials c;
  c.access_key_id = JsonString(j, id);
  c.secret_access_key = JsonString(j, secret);
  c.session_token = JsonString(j, token);
  RegisterSecret(c.secret_access_key);
  RegisterSecret(c.session_token);
  return c;
}

namespace {

// {AccessKeyId, SecretAccessKey, Token, Expiration} (ECS and EC2 metadata).
Result<AwsCredentials> ParseMetadataJson(const std::string& body, const std::string& where) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return Status::IOError(where + " answered something that is not a JSON object");
  auto str = [&](const char* k) { return JsonString(j, k); };
  if (std::string code = str("Code"); !code.empty() && code != "Success")
    return Status::IOError(where + " answered Code \"" + code + "\": " + str("Message"));
  AwsCredentials c = CredentialsFromJson(j, "AccessKeyId", "SecretAccessKey", "Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return Status::IOError(where + " answered without AccessKeyId or SecretAccessKey");
  if (std::string e = str("Expiration"); !e.empty()) {
    FERRY_ASSIGN_OR_RETURN(c.expires, ParseExpiry(e, where));
  }
  c.source = where;
  return c;
}

std::string ReadWhole(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

Result<AwsCredentials> FetchContainerCredentials(HttpClient& http, const ContainerSource& source) {
  std::string where = "container credentials endpoint " + UrlForMessages(source.url);
  Request r{.method = "GET", .url = source.url};
  r.idempotent = true;
  std::string token = source.auth_token;
  if (!source.auth_token_file.empty()) {
    bool ok = false;
    token = Trim(ReadWhole(source.auth_token_file, &ok));
    if (!ok) return Status::IOError(where + ": cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + source.auth_token_file);
  }
  if (!token.empty()) {
    RegisterSecret(token);
    r.headers["Authorization"] = token;
  }
  auto response = http.Do(r);
  if (!response.ok()) return response.status().WithContext(where);
  if (response->status != 200)
    return Status::IOError(where + " answered HTTP " + std::to_string(response->status) + ": " +
                           Redact(response->body.substr(0, 200)));
  return ParseMetadataJson(response->body, where);
}

Result<AwsCredentials> FetchInstanceCredentials(HttpClient& http, const std::string& endpoint) {
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string where = "EC2 instance metadata at " + base;
  Request token_req{.method = "PUT", .url = base + "/latest/api/token"};
  token_req.headers["X-aws-ec2-metadata-token-ttl-seconds"] = "21600";
  token_req.idempotent = true;
  // No session token (nothing listening, or another cloud's metadata
  // server, which does not know this path): not an EC2 instance, NotFound.
  auto token = http.Do(token_req);
  if (!token.ok()) return Status::NotFound(where + " did not answer: " + token.status().message());
  if (token->status != 200)
    return Status::NotFound(where + ": PUT /latest/api/token answered HTTP " + std::to_string(token->status) +
                            " (IMDSv2 only; IMDSv1 is not used)");
  RegisterSecret(token->body);
  Request list{.method = "GET", .url = base + "/latest/meta-data/iam/security-credentials/"};
  list.headers["X-aws-ec2-metadata-token"] = token->body;
  list.idempotent = true;
  auto roles = http.Do(list);
  if (!roles.ok()) return roles.status().WithContext(where);
  if (roles->status == 404) return Status::NotFound(where + ": the instance has no IAM role");
  if (roles->status != 200)
    return Status::IOError(where + ": the role list answered HTTP " + std::to_string(roles->status));
  std::string role = Trim(roles->body.substr(0, roles->body.find('\n')));
  if (role.empty()) return Status::NotFound(where + ": the instance has no IAM role");
  Request get{.method = "GET", .url = base + "/latest/meta-data/iam/security-credentials/" + PercentEncode(role)};
  get.headers["X-aws-ec2-metadata-token"] = token->body;
  get.idempotent = true;
  auto creds = http.Do(get);
  if (!creds.ok()) return creds.status().WithContext(where);
  if (creds->status != 200)
    return Status::IOError(where + ": the credentials of role " + role + " answered HTTP " +
                           std::to_string(creds->status));
  return ParseMetadataJson(creds->body, where + ", role " + role);
}

}  // namespace internal

namespace {

std::string DefaultStsEndpoint(const std::string& region) {
  bool china = region.rfind("cn-", 0) == 0;
  return "https://sts." + region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

std::string SessionName(const AssumeRoleParams& p, std::chrono::system_clock::time_point now) {
  if (!p.session_name.empty()) return p.session_name;
  return "ferry-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

std::string Form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  return out;
}

// Sends an STS request and reads <ActionResponse><ActionResult><Credentials>.
Result<AwsCredentials> CallSts(HttpClient& http, Request request, const std::string& action,
                               const std::string& role_arn, const std::string& endpoint) {
  std::string where = "sts:" + action + " of " + role_arn + " at " + UrlForMessages(endpoint);
  auto response = http.Do(request);
  if (!response.ok()) return response.status().WithContext(where);
  if (response->status != 200) {
    AwsError e = ParseAwsError(*response);
    return Status::IOError(where + " failed: " + Redact(e.ToString()));
  }
  pugi::xml_document doc;
  if (!doc.load_buffer(response->body.data(), response->body.size()))
    return Status::IOError(where + " answered HTTP 200 with a body that is not XML");
  pugi::xml_node creds =
      doc.child((action + "Response").c_str()).child((action + "Result").c_str()).child("Credentials");
  if (!creds) return Status::IOError(where + " answered HTTP 200 without " + action + "Result/Credentials");
  AwsCredentials c;
  c.access_key_id = creds.child("AccessKeyId").text().as_string();
  c.secret_access_key = creds.child("SecretAccessKey").text().as_string();
  c.session_token = creds.child("SessionToken").text().as_string();
  RegisterSecret(c.secret_access_key);
  RegisterSecret(c.session_token);
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty())
    return Status::IOError(where + " answered without AccessKeyId, SecretAccessKey or SessionToken");
  std::string expiration = creds.child("Expiration").text().as_string();
  FERRY_ASSIGN_OR_RETURN(c.expires, internal::ParseExpiry(expiration, where));
  c.source = "role " + role_arn;
  return c;
}

std::chrono::system_clock::time_point Now(const Clock& clock) {
  return clock ? clock() : std::chrono::system_clock::now();
}

}  // namespace

std::shared_ptr<AwsCredentialProvider> AssumeRole(std::shared_ptr<AwsCredentialProvider> base,
                                                  AssumeRoleParams params) {
  std::string endpoint = params.sts_endpoint.empty() ? DefaultStsEndpoint(params.sts_region) : params.sts_endpoint;
  std::string description = "assume role " + params.role_arn + " with " + base->Describe();
  auto fetch = [base, params, endpoint]() -> Result<AwsCredentials> {
    if (!params.http) return Status::Invalid("assume role " + params.role_arn + ": no HTTP client");
    FERRY_ASSIGN_OR_RETURN(AwsCredentials base_creds, base->Get());
    auto now = Now(params.clock);
    std::vector<std::pair<std::string, std::string>> form = {{"Action", "AssumeRole"},
                                                             {"Version", "2011-06-15"},
                                                             {"RoleArn", params.role_arn},
                                                             {"RoleSessionName", SessionName(params, now)}};
    if (!params.external_id.empty()) form.emplace_back("ExternalId", params.external_id);
    if (params.duration) form.emplace_back("DurationSeconds", std::to_string(params.duration->count()));
    Request r{.method = "POST", .url = endpoint + "/", .body = Form(form)};
    r.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
    r.idempotent = true;   // assuming a role twice is harmless
    FERRY_RETURN_NOT_OK(SignV4(r, base_creds, {.region = params.sts_region, .service = "sts", .now = now}));
    return CallSts(*params.http, std::move(r), "AssumeRole", params.role_arn, endpoint);
  };
  return std::make_shared<RefreshingCredentials>(description, fetch, params.clock);
}

std::shared_ptr<AwsCredentialProvider> AssumeRoleWithWebIdentity(std::string token_file, AssumeRoleParams params) {
  std::string endpoint = params.sts_endpoint.empty() ? DefaultStsEndpoint(params.sts_region) : params.sts_endpoint;
  std::string description = "assume role " + params.role_arn + " with the web identity token in " + token_file;
  auto fetch = [token_file, params, endpoint]() -> Result<AwsCredentials> {
    if (!params.http) return Status::Invalid("assume role " + params.role_arn + ": no HTTP client");
    bool ok = false;
    std::string token = internal::Trim(internal::ReadWhole(token_file, &ok));
    if (!ok) return Status::IOError("web identity token file " + token_file + " cannot be read");
    if (token.empty()) return Status::IOError("web identity token file " + token_file + " is empty");
    RegisterSecret(token);
    std::vector<std::pair<std::string, std::string>> form = {
        {"Action", "AssumeRoleWithWebIdentity"}, {"Version", "2011-06-15"}, {"RoleArn", params.role_arn},
        {"RoleSessionName", SessionName(params, Now(params.clock))}, {"WebIdentityToken", token}};
    if (params.duration) form.emplace_back("DurationSeconds", std::to_string(params.duration->count()));
    Request r{.method = "POST", .url = endpoint + "/", .body = Form(form)};
    r.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
    r.idempotent = true;
    return CallSts(*params.http, std::move(r), "AssumeRoleWithWebIdentity", params.role_arn, endpoint);
  };
  return std::make_shared<RefreshingCredentials>(description, fetch, params.clock);
}

std::string SsoCacheFile(const std::string& cache_dir, const std::string& session_or_start_url) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(session_or_start_url.data()), session_or_start_url.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string name;
  for (unsigned char b : digest) {
    name += kHex[b >> 4];
    name += kHex[b & 15];
  }
  return cache_dir + "/" + name + ".json";
}

std::shared_ptr<AwsCredentialProvider> SsoRoleCredentials(SsoParams params) {
  const std::string login = params.session.empty() ? "aws sso login --profile " + params.profile
                                                   : "aws sso login --sso-session " + params.session;
  const std::string cache = SsoCacheFile(params.cache_dir, params.session.empty() ? params.start_url : params.session);
  const std::string endpoint =
      params.endpoint.empty() ? "https://portal.sso." + params.region + ".amazonaws.com" : params.endpoint;
  std::string description = "IAM Identity Center role " + params.role_name + " in account " + params.account_id +
                            " (profile " + params.profile + ")";
  auto fetch = [params, login, cache, endpoint, description]() -> Result<AwsCredentials> {
    if (!params.http) return Status::Invalid(description + ": no HTTP client");
    bool ok = false;
    std::string text = internal::ReadWhole(cache, &ok);
    if (!ok)
      return Status::NotFound(description + ": no cached SSO token in " + cache + "; run `" + login + "`");
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    auto str = [&](const char* k) { return internal::JsonString(j, k); };
    std::string token = str("accessToken"), expires_at = str("expiresAt");
    RegisterSecret(token);
    if (token.empty() || expires_at.empty())
      return Status::Invalid(description + ": the SSO token cache " + cache +
                             " has no accessToken or expiresAt; run `" + login + "`");
    // The AWS CLI v1 wrote "2026-12-06T12:00:00UTC".
    if (expires_at.size() > 3 && expires_at.compare(expires_at.size() - 3, 3, "UTC") == 0)
      expires_at = expires_at.substr(0, expires_at.size() - 3) + "Z";
    FERRY_ASSIGN_OR_RETURN(auto expires, internal::ParseExpiry(expires_at, "SSO token cache " + cache));
    if (expires <= Now(params.clock))
      return Status::Invalid(description + ": the SSO token in " + cache + " expired at " + str("expiresAt") +
                             "; run `" + login + "`");
    Request r{.method = "GET", .url = endpoint + "/federation/credentials?account_id=" +
                                      PercentEncode(params.account_id) + "&role_name=" +
                                      PercentEncode(params.role_name)};
    r.headers["x-amz-sso_bearer_token"] = token;
    r.idempotent = true;
    std::string where = "sso:GetRoleCredentials at " + UrlForMessages(endpoint) + " for " + description;
    auto response = params.http->Do(r);
    if (!response.ok()) return response.status().WithContext(where);
    if (response->status != 200) {
      AwsError e = ParseAwsError(*response);
      std::string hint = response->status == 401 || response->status == 403 ? "; run `" + login + "`" : "";
      return Status::IOError(where + " failed: " + Redact(e.ToString()) + hint);
    }
    nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
    const nlohmann::json* rc = answer.is_object() && answer.contains("roleCredentials") ? &answer["roleCredentials"]
                                                                                          : nullptr;
    if (!rc || !rc->is_object()) return Status::IOError(where + " answered HTTP 200 without roleCredentials");
    AwsCredentials c = internal::CredentialsFromJson(*rc, "accessKeyId", "secretAccessKey", "sessionToken");
    if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty())
      return Status::IOError(where + " answered without accessKeyId, secretAccessKey or sessionToken");
    auto exp = rc->find("expiration");
    if (exp == rc->end() || !exp->is_number_integer())
      return Status::IOError(where + " answered without an expiration (epoch milliseconds)");
    c.expires = std::chrono::system_clock::time_point(std::chrono::milliseconds(exp->get<int64_t>()));
    c.source = description;
    return c;
  };
  return std::make_shared<RefreshingCredentials>(description, fetch, params.clock);
}

}  // namespace ferry::http::aws
