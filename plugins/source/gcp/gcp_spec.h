// The `spec:` of the `gcp` source: CloudQuery's gcp plugin keys, unchanged,
// plus Ferry's endpoint overrides (emulators) and HTTP settings.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::gcp {

struct Impersonation {
  std::string target_principal;       // service account email
  std::vector<std::string> scopes;    // default: cloud-platform
  std::vector<std::string> delegates;
};

struct Spec {
  std::vector<std::string> project_ids;
  std::vector<std::string> folder_ids;          // "folders/123" or "123"
  int64_t folder_recursion_depth{};
  std::string project_filter;                   // Resource Manager search query
  std::vector<std::string> organization_ids;    // "organizations/123" or "123"
  std::string organization_filter;
  std::string service_account_key_json;         // secret
  Impersonation impersonation;                  // target_principal empty: none
  bool enabled_services_only{};
  bool skip_organization_resources{};
  int64_t backoff_delay_s{};
  int64_t backoff_retries{};
  int64_t concurrency{};
  int64_t discovery_concurrency{};
  // Ferry: every API at this base URL (an emulator or a fake), and per API
  // ("compute", "storage", ...) overrides of it.
  std::string endpoint;
  std::map<std::string, std::string> endpoints;
  int64_t request_timeout_ms{};
  int64_t rate_per_second{};
};

const OptionTable& SpecOptions();
Result<Spec> ParseSpec(const Options& options);

// "folders/123" for "123" or "folders/123" (prefix "folders" or "organizations").
std::string WithPrefix(const std::string& id, const std::string& prefix);

}  // namespace ferry::plugins::gcp
