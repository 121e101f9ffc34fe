#include "plugins/source/host/host_spec.h"

#include <algorithm>

#include "ferry/option_binder.h"

namespace ferry::plugins::host {

namespace {

using nlohmann::json;

Status Bad(const std::string& what) { return Status::Invalid("host source: " + what); }

Status CheckMin(const char* name, int64_t v, int64_t min) {
  if (v >= min) return Status::OK();
  return Bad(std::string(name) + " must be at least " + std::to_string(min) + ", got " + std::to_string(v));
}

Result<int64_t> ByteSize(const json& v, const std::string& key) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    auto r = ParseByteSize(v.get<std::string>());
    if (r.ok()) return *r;
  }
  return Bad(key + " must be a byte size such as 64MiB or an integer number of bytes, got " + v.dump());
}

// The default of `files`, and of each of its keys a spec leaves out.
const json& FilesDefault() {
  static const json d = {{"paths", {"/etc/*"}}, {"hash", false}, {"max_hash_size", "64MiB"}, {"max_files", 10000}};
  return d;
}

Status ParseFiles(const json& given, Spec& s) {
  static const std::vector<std::string> keys = {"paths", "hash", "max_hash_size", "max_files"};
  json files = FilesDefault();
  if (given.is_object())
    for (auto it = given.begin(); it != given.end(); ++it)
      if (!it->is_null()) files[it.key()] = *it;
  for (auto it = given.begin(); it != given.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) != keys.end()) continue;
    std::string msg = "unknown key files." + it.key();
    std::string near = NearestName(it.key(), keys);
    if (!near.empty()) msg += "; did you mean files." + near + "?";
    return Bad(msg + " Valid keys: paths, hash, max_hash_size, max_files");
  }
  bool hash_all = false;
  if (files.contains("hash") && !files["hash"].is_null()) {
    if (!files["hash"].is_boolean()) return Bad("files.hash must be true or false, got " + files["hash"].dump());
    hash_all = files["hash"].get<bool>();
  }
  if (files.contains("max_hash_size") && !files["max_hash_size"].is_null()) {
    FERRY_ASSIGN_OR_RETURN(s.max_hash_size, ByteSize(files["max_hash_size"], "files.max_hash_size"));
  }
  if (files.contains("max_files") && !files["max_files"].is_null()) {
    if (!files["max_files"].is_number_integer()) return Bad("files.max_files must be an integer");
    s.max_files = files["max_files"].get<int64_t>();
  }
  FERRY_RETURN_NOT_OK(CheckMin("files.max_hash_size", s.max_hash_size, 0));
  FERRY_RETURN_NOT_OK(CheckMin("files.max_files", s.max_files, 0));
  const json& paths = files["paths"];
  if (!paths.is_array()) return Bad("files.paths must be a list of globs or {path, hash} mappings");
  s.files.clear();
  for (size_t i = 0; i < paths.size(); ++i) {
    const json& p = paths[i];
    const std::string where = "files.paths[" + std::to_string(i) + "]";
    FilePattern fp{"", hash_all};
    if (p.is_string()) {
      fp.pattern = p.get<std::string>();
    } else if (p.is_object()) {
      for (auto it = p.begin(); it != p.end(); ++it)
        if (it.key() != "path" && it.key() != "hash")
          return Bad("unknown key " + where + "." + it.key() + "; an entry is a glob or {path: GLOB, hash: BOOL}");
      if (!p.contains("path") || !p["path"].is_string()) return Bad(where + ".path must be a glob string");
      fp.pattern = p["path"].get<std::string>();
      if (p.contains("hash")) {
        if (!p["hash"].is_boolean()) return Bad(where + ".hash must be true or false");
        fp.hash = p["hash"].get<bool>();
      }
    } else {
      return Bad(where + " must be a glob or a {path, hash} mapping, got " + p.dump());
    }
    if (fp.pattern.empty() || fp.pattern[0] != '/') return Bad(where + " must be an absolute path or glob");
    s.files.push_back(std::move(fp));
  }
  return Status::OK();
}

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.Int(&Spec::concurrency, {.name = "concurrency", .default_value = 4,
                             .description = "Worker threads resolving tables (each table is one task).", .min = 1});
  b.Custom({.name = "files",
            .type = OptionType::kObject,
            .default_value = FilesDefault(),
            .description = "Files listed in host_files: `paths` (globs; a trailing `/**` lists a directory "
                           "recursively; an entry may be `{path: GLOB, hash: true}`), `hash` (sha256 of every "
                           "matched regular file; default false), `max_hash_size` (larger files are not hashed), "
                           "`max_files` (at most this many rows)."},
           [](const json& v, Spec* s) { return ParseFiles(v, *s); });
  b.StringList(&Spec::logs,
               {.name = "logs",
                .default_value = {"/var/log/dpkg.log", "/var/log/apt/history.log"},
                .description = "Log files (paths or globs) whose lines host_log_lines follows, one cursor per "
                               "file. With a state backend each sync reads only the new lines, across rotation "
                               "and truncation."});
  b.ByteSize(&Spec::max_line_size,
             {.name = "max_line_size", .default_value = "64KiB",
              .description = "Longer log lines are cut to this size (and flagged `truncated`).", .min = 1});
  b.ByteSize(&Spec::log_read_limit,
             {.name = "log_read_limit", .default_value = "256MiB",
              .description = "At most this many bytes of one log file are read per sync; the rest follows in the "
                             "next sync.",
              .min = 1});
  b.Int(&Spec::log_checkpoint_every,
        {.name = "log_checkpoint_every", .default_value = 10000,
         .description = "A log file's cursor is checkpointed after every N lines (and when reading stops).",
         .min = 1});
  b.Int(&Spec::max_open_files_per_process,
        {.name = "max_open_files_per_process", .default_value = 256,
         .description = "At most this many rows of host_process_open_files per process (0: none).", .min = 0});
  b.String(&Spec::dpkg_dir,
           {.name = "dpkg_dir", .default_value = "/var/lib/dpkg",
            .description = "dpkg's database directory: `status` for host_packages, `info/*.list` for "
                           "host_package_files."});
  b.String(&Spec::dpkg_log, {.name = "dpkg_log", .default_value = "/var/log/dpkg.log",
                             .description = "dpkg's log, followed incrementally by host_package_history."});
  b.StringList(&Spec::statfs_skip_types,
               {.name = "statfs_skip_types",
                .default_value = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "fuse.sshfs",
                                  "afs", "lustre", "autofs"},
                .description = "Filesystem types whose usage host_mounts does not read (statfs on an "
                               "unreachable network filesystem can hang, and on autofs triggers a mount)."});
  b.Check([](Spec* s) {
    for (const auto& l : s->logs)
      if (l.empty() || l[0] != '/') return Bad("logs entry \"" + l + "\" must be an absolute path or glob");
    if (s->dpkg_dir.empty()) return Bad("dpkg_dir must not be empty");
    return Status::OK();
  });
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::host
