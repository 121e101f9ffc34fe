#include "plugins/source/gcp/list_table.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "ferry/text_codec.h"

namespace ferry::plugins::gcp {
namespace {

using json = nlohmann::json;

const json* At(const json& doc, const std::vector<std::string>& path) { return JsonAt(doc, path); }

// Names an item in errors: its selfLink, name or id, whichever it has.
std::string ItemName(const json& item) {
  for (const char* k : {"selfLink", "name", "id"}) {
    auto it = item.find(k);
    if (it != item.end() && (it->is_string() || it->is_number())) return it->is_string() ? it->get<std::string>() : it->dump();
  }
  return "(unnamed item)";
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

std::string Truncate(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

}  // namespace

GoogleError ParseGoogleError(const http::Response& response) {
  GoogleError e;
  e.http_status = response.status;
  json doc = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const json* err = doc.is_object() && doc.contains("error") ? &doc["error"] : nullptr;
  if (err && err->is_object()) {
    e.status = err->value("status", "");
    e.message = err->value("message", "");
    if (err->contains("errors") && (*err)["errors"].is_array())
      for (const auto& x : (*err)["errors"])
        if (x.is_object() && x.contains("reason") && x["reason"].is_string()) e.reasons.push_back(x["reason"]);
    if (err->contains("details") && (*err)["details"].is_array())
      for (const auto& d : (*err)["details"])
        if (d.is_object() && d.contains("reason") && d["reason"].is_string()) e.reasons.push_back(d["reason"]);
  } else if (err && err->is_string()) {
    e.message = err->get<std::string>();
  }
  if (e.message.empty()) e.message = Truncate(response.body, 300);
  if (Contains(e.reasons, "SERVICE_DISABLED") || Contains(e.reasons, "accessNotConfigured"))
    e.kind = GoogleError::Kind::kServiceDisabled;
  else if (response.status == 403 || e.status == "PERMISSION_DENIED")
    e.kind = GoogleError::Kind::kPermissionDenied;
  else if (response.status == 404 || e.status == "NOT_FOUND")
    e.kind = GoogleError::Kind::kNotFound;
  return e;
}

std::string BaseUrl(const CatalogTable& table, const ApiContext& api) {
  auto it = api.endpoints.find(table.api);
  const std::string& over = it != api.endpoints.end() ? it->second : api.endpoint;
  if (over.empty()) return table.base_url;
  // https://compute.googleapis.com/compute/v1/ -> <over>/compute/v1/
  const size_t scheme = table.base_url.find("://");
  const size_t path = table.base_url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string base = over;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (path == std::string::npos ? "/" : table.base_url.substr(path));
}

Result<std::string> ExpandTemplate(const std::string& text, const std::string& project,
                                   const sdk::ResolveContext* ctx, const json* item, bool in_query) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == std::string::npos) {
      out.append(text, i);
      break;
    }
    out.append(text, i, open - i);
    const size_t close = text.find('}', open);
    if (close == std::string::npos) return Status::Invalid("unclosed { in \"" + text + "\"");
    std::string name = text.substr(open + 1, close - open - 1);
    const bool reserved = !name.empty() && name[0] == '+';
    if (reserved) name = name.substr(1);
    std::string value;
    if (name == "project" || name == "organization") {  // the client: a project or an organization
      value = project;
    } else if (name.rfind("parent.", 0) == 0) {
      if (!ctx || !ctx->parent) return Status::Invalid("{" + name + "} outside a relation");
      const std::vector<std::string> path = SplitDots(std::string_view(name).substr(7));
      const Value& v = ctx->ParentValue(path[0]);
      if (v.is_null()) return Status::Invalid("the parent row has no " + path[0]);
      if (path.size() == 1) {
        value = v.as_string();
      } else {  // a field inside a JSON column
        json doc = json::parse(v.as_string(), nullptr, false);
        const json* f = doc.is_discarded() ? nullptr : At(doc, {path.begin() + 1, path.end()});
        if (!f || !f->is_string()) return Status::Invalid("the parent row's " + name.substr(7) + " is not a string");
        value = f->get<std::string>();
      }
    } else if (name.rfind("item.", 0) == 0 && item) {
      const json* f = At(*item, SplitDots(std::string_view(name).substr(5)));
      if (!f || !f->is_string()) return Status::Invalid("the item " + ItemName(*item) + " has no " + name.substr(5));
      value = f->get<std::string>();
    } else {
      return Status::Invalid("unknown placeholder {" + name + "} in \"" + text + "\"");
    }
    out += reserved || in_query ? value : http::PercentEncode(value);
    i = close + 1;
  }
  return out;
}

Row ItemToRow(const CatalogTable& table, const json& item, const std::string& project, const std::string& scope,
              const sdk::ResolveContext* ctx, std::vector<std::string>* warnings) {
  Row row;
  row.reserve(table.columns.size());
  for (const auto& c : table.columns) {
    switch (c.source) {
      case ColumnSource::kProject:
      case ColumnSource::kOrganization:
        row.push_back(Value::String(project));
        break;
      case ColumnSource::kScope:
        row.push_back(scope.empty() ? Value::Null() : Value::String(scope));
        break;
      case ColumnSource::kParent:
        row.push_back(ctx && ctx->parent ? ctx->ParentValue(c.path[0]) : Value::Null());
        break;
      case ColumnSource::kField: {
        const json* v = At(item, c.path);
        if (!v) {
          row.push_back(Value::Null());
          break;
        }
        auto converted = ConvertJson(c.kind, *v);
        if (!converted.ok()) {
          warnings->push_back("project " + project + ", item " + ItemName(item) + ", column " + c.name + ": " +
                              converted.status().message() + "; stored as NULL");
          row.push_back(Value::Null());
          break;
        }
        row.push_back(*std::move(converted));
        break;
      }
    }
  }
  return row;
}

TableSchema SchemaOf(const CatalogTable& table) {
  TableSchema s;
  s.name = table.name;
  s.description = table.description;
  for (const auto& c : table.columns) {
    Column col;
    col.name = c.name;
    col.type = TypeOf(c.kind);
    col.description = c.description;
    col.primary_key = c.primary_key;
    s.columns.push_back(std::move(col));
  }
  return s;
}

namespace {

// GETs the full resource of a listed item (CatalogTable::detail_path).
// false: it is gone (deleted since the listing) or hidden; a warning says so.
Result<bool> FetchDetail(const CatalogTable& table, const ApiContext& api, const sdk::ResolveContext& ctx,
                         const json& listed, json* out) {
  const std::string& project = ctx.client.id;
  FERRY_ASSIGN_OR_RETURN(std::string path, ExpandTemplate(table.detail_path, project, &ctx, &listed));
  http::Request req;
  req.url = BaseUrl(table, api) + path;
  req.figures = ctx.figures;
  req.headers["Accept"] = "application/json";
  if (api.auth) FERRY_RETURN_NOT_OK(api.auth->Authorize(req));
  FERRY_ASSIGN_OR_RETURN(http::Response resp, api.http->Do(req));
  if (resp.status < 200 || resp.status >= 300) {
    GoogleError e = ParseGoogleError(resp);
    const std::string said = "HTTP " + std::to_string(resp.status) + ": " + Truncate(e.message, 300);
    if (e.kind == GoogleError::Kind::kOther)
      return Status::IOError("table " + table.name + ", project " + project + ": GET " +
                             http::UrlForMessages(req.url) + " failed: " + said);
    ctx.Warning(table.name, "project " + project + ": " + ItemName(listed) + " skipped: " + said);
    return false;
  }
  *out = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object())
    return Status::IOError("table " + table.name + ": GET " + http::UrlForMessages(req.url) +
                           ": the answer is not a JSON object");
  return true;
}

}  // namespace

namespace {
Status ListPages(const CatalogTable& table, const ApiContext& api, const sdk::ResolveContext& ctx,
                 const std::string& url, sdk::RowWriter& out, std::vector<std::string>* recurse);
}  // namespace

Status ResolveTable(const CatalogTable& table, const ApiContext& api, const sdk::ResolveContext& ctx,
                    sdk::RowWriter& out) {
  const std::string& project = ctx.client.id;
  // With per-API `endpoints` (emulators, fakes) and no `endpoint`, an API
  // left out is not sent to Google (no credentials are used in that mode):
  // its tables are skipped.
  if (api.endpoint.empty() && !api.endpoints.empty() && !api.endpoints.count(table.api)) {
    ctx.Warning(table.name, "project " + project + ": skipped, `endpoints` has no entry for the " + table.api +
                                " API (add " + table.api + ": URL, or leave `endpoints` out to call Google)");
    return Status::OK();
  }
  FERRY_ASSIGN_OR_RETURN(std::string path, ExpandTemplate(table.path, project, &ctx));
  std::string url = BaseUrl(table, api) + path;
  for (const auto& [k, v] : table.query) {
    FERRY_ASSIGN_OR_RETURN(std::string value, ExpandTemplate(v, project, &ctx, nullptr, /*in_query=*/true));
    url = http::WithQueryParam(url, k, value);
  }
  if (!table.page_size_param.empty() && table.page_size > 0)
    url = http::WithQueryParam(url, table.page_size_param, std::to_string(table.page_size));
  if (table.recurse_field.empty()) return ListPages(table, api, ctx, url, out, nullptr);
  // A tree (folders under folders): each item's recurse_field is listed again
  // as recurse_query, depth-first, into the same table; a value seen twice
  // (a cycle) is not listed again.
  std::vector<std::string> stack;
  std::set<std::string> seen;
  FERRY_RETURN_NOT_OK(ListPages(table, api, ctx, url, out, &stack));
  while (!stack.empty()) {
    std::string next = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(next).second) continue;
    FERRY_RETURN_NOT_OK(ListPages(table, api, ctx, http::WithQueryParam(url, table.recurse_query, next), out, &stack));
  }
  return Status::OK();
}

namespace {

Status ListPages(const CatalogTable& table, const ApiContext& api, const sdk::ResolveContext& ctx,
                 const std::string& url, sdk::RowWriter& out, std::vector<std::string>* recurse) {
  const std::string& project = ctx.client.id;
  const std::string what = "table " + table.name + ", project " + project + ": " + table.method_id;
  std::string token;
  int64_t pages = 0;
  while (true) {
    if (ctx.cancelled) return Status::Cancelled("sync cancelled");
    http::Request req;
    req.url = token.empty() ? url : http::WithQueryParam(url, table.page_token_param, token);
    req.figures = ctx.figures;
    req.headers["Accept"] = "application/json";
    if (api.auth) FERRY_RETURN_NOT_OK(api.auth->Authorize(req));
    FERRY_ASSIGN_OR_RETURN(http::Response resp, api.http->Do(req));
    ++pages;
    if (resp.status < 200 || resp.status >= 300) {
      GoogleError e = ParseGoogleError(resp);
      const std::string said = "HTTP " + std::to_string(resp.status) + (e.status.empty() ? "" : " " + e.status) +
                               ": " + Truncate(e.message, 300);
      switch (e.kind) {
        case GoogleError::Kind::kServiceDisabled:
          ctx.Warning(table.name, "project " + project + ": skipped, the API is not enabled (" + table.service +
                                      "; enable it or set enabled_services_only): " + said);
          return Status::OK();
        case GoogleError::Kind::kPermissionDenied:
          ctx.Warning(table.name, "project " + project + ": skipped, permission denied for " + table.method_id +
                                      ": " + said);
          return Status::OK();
        case GoogleError::Kind::kNotFound:
          ctx.Warning(table.name, "project " + project + ": skipped, not found (" + table.method_id + " " +
                                      http::UrlForMessages(req.url) + "): " + said);
          return Status::OK();
        case GoogleError::Kind::kOther:
          return Status::IOError(what + " " + http::UrlForMessages(req.url) + " failed: " + said);
      }
    }
    json doc = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object())
      return Status::IOError(what + ": the answer is not a JSON object: " + Truncate(resp.body, 200));
    if (table.items_field.empty()) {  // a get: the answer is the row
      if (doc.empty()) {
        ctx.Warning(table.name, "project " + project + ": " + table.method_id + " answered an empty resource; no row");
        return Status::OK();
      }
      std::vector<std::string> warnings;
      Row row = ItemToRow(table, doc, project, "", &ctx, &warnings);
      for (const auto& w : warnings) ctx.Warning(table.name, w);
      return out.Write(std::move(row));
    }
    auto items = doc.find(table.items_field);
    if (items != doc.end() && !items->is_null()) {
      if (table.aggregated_field.empty()) {
        if (!items->is_array()) return Status::IOError(what + ": \"" + table.items_field + "\" is not a list");
        for (const auto& listed : *items) {
          json detail;
          if (!table.detail_path.empty()) {
            FERRY_ASSIGN_OR_RETURN(bool found, FetchDetail(table, api, ctx, listed, &detail));
            if (!found) continue;
          }
          const json& item = table.detail_path.empty() ? listed : detail;
          std::vector<std::string> warnings;
          Row row = ItemToRow(table, item, project, "", &ctx, &warnings);
          for (const auto& w : warnings) ctx.Warning(table.name, w);
          FERRY_RETURN_NOT_OK(out.Write(std::move(row)));
          if (recurse) {
            auto f = item.find(table.recurse_field);
            if (f != item.end() && f->is_string()) recurse->push_back(f->get<std::string>());
          }
        }
      } else {
        if (!items->is_object())
          return Status::IOError(what + ": \"" + table.items_field + "\" is not a map of scopes");
        for (const auto& [scope, scoped] : items->items()) {
          auto list = scoped.find(table.aggregated_field);
          if (list == scoped.end() || list->is_null()) continue;  // a scope with a warning, no items
          if (!list->is_array())
            return Status::IOError(what + ": " + scope + "." + table.aggregated_field + " is not a list");
          for (const auto& item : *list) {
            std::vector<std::string> warnings;
            Row row = ItemToRow(table, item, project, scope, &ctx, &warnings);
            for (const auto& w : warnings) ctx.Warning(table.name, w);
            FERRY_RETURN_NOT_OK(out.Write(std::move(row)));
          }
        }
      }
    }
    // An aggregatedList names the scopes it could not reach.
    if (doc.contains("unreachables") && doc["unreachables"].is_array() && !doc["unreachables"].empty())
      ctx.Warning(table.name, "project " + project + ": " + table.method_id + " could not reach " +
                                  Truncate(doc["unreachables"].dump(), 300) + "; their resources are missing");
    std::string next;
    if (!table.page_token_param.empty()) {
      auto it = doc.find(table.next_page_token_field);
      if (it != doc.end() && it->is_string()) next = it->get<std::string>();
    }
    if (next.empty()) return Status::OK();
    if (next == token) return Status::IOError(what + ": the API gave the same page token twice (" + Truncate(next, 40) + ")");
    token = std::move(next);
  }
}

}  // namespace

}  // namespace ferry::plugins::gcp
