#include "plugins/source/aws/aws_call.h"

#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <atomic>
#include <chrono>
#include <mutex>
#include <semaphore>
#include <set>
#include <thread>

#include <pugixml.hpp>

#include "ferry/http/aws_error.h"
#include "ferry/http/paging.h"
#include "ferry/text_codec.h"

namespace ferry::plugins::aws {
namespace {

using json = nlohmann::json;

const std::string& WireName(const MemberRef& m) { return m.location_name.empty() ? m.name : m.location_name; }

// Timestamps as Go's RFC3339Nano prints them (CloudQuery's JSON): from epoch
// seconds (JSON protocols) or ISO 8601 text (XML protocols). Text that does
// not parse is kept as it came.
json NormalTime(const json& v) {
  if (v.is_number()) {
    const double secs = v.get<double>();
    if (!std::isfinite(secs)) return v;
    return TimestampText(static_cast<int64_t>(std::llround(secs * 1e6)), TimestampStyle::kRfc3339Nano);
  }
  if (v.is_string()) {
    auto t = ParseRfc3339(v.get<std::string>());
    if (t.ok()) return TimestampText(*t, TimestampStyle::kRfc3339Nano);
  }
  return v;
}

json Scalar(const Shape& shape, const std::string& text) {
  const std::string& t = shape.type;
  if (t == "integer" || t == "long") {
    try {
      size_t used = 0;
      long long x = std::stoll(text, &used);
      if (used == text.size()) return x;
    } catch (...) {
    }
    return text;
  }
  if (t == "boolean") {
    if (text == "true") return true;
    if (text == "false") return false;
    return text;
  }
  if (t == "double" || t == "float") {
    try {
      size_t used = 0;
      double x = std::stod(text, &used);
      if (used == text.size()) return x;
    } catch (...) {
    }
    return text;
  }
  if (t == "timestamp") return NormalTime(text);
  return text;
}

// The first element child of `node` named `name`, ignoring XML namespaces' prefixes.
pugi::xml_node Child(const pugi::xml_node& node, const std::string& name) {
  for (auto c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view n = c.name();
    auto colon = n.find(':');
    if (colon != std::string_view::npos) n = n.substr(colon + 1);
    if (n == name) return c;
  }
  return {};
}

// RFC 3986 encoding of a URI label; `greedy` ({Key+}) keeps '/'.
std::string EncodeLabel(const std::string& v, bool greedy) {
  if (!greedy) return http::PercentEncode(v);
  std::string out;
  size_t start = 0;
  while (true) {
    size_t slash = v.find('/', start);
    out += http::PercentEncode(v.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

Result<json> ExpandJson(const json& v, const Expander& expand) {
  if (v.is_string()) {
    FERRY_ASSIGN_OR_RETURN(std::string s, ExpandText(v.get<std::string>(), expand));
    return json(s);
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& e : v) {
      FERRY_ASSIGN_OR_RETURN(json x, ExpandJson(e, expand));
      out.push_back(std::move(x));
    }
    return out;
  }
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, e] : v.items()) {
      FERRY_ASSIGN_OR_RETURN(json x, ExpandJson(e, expand));
      out[k] = std::move(x);
    }
    return out;
  }
  return v;
}

Result<json> TypedJson(const Input& in, const std::string& value) {
  if (in.json_type == "number") {
    try {
      size_t used = 0;
      double d = std::stod(value, &used);
      if (used == value.size()) {
        if (d == std::floor(d) && std::fabs(d) < 9e15) return json(static_cast<int64_t>(d));
        return json(d);
      }
    } catch (...) {
    }
    return Status::Invalid("input " + in.name + ": \"" + value + "\" is not a number");
  }
  if (in.json_type == "bool") return json(value == "true");
  if (in.json_type == "timestamp") {  // JSON protocols send epoch seconds
    auto t = ParseRfc3339(value);
    if (!t.ok()) return Status::Invalid("input " + in.name + ": \"" + value + "\" is not an RFC 3339 time");
    return json(static_cast<double>(*t) / 1e6);
  }
  return json(value);
}

const json* At(const json& doc, const std::vector<std::string>& path) { return JsonAt(doc, path); }

// The request of one page: on pages after the first, tokens[i] (when not
// empty) is sent as the paginator's i-th input token.
Result<http::Request> BuildRequest(const Service& svc, const Call& call, const std::string& base_url,
                                   const Expander& expand, const std::vector<std::string>& tokens) {
  http::Request req;
  req.method = call.http_method;
  std::vector<const Input*> inputs;
  for (const auto& in : call.inputs) {
    // An optional input whose placeholder the item has nothing for is not sent.
    if (in.optional && !in.has_json) {
      auto v = ExpandText(in.value, expand);
      if (!v.ok() && v.status().code() == StatusCode::kNotFound) continue;
    }
    inputs.push_back(&in);
  }
  std::vector<Input> token_ins;
  token_ins.reserve(tokens.size());   // no reallocation: `inputs` points into it
  for (size_t i = 0; i < tokens.size() && i < call.token_inputs.size(); ++i) {
    if (tokens[i].empty()) continue;
    Input& t = token_ins.emplace_back(call.token_inputs[i]);
    t.value = tokens[i];   // sent as the model's type says (json: a string or a number)
    inputs.push_back(&t);
  }
  // Values: placeholders expanded, except tokens (AWS's own text).
  auto value_of = [&](const Input* in) -> Result<std::string> {
    if (!token_ins.empty() && in >= token_ins.data() && in < token_ins.data() + token_ins.size()) return in->value;
    return ExpandText(in->value, expand);
  };
  switch (svc.protocol) {
    case Protocol::kQuery:
    case Protocol::kEc2: {
      std::string body = "Action=" + http::PercentEncode(call.operation) + "&Version=" + http::PercentEncode(svc.api_version);
      for (const Input* in : inputs) {
        FERRY_ASSIGN_OR_RETURN(std::string v, value_of(in));
        body += "&" + http::PercentEncode(in->name) + "=" + http::PercentEncode(v);
      }
      req.method = "POST";
      req.url = base_url + "/";
      req.body = std::move(body);
      req.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
      // Query and ec2 operations the catalog names only read: repeating one is harmless.
      req.idempotent = true;
      return req;
    }
    case Protocol::kJson: {
      json body = json::object();
      for (const Input* in : inputs) {
        if (in->has_json) {
          FERRY_ASSIGN_OR_RETURN(body[in->name], ExpandJson(in->json, expand));
        } else {
          FERRY_ASSIGN_OR_RETURN(std::string v, value_of(in));
          FERRY_ASSIGN_OR_RETURN(body[in->name], TypedJson(*in, v));
        }
      }
      req.method = "POST";
      req.url = base_url + "/";
      req.body = body.dump();
      req.headers["Content-Type"] = "application/x-amz-json-" + (svc.json_version.empty() ? std::string("1.0") : svc.json_version);
      req.headers["X-Amz-Target"] = svc.target_prefix + "." + call.operation;
      req.idempotent = true;
      return req;
    }
    case Protocol::kRestJson:
    case Protocol::kRestXml: {
      std::string uri = call.request_uri, query;
      auto q = uri.find('?');
      if (q != std::string::npos) {
        query = uri.substr(q + 1);
        uri = uri.substr(0, q);
      }
      json body = json::object();
      bool has_body = false;
      for (const Input* in : inputs) {
        if (in->location == "json") {
          has_body = true;
          if (in->has_json) {
            FERRY_ASSIGN_OR_RETURN(body[in->name], ExpandJson(in->json, expand));
          } else {
            FERRY_ASSIGN_OR_RETURN(std::string v, value_of(in));
            FERRY_ASSIGN_OR_RETURN(body[in->name], TypedJson(*in, v));
          }
          continue;
        }
        FERRY_ASSIGN_OR_RETURN(std::string v, value_of(in));
        if (in->location == "uri") {
          for (bool greedy : {false, true}) {
            const std::string label = "{" + in->name + (greedy ? "+}" : "}");
            auto at = uri.find(label);
            if (at != std::string::npos) uri.replace(at, label.size(), EncodeLabel(v, greedy));
          }
        } else if (in->location == "querystring") {
          query += (query.empty() ? "" : "&") + http::PercentEncode(in->name) + "=" + http::PercentEncode(v);
        } else if (in->location == "header") {
          req.headers[in->name] = v;
        }
      }
      if (uri.find('{') != std::string::npos)
        return Status::Invalid(call.operation + ": URI " + call.request_uri + " has a label without a value");
      req.url = base_url + uri + (query.empty() ? "" : "?" + query);
      // A POST or PUT of rest-json carries a JSON body even when no member goes
      // there ("{}", as AWS's SDKs send): without one, the HTTP client's
      // default form content type is sent, which moto answers with 404.
      if (has_body || (svc.protocol == Protocol::kRestJson && (req.method == "POST" || req.method == "PUT"))) {
        req.body = body.dump();
        req.headers["Content-Type"] = "application/json";
      }
      req.idempotent = req.method == "GET" || req.method == "HEAD";
      return req;
    }
  }
  return Status::Invalid("unknown protocol");
}

ApiError ToApiError(const http::Response& r) {
  auto e = http::aws::ParseAwsError(r);
  return ApiError{r.status, e.code, e.message, e.request_id};
}

}  // namespace

// Decodes an answer into JSON keyed by member names, as the output shape
// says. With an items path (CallPageItems), what is found at the end of the
// path is not decoded but noted in `items`, and left out of the page.
struct PageDecoder {
  static constexpr size_t kOff = SIZE_MAX;   // not on the items path

  const Service& svc;
  const std::vector<std::string>* path = nullptr;
  PageItems* items = nullptr;

  // Where the path goes below a step named `step` from position `at`.
  size_t Next(size_t at, std::string_view step) const {
    if (at == kOff || !path || at >= path->size() || (*path)[at] != step) return kOff;
    return at + 1;
  }
  static void Bind(PageItems& items, const Service& svc) { items.service_ = &svc; }
  bool AtItem(size_t at) const { return at != kOff && path && at == path->size(); }
  size_t Taken() const { return items ? items->size() : 0; }

  json FromJson(const Shape* shape, const json& v, int depth, size_t at) {
    if (AtItem(at)) {
      if (!v.is_null()) items->json_.push_back({&v, shape, depth});
      return json();
    }
    if (!shape || depth > 64 || v.is_null()) return v;
    if (shape->type == "structure") {
      if (!v.is_object()) return v;
      json out = json::object();
      for (const auto& m : shape->members) {
        if (!m.location.empty()) continue;  // headers and status codes are not in the body
        auto it = v.find(WireName(m));
        if (it == v.end()) continue;
        const size_t taken = Taken();
        json x = FromJson(svc.Of(m), *it, depth + 1, Next(at, m.name));
        if (Taken() == taken) out[m.name] = std::move(x);
      }
      return out;
    }
    if (shape->type == "list") {
      if (!v.is_array()) return v;
      json out = json::array();
      const Shape* item = svc.Of(shape->member);
      const size_t next = Next(at, "[]");
      for (const auto& e : v) {
        const size_t taken = Taken();
        json x = FromJson(item, e, depth + 1, next);
        if (Taken() == taken) out.push_back(std::move(x));
      }
      return out;
    }
    if (shape->type == "map") {
      if (!v.is_object()) return v;
      json out = json::object();
      const Shape* value = svc.Of(shape->value);
      for (const auto& [k, e] : v.items()) out[k] = FromJson(value, e, depth + 1, kOff);
      return out;
    }
    if (shape->type == "timestamp") return NormalTime(v);
    return v;
  }

  // The elements of one member of a structure node (`at`: below the member).
  json XmlMember(const MemberRef& m, const pugi::xml_node& parent, int depth, size_t at) {
    const Shape* shape = svc.Of(m);
    if (!shape) return nullptr;
    const std::string& name = WireName(m);
    if (m.xml_attribute) {
      auto a = parent.attribute(name.c_str());
      return a ? Scalar(*shape, a.value()) : json();
    }
    const bool flattened = m.flattened || shape->flattened;
    if (shape->type == "list" && flattened) {
      json out = json::array();
      const Shape* item = svc.Of(shape->member);
      const size_t next = Next(at, "[]");
      for (auto c = parent.child(name.c_str()); c; c = c.next_sibling(name.c_str())) {
        const size_t taken = Taken();
        json x = FromXml(item, c, depth + 1, next);
        if (Taken() == taken) out.push_back(std::move(x));
      }
      return out.empty() ? json() : out;
    }
    if (shape->type == "map" && flattened) {
      json out = json::object();
      const std::string kn = shape->key.location_name.empty() ? "key" : shape->key.location_name;
      const std::string vn = shape->value.location_name.empty() ? "value" : shape->value.location_name;
      const Shape* value = svc.Of(shape->value);
      for (auto c = parent.child(name.c_str()); c; c = c.next_sibling(name.c_str()))
        out[c.child(kn.c_str()).text().as_string()] = FromXml(value, c.child(vn.c_str()), depth + 1, kOff);
      return out.empty() ? json() : out;
    }
    auto c = parent.child(name.c_str());
    if (!c) return nullptr;
    return FromXml(shape, c, depth + 1, at);
  }

  json FromXml(const Shape* shape, const pugi::xml_node& node, int depth, size_t at) {
    if (AtItem(at)) {
      items->xml_.push_back({node.internal_object(), shape, depth});
      return json();
    }
    if (!shape || depth > 64) return node.text().as_string();
    if (shape->type == "structure") {
      json out = json::object();
      for (const auto& m : shape->members) {
        if (!m.location.empty()) continue;
        json v = XmlMember(m, node, depth, Next(at, m.name));
        if (!v.is_null()) out[m.name] = std::move(v);   // (a member taken as an item is null here)
      }
      return out;
    }
    if (shape->type == "list") {
      json out = json::array();
      const Shape* item = svc.Of(shape->member);
      const size_t next = Next(at, "[]");
      for (auto c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const size_t taken = Taken();
        json x = FromXml(item, c, depth + 1, next);
        if (Taken() == taken) out.push_back(std::move(x));
      }
      return out;
    }
    if (shape->type == "map") {
      json out = json::object();
      const std::string kn = shape->key.location_name.empty() ? "key" : shape->key.location_name;
      const std::string vn = shape->value.location_name.empty() ? "value" : shape->value.location_name;
      const Shape* value = svc.Of(shape->value);
      for (auto e = node.child("entry"); e; e = e.next_sibling("entry"))
        out[e.child(kn.c_str()).text().as_string()] = FromXml(value, e.child(vn.c_str()), depth + 1, kOff);
      return out;
    }
    return Scalar(*shape, node.text().as_string());
  }
};

json PageItems::Decode(size_t i) const {
  PageDecoder d{*service_};
  if (i < xml_.size()) return d.FromXml(xml_[i].shape, pugi::xml_node(xml_[i].node), xml_[i].depth, PageDecoder::kOff);
  i -= xml_.size();
  if (i < json_.size()) return d.FromJson(json_[i].shape, *json_[i].value, json_[i].depth, PageDecoder::kOff);
  return nullptr;
}

bool CanDecodeItemsLazily(const std::vector<std::string>& path) {
  return !path.empty() && std::find(path.begin(), path.end(), "{}") == path.end();
}

namespace {

// A parsed answer the items of its page point into.
struct XmlAnswer {
  std::string body;   // parsed in place: the DOM's text points into it
  pugi::xml_document doc;
};

// An element's text is kept as its value, not as a child text node: AWS's
// answers are mostly small elements holding text (<instanceId>i-1</instanceId>),
// and a node is 64 bytes: the DOM of a 2.8 MB page of 1,000 EC2 instances
// takes 5.7 MB instead of 9.7 (measured with pugixml's allocation hooks).
// text() reads either form.
constexpr unsigned kXmlParse = pugi::parse_default | pugi::parse_embed_pcdata;

}  // namespace

Result<DecodedPage> DecodePage(const Service& svc, const Call& call, http::Response&& response,
                               const std::vector<std::string>* items) {
  DecodedPage out;
  PageDecoder d{svc};
  PageDecoder::Bind(out.items, svc);
  if (items && CanDecodeItemsLazily(*items)) {
    d.path = items;
    d.items = &out.items;
  }
  if (call.output_shape.empty()) {
    out.page = json::object();
    return out;
  }
  const Shape* out_shape = svc.Find(call.output_shape);
  if (!out_shape) return Status::Invalid(call.operation + ": no output shape " + call.output_shape);
  if (svc.protocol == Protocol::kJson || svc.protocol == Protocol::kRestJson) {
    const MemberRef* payload = nullptr;
    if (!out_shape->payload.empty())
      for (const auto& m : out_shape->members)
        if (m.name == out_shape->payload) payload = &m;
    if (payload) {
      const Shape* ps = svc.Find(payload->shape);
      if (ps && ps->type != "structure") {   // the body is the member (text or bytes), never an item list
        out.page = json{{payload->name, std::move(response.body)}};
        return out;
      }
    } else if (response.body.empty()) {
      out.page = json::object();
      return out;
    }
    auto body = std::make_shared<json>(json::parse(response.body, nullptr, false));
    if (body->is_discarded()) return Status::IOError(call.operation + ": the answer is not JSON");
    response.body = std::string();
    if (payload) {
      const size_t at = d.Next(0, payload->name);
      json v = d.FromJson(svc.Of(*payload), *body, 0, at);
      out.page = json::object();
      if (!d.AtItem(at)) out.page[payload->name] = std::move(v);
    } else {
      out.page = d.FromJson(out_shape, *body, 0, d.path ? 0 : PageDecoder::kOff);
    }
    out.keep = std::move(body);
    return out;
  }
  // XML protocols.
  if (svc.protocol == Protocol::kRestXml && !out_shape->payload.empty()) {
    for (const auto& m : out_shape->members) {
      if (m.name != out_shape->payload) continue;
      const Shape* ps = svc.Find(m.shape);
      if (ps && ps->type != "structure") {
        out.page = json{{m.name, std::move(response.body)}};
        return out;
      }
      auto answer = std::make_shared<XmlAnswer>();
      answer->body = std::move(response.body);
      if (!answer->doc.load_buffer_inplace(answer->body.data(), answer->body.size(), kXmlParse))
        return Status::IOError(call.operation + ": the answer is not XML");
      const size_t at = d.Next(0, m.name);
      json v = d.FromXml(svc.Of(m), answer->doc.document_element(), 0, at);
      out.page = json::object();
      if (!d.AtItem(at)) out.page[m.name] = std::move(v);
      out.keep = std::move(answer);
      return out;
    }
  }
  if (response.body.empty()) {
    out.page = json::object();
    return out;
  }
  auto answer = std::make_shared<XmlAnswer>();
  answer->body = std::move(response.body);
  auto parsed = answer->doc.load_buffer_inplace(answer->body.data(), answer->body.size(), kXmlParse);
  if (!parsed) return Status::IOError(call.operation + ": the answer is not XML (" + parsed.description() + ")");
  pugi::xml_node root = answer->doc.document_element();
  if (svc.protocol == Protocol::kRestXml) {
    // S3's GetBucketLocation answers the member itself as the root element
    // (<LocationConstraint>eu-west-1</LocationConstraint>), as botocore
    // special-cases: a root named like a member of the output is that member.
    std::string_view root_name = root.name();
    auto colon = root_name.find(':');
    if (colon != std::string_view::npos) root_name = root_name.substr(colon + 1);
    for (const auto& m : out_shape->members) {
      if (m.location.empty() && WireName(m) == root_name) {
        const Shape* ms = svc.Find(m.shape);
        if (ms && ms->type != "structure") {   // a scalar: the page, never an item list
          out.page = json{{m.name, Scalar(*ms, root.text().as_string())}};
          return out;
        }
      }
    }
  }
  if (svc.protocol == Protocol::kQuery) {
    const std::string wrapper = call.result_wrapper.empty() ? call.operation + "Result" : call.result_wrapper;
    pugi::xml_node result = Child(root, wrapper);
    if (!result) {   // an operation without output members
      out.page = json::object();
      return out;
    }
    root = result;
  }
  out.page = d.FromXml(out_shape, root, 0, d.path ? 0 : PageDecoder::kOff);
  out.keep = std::move(answer);
  return out;
}

Result<json> DecodeAnswer(const Service& svc, const Call& call, const http::Response& response) {
  http::Response copy;
  copy.status = response.status;
  copy.body = response.body;
  FERRY_ASSIGN_OR_RETURN(DecodedPage page, DecodePage(svc, call, std::move(copy), nullptr));
  return std::move(page.page);
}

std::string PartitionOf(const std::string& region) {
  if (region.rfind("cn-", 0) == 0) return "aws-cn";
  if (region.rfind("us-gov-", 0) == 0) return "aws-us-gov";
  return "aws";
}

std::string EndpointOf(const Service& service, const std::string& region, const std::string& partition,
                       const ApiOptions& options, std::string* signing_region) {
  const bool global = !service.global_endpoint.empty() && service.name != "s3" && service.name != "sts";
  // Global services are signed in their partition's home region.
  std::string home = partition == "aws-cn" ? "cn-north-1" : partition == "aws-us-gov" ? "us-gov-west-1" : "us-east-1";
  if (!options.endpoint.empty()) {
    *signing_region = !options.signing_region.empty() ? options.signing_region : global ? home : region;
    std::string e = options.endpoint;
    while (!e.empty() && e.back() == '/') e.pop_back();
    return e;
  }
  *signing_region = global ? home : region;
  const std::string domain = partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  if (global && partition == "aws") return "https://" + service.global_endpoint;
  if (global) return "https://" + service.endpoint_prefix + "." + home + "." + domain;
  return "https://" + service.endpoint_prefix + "." + region + "." + domain;
}

Result<std::string> ExpandText(const std::string& text, const Expander& expand) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    size_t close = text.find('}', open);
    if (close == std::string::npos) return Status::Invalid("template \"" + text + "\": an unclosed '{'");
    out.append(text, i, open - i);
    FERRY_ASSIGN_OR_RETURN(std::string v, expand(text.substr(open + 1, close - open - 1)));
    out += v;
    i = close + 1;
  }
  return out;
}

void ForEachItem(const json& doc, const std::vector<std::string>& path, size_t at,
                 const std::function<void(const json&)>& fn) {
  if (at == path.size()) {
    if (!doc.is_null()) fn(doc);
    return;
  }
  const std::string& step = path[at];
  if (step == "[]") {
    if (doc.is_array())
      for (const auto& e : doc) ForEachItem(e, path, at + 1, fn);
    return;
  }
  if (step == "{}") {
    if (doc.is_object())
      for (const auto& [k, e] : doc.items()) ForEachItem(e, path, at + 1, fn);
    return;
  }
  if (!doc.is_object()) return;
  auto it = doc.find(step);
  if (it != doc.end()) ForEachItem(*it, path, at + 1, fn);
}

Result<std::string> CallBaseUrl(const Service& service, const Call& call, const Target& target,
                                const ApiOptions& options, const Expander& expand, std::string* signing_region) {
  std::string base = EndpointOf(service, target.region, target.partition, options, signing_region);
  if (call.host_prefix.empty() || !options.endpoint.empty()) return base;
  // S3 Control: {account}.s3-control.{region}.amazonaws.com. A custom
  // endpoint (an emulator, a VPC endpoint) is used as given: the account also
  // goes in the x-amz-account-id header, which S3 Control and moto read.
  FERRY_ASSIGN_OR_RETURN(std::string prefix, ExpandText(call.host_prefix, expand));
  bool valid = prefix.size() > 1 && prefix.back() == '.' && prefix.front() != '.';
  for (char c : prefix) valid &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  if (!valid) return Status::Invalid("\"" + prefix + "\" is not a host name prefix");
  auto scheme = base.find("://");
  base.insert(scheme == std::string::npos ? 0 : scheme + 3, prefix);
  return base;
}

namespace {

// The slots for big answers (CallPages in aws_call.h): one per core, at least 2.
std::counting_semaphore<>& BigAnswerSlots() {
  static std::counting_semaphore<> slots(std::max<std::ptrdiff_t>(2, std::thread::hardware_concurrency()));
  return slots;
}
std::atomic<int> big_answers_in_flight{0};   // slots taken (BigAnswersInFlight, for tests)

thread_local int t_big_answers = 0;   // big answers this thread holds (or inherited)

// Holds a slot while a big answer is decoded and handed on; none for a small
// one, nor on a thread that already holds one.
class BigAnswerSlot {
 public:
  explicit BigAnswerSlot(bool big) : big_(big), take_(big && t_big_answers == 0) {
    if (take_) {
      BigAnswerSlots().acquire();
      ++big_answers_in_flight;
    }
    if (big_) ++t_big_answers;
  }
  ~BigAnswerSlot() {
    if (big_) --t_big_answers;
    if (take_) {
      --big_answers_in_flight;
      BigAnswerSlots().release();
      // A big answer's DOM and JSON are hundreds of thousands of small
      // blocks freed amid live ones, which glibc keeps (no heap top to
      // trim): give their pages back now (peak RSS of bench/aws at 100k
      // instances 325 -> 278 MB, no more CPU; docs/benchmarks.md).
      malloc_trim(0);
    }
  }
  BigAnswerSlot(const BigAnswerSlot&) = delete;
  BigAnswerSlot& operator=(const BigAnswerSlot&) = delete;

 private:
  const bool big_, take_;
};

}  // namespace

bool HoldingBigAnswer() { return t_big_answers > 0; }
BigAnswerInherit::BigAnswerInherit(bool held) : held_(held) {
  if (held_) ++t_big_answers;
}
BigAnswerInherit::~BigAnswerInherit() {
  if (held_) --t_big_answers;
}
int BigAnswersInFlight() { return big_answers_in_flight.load(); }

namespace {

Status Sign(http::Request& req, const Service& service, const Target& target, const std::string& signing_region,
            const std::string& where) {
  if (!target.credentials) return Status::Invalid(where + ": no credentials");
  FERRY_ASSIGN_OR_RETURN(http::aws::AwsCredentials creds, target.credentials());
  http::aws::SigningParams sp;
  sp.region = signing_region;
  sp.service = service.signing_name;
  sp.s3 = service.name == "s3" || service.name == "s3control";   // botocore signs both with s3v4
  return http::aws::SignV4(req, creds, sp);
}

// Signs and sends `req`; an answer with an error status is *error (if given)
// and an error naming `what` (the call) with AWS's code and message.
Result<http::Response> Send(http::Request& req, const Service& service, const Target& target,
                            const ApiOptions& options, const std::string& signing_region, const std::string& where,
                            const std::string& what, ApiError* error) {
  FERRY_RETURN_NOT_OK(Sign(req, service, target, signing_region, where));
  FERRY_ASSIGN_OR_RETURN(http::Response resp, options.http->Do(req));
  if (resp.status < 200 || resp.status >= 300) {
    ApiError e = ToApiError(resp);
    if (error) *error = e;
    return Status::IOError(what + ": HTTP " + std::to_string(resp.status) + " " + e.code +
                           (e.message.empty() ? "" : ": " + e.message));
  }
  return resp;
}

// Endpoint discovery: the address the service's discovery operation answers
// for this account and region, kept for the minutes it says (AWS's SDKs
// cache it the same way).
struct Discovered {
  std::string base;
  std::chrono::steady_clock::time_point expires;
};
std::mutex discovery_mu;
std::map<std::string, Discovered> discovered;   // guarded by discovery_mu

Result<std::string> DiscoverBase(const Service& service, const Target& target, const ApiOptions& options,
                                 const std::string& base, const std::string& signing_region, ApiCallFigures* figures,
                                 const std::string& where, ApiError* error) {
  const std::string key = service.name + "\n" + target.account_id + "\n" + target.region + "\n" + base;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> l(discovery_mu);
    auto it = discovered.find(key);
    if (it != discovered.end() && it->second.expires > now) return it->second.base;
  }
  if (service.protocol != Protocol::kJson)
    return Status::Invalid(where + ": endpoint discovery is done only for JSON protocol services");
  http::Request req;
  req.method = "POST";
  req.url = base + "/";
  req.body = "{}";
  req.headers["Content-Type"] = "application/x-amz-json-" + (service.json_version.empty() ? std::string("1.0") : service.json_version);
  req.headers["X-Amz-Target"] = service.target_prefix + "." + service.discovery_operation;
  req.idempotent = true;
  req.figures = figures;
  FERRY_ASSIGN_OR_RETURN(http::Response resp,
                         Send(req, service, target, options, signing_region, where,
                              where + ": endpoint discovery (" + service.discovery_operation + ")", error));
  json answer = json::parse(resp.body, nullptr, false);
  const json* endpoints = answer.is_object() ? JsonAt(answer, {"Endpoints"}) : nullptr;
  const json* first = endpoints && endpoints->is_array() && !endpoints->empty() ? &(*endpoints)[0] : nullptr;
  const json* address = first ? JsonAt(*first, {"Address"}) : nullptr;
  if (!address || !address->is_string() || address->get<std::string>().empty())
    return Status::IOError(where + ": endpoint discovery (" + service.discovery_operation + ") answered no address");
  std::string url = address->get<std::string>();
  if (url.find("://") == std::string::npos) url = options.test_discovery_scheme + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  int64_t minutes = 1;
  if (const json* m = JsonAt(*first, {"CachePeriodInMinutes"}); m && m->is_number_integer())
    minutes = std::max<int64_t>(1, m->get<int64_t>());
  std::lock_guard<std::mutex> l(discovery_mu);
  discovered[key] = Discovered{url, now + std::chrono::minutes(minutes)};
  return url;
}

// CallPages and CallPageItems: with `items`, the page's items are left
// undecoded and handed over as PageItems.
Status CallEachPage(const Service& service, const Call& call, const Target& target, const ApiOptions& options,
                    const Expander& expand, ApiCallFigures* figures, const std::vector<std::string>* items,
                    const std::function<Status(const json& page, const PageItems& items)>& on_page,
                    ApiError* error) {
  std::string signing_region;
  const std::string where = service.name + " " + call.operation + " (account " + target.account_id +
                            (target.region.empty() ? "" : ", region " + target.region) + ")";
  auto base_url = CallBaseUrl(service, call, target, options, expand, &signing_region);
  if (!base_url.ok()) return Status::Invalid(where + ": " + base_url.status().message());
  std::string base = *std::move(base_url);
  if (!service.discovery_operation.empty() && (options.endpoint.empty() || options.test_discovery_on_custom_endpoint)) {
    FERRY_ASSIGN_OR_RETURN(base, DiscoverBase(service, target, options, base, signing_region, figures, where, error));
  }
  std::vector<std::string> tokens;   // the next page's tokens; none on the first
  std::set<std::vector<std::string>> seen_tokens;
  while (true) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled("sync cancelled");
    FERRY_ASSIGN_OR_RETURN(http::Request req, BuildRequest(service, call, base, expand, tokens));
    req.figures = figures;
    FERRY_ASSIGN_OR_RETURN(http::Response resp, Send(req, service, target, options, signing_region, where, where, error));
    // (Declared before `decoded`, so it is given back after the page is freed.)
    BigAnswerSlot slot(resp.body.size() >= kBigAnswerBytes);
    auto decoded = DecodePage(service, call, std::move(resp), items);
    resp = http::Response{};
    if (!decoded.ok()) return Status::IOError(where + ": " + decoded.status().message());
    FERRY_RETURN_NOT_OK(on_page(decoded->page, decoded->items));
    decoded->keep.reset();   // the parsed answer: only the page's tokens are read below
    if (!call.paginated) return Status::OK();
    if (!call.more_results.empty()) {
      const json* more = At(decoded->page, call.more_results);
      if (!more || !more->is_boolean() || !more->get<bool>()) return Status::OK();
    }
    // Every token of the answer goes into the next request (a token absent
    // from it is not sent); no token at all is the last page.
    tokens.assign(call.output_tokens.size(), std::string());
    bool any = false;
    for (size_t i = 0; i < call.output_tokens.size(); ++i) {
      const json* next = At(decoded->page, call.output_tokens[i]);
      if (!next || next->is_null()) continue;
      if (!next->is_string() && !next->is_number())
        return Status::IOError(where + ": the page token " + call.output_tokens[i].back() + " is not text or a number");
      tokens[i] = next->is_string() ? next->get<std::string>() : next->dump();
      any |= !tokens[i].empty();
    }
    if (!any) return Status::OK();
    if (!seen_tokens.insert(tokens).second)
      return Status::IOError(where + ": the API returned the same page token" +
                             (tokens.size() > 1 ? std::string("s") : std::string()) +
                             " twice; stopped to avoid a loop");
  }
}

}  // namespace

Status CallPages(const Service& service, const Call& call, const Target& target, const ApiOptions& options,
                 const Expander& expand, ApiCallFigures* figures, const std::function<Status(const json& page)>& on_page,
                 ApiError* error) {
  return CallEachPage(service, call, target, options, expand, figures, nullptr,
                      [&](const json& page, const PageItems&) { return on_page(page); }, error);
}

Status CallPageItems(const Service& service, const Call& call, const Target& target, const ApiOptions& options,
                     const Expander& expand, ApiCallFigures* figures, const std::vector<std::string>& items,
                     const std::function<Status(const json& page, const PageItems& items)>& on_page,
                     ApiError* error) {
  if (!CanDecodeItemsLazily(items))
    return Status::Invalid(call.operation + ": its items' path cannot be read item by item");
  return CallEachPage(service, call, target, options, expand, figures, &items, on_page, error);
}

}  // namespace ferry::plugins::aws
