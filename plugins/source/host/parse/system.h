// Parsers for system databases and tables: passwd(5), group(5),
// /proc/<pid>/mountinfo (proc(5), "mountinfo") and /proc/modules. Malformed
// lines are skipped and counted (the count pointer may be null). Pure
// functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::plugins::host {

struct PasswdEntry {
  std::string name;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
};
std::vector<PasswdEntry> ParsePasswd(std::string_view text, int64_t* skipped = nullptr);

struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;
};
std::vector<GroupEntry> ParseGroup(std::string_view text, int64_t* skipped = nullptr);

struct MountEntry {
  int64_t mount_id = 0;
  int64_t parent_id = 0;
  int64_t major = 0;
  int64_t minor = 0;
  std::string root;           // root of the mount within its filesystem
  std::string mount_point;    // octal escapes (\040) decoded
  std::string mount_options;  // per-mount options
  std::vector<std::string> optional_fields;  // "shared:1", "master:2", ...
  std::string fs_type;
  std::string source;
  std::string super_options;  // per-superblock options
};
std::vector<MountEntry> ParseMountinfo(std::string_view text, int64_t* skipped = nullptr);

// Decodes the \ooo octal escapes the kernel uses for spaces, tabs, newlines
// and backslashes in mount paths.
std::string UnescapeOctal(std::string_view s);

struct ModuleEntry {
  std::string name;
  int64_t size = 0;
  int64_t refcount = 0;
  std::vector<std::string> used_by;
  std::string state;  // Live, Loading, Unloading
};
std::vector<ModuleEntry> ParseProcModules(std::string_view text, int64_t* skipped = nullptr);

}  // namespace ferry::plugins::host
