// Internal to the sdk: credentials fetched over HTTP (ECS container
// endpoint, EC2 instance metadata), used by DefaultCredentials
// (aws_credentials.cc) and tested in aws_credentials_test.cc.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ferry/http/aws_credentials.h"

namespace ferry::http::aws::internal {

// ECS/EKS container credentials from `url`, with `auth_token_file` (read at
// each fetch) or `auth_token` as the Authorization header.
struct ContainerSource {
  std::string url;
  std::string auth_token_file;
  std::string auth_token;
};
Result<AwsCredentials> FetchContainerCredentials(HttpClient& http, const ContainerSource& source);

// IMDSv2 at `endpoint`: a session token, the role name, its credentials.
// NotFound when no session token is given (not EC2) or the instance has
// no role.
Result<AwsCredentials> FetchInstanceCredentials(HttpClient& http, const std::string& endpoint);

// The string at `key` of a JSON object ("" when absent or not a string).
std::string JsonString(const nlohmann::json& j, const char* key);

// The keys, secret and token of a JSON answer, named as its API names them
// (credential_process: AccessKeyId, SecretAccessKey, SessionToken; ECS and
// EC2 metadata: ..., Token; SSO: accessKeyId, secretAccessKey,
// sessionToken). The secret and token are registered for redaction at once.
AwsCredentials CredentialsFromJson(const nlohmann::json& j, const char* id, const char* secret, const char* token);

// The time of an ISO 8601 expiry ("2026-12-06T12:00:00Z", with or without a
// fraction).
Result<std::chrono::system_clock::time_point> ParseExpiry(const std::string& text, const std::string& where);

}  // namespace ferry::http::aws::internal
