#include "plugins/source/gcp/gcp_source.h"

#include <algorithm>

namespace ferry::plugins::gcp {

GcpSource::GcpSource() {
  std::vector<sdk::TableDef> defs;
  for (const auto& t : BuiltinCatalog().tables) defs.push_back(Define(t, /*top_level=*/true));
  SetTables(std::move(defs));
}

sdk::TableDef GcpSource::Define(const std::shared_ptr<CatalogTable>& table, bool top_level) {
  sdk::TableDef def;
  def.schema = SchemaOf(*table);
  def.resolve = [this, table](const sdk::ResolveContext& ctx, sdk::RowWriter& out) -> Status {
    if (!api_.http) return Status::Invalid("source \"" + source_name() + "\" was not initialised");
    FlushDiscoveryWarnings(ctx, table->name);
    return ResolveTable(*table, api_, ctx, out);
  };
  if (top_level) def.multiplex = [this, table] { return ClientsFor(*table); };
  for (const auto& child : table->relations) def.relations.push_back(Define(child, /*top_level=*/false));
  return def;
}

std::vector<sdk::Client> GcpSource::ClientsFor(const CatalogTable& table) const {
  std::vector<sdk::Client> clients;
  if (table.scope == TableScope::kOrganization) {
    for (const auto& o : discovered_.organizations) clients.push_back(sdk::Client{o, nullptr});
    return clients;
  }
  for (const auto& p : discovered_.projects) {
    auto it = discovered_.enabled_services.find(p);
    if (it != discovered_.enabled_services.end() && !it->second.count(table.service)) continue;
    clients.push_back(sdk::Client{p, nullptr});
  }
  return clients;
}

void GcpSource::FlushDiscoveryWarnings(const sdk::ResolveContext& ctx, const std::string& table) {
  std::call_once(warnings_once_, [&] {
    for (const auto& w : discovered_.warnings) ctx.Warning(table, w);
  });
}

Status GcpSource::Init(const Options& options, const SourceInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  set_source_name(init.name);
  sdk::TableSourceOptions sched;
  sched.concurrency = static_cast<int>(std::min<int64_t>(spec_.concurrency, 64));
  SetSchedulerOptions(sched);
  if (init.no_connection) return Status::OK();

  http::ClientOptions o;
  o.request_timeout = std::chrono::milliseconds(spec_.request_timeout_ms);
  o.rate_per_second = static_cast<double>(spec_.rate_per_second);
  if (spec_.backoff_retries > 0) o.retry.max_retries = static_cast<int>(spec_.backoff_retries);
  o.retry.max_backoff = std::chrono::seconds(std::max<int64_t>(spec_.backoff_delay_s, 1));
  // `concurrency` bounds the requests in flight across the sync (threads and
  // per-item calls included), as CloudQuery's concurrency bounds its resolvers.
  o.max_in_flight = spec_.concurrency;
  FERRY_ASSIGN_OR_RETURN(auto client, http::HttpClient::Make(std::move(o)));
  http_ = std::move(client);

  http::GoogleAuthOptions ao;
  // Endpoint overrides are emulators and fakes: nothing is signed in and no
  // token is sent to them (the ADC chain is not even probed).
  ao.endpoint = !spec_.endpoint.empty() ? spec_.endpoint : spec_.endpoints.empty() ? "" : "endpoints";
  ao.service_account_key_json = spec_.service_account_key_json;
  ao.what = "gcp source \"" + init.name + "\"";
  if (!spec_.impersonation.target_principal.empty()) {
    ao.impersonate_service_account = spec_.impersonation.target_principal;
    ao.impersonation_delegates = spec_.impersonation.delegates;
    ao.impersonation_scopes = spec_.impersonation.scopes;
  }
  const bool anonymous = !ao.endpoint.empty();
  FERRY_ASSIGN_OR_RETURN(auth_, http::GoogleAuthorizer::Make(std::move(ao), anonymous ? nullptr : http_));

  api_.http = http_.get();
  api_.auth = auth_.get();
  api_.endpoint = spec_.endpoint;
  api_.endpoints = spec_.endpoints;
  api_.source_name = init.name;
  FERRY_ASSIGN_OR_RETURN(discovered_, Discover(spec_, api_));
  return Status::OK();
}

SourcePlugin GcpSourcePlugin() {
  SourcePlugin p;
  p.name = "gcp";
  p.description = "Google Cloud inventory: CloudQuery's gcp tables from Google's REST APIs, driven by a catalog "
                  "generated from Google's discovery documents";
  p.options = SpecOptions();
  p.create = []() -> std::unique_ptr<ferry::Source> { return std::make_unique<GcpSource>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddSource(GcpSourcePlugin()); }

}  // namespace ferry::plugins::gcp
