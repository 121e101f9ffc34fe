// The `spec:` of the `aws` source: CloudQuery's aws plugin keys, unchanged
// (facts: plugins/source/aws/README.md), plus Ferry's HTTP settings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::aws {

struct Account {
  std::string id;                 // an alias for messages; the real id comes from sts:GetCallerIdentity
  std::string account_name;
  std::string local_profile;
  std::string role_arn;
  std::string role_session_name;
  std::string external_id;
  std::string default_region;     // default us-east-1
  std::vector<std::string> regions;  // empty: the top-level regions
};

struct Org {
  bool set = false;
  std::optional<Account> admin_account;
  std::optional<Account> member_trusted_principal;
  std::string member_role_name;
  std::string member_role_session_name;
  std::string member_external_id;
  std::vector<std::string> member_regions;
  std::vector<std::string> organization_units;
  std::vector<std::string> skip_organization_units;
  std::vector<std::string> skip_member_accounts;
};

struct Spec {
  std::vector<Account> accounts;
  Org org;
  std::vector<std::string> regions;   // empty or ["*"]: every enabled region
  int64_t concurrency{};
  int64_t initialization_concurrency{};
  int64_t max_retries{};
  int64_t max_backoff_s{};
  std::string custom_endpoint_url;
  std::optional<bool> custom_endpoint_hostname_immutable;
  std::string custom_endpoint_partition_id;
  std::string custom_endpoint_signing_region;
  bool use_paid_apis{};
  bool aws_debug{};
  // Ferry: every service at this URL (an emulator such as moto), each
  // request signed for its own region (custom_endpoint_url signs every
  // request for one region, as CloudQuery).
  std::string endpoint;
  int64_t request_timeout_ms{};
  int64_t rate_per_second{};
};

const OptionTable& SpecOptions();
Result<Spec> ParseSpec(const Options& options);
// An `accounts[]` entry (or org.admin_account); `where` names it in errors.
Result<Account> ParseAccount(const nlohmann::json& v, const std::string& where);

}  // namespace ferry::plugins::aws
