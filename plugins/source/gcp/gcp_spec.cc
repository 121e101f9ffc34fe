#include "plugins/source/gcp/gcp_spec.h"

#include "ferry/option_binder.h"

namespace ferry::plugins::gcp {
namespace {

Status CheckUrl(const std::string& what, const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return Status::Invalid(what + " must be an http:// or https:// URL, not \"" + url + "\"");
  return Status::OK();
}

void Declare(OptionBinder<Spec>& b) {
  b.StringList(&Spec::project_ids,
               {.name = "project_ids",
                .description = "Projects to sync. Empty: the projects found under `folder_ids` and "
                               "`organization_ids`, or else every active project the credentials can see"});
  b.StringList(&Spec::folder_ids, {.name = "folder_ids",
                                   .description = "Folders or organizations (`folders/123`, `organizations/456`; "
                                                  "a bare number is a folder) whose ACTIVE projects are synced, "
                                                  "with their sub-folders down to `folder_recursion_depth`"});
  b.Int(&Spec::folder_recursion_depth,
        {.name = "folder_recursion_depth", .default_value = 100,
         .description = "How many levels of sub-folders under `folder_ids` are searched for projects "
                        "(0: the folders' own projects only)",
         .min = 0});
  b.String(&Spec::project_filter,
           {.name = "project_filter",
            .description = "A Resource Manager search query the discovered projects must match (as "
                           "`gcloud projects list --filter`'s server-side part, e.g. `labels.env:prod`)"});
  b.StringList(&Spec::organization_ids,
               {.name = "organization_ids",
                .description = "Organizations (`organizations/123` or `123`) for the organization-level "
                               "tables (folders, tag keys, the organization itself); empty: those matching "
                               "`organization_filter`, or every organization the credentials can see. To sync "
                               "an organization's projects, put it in `folder_ids`"});
  b.String(&Spec::organization_filter,
           {.name = "organization_filter",
            .description = "A Resource Manager organizations search query (`domain:example.com`); the "
                           "organizations it finds join `organization_ids`"});
  b.String(&Spec::service_account_key_json,
           {.name = "service_account_key_json",
            .description = "A service account key (JSON text); empty: Application Default Credentials",
            .secret = true});
  b.Custom({.name = "service_account_impersonation",
            .type = OptionType::kObject,
            .description = "Impersonate this service account (`target_principal`, optional `scopes`, "
                           "`delegates`) with the credentials above, through IAM Credentials "
                           "generateAccessToken"},
           [](const nlohmann::json& v, Spec* s) -> Status {
             if (v.is_null()) return Status::OK();
             const std::string where = "service_account_impersonation";
             if (v.contains("subject") && !(v["subject"].is_string() && v["subject"].get<std::string>().empty()))
               return Status::Unsupported(where + ".subject: Ferry does not do domain-wide delegation "
                                          "(impersonating a user); remove subject");
             for (const auto& [k, _] : v.items())
               if (k != "target_principal" && k != "scopes" && k != "delegates" && k != "subject")
                 return Status::Invalid(where + ": unknown key \"" + k +
                                        "\" (keys: target_principal, scopes, delegates)");
             if (!v.contains("target_principal") || !v["target_principal"].is_string() ||
                 v["target_principal"].get<std::string>().empty())
               return Status::Invalid(where + ".target_principal: the service account's email is required");
             s->impersonation.target_principal = v["target_principal"].get<std::string>();
             for (const char* list : {"scopes", "delegates"}) {
               if (!v.contains(list)) continue;
               if (!v[list].is_array()) return Status::Invalid(where + "." + list + " must be a list of strings");
               for (const auto& e : v[list]) {
                 if (!e.is_string()) return Status::Invalid(where + "." + list + " must be a list of strings");
                 (std::string(list) == "scopes" ? s->impersonation.scopes : s->impersonation.delegates)
                     .push_back(e.get<std::string>());
               }
             }
             return Status::OK();
           });
  b.Bool(&Spec::enabled_services_only,
         {.name = "enabled_services_only", .default_value = false,
          .description = "List each project's enabled services once and skip the tables of the others "
                         "(no request, no warning) instead of trying them"});
  b.Int(&Spec::backoff_delay_s, {.name = "backoff_delay", .default_value = 30,
                                 .description = "Seconds of the longest wait between retries of a request",
                                 .min = 0});
  b.Int(&Spec::backoff_retries, {.name = "backoff_retries", .default_value = 0,
                                 .description = "Retries of a request that failed transiently (429, 5xx, "
                                                "rateLimitExceeded); 0: Ferry's default of 10",
                                 .min = 0});
  b.Int(&Spec::concurrency, {.name = "concurrency", .default_value = 50000,
                             .description = "Upper bound on requests in flight across the sync (Ferry caps "
                                            "the worker threads at 64)",
                             .min = 1});
  b.Int(&Spec::discovery_concurrency,
        {.name = "discovery_concurrency", .default_value = 100,
         .description = "Accepted for CloudQuery compatibility; project discovery runs its searches one after "
                        "another",
         .min = 1});
  b.Bool(&Spec::skip_organization_resources,
         {.name = "skip_organization_resources", .default_value = false,
          .description = "Do not look for organizations: organization-level tables then have no client "
                         "(as CloudQuery, selecting one is then an error)"});
  b.Ignored({.name = "scheduler", .type = OptionType::kString,
             .description = "CloudQuery's scheduler choice (dfs, round-robin, shuffle); Ferry's scheduler "
                            "runs every (table, project) pair on its worker pool"});
  b.String(&Spec::endpoint,
           {.name = "endpoint",
            .description = "Ferry: send every API's requests to this base URL instead of "
                           "https://<api>.googleapis.com (an emulator or a test fake); no credentials are used"});
  b.Custom({.name = "endpoints",
            .type = OptionType::kObject,
            .description = "Ferry: per-API base URLs (`compute: http://127.0.0.1:PORT`), over `endpoint`; "
                           "like `endpoint`, for emulators and fakes: no credentials are used, and without "
                           "`endpoint` an API left out is not called (its tables are skipped with a warning)"},
           [](const nlohmann::json& v, Spec* s) -> Status {
             if (v.is_null()) return Status::OK();
             for (const auto& [api, url] : v.items()) {
               if (!url.is_string()) return Status::Invalid("endpoints." + api + " must be a URL string");
               FERRY_RETURN_NOT_OK(CheckUrl("endpoints." + api, url.get<std::string>()));
               s->endpoints[api] = url.get<std::string>();
             }
             return Status::OK();
           });
  b.Duration(&Spec::request_timeout_ms, {.name = "request_timeout", .default_value = "60s",
                                         .description = "Ferry: timeout of one HTTP request", .min = 1});
  b.Int(&Spec::rate_per_second, {.name = "rate_per_second", .default_value = 0,
                                 .description = "Ferry: requests per second per API host (0: no limit until "
                                                "the API throttles, then adaptive)",
                                 .min = 0});
  b.Check([](Spec* s) -> Status {
    if (!s->endpoint.empty()) FERRY_RETURN_NOT_OK(CheckUrl("endpoint", s->endpoint));
    for (auto& p : s->project_ids) {
      if (p.rfind("projects/", 0) == 0) p = p.substr(9);
      if (p.empty()) return Status::Invalid("project_ids: an empty project id");
    }
    for (auto& f : s->folder_ids)
      if (f.rfind("organizations/", 0) != 0) f = WithPrefix(f, "folders");
    if (!s->project_filter.empty() && !s->folder_ids.empty())
      return Status::Invalid("project_filter and folder_ids cannot be used together (as in CloudQuery): "
                             "keep one");
    for (auto& o : s->organization_ids) o = WithPrefix(o, "organizations");
    return Status::OK();
  });
}

}  // namespace

std::string WithPrefix(const std::string& id, const std::string& prefix) {
  return id.rfind(prefix + "/", 0) == 0 ? id : prefix + "/" + id;
}

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }
Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::gcp
