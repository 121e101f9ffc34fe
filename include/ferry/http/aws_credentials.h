// AWS credentials as the AWS SDKs find them, for the integrations that sign
// AWS requests (ferry/http/aws_sigv4.h).
//
// What an integration holds is an AwsCredentialProvider: Get() returns the
// current credentials. Providers are thread-safe and cache; temporary
// credentials (with an expiry) are fetched again when less than 5 minutes
// are left, by one caller while the others wait, or keep using the old ones
// while those have not expired (the refresh margin of botocore and the Go
// SDK's stscreds).
//
// DefaultCredentials: the first applicable link, in the order of the AWS Go
// SDK v2 (which CloudQuery's aws plugin uses), as a ferry::http::CredentialChain:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
//      (skipped when a profile is named: options.profile or AWS_PROFILE,
//      as the Go SDK lets a named profile win over keys in the environment);
//   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      [+ AWS_ROLE_SESSION_NAME] -> sts:AssumeRoleWithWebIdentity (EKS IRSA);
//   3. the profile in the shared files (AWS_SHARED_CREDENTIALS_FILE, else
//      ~/.aws/credentials; AWS_CONFIG_FILE, else ~/.aws/config; the
//      credentials file's keys win): static keys, credential_process,
//      role_arn with source_profile (chained; a cycle is an error) or
//      credential_source (Environment, Ec2InstanceMetadata, EcsContainer) or
//      web_identity_token_file; external_id, role_session_name,
//      duration_seconds; IAM Identity Center (sso_session with an
//      [sso-session] section, or the legacy sso_start_url/sso_region), with
//      sso_account_id and sso_role_name, from the token `aws sso login`
//      cached (SsoRoleCredentials);
//   4. ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//      (at http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (http
//      only to a loopback or the ECS/EKS link-local hosts), with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN
//      as the Authorization header;
//   5. EC2 instance metadata, IMDSv2 (a session token from PUT
//      /latest/api/token; no fallback to IMDSv1, which the SDKs still make
//      when the token request is refused), unless AWS_EC2_METADATA_DISABLED=true.
// A link whose source exists but fails (a malformed file, an STS error)
// stops the search with its error: falling through to another identity is
// worse than failing. When nothing applies, the error names every link and
// why it did not apply.
//
// Secrets (secret keys, session tokens, web identity tokens, ECS
// authorization tokens) are registered with RegisterSecret as soon as they
// are read; errors name the source (a file, a profile, a URL, a role ARN),
// never a secret.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ferry/http/aws_sigv4.h"
#include "ferry/http/client.h"
#include "ferry/status.h"

namespace ferry::http::aws {

using Clock = std::function<std::chrono::system_clock::time_point()>;
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

class AwsCredentialProvider {
 public:
  virtual ~AwsCredentialProvider() = default;
  // The current credentials. Thread-safe.
  virtual Result<AwsCredentials> Get() = 0;
  // Where they come from, for messages. Never secret.
  virtual std::string Describe() const = 0;
};

// Fixed credentials (never refreshed).
std::shared_ptr<AwsCredentialProvider> StaticCredentials(AwsCredentials credentials);

// Caches what `fetch` returns; fetches again when less than `margin` is left
// before the expiry (credentials without one are kept for good). One fetch at
// a time; while it runs, other callers get the old credentials if they have
// not expired, else wait for it. A failed fetch is returned to its caller
// and to those waiting.
class RefreshingCredentials : public AwsCredentialProvider {
 public:
  using Fetch = std::function<Result<AwsCredentials>()>;
  RefreshingCredentials(std::string description, Fetch fetch, Clock clock = nullptr,
                        std::chrono::seconds margin = std::chrono::minutes(5));
  Result<AwsCredentials> Get() override;
  std::string Describe() const override { return description_; }
  int64_t fetches() const;

 private:
  std::string description_;
  Fetch fetch_;
  Clock clock_;
  std::chrono::seconds margin_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<AwsCredentials> cached_;   // guarded by mu_
  bool fetching_ = false;                  // guarded by mu_
  uint64_t generation_ = 0;                // guarded by mu_: bumped by every finished fetch
  Status last_error_;                      // guarded by mu_
  int64_t fetches_ = 0;                    // guarded by mu_
};

struct AssumeRoleParams {
  std::string role_arn;
  // Empty: "ferry-<unix seconds>" (botocore and the AWS CLI use
  // "botocore-session-<unix seconds>", the Go SDK "aws-go-sdk-<unix nanos>").
  std::string session_name;
  std::string external_id;
  std::optional<std::chrono::seconds> duration;   // unset: STS's default, 1 hour
  // Empty: https://sts.<sts_region>.amazonaws.com (the regional endpoint).
  std::string sts_endpoint;
  std::string sts_region = "us-east-1";
  std::shared_ptr<HttpClient> http;   // required
  Clock clock = nullptr;              // tests
};

// sts:AssumeRole (query protocol, Version 2011-06-15, a form POST signed with
// `base`'s credentials), refreshed before expiry. STS's errors (its Code and
// Message) appear in the error with the role ARN.
std::shared_ptr<AwsCredentialProvider> AssumeRole(std::shared_ptr<AwsCredentialProvider> base,
                                                  AssumeRoleParams params);

// sts:AssumeRoleWithWebIdentity with the token read from `token_file` at each
// fetch (the file is rotated by the platform); the request is not signed.
std::shared_ptr<AwsCredentialProvider> AssumeRoleWithWebIdentity(std::string token_file, AssumeRoleParams params);

// IAM Identity Center (SSO): the access token `aws sso login` cached in
// cache_dir/<SHA-1 hex of the sso-session name, or of the start URL for a
// legacy profile>.json ({accessToken, expiresAt}), read at each fetch,
// traded for the role's credentials at the SSO portal (GetRoleCredentials:
// GET /federation/credentials?account_id=&role_name= with the token in
// x-amz-sso_bearer_token; JSON {roleCredentials: {accessKeyId,
// secretAccessKey, sessionToken, expiration (epoch milliseconds)}}).
// An expired or missing token is an error that says to run `aws sso login`:
// Ferry does not refresh it (the CLI's refresh rewrites the cache, and a
// second writer would race it).
struct SsoParams {
  std::string profile;      // names the profile in messages
  std::string session;      // sso-session name; empty for a legacy profile
  std::string start_url;
  std::string region;       // sso_region
  std::string account_id;   // sso_account_id
  std::string role_name;    // sso_role_name
  std::string cache_dir;    // ~/.aws/sso/cache
  // Empty: https://portal.sso.<region>.amazonaws.com.
  std::string endpoint;
  std::shared_ptr<HttpClient> http;   // required
  Clock clock = nullptr;              // tests
};
std::shared_ptr<AwsCredentialProvider> SsoRoleCredentials(SsoParams params);
// The token cache file of a session name (or a legacy profile's start URL).
std::string SsoCacheFile(const std::string& cache_dir, const std::string& session_or_start_url);

struct AwsCredentialOptions {
  // CloudQuery's local_profile; empty: AWS_PROFILE, else "default".
  std::string profile;
  // For STS. Null: a client is made. ECS and instance metadata always get
  // their own (1 s connect timeout, 2 s per request, one retry: the SDKs
  // probe them as briefly).
  std::shared_ptr<HttpClient> http;
  std::string sts_endpoint;            // override (tests: moto); default regional
  std::string sts_region = "us-east-1";
  EnvLookup getenv;                    // default: the process's environment
  // Default: AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
  std::string imds_endpoint;
  // Default: http://169.254.170.2 (the base of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).
  std::string ecs_endpoint;
  // Default: https://portal.sso.<sso_region>.amazonaws.com (SSO profiles).
  std::string sso_endpoint;
  Clock clock = nullptr;               // tests
  std::string what = "aws";            // names the integration in messages
};

Result<std::shared_ptr<AwsCredentialProvider>> DefaultCredentials(const AwsCredentialOptions& options);

// The credentials of one named profile of the shared files (step 3 alone).
Result<std::shared_ptr<AwsCredentialProvider>> ProfileCredentials(const AwsCredentialOptions& options,
                                                                  const std::string& profile);

// Parses the JSON a credential_process prints (Version 1: AccessKeyId,
// SecretAccessKey, SessionToken, Expiration). `where` names the command.
Result<AwsCredentials> ParseCredentialProcessOutput(const std::string& json, const std::string& where);

}  // namespace ferry::http::aws
