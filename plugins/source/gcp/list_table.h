// The one resolver every catalog table runs: build the request from the
// table's URL template, fetch every page, find the items, turn each into a
// row. Google's errors are classified here: an API not enabled in the
// project, a permission denied and a resource gone are skips (a warning for
// the table, its rows for that project are none), anything else fails the
// (table, project).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/http/client.h"
#include "ferry/http/google_auth.h"
#include "ferry/http/paging.h"
#include "ferry/sdk/table_source.h"
#include "plugins/source/gcp/catalog.h"

namespace ferry::plugins::gcp {

// What a Google API error says (the JSON error body of every REST API).
struct GoogleError {
  int http_status = 0;
  std::string status;                 // "PERMISSION_DENIED"
  std::string message;
  std::vector<std::string> reasons;   // errors[].reason and ErrorInfo reasons
  enum class Kind { kServiceDisabled, kPermissionDenied, kNotFound, kOther } kind = Kind::kOther;
};
GoogleError ParseGoogleError(const http::Response& response);

// Everything a resolver needs besides the table; shared by every table.
struct ApiContext {
  http::HttpClient* http = nullptr;
  http::GoogleAuthorizer* auth = nullptr;
  std::string endpoint;                          // replaces https://host of every base URL
  std::map<std::string, std::string> endpoints;  // per API
  std::string source_name;
};

// The base URL of `table`'s API after the spec's endpoint overrides.
std::string BaseUrl(const CatalogTable& table, const ApiContext& api);

// Expands {project} / {organization} (the table's client: a project id or
// an organization's number), {parent.COL[.json.path]} (the parent row's column, or a
// field inside a JSON column) and {item.FIELD.PATH} (a listed item's field),
// each also in the {+...} form. Plain expansions are percent-encoded, +
// forms are not (RFC 6570).
// `in_query`: the text is a query value, which WithQueryParam encodes: no
// expansion is encoded here.
Result<std::string> ExpandTemplate(const std::string& text, const std::string& project,
                                   const sdk::ResolveContext* ctx, const nlohmann::json* item = nullptr,
                                   bool in_query = false);

// Converts one item into the table's row. A value that does not fit its
// column becomes NULL and a warning (naming table, project, item, column and
// the value) is added to *warnings: one odd field does not lose the row, the
// table or the sync.
Row ItemToRow(const CatalogTable& table, const nlohmann::json& item, const std::string& project,
              const std::string& scope, const sdk::ResolveContext* ctx, std::vector<std::string>* warnings);

// Lists the table for ctx.client (a project) and writes its rows.
Status ResolveTable(const CatalogTable& table, const ApiContext& api, const sdk::ResolveContext& ctx,
                    sdk::RowWriter& out);

// The table's schema (own columns) from the catalog.
TableSchema SchemaOf(const CatalogTable& table);

}  // namespace ferry::plugins::gcp
