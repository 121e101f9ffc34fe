#include "plugins/source/aws/catalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ferry::plugins::aws {

extern const std::string_view kCatalogJson;  // catalog/catalog.json (plugin.cmake)

namespace {

using json = nlohmann::json;

Result<std::string> Str(const json& j, const char* key, const std::string& where, bool required = true) {
  return CatalogString(j, key, where, required);
}

Result<std::vector<std::string>> Strings(const json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) return Status::Invalid(where + ": \"" + key + "\" is not a list");
  for (const auto& s : *it) {
    if (!s.is_string()) return Status::Invalid(where + ": \"" + key + "\" holds a non-string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Result<MemberRef> ParseRef(const std::string& name, const json& j, const std::string& where) {
  if (!j.is_object()) return Status::Invalid(where + ": member " + name + " is not an object");
  MemberRef r;
  r.name = name;
  FERRY_ASSIGN_OR_RETURN(r.shape, Str(j, "shape", where + " member " + name));
  FERRY_ASSIGN_OR_RETURN(r.location_name, Str(j, "locationName", where, false));
  FERRY_ASSIGN_OR_RETURN(r.location, Str(j, "location", where, false));
  r.flattened = j.value("flattened", false);
  r.xml_attribute = j.value("xmlAttribute", false);
  return r;
}

Result<Shape> ParseShape(const std::string& name, const json& j, const std::string& where0) {
  const std::string where = where0 + " shape " + name;
  if (!j.is_object()) return Status::Invalid(where + ": not an object");
  Shape s;
  FERRY_ASSIGN_OR_RETURN(s.type, Str(j, "type", where));
  s.flattened = j.value("flattened", false);
  FERRY_ASSIGN_OR_RETURN(s.timestamp_format, Str(j, "timestampFormat", where, false));
  if (s.type == "structure") {
    FERRY_ASSIGN_OR_RETURN(s.payload, Str(j, "payload", where, false));
    if (j.contains("members")) {
      if (!j["members"].is_object()) return Status::Invalid(where + ": \"members\" is not an object");
      for (const auto& [m, ref] : j["members"].items()) {
        FERRY_ASSIGN_OR_RETURN(auto r, ParseRef(m, ref, where));
        s.members.push_back(std::move(r));
      }
    }
  } else if (s.type == "list") {
    if (!j.contains("member")) return Status::Invalid(where + ": a list without \"member\"");
    FERRY_ASSIGN_OR_RETURN(s.member, ParseRef("member", j["member"], where));
  } else if (s.type == "map") {
    if (!j.contains("key") || !j.contains("value")) return Status::Invalid(where + ": a map without key/value");
    FERRY_ASSIGN_OR_RETURN(s.key, ParseRef("key", j["key"], where));
    FERRY_ASSIGN_OR_RETURN(s.value, ParseRef("value", j["value"], where));
  }
  return s;
}

Result<Protocol> ProtocolOf(const std::string& p, const std::string& where) {
  if (p == "query") return Protocol::kQuery;
  if (p == "ec2") return Protocol::kEc2;
  if (p == "json") return Protocol::kJson;
  if (p == "rest-json") return Protocol::kRestJson;
  if (p == "rest-xml") return Protocol::kRestXml;
  return Status::Invalid(where + ": unknown protocol \"" + p + "\"");
}

Result<std::unique_ptr<Service>> ParseService(const std::string& name, const json& j) {
  const std::string where = "catalog: service " + name;
  if (!j.is_object()) return Status::Invalid(where + ": not an object");
  auto s = std::make_unique<Service>();
  s->name = name;
  FERRY_ASSIGN_OR_RETURN(std::string protocol, Str(j, "protocol", where));
  FERRY_ASSIGN_OR_RETURN(s->protocol, ProtocolOf(protocol, where));
  FERRY_ASSIGN_OR_RETURN(s->api_version, Str(j, "api_version", where));
  FERRY_ASSIGN_OR_RETURN(s->endpoint_prefix, Str(j, "endpoint_prefix", where));
  FERRY_ASSIGN_OR_RETURN(s->signing_name, Str(j, "signing_name", where));
  FERRY_ASSIGN_OR_RETURN(s->target_prefix, Str(j, "target_prefix", where, false));
  FERRY_ASSIGN_OR_RETURN(s->json_version, Str(j, "json_version", where, false));
  FERRY_ASSIGN_OR_RETURN(s->global_endpoint, Str(j, "global_endpoint", where, false));
  FERRY_ASSIGN_OR_RETURN(s->discovery_operation, Str(j, "discovery_operation", where, false));
  if (j.contains("not_offered")) {
    if (!j["not_offered"].is_object()) return Status::Invalid(where + ": \"not_offered\" is not an object");
    for (const auto& [partition, regions] : j["not_offered"].items()) {
      FERRY_ASSIGN_OR_RETURN(auto list, Strings(j["not_offered"], partition.c_str(), where + " not_offered"));
      std::sort(list.begin(), list.end());
      s->not_offered.emplace(partition, std::move(list));
    }
  }
  if (j.contains("shapes")) {
    if (!j["shapes"].is_object()) return Status::Invalid(where + ": \"shapes\" is not an object");
    for (const auto& [n, sj] : j["shapes"].items()) {
      FERRY_ASSIGN_OR_RETURN(auto shape, ParseShape(n, sj, where));
      s->shapes.emplace(n, std::move(shape));
    }
  }
  s->ResolveShapes();
  return s;
}

Result<Input> ParseInput(const json& j, const std::string& where) {
  if (!j.is_object()) return Status::Invalid(where + ": an input is not an object");
  Input in;
  FERRY_ASSIGN_OR_RETURN(in.location, Str(j, "location", where + " input"));
  FERRY_ASSIGN_OR_RETURN(in.name, Str(j, "name", where + " input"));
  FERRY_ASSIGN_OR_RETURN(in.value, Str(j, "value", where + " input " + in.name, false));
  FERRY_ASSIGN_OR_RETURN(in.json_type, Str(j, "type", where + " input " + in.name, false));
  if (j.contains("json")) {
    in.json = j["json"];
    in.has_json = true;
  }
  if (j.contains("optional")) {
    if (!j["optional"].is_boolean()) return Status::Invalid(where + ": input " + in.name + ": optional is not true or false");
    in.optional = j["optional"].get<bool>();
  }
  static const char* kLocations[] = {"form", "json", "uri", "querystring", "header"};
  bool known = false;
  for (const char* l : kLocations) known |= in.location == l;
  if (!known) return Status::Invalid(where + ": input " + in.name + " has an unknown location \"" + in.location + "\"");
  return in;
}

Result<Call> ParseCall(const json& j, const Service& service, const std::string& where) {
  if (!j.is_object()) return Status::Invalid(where + ": the call is not an object");
  Call c;
  FERRY_ASSIGN_OR_RETURN(c.operation, Str(j, "operation", where));
  FERRY_ASSIGN_OR_RETURN(c.http_method, Str(j, "http_method", where));
  FERRY_ASSIGN_OR_RETURN(c.request_uri, Str(j, "request_uri", where));
  FERRY_ASSIGN_OR_RETURN(c.output_shape, Str(j, "output_shape", where, false));
  if (!c.output_shape.empty() && !service.Find(c.output_shape))
    return Status::Invalid(where + ": output shape " + c.output_shape + " is not in service " + service.name);
  FERRY_ASSIGN_OR_RETURN(c.result_wrapper, Str(j, "result_wrapper", where, false));
  FERRY_ASSIGN_OR_RETURN(c.host_prefix, Str(j, "host_prefix", where, false));
  FERRY_ASSIGN_OR_RETURN(c.items, Strings(j, "items", where));
  if (j.contains("input")) {
    if (!j["input"].is_array()) return Status::Invalid(where + ": \"input\" is not a list");
    for (const auto& i : j["input"]) {
      FERRY_ASSIGN_OR_RETURN(auto in, ParseInput(i, where));
      c.inputs.push_back(std::move(in));
    }
  }
  if (j.contains("paginator")) {
    const json& p = j["paginator"];
    const std::string pw = where + " paginator";
    if (!p.is_object() || !p.contains("input_tokens") || !p["input_tokens"].is_array() ||
        !p.contains("output_tokens") || !p["output_tokens"].is_array())
      return Status::Invalid(pw + ": \"input_tokens\" and \"output_tokens\" must be lists");
    c.paginated = true;
    for (const auto& in : p["input_tokens"]) {
      FERRY_ASSIGN_OR_RETURN(auto token, ParseInput(in, pw));
      c.token_inputs.push_back(std::move(token));
    }
    for (const auto& path : p["output_tokens"]) {
      if (!path.is_array() || path.empty()) return Status::Invalid(pw + ": an output token is not a member path");
      std::vector<std::string> steps;
      for (const auto& s : path) {
        if (!s.is_string()) return Status::Invalid(pw + ": an output token's path holds a non-string");
        steps.push_back(s.get<std::string>());
      }
      c.output_tokens.push_back(std::move(steps));
    }
    FERRY_ASSIGN_OR_RETURN(c.more_results, Strings(p, "more_results", pw));
    if (c.output_tokens.empty()) return Status::Invalid(pw + ": no output token");
    if (c.output_tokens.size() != c.token_inputs.size())
      return Status::Invalid(pw + ": " + std::to_string(c.token_inputs.size()) + " input tokens but " +
                             std::to_string(c.output_tokens.size()) + " output tokens");
  }
  FERRY_ASSIGN_OR_RETURN(c.as, Str(j, "as", where, false));
  FERRY_ASSIGN_OR_RETURN(c.region, Str(j, "region", where, false));
  FERRY_ASSIGN_OR_RETURN(c.ignore_errors, Strings(j, "ignore_errors", where));
  c.collect = j.value("collect", false);
  return c;
}

Result<std::shared_ptr<CatalogTable>> ParseTable(const json& j, const Catalog& catalog, const std::string& parent) {
  if (!j.is_object()) return Status::Invalid("catalog: a table entry" + parent + " is not an object");
  auto t = std::make_shared<CatalogTable>();
  FERRY_ASSIGN_OR_RETURN(t->name, Str(j, "name", "catalog: a table" + parent));
  const std::string where = "catalog: table " + t->name;
  FERRY_ASSIGN_OR_RETURN(t->description, Str(j, "description", where, false));
  FERRY_ASSIGN_OR_RETURN(std::string service, Str(j, "service", where));
  auto sit = catalog.services.find(service);
  if (sit == catalog.services.end()) return Status::Invalid(where + ": unknown service \"" + service + "\"");
  t->service = sit->second.get();
  FERRY_ASSIGN_OR_RETURN(std::string scope, Str(j, "scope", where, false));
  if (scope == "account") t->scope = TableScope::kAccount;
  else if (!scope.empty() && scope != "region")
    return Status::Invalid(where + ": \"scope\" must be region or account, not \"" + scope + "\"");
  if (!j.contains("call")) return Status::Invalid(where + ": no \"call\"");
  FERRY_ASSIGN_OR_RETURN(t->call, ParseCall(j["call"], *t->service, where + " call"));
  if (j.contains("detail")) {
    t->has_detail = true;
    FERRY_ASSIGN_OR_RETURN(t->detail, ParseCall(j["detail"], *t->service, where + " detail"));
  }
  if (j.contains("enrich")) {
    if (!j["enrich"].is_array()) return Status::Invalid(where + ": \"enrich\" is not a list");
    for (const auto& e : j["enrich"]) {
      FERRY_ASSIGN_OR_RETURN(Call c, ParseCall(e, *t->service, where + " enrich"));
      if (c.as.empty()) return Status::Invalid(where + ": an enrich call without \"as\"");
      t->enrich.push_back(std::move(c));
    }
  }
  FERRY_ASSIGN_OR_RETURN(t->region, Str(j, "region", where, false));
  if (j.contains("incremental")) {
    const json& inc = j["incremental"];
    if (!inc.is_object() || !inc.contains("start_input")) return Status::Invalid(where + ": a bad \"incremental\"");
    t->incremental = true;
    FERRY_ASSIGN_OR_RETURN(t->cursor_column, Str(inc, "cursor", where + " incremental"));
    FERRY_ASSIGN_OR_RETURN(t->start_input, ParseInput(inc["start_input"], where + " incremental"));
    t->lookback_seconds = inc.value("lookback_seconds", int64_t{0});
  }
  FERRY_ASSIGN_OR_RETURN(t->ignore_errors, Strings(j, "ignore_errors", where));
  if (j.contains("for_each")) {
    // {"values": [...]}, {"service": S, "call": {...}} or {"parent": COL, "paths": [[...], ...]}.
    const json& fe = j["for_each"];
    const std::string fw = where + " for_each";
    if (!fe.is_object()) return Status::Invalid(fw + ": not an object");
    t->for_each.set = true;
    if (fe.contains("values")) {
      if (!fe["values"].is_array() || fe["values"].empty()) return Status::Invalid(fw + ": \"values\" is not a list of values");
      for (const auto& v : fe["values"]) t->for_each.values.push_back(v);
    } else if (fe.contains("call")) {
      FERRY_ASSIGN_OR_RETURN(std::string fs, Str(fe, "service", fw));
      auto fit = catalog.services.find(fs);
      if (fit == catalog.services.end()) return Status::Invalid(fw + ": unknown service \"" + fs + "\"");
      t->for_each.service = fit->second.get();
      FERRY_ASSIGN_OR_RETURN(t->for_each.call, ParseCall(fe["call"], *t->for_each.service, fw));
    } else if (fe.contains("parent")) {
      FERRY_ASSIGN_OR_RETURN(t->for_each.parent_column, Str(fe, "parent", fw));
      if (!fe.contains("paths") || !fe["paths"].is_array() || fe["paths"].empty())
        return Status::Invalid(fw + ": \"parent\" without \"paths\"");
      for (const auto& p : fe["paths"]) {
        if (!p.is_array()) return Status::Invalid(fw + ": a path is not a list");
        std::vector<std::string> steps;
        for (const auto& st : p) {
          if (!st.is_string()) return Status::Invalid(fw + ": a path holds a non-string");
          steps.push_back(st.get<std::string>());
        }
        t->for_each.parent_paths.push_back(std::move(steps));
      }
    } else {
      return Status::Invalid(fw + ": none of \"values\", \"call\", \"parent\"");
    }
  }
  if (j.contains("when_parent")) {
    const json& w = j["when_parent"];
    if (!w.is_object() || w.empty()) return Status::Invalid(where + ": \"when_parent\" is not an object");
    for (const auto& [col, v] : w.items()) {
      // A text (a template), or {"present": true}.
      CatalogTable::ParentCondition& c = t->when_parent[col];
      if (v.is_string()) c.equals = v.get<std::string>();
      else if (v == json{{"present", true}}) c.present = true;
      else return Status::Invalid(where + ": when_parent " + col + " is neither a text nor {\"present\": true}");
    }
  }
  if (j.contains("job")) {
    const json& jb = j["job"];
    const std::string jw = where + " job";
    if (!jb.is_object() || !jb.contains("start")) return Status::Invalid(jw + ": no \"start\" call");
    t->has_job = true;
    FERRY_ASSIGN_OR_RETURN(t->job.start, ParseCall(jb["start"], *t->service, jw + " start"));
    if (jb.contains("poll")) {
      t->job.has_poll = true;
      FERRY_ASSIGN_OR_RETURN(t->job.poll, ParseCall(jb["poll"], *t->service, jw + " poll"));
    }
    FERRY_ASSIGN_OR_RETURN(t->job.status, Strings(jb, "status", jw));
    FERRY_ASSIGN_OR_RETURN(t->job.done, Strings(jb, "done", jw));
    FERRY_ASSIGN_OR_RETURN(t->job.failed, Strings(jb, "failed", jw));
    t->job.wait_seconds = jb.value("wait_seconds", int64_t{300});
    if (t->job.status.empty() || t->job.done.empty() || t->job.wait_seconds <= 0)
      return Status::Invalid(jw + ": needs \"status\", \"done\" and a positive \"wait_seconds\"");
  }
  if (j.contains("walk")) {
    const json& w = j["walk"];
    if (!w.is_object() || !w.contains("start")) return Status::Invalid(where + ": a bad \"walk\"");
    t->has_walk = true;
    FERRY_ASSIGN_OR_RETURN(t->walk_start, ParseCall(w["start"], *t->service, where + " walk"));
    FERRY_ASSIGN_OR_RETURN(t->walk_id, Strings(w, "id", where + " walk"));
    if (t->walk_id.empty()) return Status::Invalid(where + ": \"walk\" has no \"id\"");
  }
  FERRY_ASSIGN_OR_RETURN(t->csv, Strings(j, "csv", where));
  t->merge_pages = j.value("merge_pages", false);
  t->paid = j.value("paid", false);
  if (!j.contains("columns") || !j["columns"].is_array() || j["columns"].empty())
    return Status::Invalid(where + ": no \"columns\" list");
  for (const auto& cj : j["columns"]) {
    CatalogColumn col;
    FERRY_ASSIGN_OR_RETURN(col.name, Str(cj, "name", where + " column"));
    const std::string cw = where + " column " + col.name;
    FERRY_ASSIGN_OR_RETURN(std::string kind, Str(cj, "kind", cw));
    FERRY_ASSIGN_OR_RETURN(col.kind, ::ferry::plugins::KindOf(kind, cw));
    FERRY_ASSIGN_OR_RETURN(std::string source, Str(cj, "source", cw, false));
    FERRY_ASSIGN_OR_RETURN(col.path, Strings(cj, "path", cw));
    if (cj.contains("fallback_paths")) {
      if (!cj["fallback_paths"].is_array()) return Status::Invalid(cw + ": \"fallback_paths\" is not a list");
      for (const auto& p : cj["fallback_paths"]) {
        if (!p.is_array() || p.empty()) return Status::Invalid(cw + ": a fallback path is not a member path");
        std::vector<std::string> steps;
        for (const auto& st : p) {
          if (!st.is_string()) return Status::Invalid(cw + ": a fallback path holds a non-string");
          steps.push_back(st.get<std::string>());
        }
        col.fallback_paths.push_back(std::move(steps));
      }
    }
    FERRY_ASSIGN_OR_RETURN(col.text, Str(cj, "template", cw, false));
    FERRY_ASSIGN_OR_RETURN(col.transform, Str(cj, "transform", cw, false));
    if (!col.transform.empty() && col.transform != "tags" && col.transform != "opted_in")
      return Status::Invalid(cw + ": unknown transform \"" + col.transform + "\"");
    FERRY_ASSIGN_OR_RETURN(col.null_if, Strings(cj, "null_if", cw));
    col.primary_key = cj.value("primary_key", false);
    if (source.empty()) col.source = ColumnSource::kField;
    else if (source == "account") col.source = ColumnSource::kAccount;
    else if (source == "region") col.source = ColumnSource::kRegion;
    else if (source == "partition") col.source = ColumnSource::kPartition;
    else if (source == "parent") col.source = ColumnSource::kParent;
    else if (source == "item") col.source = ColumnSource::kItem;
    else if (source == "template") col.source = ColumnSource::kTemplate;
    else return Status::Invalid(cw + ": unknown source \"" + source + "\"");
    if ((col.source == ColumnSource::kField || col.source == ColumnSource::kParent) && col.path.empty())
      return Status::Invalid(cw + ": no \"path\"");
    t->columns.push_back(std::move(col));
  }
  if (j.contains("relations")) {
    for (const auto& r : j["relations"]) {
      FERRY_ASSIGN_OR_RETURN(auto child, ParseTable(r, catalog, " (under " + t->name + ")"));
      t->relations.push_back(std::move(child));
    }
  }
  return t;
}

}  // namespace

void Service::ResolveShapes() {
  for (auto& [name, shape] : shapes) {
    for (auto& m : shape.members) m.target = Find(m.shape);
    for (MemberRef* m : {&shape.member, &shape.key, &shape.value})
      if (!m->shape.empty()) m->target = Find(m->shape);
  }
}

bool Service::OfferedIn(std::string_view partition, std::string_view region) const {
  auto it = not_offered.find(partition);
  return it == not_offered.end() || !std::binary_search(it->second.begin(), it->second.end(), region);
}

const Shape* Service::Find(std::string_view name) const {
  auto it = shapes.find(name);
  return it == shapes.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<Catalog>> ParseCatalog(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Invalid("catalog: not a JSON object");
  auto c = std::make_unique<Catalog>();
  FERRY_ASSIGN_OR_RETURN(c->generated_from, Str(doc, "generated_from", "catalog"));
  if (!doc.contains("services") || !doc["services"].is_object())
    return Status::Invalid("catalog: no \"services\" object");
  for (const auto& [name, sj] : doc["services"].items()) {
    FERRY_ASSIGN_OR_RETURN(auto s, ParseService(name, sj));
    c->services.emplace(name, std::move(s));
  }
  if (!doc.contains("tables") || !doc["tables"].is_array()) return Status::Invalid("catalog: no \"tables\" list");
  for (const auto& t : doc["tables"]) {
    FERRY_ASSIGN_OR_RETURN(auto table, ParseTable(t, *c, ""));
    c->tables.push_back(std::move(table));
  }
  if (doc.contains("calls")) {
    if (!doc["calls"].is_object()) return Status::Invalid("catalog: \"calls\" is not an object");
    for (const auto& [name, cj] : doc["calls"].items()) {
      const std::string where = "catalog: call " + name;
      FERRY_ASSIGN_OR_RETURN(std::string service, Str(cj, "service", where));
      auto sit = c->services.find(service);
      if (sit == c->services.end()) return Status::Invalid(where + ": unknown service \"" + service + "\"");
      NamedCall nc;
      nc.service = sit->second.get();
      FERRY_ASSIGN_OR_RETURN(nc.call, ParseCall(cj, *nc.service, where));
      c->calls.emplace(name, std::move(nc));
    }
  }
  return c;
}

const NamedCall& Catalog::Named(std::string_view name) const {
  auto it = calls.find(name);
  if (it == calls.end()) {
    std::fprintf(stderr, "ferry: the built-in AWS catalog has no call %.*s\n", static_cast<int>(name.size()), name.data());
    std::abort();
  }
  return it->second;
}

const Catalog& BuiltinCatalog() {
  static const std::unique_ptr<Catalog> catalog = [] {
    auto c = ParseCatalog(kCatalogJson);
    // The catalog is built in and tested (aws_source_test.cc): a bad one is
    // a build defect, not a user's error.
    if (!c.ok()) {
      std::fprintf(stderr, "ferry: the built-in AWS catalog is invalid: %s\n", c.status().ToString().c_str());
      std::abort();
    }
    return std::move(*c);
  }();
  return *catalog;
}

}  // namespace ferry::plugins::aws
