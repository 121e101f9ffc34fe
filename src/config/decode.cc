#include "config/decode.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "ferry/redact.h"

namespace ferry::config {
namespace {

using nlohmann::json;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string Join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string Kind(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a mapping";
  return "nothing";
}

const std::vector<std::string> kRegistries = {"cloudquery", "github", "local", "grpc", "docker"};
const std::vector<std::string> kMetadataKeys = {"name", "path", "registry", "version", "docker_registry_auth_token"};

// Reads the keys of one mapping; errors carry the key's location and `what`.
class Fields {
 public:
  Fields(const json& obj, std::string pointer, const SourceMap& map, std::string what)
      : obj_(obj), pointer_(std::move(pointer)), map_(map), what_(std::move(what)) {}

  void set_what(std::string what) { what_ = std::move(what); }
  const std::string& what() const { return what_; }
  std::string Pointer(const std::string& key) const { return AppendPointer(pointer_, key); }
  Location At(const std::string& key = "") const { return map_.Find(key.empty() ? pointer_ : Pointer(key)); }
  Location AtPointer(const std::string& pointer) const { return map_.Find(pointer); }
  std::string Loc(const std::string& key = "") const { return At(key).ToString() + ": "; }
  bool Has(const std::string& key) const { return obj_.contains(key) && !obj_.at(key).is_null(); }

  Status TypeError(const std::string& key, const std::string& want, const json& got) const {
    std::string msg = Loc(key) + "key " + Quote(key) + " in " + what_ + " must be " + want + ", got " + Kind(got);
    if (want == "a string" && got.is_primitive()) msg += "; quote the value to use it as text";
    return Status::Invalid(msg);
  }

  Status String(const std::string& key, std::string* out) const {
    if (!Has(key)) return Status::OK();
    const json& v = obj_.at(key);
    if (!v.is_string()) return TypeError(key, "a string", v);
    *out = v.get<std::string>();
    return Status::OK();
  }

  Status Bool(const std::string& key, bool* out) const {
    if (!Has(key)) return Status::OK();
    const json& v = obj_.at(key);
    if (v.is_boolean()) *out = v.get<bool>();
    else if (v.is_string() && (v == "true" || v == "false")) *out = v == "true";  // from ${ENV}
    else return TypeError(key, "true or false", v);
    return Status::OK();
  }

  Status StringList(const std::string& key, std::vector<std::string>* out) const {
    if (!Has(key)) return Status::OK();
    const json& v = obj_.at(key);
    if (!v.is_array()) return TypeError(key, "a list of strings", v);
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      std::string at = map_.Find(AppendPointer(Pointer(key), std::to_string(i))).ToString() + ": ";
      if (!v[i].is_string()) {
        return Status::Invalid(at + "item " + std::to_string(i) + " of " + Quote(key) + " in " + what_ +
                               " must be a string, got " + Kind(v[i]));
      }
      if (v[i].get<std::string>().empty()) {
        return Status::Invalid(at + "item " + std::to_string(i) + " of " + Quote(key) + " in " + what_ +
                               " is empty");
      }
      out->push_back(v[i].get<std::string>());
    }
    return Status::OK();
  }

  Status Enum(const std::string& key, const std::vector<std::string>& choices, std::string* out) const {
    std::string value;
    FERRY_RETURN_NOT_OK(String(key, &value));
    if (!Has(key)) return Status::OK();
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      std::vector<std::string> quoted;
      for (const auto& c : choices) quoted.push_back(Quote(c));
      bool hide = map_.IsExpanded(Pointer(key));
      std::string msg = Loc(key) + "key " + Quote(key) + " in " + what_ + " must be one of " + Join(quoted) +
                        (hide ? "" : ", got " + Quote(value));
      std::string near = hide ? "" : NearestName(value, choices);
      if (!near.empty()) msg += "; did you mean " + Quote(near) + "?";
      return Status::Invalid(msg);
    }
    *out = value;
    return Status::OK();
  }

  // Unknown keys are errors; the one written first is reported.
  Status Strict(const std::vector<std::string>& allowed, const std::map<std::string, std::string>& hints) const {
    const std::string* first = nullptr;
    Location first_at;
    for (const auto& [key, value] : obj_.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      Location at = At(key);
      if (first == nullptr || std::tie(at.line, at.column) < std::tie(first_at.line, first_at.column)) {
        first = &key;
        first_at = at;
      }
    }
    if (first == nullptr) return Status::OK();
    std::string msg = first_at.ToString() + ": unknown key " + Quote(*first) + " in " + what_;
    if (auto h = hints.find(*first); h != hints.end()) return Status::Invalid(msg + h->second);
    std::string near = NearestName(*first, allowed);
    if (!near.empty()) msg += "; did you mean " + Quote(near) + "?";
    return Status::Invalid(msg + (near.empty() ? "; valid keys: " : " Valid keys: ") + Join(allowed));
  }

  Status Missing(const std::string& key, const std::string& hint = "") const {
    return Status::Invalid(Loc() + what_ + " is missing the required key " + Quote(key) + hint);
  }

 private:
  const json& obj_;
  std::string pointer_;
  const SourceMap& map_;
  std::string what_;
};

struct Metadata {
  std::string name, path, registry, version, docker_registry_auth_token;
};

// Every problem of one document, so that one run names them all (an unknown
// key and a value of the wrong type in the same spec are both reported).
class Problems {
 public:
  // Records a failed `st`; true when it was OK.
  bool Check(Status st) {
    if (st.ok()) return true;
    list_.push_back(std::move(st));
    return false;
  }
  bool empty() const { return list_.empty(); }
  std::vector<Status> Take() { return std::move(list_); }

 private:
  std::vector<Status> list_;
};

// Reads the name first so that every later message can say `source "aws"`.
Status ReadName(Fields& f, const std::string& kind, Metadata* m) {
  FERRY_RETURN_NOT_OK(f.String("name", &m->name));
  if (!m->name.empty()) f.set_what(kind + " " + Quote(m->name));
  return Status::OK();
}

Status ReadMetadata(const Fields& f, Metadata* m, std::vector<std::string>* warnings) {
  FERRY_RETURN_NOT_OK(f.String("path", &m->path));
  FERRY_RETURN_NOT_OK(f.String("version", &m->version));
  FERRY_RETURN_NOT_OK(f.String("docker_registry_auth_token", &m->docker_registry_auth_token));
  RegisterSecret(m->docker_registry_auth_token);
  std::vector<std::string> registries = kRegistries;
  registries.push_back("");
  FERRY_RETURN_NOT_OK(f.Enum("registry", registries, &m->registry));
  if (m->name.empty()) return f.Missing("name");
  if (m->registry.empty()) m->registry = "cloudquery";
  if (m->path.empty()) {
    return f.Missing("path", m->registry == "cloudquery" ? " (e.g. path: cloudquery/" + m->name + ")" : "");
  }
  if (m->registry == "cloudquery" || m->registry == "github") {
    if (m->version.empty()) {
      return f.Missing("version", " (required with registry " + m->registry + "; e.g. version: \"v1.0.0\")");
    }
    if (m->version[0] != 'v') {
      return Status::Invalid(f.Loc("version") + "key \"version\" in " + f.what() + " must start with \"v\", as in \"v1.2.3\"");
    }
  } else {
    m->version.clear();  // CloudQuery ignores it for local, grpc and docker
  }
  if (m->registry == "github") {
    warnings->push_back(f.Loc("registry") + f.what() + ": registry: github is deprecated");
  }
  return Status::OK();
}

LocationFn Locator(std::shared_ptr<const SourceMap> map, std::string prefix) {
  return [map = std::move(map), prefix = std::move(prefix)](const std::string& pointer) {
    return map->Find(prefix + pointer).ToString();
  };
}

// The nested plugin spec, and the locators of the spec and of its nested spec.
template <typename Spec>
Status ReadNestedSpec(const Fields& f, const json& spec, const YamlDocument& doc, Spec* out) {
  if (f.Has("spec")) {
    const json& nested = spec.at("spec");
    if (!nested.is_object()) return f.TypeError("spec", "a mapping of plugin options", nested);
    out->spec = nested;
  }
  out->spec_location = Locator(doc.where, f.Pointer("spec"));
  out->spec_origin = [map = doc.where, prefix = f.Pointer("spec")](const std::string& pointer) {
    return map->Origin(prefix + pointer);
  };
  out->locate = Locator(doc.where, "/spec");
  out->where = f.At();
  return Status::OK();
}

std::vector<std::string> With(std::vector<std::string> keys, const std::vector<std::string>& more) {
  keys.insert(keys.end(), more.begin(), more.end());
  return keys;
}

std::string MovedUnderSpec(const std::string& key) {
  return ": top-level " + Quote(key) +
         " was removed in CloudQuery CLI v3.6.0; move it under the plugin's nested \"spec:\" (spec: {" + key +
         ": ...})";
}

Status DecodeSource(const json& spec, Fields& f, const YamlDocument& doc, Config* config, Problems& p) {
  SourceSpec s;
  Metadata m;
  FERRY_RETURN_NOT_OK(ReadName(f, "source", &m));
  std::map<std::string, std::string> hints;
  for (const char* k : {"concurrency", "scheduler", "table_concurrency", "resource_concurrency", "batch_size",
                        "batch_size_bytes"})
    hints[k] = MovedUnderSpec(k);
  for (const char* k : {"backend", "backend_spec"})
    hints[k] = ": it was replaced by backend_options: {table_name: ..., connection: ...}";
  // Each key on its own: every unknown key and wrong type is reported.
  p.Check(f.Strict(With(kMetadataKeys, {"tables", "skip_tables", "skip_dependent_tables", "destinations",
                                        "backend_options", "spec", "deterministic_cq_id", "otel_endpoint",
                                        "otel_endpoint_insecure"}),
                   hints));
  p.Check(ReadMetadata(f, &m, &config->warnings));
  p.Check(f.StringList("tables", &s.tables));
  p.Check(f.StringList("skip_tables", &s.skip_tables));
  p.Check(f.Bool("skip_dependent_tables", &s.skip_dependent_tables));
  p.Check(f.StringList("destinations", &s.destinations));
  p.Check(f.Bool("deterministic_cq_id", &s.deterministic_cq_id));
  p.Check(f.String("otel_endpoint", &s.otel_endpoint));
  p.Check(f.Bool("otel_endpoint_insecure", &s.otel_endpoint_insecure));
  if (!p.empty()) return Status::OK();   // the checks below need those values
  if (s.tables.empty()) {
    return f.Missing("tables",
                     "; set the tables to sync with `tables: [\"*\"]` or a list of names (wildcards allowed); "
                     "`ferry tables` lists them");
  }
  if (s.destinations.empty()) return f.Missing("destinations", "; a source needs at least one destination");
  if (std::count(s.tables.begin(), s.tables.end(), "*") > 0 && s.tables.size() > 1) {
    config->warnings.push_back(f.Loc("tables") + f.what() +
                               ": tables contains \"*\" as well as other tables; \"*\" matches all tables");
  }
  if (f.Has("skip_dependent_tables") && s.skip_dependent_tables &&
      std::count(s.tables.begin(), s.tables.end(), "*") > 0) {
    config->warnings.push_back(f.Loc("skip_dependent_tables") + f.what() +
                               ": skip_dependent_tables has no effect when tables is \"*\"");
  }
  // CloudQuery accepts a destination listed twice (its own tests do); it is
  // written to once.
  for (size_t i = 1, written = 1; i < s.destinations.size(); ++written) {
    if (std::find(s.destinations.begin(), s.destinations.begin() + i, s.destinations[i]) !=
        s.destinations.begin() + i) {
      config->warnings.push_back(
          f.AtPointer(AppendPointer(f.Pointer("destinations"), std::to_string(written))).ToString() +
                                 ": destination " + Quote(s.destinations[i]) + " is listed twice in the destinations of " +
                                 f.what() + "; it is written to once");
      s.destinations.erase(s.destinations.begin() + i);
    } else {
      ++i;
    }
  }
  if (f.Has("backend_options")) {
    const json& b = spec.at("backend_options");
    if (!b.is_object()) return f.TypeError("backend_options", "a mapping with table_name and connection", b);
    Fields bf(b, f.Pointer("backend_options"), *doc.where, "backend_options of " + f.what());
    FERRY_RETURN_NOT_OK(bf.Strict({"table_name", "connection"}, {}));
    BackendOptions opts;
    FERRY_RETURN_NOT_OK(bf.String("table_name", &opts.table_name));
    FERRY_RETURN_NOT_OK(bf.String("connection", &opts.connection));
    if (opts.table_name.empty()) return bf.Missing("table_name");
    if (opts.connection.empty()) {
      return bf.Missing("connection", " (usually \"@@plugins.<destination name>.connection\")");
    }
    s.backend_options = opts;
  }
  FERRY_RETURN_NOT_OK(ReadNestedSpec(f, spec, doc, &s));
  s.name = m.name, s.path = m.path, s.registry = m.registry, s.version = m.version;
  s.docker_registry_auth_token = m.docker_registry_auth_token;
  config->sources.push_back(std::move(s));
  return Status::OK();
}

Status DecodeDestination(const json& spec, Fields& f, const YamlDocument& doc, Config* config, Problems& p) {
  DestinationSpec d;
  Metadata m;
  FERRY_RETURN_NOT_OK(ReadName(f, "destination", &m));
  std::map<std::string, std::string> hints;
  for (const char* k : {"batch_size", "batch_size_bytes", "batch_timeout"}) {
    hints[k] = ": " + std::string(k) + " is a plugin option; move it under the nested \"spec:\" (spec: {" + k +
               ": ...})";
  }
  hints["sync_summary"] = "; did you mean \"send_sync_summary\"?";
  hints["snapshot_view"] = "; did you mean \"snapshot_views\"?";
  p.Check(f.Strict(With(kMetadataKeys, {"write_mode", "migrate_mode", "pk_mode", "sync_group_id",
                                        "send_sync_summary", "snapshot_views", "transformers", "spec"}),
                   hints));
  p.Check(ReadMetadata(f, &m, &config->warnings));
  p.Check(f.Enum("write_mode", {"overwrite-delete-stale", "overwrite", "append"}, &d.write_mode));
  p.Check(f.Enum("migrate_mode", {"safe", "forced"}, &d.migrate_mode));
  p.Check(f.Enum("pk_mode", {"default", "cq-id-only"}, &d.pk_mode));
  p.Check(f.String("sync_group_id", &d.sync_group_id));
  p.Check(f.Bool("send_sync_summary", &d.send_sync_summary));
  p.Check(f.Bool("snapshot_views", &d.snapshot_views));
  p.Check(f.StringList("transformers", &d.transformers));
  if (!p.empty()) return Status::OK();   // the checks below need those values
  if (!d.sync_group_id.empty() && d.write_mode == "overwrite-delete-stale") {
    return Status::Invalid(f.Loc("sync_group_id") + f.what() +
                           ": sync_group_id is not supported with write_mode: overwrite-delete-stale" +
                           (f.Has("write_mode") ? "" : " (the default)") +
                           "; set write_mode: overwrite or append");
  }
  if (d.snapshot_views && d.write_mode != "append") {
    return Status::Invalid(f.Loc("snapshot_views") + f.what() + ": snapshot_views needs write_mode: append (write_mode is " +
                           d.write_mode + (f.Has("write_mode") ? "" : ", the default") +
                           "); in the overwrite modes the table itself holds the latest rows");
  }
  FERRY_RETURN_NOT_OK(ReadNestedSpec(f, spec, doc, &d));
  d.name = m.name, d.path = m.path, d.registry = m.registry, d.version = m.version;
  d.docker_registry_auth_token = m.docker_registry_auth_token;
  config->destinations.push_back(std::move(d));
  return Status::OK();
}

Status DecodeTransformer(const json& spec, Fields& f, const YamlDocument& doc, Config* config) {
  TransformerSpec t;
  Metadata m;
  FERRY_RETURN_NOT_OK(ReadName(f, "transformer", &m));
  FERRY_RETURN_NOT_OK(f.Strict(With(kMetadataKeys, {"spec"}), {}));
  FERRY_RETURN_NOT_OK(ReadMetadata(f, &m, &config->warnings));
  FERRY_RETURN_NOT_OK(ReadNestedSpec(f, spec, doc, &t));
  t.name = m.name, t.path = m.path, t.registry = m.registry, t.version = m.version;
  t.docker_registry_auth_token = m.docker_registry_auth_token;
  config->transformers.push_back(std::move(t));
  return Status::OK();
}

}  // namespace

namespace {

Status DecodeOne(const YamlDocument& doc, Config* config, Problems& p) {
  const json& v = doc.value;
  const SourceMap& map = *doc.where;
  if (v.is_null()) return Status::OK();
  if (!v.is_object()) {
    return Status::Invalid(map.Find("").ToString() + ": a spec document must be a mapping with \"kind\" and \"spec\", got " +
                           Kind(v));
  }
  Fields top(v, "", map, "the document");
  std::map<std::string, std::string> hints;
  for (const char* k : {"name", "path", "registry", "version", "tables", "destinations", "write_mode"}) {
    hints[k] = ": a document holds only \"kind\" and \"spec\"; indent " + Quote(k) + " under \"spec:\"";
  }
  FERRY_RETURN_NOT_OK(top.Strict({"kind", "spec"}, hints));
  std::string kind;
  FERRY_RETURN_NOT_OK(top.String("kind", &kind));
  const std::vector<std::string> kinds = {"source", "destination", "transformer"};
  if (kind.empty()) {
    return Status::Invalid(top.Loc() + "the document has no \"kind\"; use kind: source, destination or transformer");
  }
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::string near = NearestName(kind, kinds);
    return Status::Invalid(top.Loc("kind") + "unknown kind " + Quote(kind) +
                           (near.empty() ? "" : "; did you mean " + Quote(near) + "?") +
                           " Valid kinds: source, destination, transformer");
  }
  if (!top.Has("spec")) return Status::Invalid(top.Loc() + "the " + kind + " document has no \"spec\" mapping");
  const json& spec = v.at("spec");
  if (!spec.is_object()) return top.TypeError("spec", "a mapping", spec);
  Fields f(spec, "/spec", map, "a " + kind + " spec");
  if (kind == "source") return DecodeSource(spec, f, doc, config, p);
  if (kind == "destination") return DecodeDestination(spec, f, doc, config, p);
  return DecodeTransformer(spec, f, doc, config);
}

}  // namespace

std::vector<Status> DecodeDocument(const YamlDocument& doc, Config* config) {
  Problems p;
  p.Check(DecodeOne(doc, config, p));
  return p.Take();
}

}  // namespace ferry::config
