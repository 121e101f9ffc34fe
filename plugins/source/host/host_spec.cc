#include "plugins/source/host/host_spec.h"

#include <algorithm>

namespace ferry::plugins::host {

namespace {

using nlohmann::json;

OptionSpec Opt(std::string name, OptionType type, json def, std::string desc, int64_t min = INT64_MIN) {
  OptionSpec o;
  o.name = std::move(name);
  o.type = type;
  o.default_value = std::move(def);
  o.description = std::move(desc);
  o.min = min;
  return o;
}

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

Status ParseFiles(const json& files, Spec& s) {
  static const std::vector<std::string> keys = {"paths", "hash", "max_hash_size", "max_files"};
  for (auto it = files.begin(); it != files.end(); ++it) {
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
  if (!files.contains("paths") || files["paths"].is_null()) {
    for (auto& f : s.files) f.hash = hash_all;
    return Status::OK();
  }
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

}  // namespace

const OptionTable& SpecOptions() {
  static const OptionTable table = {
      Opt("concurrency", OptionType::kInt, 4, "Worker threads resolving tables (each table is one task).", 1),
      Opt("files", OptionType::kObject,
          {{"paths", {"/etc/*"}}, {"hash", false}, {"max_hash_size", "64MiB"}, {"max_files", 10000}},
          "Files listed in host_files: `paths` (globs; a trailing `/**` lists a directory recursively; an entry "
          "may be `{path: GLOB, hash: true}`), `hash` (sha256 of every matched regular file; default false), "
          "`max_hash_size` (larger files are not hashed), `max_files` (at most this many rows)."),
      Opt("logs", OptionType::kStringList, {"/var/log/dpkg.log", "/var/log/apt/history.log"},
          "Log files (paths or globs) whose lines host_log_lines follows, one cursor per file. With a state "
          "backend each sync reads only the new lines, across rotation and truncation."),
      Opt("max_line_size", OptionType::kByteSize, "64KiB",
          "Longer log lines are cut to this size (and flagged `truncated`).", 1),
      Opt("log_read_limit", OptionType::kByteSize, "256MiB",
          "At most this many bytes of one log file are read per sync; the rest follows in the next sync.", 1),
      Opt("log_checkpoint_every", OptionType::kInt, 10000,
          "A log file's cursor is checkpointed after every N lines (and when reading stops).", 1),
      Opt("max_open_files_per_process", OptionType::kInt, 256,
          "At most this many rows of host_process_open_files per process (0: none).", 0),
      Opt("dpkg_dir", OptionType::kString, "/var/lib/dpkg",
          "dpkg's database directory: `status` for host_packages, `info/*.list` for host_package_files."),
      Opt("dpkg_log", OptionType::kString, "/var/log/dpkg.log",
          "dpkg's log, followed incrementally by host_package_history."),
      Opt("statfs_skip_types", OptionType::kStringList,
          {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "fuse.sshfs", "afs", "lustre", "autofs"},
          "Filesystem types whose usage host_mounts does not read (statfs on an unreachable network "
          "filesystem can hang, and on autofs triggers a mount)."),
  };
  return table;
}

Result<Spec> ParseSpec(const Options& o) {
  Spec s;
  if (o.Has("concurrency")) s.concurrency = o.GetInt("concurrency");
  if (o.Has("max_open_files_per_process")) s.max_open_files_per_process = o.GetInt("max_open_files_per_process");
  if (o.Has("logs")) s.logs = o.GetStringList("logs");
  if (o.Has("max_line_size")) s.max_line_size = o.GetBytes("max_line_size");
  if (o.Has("log_read_limit")) s.log_read_limit = o.GetBytes("log_read_limit");
  if (o.Has("log_checkpoint_every")) s.log_checkpoint_every = o.GetInt("log_checkpoint_every");
  if (o.Has("dpkg_dir")) s.dpkg_dir = o.GetString("dpkg_dir");
  if (o.Has("dpkg_log")) s.dpkg_log = o.GetString("dpkg_log");
  if (o.Has("statfs_skip_types")) s.statfs_skip_types = o.GetStringList("statfs_skip_types");
  if (o.Has("files")) FERRY_RETURN_NOT_OK(ParseFiles(o.json()["files"], s));

  FERRY_RETURN_NOT_OK(CheckMin("concurrency", s.concurrency, 1));
  FERRY_RETURN_NOT_OK(CheckMin("max_open_files_per_process", s.max_open_files_per_process, 0));
  FERRY_RETURN_NOT_OK(CheckMin("max_line_size", s.max_line_size, 1));
  FERRY_RETURN_NOT_OK(CheckMin("log_read_limit", s.log_read_limit, 1));
  FERRY_RETURN_NOT_OK(CheckMin("log_checkpoint_every", s.log_checkpoint_every, 1));
  for (const auto& l : s.logs)
    if (l.empty() || l[0] != '/') return Bad("logs entry \"" + l + "\" must be an absolute path or glob");
  if (s.dpkg_dir.empty()) return Bad("dpkg_dir must not be empty");
  return s;
}

}  // namespace ferry::plugins::host
