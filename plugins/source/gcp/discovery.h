// Which projects a GCP sync covers, found as CloudQuery's gcp plugin finds
// them: `project_ids` as given, plus the ACTIVE projects under `folder_ids`
// (folders or organizations, recursing through ACTIVE sub-folders down to
// `folder_recursion_depth`), plus the ACTIVE projects matching
// `project_filter`; with none of the three, every ACTIVE project the
// credentials can see (Resource Manager v3 projects:search). And, with
// `enabled_services_only`, each project's enabled services (Service Usage).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "plugins/source/gcp/gcp_spec.h"
#include "plugins/source/gcp/list_table.h"

namespace ferry::plugins::gcp {

struct Discovered {
  std::vector<std::string> projects;  // sorted, unique
  // Organizations (numbers, no "organizations/") for organization-level
  // tables: organization_ids plus those matching organization_filter; with
  // neither, every organization the credentials can see (a failure to list
  // them is a warning, as CloudQuery only logs it).
  std::vector<std::string> organizations;
  // enabled_services_only: project -> enabled service names
  // ("compute.googleapis.com"); a project absent here syncs every table.
  std::map<std::string, std::set<std::string>> enabled_services;
  std::vector<std::string> warnings;
};

Result<Discovered> Discover(const Spec& spec, const ApiContext& api);

}  // namespace ferry::plugins::gcp
