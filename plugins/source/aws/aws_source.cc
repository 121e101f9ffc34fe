#include "plugins/source/aws/aws_source.h"

#include <algorithm>
#include <deque>
#include <future>
#include <set>

namespace ferry::plugins::aws {
namespace {

using json = nlohmann::json;

// Runs a named catalog call and returns every item it lists.
Result<std::vector<json>> ListAll(const NamedCall& nc, const Target& target, const ApiOptions& api,
                                  const Expander& expand, ApiError* error = nullptr) {
  std::vector<json> items;
  FERRY_RETURN_NOT_OK(CallPages(*nc.service, nc.call, target, api, expand, nullptr,
                                [&](const json& page) {
                                  ForEachItem(page, nc.call.items, 0, [&](const json& x) { items.push_back(x); });
                                  return Status::OK();
                                },
                                error));
  return items;
}

Expander NoPlaceholders() {
  return [](const std::string& name) -> Result<std::string> {
    return Status::Invalid("unknown placeholder {" + name + "}");
  };
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

AwsSource::AwsSource() {
  std::vector<sdk::TableDef> defs;
  for (const auto& t : BuiltinCatalog().tables) defs.push_back(Define(t, /*top_level=*/true));
  SetTables(std::move(defs));
}

sdk::TableDef AwsSource::Define(const std::shared_ptr<CatalogTable>& table, bool top_level) {
  sdk::TableDef def;
  def.schema = SchemaOf(*table);
  def.resolve = [this, table](const sdk::ResolveContext& ctx, sdk::RowWriter& out) -> Status {
    if (!api_.http) return Status::Invalid("source \"" + source_name() + "\" was not initialised");
    FlushSetupWarnings(ctx, table->name);
    return ResolveTable(*table, api_, ctx, out);
  };
  if (top_level) def.multiplex = [this, table] { return ClientsFor(*table); };
  for (const auto& child : table->relations) def.relations.push_back(Define(child, /*top_level=*/false));
  return def;
}

std::vector<sdk::Client> AwsSource::ClientsFor(const CatalogTable& table) const {
  std::vector<sdk::Client> clients;
  // A regional table in a region where AWS does not offer its service has no
  // endpoint to call (the name does not resolve). As CloudQuery, it is not
  // called there; unlike CloudQuery, the pair is still a client of the table
  // that says so: a warning, no rows, and for delete-stale a pair synced
  // with none. Every such pair of the table gives the same warning, naming
  // every region of the sync it applies to, so the summary has one line.
  const bool regional = table.scope == TableScope::kRegion && table.region.empty() && table.service;
  std::set<std::string> skipped;
  std::vector<ClientData*> unoffered;
  for (const auto& a : accounts_) {
    if (table.scope == TableScope::kAccount) {
      auto d = std::make_shared<ClientData>();
      d->target = a.home;
      clients.push_back(sdk::Client{a.home.account_id, d});
      continue;
    }
    for (const auto& r : a.regions) {
      auto d = std::make_shared<ClientData>();
      d->target = a.home;
      d->target.region = r;
      if (regional && !table.service->OfferedIn(a.home.partition, r)) {
        skipped.insert(r);
        unoffered.push_back(d.get());
      }
      clients.push_back(sdk::Client{a.home.account_id + ":" + r, d});
    }
  }
  if (!unoffered.empty()) {
    std::string list;
    for (const auto& r : skipped) list += (list.empty() ? "" : ", ") + r;
    const std::string not_offered = "not called in " + list + ": AWS does not offer " + table.service->name +
                                    " there (AWS's endpoint list, botocore's endpoints.json); no rows there";
    for (ClientData* d : unoffered) d->not_offered = not_offered;
  }
  return clients;
}

void AwsSource::FlushSetupWarnings(const sdk::ResolveContext& ctx, const std::string& table) {
  std::call_once(warnings_once_, [&] {
    for (const auto& w : setup_warnings_) ctx.Warning(table, w);
  });
}

Result<std::shared_ptr<http::aws::AwsCredentialProvider>> AwsSource::CredentialsFor(
    const Account& account, std::shared_ptr<http::aws::AwsCredentialProvider> base) {
  if (!base) {
    http::aws::AwsCredentialOptions o;
    o.profile = account.local_profile;
    o.http = http_;
    o.what = "aws source \"" + source_name() + "\"";
    o.sts_endpoint = api_.endpoint;
    o.sts_region = account.default_region.empty() ? "us-east-1" : account.default_region;
    FERRY_ASSIGN_OR_RETURN(base, http::aws::DefaultCredentials(o));
  }
  if (account.role_arn.empty()) return base;
  http::aws::AssumeRoleParams p;
  p.role_arn = account.role_arn;
  p.session_name = account.role_session_name;
  p.external_id = account.external_id;
  p.http = http_;
  p.sts_endpoint = api_.endpoint;
  p.sts_region = account.default_region.empty() ? "us-east-1" : account.default_region;
  return http::aws::AssumeRole(std::move(base), std::move(p));
}

Result<SetUpAccount> AwsSource::SetUp(const Account& account,
                                      std::shared_ptr<http::aws::AwsCredentialProvider> creds,
                                      const std::vector<std::string>& wanted_regions) {
  const Catalog& cat = BuiltinCatalog();
  SetUpAccount out;
  out.name = account.id;
  Target t;
  t.region = account.default_region.empty() ? "us-east-1" : account.default_region;
  t.partition = !spec_.custom_endpoint_partition_id.empty() ? spec_.custom_endpoint_partition_id : PartitionOf(t.region);
  t.credentials = [creds] { return creds->Get(); };
  t.account_id = account.id;
  // Identity: the account's real id (the spec's id is only a name).
  FERRY_ASSIGN_OR_RETURN(auto ident, ListAll(cat.Named("caller_identity"), t, api_, NoPlaceholders()));
  if (ident.empty() || Str(ident[0], "Account").empty())
    return Status::IOError("sts GetCallerIdentity answered no account id");
  t.account_id = Str(ident[0], "Account");
  const std::string arn = Str(ident[0], "Arn");
  if (arn.rfind("arn:", 0) == 0 && spec_.custom_endpoint_partition_id.empty()) {
    auto end = arn.find(':', 4);
    if (end != std::string::npos) t.partition = arn.substr(4, end - 4);
  }
  // Regions enabled for the account.
  FERRY_ASSIGN_OR_RETURN(auto regions, ListAll(cat.Named("regions"), t, api_, NoPlaceholders()));
  std::set<std::string> enabled;
  for (const auto& r : regions) {
    if (Str(r, "OptInStatus") == "not-opted-in") continue;
    if (!Str(r, "RegionName").empty()) enabled.insert(Str(r, "RegionName"));
  }
  const bool all = wanted_regions.empty() || (wanted_regions.size() == 1 && wanted_regions[0] == "*");
  if (all) {
    out.regions.assign(enabled.begin(), enabled.end());
  } else {
    std::vector<std::string> dropped;
    for (const auto& r : wanted_regions) {
      if (enabled.count(r)) out.regions.push_back(r);
      else dropped.push_back(r);
    }
    if (!dropped.empty()) {
      std::string list;
      for (const auto& d : dropped) list += (list.empty() ? "" : ", ") + d;
      setup_warnings_.push_back("account " + account.id + " (" + t.account_id + "): regions " + list +
                                " are not enabled for it (ec2 DescribeRegions); they are skipped");
    }
  }
  if (out.regions.empty())
    return Status::Invalid("no enabled regions in the configuration for account " + account.id);
  // Account-level tables are called in the default region when it is enabled, else the first enabled one.
  if (!enabled.count(t.region) && !out.regions.empty()) t.region = out.regions.front();
  out.home = t;
  return out;
}

Result<std::vector<Account>> AwsSource::OrgAccounts(std::shared_ptr<http::aws::AwsCredentialProvider>* member_base) {
  const Org& org = spec_.org;
  Account admin = org.admin_account.value_or(Account{.id = "Default-Admin-Account"});
  FERRY_ASSIGN_OR_RETURN(auto admin_creds, CredentialsFor(admin, nullptr));
  Target t;
  t.account_id = admin.id;
  t.region = admin.default_region.empty() ? "us-east-1" : admin.default_region;
  t.partition = PartitionOf(t.region);
  t.credentials = [admin_creds] { return admin_creds->Get(); };
  const Catalog& cat = BuiltinCatalog();
  std::vector<json> listed;
  if (org.organization_units.empty()) {
    FERRY_ASSIGN_OR_RETURN(listed, ListAll(cat.Named("org_accounts"), t, api_, NoPlaceholders()));
  } else {
    // Breadth first through the units and every unit under them.
    std::deque<std::string> queue(org.organization_units.begin(), org.organization_units.end());
    std::set<std::string> seen;
    std::set<std::string> skip(org.skip_organization_units.begin(), org.skip_organization_units.end());
    while (!queue.empty()) {
      std::string parent = queue.front();
      queue.pop_front();
      if (skip.count(parent) || !seen.insert(parent).second) continue;
      auto expand = [&parent](const std::string& name) -> Result<std::string> {
        if (name == "parent") return parent;
        return Status::Invalid("unknown placeholder {" + name + "}");
      };
      FERRY_ASSIGN_OR_RETURN(auto accounts, ListAll(cat.Named("org_accounts_for_parent"), t, api_, expand));
      listed.insert(listed.end(), accounts.begin(), accounts.end());
      FERRY_ASSIGN_OR_RETURN(auto units, ListAll(cat.Named("org_units_for_parent"), t, api_, expand));
      for (const auto& u : units)
        if (!Str(u, "Id").empty()) queue.push_back(Str(u, "Id"));
    }
  }
  std::set<std::string> skip_accounts(org.skip_member_accounts.begin(), org.skip_member_accounts.end());
  if (org.organization_units.empty() && !org.skip_organization_units.empty()) {
    // Without organization_units, the skipped units' accounts are skipped (as CloudQuery).
    std::deque<std::string> queue(org.skip_organization_units.begin(), org.skip_organization_units.end());
    std::set<std::string> seen;
    while (!queue.empty()) {
      std::string parent = queue.front();
      queue.pop_front();
      if (!seen.insert(parent).second) continue;
      auto expand = [&parent](const std::string& name) -> Result<std::string> {
        if (name == "parent") return parent;
        return Status::Invalid("unknown placeholder {" + name + "}");
      };
      FERRY_ASSIGN_OR_RETURN(auto accounts, ListAll(cat.Named("org_accounts_for_parent"), t, api_, expand));
      for (const auto& a : accounts) skip_accounts.insert(Str(a, "Id"));
      FERRY_ASSIGN_OR_RETURN(auto units, ListAll(cat.Named("org_units_for_parent"), t, api_, expand));
      for (const auto& u : units) queue.push_back(Str(u, "Id"));
    }
  }
  std::vector<Account> out;
  std::set<std::string> seen;
  for (const auto& a : listed) {
    const std::string id = Str(a, "Id");
    if (id.empty() || Str(a, "Status") != "ACTIVE" || skip_accounts.count(id) || !seen.insert(id).second) continue;
    Account m;
    m.id = id;
    m.account_name = Str(a, "Name");
    m.local_profile = admin.local_profile;
    m.role_arn = "arn:" + t.partition + ":iam::" + id + ":role/" + org.member_role_name;
    m.role_session_name = org.member_role_session_name;
    m.external_id = org.member_external_id;
    m.default_region = admin.default_region;
    m.regions = org.member_regions;
    out.push_back(std::move(m));
  }
  if (org.member_trusted_principal) {
    FERRY_ASSIGN_OR_RETURN(*member_base, CredentialsFor(*org.member_trusted_principal, nullptr));
  } else {
    *member_base = admin_creds;
  }
  return out;
}

Status AwsSource::SetUpAccounts() {
  std::vector<Account> accounts = spec_.accounts;
  std::shared_ptr<http::aws::AwsCredentialProvider> member_base;
  const bool from_org = spec_.org.set;
  if (from_org) {
    FERRY_ASSIGN_OR_RETURN(accounts, OrgAccounts(&member_base));
    if (accounts.empty()) return Status::Invalid("org: the organization lists no ACTIVE account to sync");
  }
  if (accounts.empty()) accounts.push_back(Account{.id = "default", .account_name = "default"});

  // Up to initialization_concurrency accounts at once.
  std::vector<std::optional<Result<SetUpAccount>>> results(accounts.size());
  std::mutex mu;
  size_t next = 0;
  auto worker = [&] {
    while (true) {
      size_t i;
      {
        std::lock_guard<std::mutex> l(mu);
        if (next >= accounts.size()) return;
        i = next++;
      }
      const Account& a = accounts[i];
      auto creds = CredentialsFor(a, from_org ? member_base : nullptr);
      Result<SetUpAccount> r = creds.ok() ? SetUp(a, *creds, a.regions.empty() ? spec_.regions : a.regions)
                                          : Result<SetUpAccount>(creds.status());
      std::lock_guard<std::mutex> l(mu);
      results[i] = std::move(r);
    }
  };
  const size_t n = std::min<size_t>(accounts.size(), static_cast<size_t>(std::max<int64_t>(1, spec_.initialization_concurrency)));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& th : threads) th.join();

  std::set<std::string> ids;
  for (size_t i = 0; i < accounts.size(); ++i) {
    auto& r = *results[i];
    if (!r.ok()) {
      // An account that cannot be set up is skipped with a warning when it
      // came from the organization or was denied, as CloudQuery does; any
      // other failure stops the sync before any data moves.
      const std::string msg = r.status().message();
      if (from_org || msg.find("AccessDenied") != std::string::npos) {
        setup_warnings_.push_back("account " + accounts[i].id + " skipped: " + msg);
        continue;
      }
      return Status::Invalid("aws source: account " + accounts[i].id + ": " + msg);
    }
    // Two entries that resolve to the same account: the first one's
    // credentials, the union of the regions.
    auto same = std::find_if(accounts_.begin(), accounts_.end(),
                             [&](const SetUpAccount& a) { return a.home.account_id == r->home.account_id; });
    if (same != accounts_.end()) {
      for (const auto& reg : r->regions)
        if (std::find(same->regions.begin(), same->regions.end(), reg) == same->regions.end()) same->regions.push_back(reg);
      continue;
    }
    accounts_.push_back(*std::move(r));
  }
  if (accounts_.empty())
    return Status::Invalid("aws source: no AWS account could be set up: " +
                           (setup_warnings_.empty() ? std::string("none configured") : setup_warnings_.front()));
  return Status::OK();
}

Status AwsSource::Init(const Options& options, const SourceInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  set_source_name(init.name);
  sdk::TableSourceOptions sched;
  sched.concurrency = static_cast<int>(std::min<int64_t>(spec_.concurrency, 64));
  SetSchedulerOptions(sched);
  if (init.no_connection) return Status::OK();

  http::ClientOptions o;
  o.request_timeout = std::chrono::milliseconds(spec_.request_timeout_ms);
  o.rate_per_second = static_cast<double>(spec_.rate_per_second);
  o.retry.max_retries = static_cast<int>(spec_.max_retries);
  o.retry.max_backoff = std::chrono::seconds(spec_.max_backoff_s);
  // `concurrency` bounds the requests in flight across the sync (threads and
  // per-item calls included), as CloudQuery's concurrency bounds its resolvers.
  o.max_in_flight = spec_.concurrency;
  FERRY_ASSIGN_OR_RETURN(auto client, http::HttpClient::Make(std::move(o)));
  http_ = std::move(client);
  api_.http = http_.get();
  api_.endpoint = !spec_.endpoint.empty() ? spec_.endpoint : spec_.custom_endpoint_url;
  api_.signing_region = spec_.custom_endpoint_url.empty() ? "" : spec_.custom_endpoint_signing_region;
  api_.use_paid_apis = spec_.use_paid_apis;
  return SetUpAccounts();
}

SourcePlugin AwsSourcePlugin() {
  SourcePlugin p;
  p.name = "aws";
  p.description = "AWS inventory: CloudQuery's aws tables from AWS's APIs, driven by a catalog generated from "
                  "AWS's service models";
  p.options = SpecOptions();
  p.create = []() -> std::unique_ptr<ferry::Source> { return std::make_unique<AwsSource>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddSource(AwsSourcePlugin()); }

}  // namespace ferry::plugins::aws
