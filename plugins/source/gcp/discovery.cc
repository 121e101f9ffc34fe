#include "plugins/source/gcp/discovery.h"

#include <algorithm>
#include <functional>

#include <nlohmann/json.hpp>

namespace ferry::plugins::gcp {
namespace {

using json = nlohmann::json;

// A GET through the shared client, with auth, paged by nextPageToken; calls
// on_item for every element of `field`.
Status ListAll(const ApiContext& api, const std::string& api_name, const std::string& base, std::string url,
               const std::string& field, const std::function<Status(const json&)>& on_item, GoogleError* error) {
  CatalogTable shape;  // only for BaseUrl's endpoint override
  shape.api = api_name;
  shape.base_url = base;
  if (api.endpoint.empty() && !api.endpoints.empty() && !api.endpoints.count(api_name))
    return Status::Invalid("`endpoints` has no entry for the " + api_name + " API, so it is not called (add " +
                           api_name + ": URL)");
  url = BaseUrl(shape, api) + url;
  std::string token;
  while (true) {
    http::Request req;
    req.url = token.empty() ? url : http::WithQueryParam(url, "pageToken", token);
    req.headers["Accept"] = "application/json";
    if (api.auth) FERRY_RETURN_NOT_OK(api.auth->Authorize(req));
    FERRY_ASSIGN_OR_RETURN(http::Response resp, api.http->Do(req));
    if (resp.status < 200 || resp.status >= 300) {
      *error = ParseGoogleError(resp);
      return Status::IOError("GET " + http::UrlForMessages(req.url) + ": HTTP " + std::to_string(resp.status) +
                             (error->status.empty() ? "" : " " + error->status) + ": " + error->message);
    }
    json doc = json::parse(resp.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return Status::IOError("GET " + http::UrlForMessages(req.url) + ": the answer is not a JSON object");
    if (doc.contains(field) && doc[field].is_array())
      for (const auto& item : doc[field]) FERRY_RETURN_NOT_OK(on_item(item));
    std::string next = doc.value("nextPageToken", "");
    if (next.empty()) return Status::OK();
    if (next == token) return Status::IOError("GET " + http::UrlForMessages(req.url) + ": the same page token twice");
    token = next;
  }
}

constexpr const char* kRm = "https://cloudresourcemanager.googleapis.com/";

// "projects/my-project" or a v3 Project's projectId.
std::string ProjectIdOf(const json& p) {
  if (p.contains("projectId") && p["projectId"].is_string()) return p["projectId"];
  return "";
}

Status SearchProjects(const ApiContext& api, const std::string& query, std::set<std::string>* out) {
  GoogleError e;
  std::string url = "v3/projects:search";
  if (!query.empty()) url = http::WithQueryParam(url, "query", query);
  return ListAll(api, "cloudresourcemanager", kRm, url, "projects",
                 [&](const json& p) {
                   if (p.value("state", "") == "ACTIVE" && !ProjectIdOf(p).empty()) out->insert(ProjectIdOf(p));
                   return Status::OK();
                 },
                 &e);
}

// The ACTIVE projects directly under `parent` (folders/N or organizations/N),
// then those of its ACTIVE sub-folders, `depth` levels down.
Status ProjectsUnder(const ApiContext& api, const std::string& parent, int64_t depth, std::set<std::string>* out) {
  GoogleError e;
  FERRY_RETURN_NOT_OK(ListAll(api, "cloudresourcemanager", kRm,
                              http::WithQueryParam("v3/projects", "parent", parent), "projects",
                              [&](const json& p) {
                                if (p.value("state", "") == "ACTIVE" && !ProjectIdOf(p).empty())
                                  out->insert(ProjectIdOf(p));
                                return Status::OK();
                              },
                              &e));
  if (depth <= 0) return Status::OK();
  std::vector<std::string> children;
  FERRY_RETURN_NOT_OK(ListAll(api, "cloudresourcemanager", kRm,
                              http::WithQueryParam("v3/folders", "parent", parent), "folders",
                              [&](const json& f) {
                                if (f.value("state", "") == "ACTIVE" && f.contains("name") && f["name"].is_string())
                                  children.push_back(f["name"]);
                                return Status::OK();
                              },
                              &e));
  for (const auto& child : children) FERRY_RETURN_NOT_OK(ProjectsUnder(api, child, depth - 1, out));
  return Status::OK();
}

}  // namespace

Result<Discovered> Discover(const Spec& spec, const ApiContext& api) {
  Discovered d;
  std::set<std::string> projects(spec.project_ids.begin(), spec.project_ids.end());
  for (const auto& folder : spec.folder_ids) {
    Status st = ProjectsUnder(api, folder, spec.folder_recursion_depth, &projects);
    if (!st.ok()) return Status::IOError("finding the projects under " + folder + " (folder_ids): " + st.message());
  }
  if (!spec.project_filter.empty()) {
    Status st = SearchProjects(api, spec.project_filter, &projects);
    if (!st.ok()) return Status::IOError("searching projects for project_filter: " + st.message());
  }
  if (spec.project_ids.empty() && spec.folder_ids.empty() && spec.project_filter.empty()) {
    Status st = SearchProjects(api, "state:ACTIVE", &projects);
    if (!st.ok())
      return Status::IOError("listing the projects the credentials can see (no project_ids, folder_ids or "
                             "project_filter in the spec): " + st.message());
    if (projects.empty())
      return Status::Invalid("no active projects: the credentials see none; set project_ids, or grant "
                             "resourcemanager.projects.get on the projects to sync");
  }
  d.projects.assign(projects.begin(), projects.end());
  if (!spec.skip_organization_resources) {
    std::set<std::string> orgs;
    for (const auto& o : spec.organization_ids) orgs.insert(o.substr(std::string("organizations/").size()));
    if (!spec.organization_filter.empty() || spec.organization_ids.empty()) {
      GoogleError e;
      std::string url = "v3/organizations:search";
      if (!spec.organization_filter.empty()) url = http::WithQueryParam(url, "query", spec.organization_filter);
      Status st = ListAll(api, "cloudresourcemanager", kRm, url, "organizations",
                          [&](const json& o) {
                            const std::string name = o.value("name", "");
                            if (o.value("state", "ACTIVE") == "ACTIVE" && name.rfind("organizations/", 0) == 0)
                              orgs.insert(name.substr(14));
                            return Status::OK();
                          },
                          &e);
      if (!st.ok()) {
        if (!spec.organization_filter.empty())
          return Status::IOError("searching organizations for organization_filter: " + st.message());
        d.warnings.push_back("organizations: none listed for organization-level tables: " + st.message());
      }
    }
    d.organizations.assign(orgs.begin(), orgs.end());
  }
  if (spec.enabled_services_only) {
    for (const auto& p : d.projects) {
      std::set<std::string> services;
      GoogleError e;
      std::string url = "v1/projects/" + http::PercentEncode(p) + "/services";
      url = http::WithQueryParam(url, "filter", "state:ENABLED");
      url = http::WithQueryParam(url, "pageSize", "200");
      Status st = ListAll(api, "serviceusage", "https://serviceusage.googleapis.com/", url, "services",
                          [&](const json& s) {
                            if (s.contains("config") && s["config"].is_object() && s["config"].contains("name") &&
                                s["config"]["name"].is_string())
                              services.insert(s["config"]["name"].get<std::string>());
                            return Status::OK();
                          },
                          &e);
      if (st.ok()) {
        d.enabled_services[p] = std::move(services);
      } else if (e.kind == GoogleError::Kind::kPermissionDenied || e.kind == GoogleError::Kind::kServiceDisabled ||
                 e.http_status == 429) {
        // As CloudQuery: the project's services cannot be listed, so every table is tried.
        d.warnings.push_back("project " + p + ": enabled services unknown, every table is tried: " + st.message());
      } else {
        return Status::IOError("project " + p + ": listing enabled services (enabled_services_only): " + st.message());
      }
    }
  }
  return d;
}

}  // namespace ferry::plugins::gcp
