// `gcp` source: CloudQuery's gcp tables, read from Google's REST APIs.
//
// Every table is an entry of the built-in catalog (catalog.h), run by one
// generic resolver (list_table.h) for each project the sync covers
// (discovery.h). Requests go through the shared HTTP client (retries,
// throttling, per-host rate) with Google's auth (ferry/http/google_auth.h):
// a service account key, Application Default Credentials, or none when
// `endpoint` points at an emulator or a test fake.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/http/client.h"
#include "ferry/http/google_auth.h"
#include "ferry/registry.h"
#include "ferry/sdk/table_source.h"
#include "plugins/source/gcp/catalog.h"
#include "plugins/source/gcp/discovery.h"
#include "plugins/source/gcp/gcp_spec.h"
#include "plugins/source/gcp/list_table.h"

namespace ferry::plugins::gcp {

class GcpSource final : public sdk::TableSource {
 public:
  GcpSource();   // declares the catalog's tables, so Tables() works before Init
  Status Init(const Options& options, const SourceInit& init) override;

 private:
  sdk::TableDef Define(const std::shared_ptr<CatalogTable>& table, bool top_level);
  std::vector<sdk::Client> ClientsFor(const CatalogTable& table) const;
  void FlushDiscoveryWarnings(const sdk::ResolveContext& ctx, const std::string& table);

  Spec spec_;
  std::shared_ptr<http::HttpClient> http_;
  std::unique_ptr<http::GoogleAuthorizer> auth_;
  ApiContext api_;
  Discovered discovered_;
  std::once_flag warnings_once_;
};

SourcePlugin GcpSourcePlugin();
Status Register(Registry& registry);

}  // namespace ferry::plugins::gcp
