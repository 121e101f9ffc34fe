// `sample` source: the template an API source starts from.
//
// TEMPLATE: scripts/new-plugin.sh copies this folder to
// plugins/source/<name>/ and renames "sample" / "Sample". It syncs one
// table, sample_items, from a paged JSON API:
//   GET {endpoint}/items[?page_token=T] -> {"items": [{"id": 1, "name": "a"}], "next_token": "T2"}
// through the shared HTTP client (include/ferry/http: retries, Retry-After,
// rate limit, figures) and its paging helper. A real API source declares its
// tables from the provider's published API model (catalog data run by one
// generic client), not by hand per service; this sample shows the moving
// parts: spec, client, tables, resolver, paging, errors, cancellation.
#pragma once

#include <memory>

#include "ferry/http/client.h"
#include "ferry/registry.h"
#include "ferry/sdk/table_source.h"
#include "plugins/templates/source/sample_spec.h"

namespace ferry::plugins::sample {

inline constexpr const char* kItemsTable = "sample_items";

class SampleSource final : public sdk::TableSource {
 public:
  SampleSource();   // declares the tables, so Tables() works before Init
  Status Init(const Options& options, const SourceInit& init) override;

 private:
  void Declare();
  Status ResolveItems(const sdk::ResolveContext& ctx, sdk::RowWriter& out);

  Spec spec_;
  std::unique_ptr<http::HttpClient> client_;
};

// The registry entry: name, description, options.
SourcePlugin SampleSourcePlugin();

// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::sample
