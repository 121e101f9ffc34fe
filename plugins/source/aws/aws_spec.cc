#include "plugins/source/aws/aws_spec.h"

#include <regex>

#include "ferry/option_binder.h"

namespace ferry::plugins::aws {
namespace {

Status StringField(const nlohmann::json& v, const char* key, const std::string& where, std::string* out) {
  if (!v.contains(key) || v[key].is_null()) return Status::OK();
  if (!v[key].is_string()) return Status::Invalid(where + "." + key + " must be a string");
  *out = v[key].get<std::string>();
  return Status::OK();
}

Status StringsField(const nlohmann::json& v, const char* key, const std::string& where, std::vector<std::string>* out) {
  if (!v.contains(key) || v[key].is_null()) return Status::OK();
  if (!v[key].is_array()) return Status::Invalid(where + "." + key + " must be a list of strings");
  for (const auto& e : v[key]) {
    if (!e.is_string()) return Status::Invalid(where + "." + key + " must be a list of strings");
    out->push_back(e.get<std::string>());
  }
  return Status::OK();
}

Status CheckRegions(const std::vector<std::string>& regions, const std::string& where) {
  static const std::regex kRegion("^[a-z]{2}(-[a-z]+)+-[0-9]+$");
  for (size_t i = 0; i < regions.size(); ++i) {
    if (regions[i] == "*") {
      if (i != 0 || regions.size() > 1)
        return Status::Invalid(where + ": region wildcard \"*\" is only supported as the only entry");
      continue;
    }
    if (!std::regex_match(regions[i], kRegion))
      return Status::Invalid(where + ": unknown region \"" + regions[i] + "\" (a region looks like us-east-1)");
  }
  return Status::OK();
}

Status CheckOus(const std::vector<std::string>& ous, const std::string& where) {
  static const std::regex kOu("^((ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})|(r-[0-9a-z]{4,32}))$");
  for (const auto& ou : ous)
    if (!std::regex_match(ou, kOu))
      return Status::Invalid(where + ": invalid OU \"" + ou +
                             "\" (should match \"ou-*-*\" or \"r-*\" with lowercase letters or digits)");
  return Status::OK();
}

void Declare(OptionBinder<Spec>& b) {
  b.Custom({.name = "accounts", .type = OptionType::kObjectList,
            .description = "Accounts to sync, each `{id, local_profile, role_arn, role_session_name, external_id, "
                           "default_region, regions}`; none: the default credential chain's one account"},
           [](const nlohmann::json& v, Spec* s) -> Status {
             if (v.is_null()) return Status::OK();
             const nlohmann::json list = v.is_array() ? v : nlohmann::json::array({v});
             for (size_t i = 0; i < list.size(); ++i) {
               FERRY_ASSIGN_OR_RETURN(Account a, ParseAccount(list[i], "accounts[" + std::to_string(i) + "]"));
               s->accounts.push_back(std::move(a));
             }
             return Status::OK();
           });
  b.Custom({.name = "org", .type = OptionType::kObject,
            .description = "Sync the accounts of an AWS Organization: `member_role_name` (required), "
                           "`admin_account`, `member_trusted_principal`, `member_role_session_name`, "
                           "`member_external_id`, `member_regions`, `organization_units`, "
                           "`skip_organization_units`, `skip_member_accounts`"},
           [](const nlohmann::json& v, Spec* s) -> Status {
             if (v.is_null()) return Status::OK();
             if (!v.is_object()) return Status::Invalid("org must be an object");
             static const char* kKeys[] = {"admin_account", "member_trusted_principal", "member_role_name",
                                           "member_role_session_name", "member_external_id", "member_regions",
                                           "organization_units", "skip_organization_units", "skip_member_accounts"};
             for (const auto& [k, _] : v.items()) {
               bool known = false;
               for (const char* x : kKeys) known |= k == x;
               if (!known) return Status::Invalid("org: unknown key \"" + k + "\"");
             }
             Org& o = s->org;
             o.set = true;
             if (v.contains("admin_account") && !v["admin_account"].is_null()) {
               FERRY_ASSIGN_OR_RETURN(o.admin_account, ParseAccount(v["admin_account"], "org.admin_account"));
             }
             if (v.contains("member_trusted_principal") && !v["member_trusted_principal"].is_null()) {
               FERRY_ASSIGN_OR_RETURN(o.member_trusted_principal,
                                      ParseAccount(v["member_trusted_principal"], "org.member_trusted_principal"));
             }
             FERRY_RETURN_NOT_OK(StringField(v, "member_role_name", "org", &o.member_role_name));
             FERRY_RETURN_NOT_OK(StringField(v, "member_role_session_name", "org", &o.member_role_session_name));
             FERRY_RETURN_NOT_OK(StringField(v, "member_external_id", "org", &o.member_external_id));
             FERRY_RETURN_NOT_OK(StringsField(v, "member_regions", "org", &o.member_regions));
             FERRY_RETURN_NOT_OK(StringsField(v, "organization_units", "org", &o.organization_units));
             FERRY_RETURN_NOT_OK(StringsField(v, "skip_organization_units", "org", &o.skip_organization_units));
             FERRY_RETURN_NOT_OK(StringsField(v, "skip_member_accounts", "org", &o.skip_member_accounts));
             if (o.member_role_name.empty())
               return Status::Invalid("org.member_role_name is required when using org configuration");
             FERRY_RETURN_NOT_OK(CheckRegions(o.member_regions, "org.member_regions"));
             FERRY_RETURN_NOT_OK(CheckOus(o.organization_units, "org.organization_units"));
             FERRY_RETURN_NOT_OK(CheckOus(o.skip_organization_units, "org.skip_organization_units"));
             return Status::OK();
           });
  b.StringList(&Spec::regions, {.name = "regions",
                                .description = "Regions to sync; empty or `[\"*\"]`: every region enabled for the "
                                               "account (ec2:DescribeRegions). Regions not enabled are dropped"});
  b.Int(&Spec::concurrency, {.name = "concurrency", .default_value = 50000,
                             .description = "Upper bound on requests in flight across the sync (tables, "
                                            "relations and per-item calls; Ferry caps the worker threads at 64)",
                             .min = 1});
  b.Int(&Spec::initialization_concurrency,
        {.name = "initialization_concurrency", .default_value = 4,
         .description = "Accounts set up (credentials, regions, identity) at once", .min = 1});
  b.Int(&Spec::max_retries, {.name = "max_retries", .default_value = 10,
                             .description = "Attempts of a request that failed transiently (throttling, 5xx)",
                             .min = 0});
  b.Int(&Spec::max_backoff_s, {.name = "max_backoff", .default_value = 30,
                               .description = "Seconds of the longest wait between retries", .min = 1});
  b.String(&Spec::custom_endpoint_url,
           {.name = "custom_endpoint_url",
            .description = "Send every service's requests to this URL (an emulator such as moto, or a VPC "
                           "endpoint); needs the three custom_endpoint_* keys below"});
  b.Custom({.name = "custom_endpoint_hostname_immutable", .type = OptionType::kBool,
            .description = "With custom_endpoint_url (required there, as in CloudQuery): whether the host name "
                           "may be changed; Ferry never changes it (S3 is addressed path-style)"},
           [](const nlohmann::json& v, Spec* s) -> Status {
             if (v.is_null()) return Status::OK();
             if (!v.is_boolean()) return Status::Invalid("custom_endpoint_hostname_immutable must be true or false");
             s->custom_endpoint_hostname_immutable = v.get<bool>();
             return Status::OK();
           });
  b.String(&Spec::custom_endpoint_partition_id,
           {.name = "custom_endpoint_partition_id",
            .description = "With custom_endpoint_url: the partition (aws, aws-cn, aws-us-gov) for ARNs"});
  b.String(&Spec::custom_endpoint_signing_region,
           {.name = "custom_endpoint_signing_region",
            .description = "With custom_endpoint_url: the region requests are signed for"});
  b.Bool(&Spec::use_paid_apis,
         {.name = "use_paid_apis", .default_value = false,
          .description = "Read the tables whose APIs are billed per request (Cost Explorer's); without it they are skipped with a warning"});
  b.Bool(&Spec::aws_debug, {.name = "aws_debug", .default_value = false,
                            .description = "Accepted for CloudQuery compatibility; Ferry's request figures are "
                                           "in the sync summary"});
  b.Ignored({.name = "scheduler", .type = OptionType::kString,
             .description = "CloudQuery's scheduler choice (dfs, round-robin, shuffle); Ferry's scheduler runs "
                            "every (table, account, region) task on its worker pool"});
  b.Custom({.name = "table_options", .type = OptionType::kObject,
            .description = "CloudQuery's per-table API inputs (deprecated there); refused when not empty"},
           [](const nlohmann::json& v, Spec*) -> Status {
             if (v.is_null() || (v.is_object() && v.empty())) return Status::OK();
             return Status::Unsupported("table_options: Ferry does not take per-table API inputs (CloudQuery "
                                        "deprecated and then removed them); remove the key");
           });
  b.Custom({.name = "event_based_sync", .type = OptionType::kObject,
            .description = "CloudQuery's premium event-based sync; refused when set"},
           [](const nlohmann::json& v, Spec*) -> Status {
             if (v.is_null()) return Status::OK();
             return Status::Unsupported("event_based_sync: Ferry has no event-based sync (CloudQuery's was a "
                                        "premium feature it removed); remove the key");
           });
  b.String(&Spec::endpoint,
           {.name = "endpoint",
            .description = "Ferry: send every service's requests to this URL (an emulator such as moto), each "
                           "signed for its own region; S3 is addressed path-style"});
  b.Duration(&Spec::request_timeout_ms, {.name = "request_timeout", .default_value = "60s",
                                         .description = "Ferry: timeout of one HTTP request", .min = 1});
  b.Int(&Spec::rate_per_second, {.name = "rate_per_second", .default_value = 0,
                                 .description = "Ferry: requests per second per API host (0: no limit until "
                                                "the API throttles, then adaptive)",
                                 .min = 0});
  b.Check([](Spec* s) -> Status {
    FERRY_RETURN_NOT_OK(CheckRegions(s->regions, "regions"));
    if (!s->custom_endpoint_url.empty()) {
      if (s->custom_endpoint_url.rfind("http://", 0) != 0 && s->custom_endpoint_url.rfind("https://", 0) != 0)
        return Status::Invalid("custom_endpoint_url must be an http:// or https:// URL");
      if (!s->custom_endpoint_hostname_immutable)
        return Status::Invalid("custom_endpoint_hostname_immutable is required when custom_endpoint_url is set");
      if (s->custom_endpoint_partition_id.empty())
        return Status::Invalid("custom_endpoint_partition_id is required when custom_endpoint_url is set");
      if (s->custom_endpoint_signing_region.empty())
        return Status::Invalid("custom_endpoint_signing_region is required when custom_endpoint_url is set");
    }
    if (!s->endpoint.empty() && s->endpoint.rfind("http://", 0) != 0 && s->endpoint.rfind("https://", 0) != 0)
      return Status::Invalid("endpoint must be an http:// or https:// URL");
    if (!s->endpoint.empty() && !s->custom_endpoint_url.empty())
      return Status::Invalid("endpoint and custom_endpoint_url cannot be used together: keep one");
    if (s->org.set && !s->accounts.empty())
      return Status::Invalid("accounts and org cannot be used together (as in CloudQuery): keep one");
    return Status::OK();
  });
}

}  // namespace

Result<Account> ParseAccount(const nlohmann::json& v, const std::string& where) {
  if (!v.is_object()) return Status::Invalid(where + " must be an object");
  static const char* kKeys[] = {"id", "account_name", "local_profile", "role_arn", "role_session_name",
                                "external_id", "default_region", "regions"};
  for (const auto& [k, _] : v.items()) {
    bool known = false;
    for (const char* x : kKeys) known |= k == x;
    if (!known)
      return Status::Invalid(where + ": unknown key \"" + k +
                             "\" (keys: id, account_name, local_profile, role_arn, role_session_name, external_id, "
                             "default_region, regions)");
  }
  Account a;
  FERRY_RETURN_NOT_OK(StringField(v, "id", where, &a.id));
  FERRY_RETURN_NOT_OK(StringField(v, "account_name", where, &a.account_name));
  FERRY_RETURN_NOT_OK(StringField(v, "local_profile", where, &a.local_profile));
  FERRY_RETURN_NOT_OK(StringField(v, "role_arn", where, &a.role_arn));
  FERRY_RETURN_NOT_OK(StringField(v, "role_session_name", where, &a.role_session_name));
  FERRY_RETURN_NOT_OK(StringField(v, "external_id", where, &a.external_id));
  FERRY_RETURN_NOT_OK(StringField(v, "default_region", where, &a.default_region));
  FERRY_RETURN_NOT_OK(StringsField(v, "regions", where, &a.regions));
  if (a.id.empty()) return Status::Invalid(where + ".id is required (a name for the account in messages)");
  if (a.account_name.empty()) a.account_name = a.id;
  static const std::regex kArn("^(arn(:[^:\n]*){5}([:/].*)?)?$");
  if (!std::regex_match(a.role_arn, kArn)) return Status::Invalid(where + ".role_arn \"" + a.role_arn + "\" is not an ARN");
  FERRY_RETURN_NOT_OK(CheckRegions(a.regions, where + ".regions"));
  return a;
}

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }
Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::aws
