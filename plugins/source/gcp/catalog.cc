#include "plugins/source/gcp/catalog.h"

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace ferry::plugins::gcp {

extern const std::string_view kCatalogJson;  // catalog/catalog.json (plugin.cmake)

namespace {

using json = nlohmann::json;

Result<std::string> Str(const json& j, const char* key, const std::string& where, bool required = true) {
  return CatalogString(j, key, where, required);
}

Result<std::shared_ptr<CatalogTable>> ParseTable(const json& j, const std::string& parent) {
  if (!j.is_object()) return Status::Invalid("catalog: a table entry" + parent + " is not an object");
  auto t = std::make_shared<CatalogTable>();
  FERRY_ASSIGN_OR_RETURN(t->name, Str(j, "name", "catalog: a table" + parent));
  const std::string where = "catalog: table " + t->name;
  FERRY_ASSIGN_OR_RETURN(t->description, Str(j, "description", where, false));
  FERRY_ASSIGN_OR_RETURN(std::string scope, Str(j, "scope", where, false));
  if (scope == "organization") t->scope = TableScope::kOrganization;
  else if (!scope.empty() && scope != "project")
    return Status::Invalid(where + ": \"scope\" must be project or organization, not \"" + scope + "\"");
  FERRY_ASSIGN_OR_RETURN(t->service, Str(j, "service", where));
  FERRY_ASSIGN_OR_RETURN(t->api, Str(j, "api", where));
  FERRY_ASSIGN_OR_RETURN(t->method_id, Str(j, "method", where));
  FERRY_ASSIGN_OR_RETURN(t->base_url, Str(j, "base_url", where));
  FERRY_ASSIGN_OR_RETURN(t->path, Str(j, "path", where));
  FERRY_ASSIGN_OR_RETURN(t->items_field, Str(j, "items", where, false));  // none: a get, one row
  FERRY_ASSIGN_OR_RETURN(t->aggregated_field, Str(j, "aggregated", where, false));
  FERRY_ASSIGN_OR_RETURN(t->page_token_param, Str(j, "page_token_param", where, false));
  FERRY_ASSIGN_OR_RETURN(std::string next, Str(j, "next_page_token", where, false));
  if (!next.empty()) t->next_page_token_field = next;
  FERRY_ASSIGN_OR_RETURN(t->page_size_param, Str(j, "page_size_param", where, false));
  FERRY_ASSIGN_OR_RETURN(t->detail_path, Str(j, "detail_path", where, false));
  if (j.contains("recurse")) {
    const json& r = j["recurse"];
    if (!r.is_object()) return Status::Invalid(where + ": \"recurse\" is not an object");
    FERRY_ASSIGN_OR_RETURN(t->recurse_field, Str(r, "field", where + " recurse"));
    FERRY_ASSIGN_OR_RETURN(t->recurse_query, Str(r, "query", where + " recurse"));
  }
  if (j.contains("page_size")) {
    if (!j["page_size"].is_number_integer()) return Status::Invalid(where + ": \"page_size\" is not an integer");
    t->page_size = j["page_size"].get<int64_t>();
  }
  if (j.contains("query")) {
    if (!j["query"].is_object()) return Status::Invalid(where + ": \"query\" is not an object");
    for (const auto& [k, v] : j["query"].items()) {
      if (!v.is_string()) return Status::Invalid(where + ": query \"" + k + "\" is not a string");
      t->query.emplace_back(k, v.get<std::string>());
    }
  }
  if (!j.contains("columns") || !j["columns"].is_array() || j["columns"].empty())
    return Status::Invalid(where + ": no \"columns\" list");
  for (const auto& c : j["columns"]) {
    CatalogColumn col;
    FERRY_ASSIGN_OR_RETURN(col.name, Str(c, "name", where + " column"));
    const std::string cw = where + " column " + col.name;
    FERRY_ASSIGN_OR_RETURN(std::string type, Str(c, "type", cw));
    FERRY_ASSIGN_OR_RETURN(col.kind, ::ferry::plugins::KindOf(type, cw));
    FERRY_ASSIGN_OR_RETURN(col.description, Str(c, "description", cw, false));
    col.primary_key = c.value("pk", false);
    FERRY_ASSIGN_OR_RETURN(std::string from, Str(c, "from", cw));
    // "field:a.b", "project", "parent:column", "scope"
    if (from == "project") {
      col.source = ColumnSource::kProject;
    } else if (from == "organization") {
      col.source = ColumnSource::kOrganization;
    } else if (from == "scope") {
      if (t->aggregated_field.empty()) return Status::Invalid(cw + ": \"scope\" only exists in an aggregatedList");
      col.source = ColumnSource::kScope;
    } else if (from.rfind("field:", 0) == 0 && from.size() > 6) {
      col.source = ColumnSource::kField;
      col.path = SplitDots(from.substr(6));
    } else if (from.rfind("parent:", 0) == 0 && from.size() > 7) {
      if (parent.empty()) return Status::Invalid(cw + ": a top-level table has no parent to read \"" + from + "\"");
      col.source = ColumnSource::kParent;
      col.path = {from.substr(7)};
    } else {
      return Status::Invalid(cw + ": \"from\" must be field:NAME, project, organization, parent:COLUMN or scope, not \"" +
                             from + "\"");
    }
    t->columns.push_back(std::move(col));
  }
  if (j.contains("relations")) {
    if (!j["relations"].is_array()) return Status::Invalid(where + ": \"relations\" is not a list");
    for (const auto& r : j["relations"]) {
      FERRY_ASSIGN_OR_RETURN(auto child, ParseTable(r, " (under " + t->name + ")"));
      t->relations.push_back(std::move(child));
    }
  }
  return t;
}

}  // namespace

Result<Catalog> ParseCatalog(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Invalid("catalog: not a JSON object");
  Catalog c;
  FERRY_ASSIGN_OR_RETURN(c.generated_from, Str(doc, "generated_from", "catalog"));
  if (!doc.contains("tables") || !doc["tables"].is_array()) return Status::Invalid("catalog: no \"tables\" list");
  for (const auto& t : doc["tables"]) {
    FERRY_ASSIGN_OR_RETURN(auto table, ParseTable(t, ""));
    c.tables.push_back(std::move(table));
  }
  return c;
}

const Catalog& BuiltinCatalog() {
  static const Catalog catalog = [] {
    auto c = ParseCatalog(kCatalogJson);
    // The catalog is built in and tested (catalog_test.cc): a bad one is a
    // build defect, not a user's error.
    if (!c.ok()) {
      std::fprintf(stderr, "ferry: the built-in GCP catalog is invalid: %s\n", c.status().ToString().c_str());
      std::abort();
    }
    return *std::move(c);
  }();
  return catalog;
}

}  // namespace ferry::plugins::gcp
