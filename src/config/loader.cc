#include "config/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "config/decode.h"
#include "config/yaml_json.h"
#include "ferry/redact.h"

namespace ferry::config {
namespace {

namespace fs = std::filesystem;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

template <typename Spec>
std::string NamesWithPlaces(const std::vector<Spec>& specs) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "" : ", ") + Quote(s.name) + " (" + s.where.ToString() + ")";
  return out;
}

template <typename Spec>
Status CheckUniqueName(const std::vector<Spec>& specs, const char* kind) {
  if (specs.empty()) return Status::OK();
  const Spec& added = specs.back();
  for (size_t i = 0; i + 1 < specs.size(); ++i) {
    if (specs[i].name == added.name) {
      return Status::Invalid(added.where.ToString() + ": duplicate " + kind + " name " + added.name +
                             " (first defined at " + specs[i].where.ToString() + ")");
    }
  }
  return Status::OK();
}

// Error for a reference to a spec that does not exist.
template <typename Spec>
Status UnknownReference(const std::string& at, const std::string& from, const char* kind, const std::string& name,
                        const std::vector<Spec>& defined) {
  std::vector<std::string> names;
  for (const auto& s : defined) names.push_back(s.name);
  std::string msg = at + ": " + from + " references unknown " + kind + " " + Quote(name);
  std::string near = NearestName(name, names);
  if (!near.empty()) msg += "; did you mean " + Quote(near) + "?";
  if (defined.empty()) {
    msg += "; no " + std::string(kind) + "s are defined (add a document with kind: " + kind + ")";
  } else {
    msg += (near.empty() ? "; defined " : " Defined ") + std::string(kind) + "s: " + NamesWithPlaces(defined);
  }
  return Status::Invalid(msg);
}

class Loader {
 public:
  explicit Loader(const ExpandOptions& expand) : expand_(expand) {}

  Status AddPath(const std::string& path) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      return Status::NotFound("spec path " + Quote(path) + " does not exist");
    }
    if (!fs::is_directory(st)) return AddFile(path);
    std::vector<std::string> files;
    // increment(ec), not a range-for: its operator++ throws on a read error.
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      bool yaml = name.size() > 4 && (name.ends_with(".yml") || name.ends_with(".yaml"));
      std::error_code dir_ec;  // an entry that cannot be stat'ed is read as a file (its open names it)
      if (!yaml || it->is_directory(dir_ec)) continue;
      files.push_back(name);
    }
    if (ec) return Status::IOError("cannot list directory " + Quote(path) + ": " + ec.message());
    if (files.empty()) {
      return Status::Invalid("directory " + Quote(path) + " contains no spec files (*.yml or *.yaml)");
    }
    std::sort(files.begin(), files.end());
    for (const auto& name : files) FERRY_RETURN_NOT_OK(AddFile((fs::path(path) / name).string()));
    return Status::OK();
  }

  Status AddFile(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return Status::IOError("cannot read spec file " + Quote(path) + ": " + std::strerror(errno));
    std::string text;
    char buf[16384];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
      text.append(buf, n);
      if (text.size() > kMaxSpecFileBytes) {
        std::fclose(f);
        return Status::Invalid("spec file " + Quote(path) + " is larger than " +
                               std::to_string(kMaxSpecFileBytes >> 20) +
                               " MiB, the most Ferry reads from one spec file; a spec is configuration (long "
                               "lists such as accounts can live in several files or a directory)");
      }
    }
    bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) return Status::IOError("cannot read spec file " + Quote(path));
    return AddText(text, path);
  }

  Status AddText(const std::string& raw, const std::string& file) {
    config_.files.push_back(file);
    std::string text;
    text.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
      text += raw[i];
    }
    static const std::string kSeparator = "\n---\n";
    int documents = 0;
    size_t start = 0;
    int line = 1;
    while (true) {
      size_t end = text.find(kSeparator, start);
      std::string section = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      FERRY_ASSIGN_OR_RETURN(std::vector<YamlDocument> docs, ParseYamlSection(section, file, line, expand_, &budget_));
      for (const YamlDocument& doc : docs) {
        if (doc.value.is_null()) continue;
        ++documents;
        // Every document is decoded, so one run reports every bad one.
        if (Status st = Decode(doc); !st.ok()) errors_.push_back(std::move(st));
      }
      if (end == std::string::npos) break;
      line += static_cast<int>(std::count(section.begin(), section.end(), '\n')) + 2;  // the separator's two
      start = end + kSeparator.size();
    }
    if (documents == 0) {
      return Status::Invalid(file + ": no specs found; a spec file holds documents with \"kind\" and \"spec\" " +
                             "(separated by ---)");
    }
    return Status::OK();
  }

  Result<Config> Finish() {
    // References are checked only when every document decoded: a document
    // that failed would make each reference to it a second, spurious error.
    if (errors_.empty()) CheckReferences();
    if (errors_.size() == 1) return errors_[0];
    if (!errors_.empty()) {
      std::string msg = std::to_string(errors_.size()) + " errors in the spec files:";
      for (const Status& e : errors_) msg += "\n  " + e.message();
      return Status(errors_[0].code(), msg);
    }
    return std::move(config_);
  }

 private:
  Status Decode(const YamlDocument& doc) {
    const size_t sources = config_.sources.size(), destinations = config_.destinations.size(),
                 transformers = config_.transformers.size();
    std::vector<Status> problems = DecodeDocument(doc, &config_);
    if (!problems.empty()) {
      // All but the last go to the list here; the last is returned.
      for (size_t i = 0; i + 1 < problems.size(); ++i) errors_.push_back(std::move(problems[i]));
      return std::move(problems.back());
    }
    if (config_.sources.size() != sources) return CheckUniqueName(config_.sources, "source");
    if (config_.destinations.size() != destinations) return CheckUniqueName(config_.destinations, "destination");
    if (config_.transformers.size() != transformers) return CheckUniqueName(config_.transformers, "transformer");
    return Status::OK();
  }

  // Adds every dangling or conflicting reference to errors_.
  void CheckReferences() {
    // destination name + source path -> (path@version, the source that set it)
    std::map<std::pair<std::string, std::string>, const SourceSpec*> reached;
    for (const SourceSpec& s : config_.sources) {
      for (size_t i = 0; i < s.destinations.size(); ++i) {
        const std::string& d = s.destinations[i];
        const std::string at = s.locate ? s.locate("/destinations/" + std::to_string(i)) : s.where.ToString();
        if (config_.FindDestination(d) == nullptr) {
          errors_.push_back(UnknownReference(at, "source " + Quote(s.name), "destination", d, config_.destinations));
          continue;
        }
        auto [it, fresh] = reached.emplace(std::make_pair(d, s.path), &s);
        if (!fresh && it->second->version != s.version) {
          errors_.push_back(Status::Invalid(at + ": destination " + Quote(d) + " is used by sources " + Quote(it->second->name) +
                                 " and " + Quote(s.name) + " with the same path " + s.path +
                                 " at different versions (" + it->second->version + " and " + s.version +
                                 "); use one version per destination"));
        }
      }
    }
    for (const DestinationSpec& d : config_.destinations) {
      for (size_t i = 0; i < d.transformers.size(); ++i) {
        const std::string at = d.locate ? d.locate("/transformers/" + std::to_string(i)) : d.where.ToString();
        if (config_.FindTransformer(d.transformers[i]) == nullptr) {
          errors_.push_back(UnknownReference(at, "destination " + Quote(d.name), "transformer", d.transformers[i],
                                             config_.transformers));
        }
      }
    }
  }

  const ExpandOptions& expand_;
  ExpansionBudget budget_;   // every section of every file of this load
  Config config_;
  std::vector<Status> errors_;   // of documents and references, in file order
};

}  // namespace

Result<Config> LoadConfig(const std::vector<std::string>& paths, const ExpandOptions& expand) {
  if (paths.empty()) return Status::Invalid("no spec files given");
  Loader loader(expand);
  for (const auto& p : paths) {
    Status st = loader.AddPath(p);
    if (!st.ok()) return RedactStatus(st);
  }
  auto config = loader.Finish();
  if (!config.ok()) return RedactStatus(config.status());
  return config;
}

Result<Config> LoadConfigFromString(const std::string& text, const std::string& file_name,
                                    const ExpandOptions& expand) {
  Loader loader(expand);
  Status st = loader.AddText(text, file_name);
  if (!st.ok()) return RedactStatus(st);
  auto config = loader.Finish();
  if (!config.ok()) return RedactStatus(config.status());
  return config;
}

Status ValidateForSync(const Config& config) {
  std::string files;
  for (const auto& f : config.files) files += (files.empty() ? "" : ", ") + f;
  if (config.sources.empty()) {
    return Status::Invalid("expecting at least one source; no document with kind: source in " + files);
  }
  if (config.destinations.empty()) {
    return Status::Invalid("expecting at least one destination; no document with kind: destination in " + files);
  }
  return Status::OK();
}

}  // namespace ferry::config
