// The one resolver every catalog table runs: call the table's operation for
// the client's (account, region), page through it, read each item (again
// with the `detail` operation where the list holds only ids, enriched with
// per-item calls where the catalog says), and turn it into a row.
//
// AWS's errors are classified here (README "Errors and delete-stale"): an
// access denied, an opted-out region or a service not subscribed is a
// warning for the (table, account, region), whose rows are then none; codes
// the table lists in ignore_errors mean "none here" without a warning; any
// other error fails that (table, account, region) only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/sdk/table_source.h"
#include "plugins/source/aws/aws_call.h"
#include "plugins/source/aws/catalog.h"

namespace ferry::plugins::aws {

// The data of one client (sdk::Client::data).
struct ClientData {
  Target target;
  // Set when AWS does not offer the table's service in the target's region:
  // the warning the (table, client) gives instead of calling.
  std::string not_offered;
};

// True for the codes CloudQuery's users expect as "not here / not allowed"
// rather than a failure (access denied, opt-in required, not subscribed).
bool IsSkipCode(const std::string& code);

// Converts one item into the table's row. A value that does not fit its
// column becomes NULL and a warning (naming table, account, region, item,
// column and the value).
Row ItemToRow(const CatalogTable& table, const nlohmann::json& listed, const nlohmann::json& item,
              const Target& target, const sdk::ResolveContext* ctx, std::vector<std::string>* warnings);

// The table's schema (own columns) from the catalog.
TableSchema SchemaOf(const CatalogTable& table);

// Lists the table for ctx.client and writes its rows.
Status ResolveTable(const CatalogTable& table, const ApiOptions& api, const sdk::ResolveContext& ctx,
                    sdk::RowWriter& out);

}  // namespace ferry::plugins::aws
