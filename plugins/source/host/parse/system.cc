#include "plugins/source/host/parse/system.h"

#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {
// Lines that are neither blank nor comments; the count of bad ones goes to *skipped.
template <typename Fn>
void ForEachLine(std::string_view text, int64_t* skipped, Fn fn) {
  int64_t bad = 0;
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty() || line[0] == '#') continue;
    if (!fn(line)) ++bad;
  }
  if (skipped) *skipped = bad;
}
}  // namespace

std::vector<PasswdEntry> ParsePasswd(std::string_view text, int64_t* skipped) {
  std::vector<PasswdEntry> out;
  ForEachLine(text, skipped, [&](std::string_view line) {
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() != 7 || f[0].empty()) return false;  // also NIS "+" entries with empty ids
    auto uid = ParseInt(f[2]), gid = ParseInt(f[3]);
    if (!uid || !gid) return false;
    out.push_back(PasswdEntry{std::string(f[0]), *uid, *gid, std::string(f[4]), std::string(f[5]), std::string(f[6])});
    return true;
  });
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text, int64_t* skipped) {
  std::vector<GroupEntry> out;
  ForEachLine(text, skipped, [&](std::string_view line) {
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() != 4 || f[0].empty()) return false;
    auto gid = ParseInt(f[2]);
    if (!gid) return false;
    GroupEntry g{std::string(f[0]), *gid, {}};
    if (!f[3].empty())
      for (std::string_view m : Split(f[3], ','))
        if (!Trim(m).empty()) g.members.emplace_back(Trim(m));
    out.push_back(std::move(g));
    return true;
  });
  return out;
}

std::string UnescapeOctal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      std::string_view oct = s.substr(i + 1, 3);
      bool digits = oct[0] >= '0' && oct[0] <= '3' && oct[1] >= '0' && oct[1] <= '7' &&
                    oct[2] >= '0' && oct[2] <= '7';
      if (digits) {
        out.push_back(static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<MountEntry> ParseMountinfo(std::string_view text, int64_t* skipped) {
  std::vector<MountEntry> out;
  ForEachLine(text, skipped, [&](std::string_view line) {
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    std::vector<std::string_view> f = Fields(line);
    if (f.size() < 10) return false;
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 3 > f.size()) return false;
    MountEntry m;
    auto id = ParseInt(f[0]), parent = ParseInt(f[1]);
    size_t colon = f[2].find(':');
    if (!id || !parent || colon == std::string_view::npos) return false;
    auto major = ParseInt(f[2].substr(0, colon)), minor = ParseInt(f[2].substr(colon + 1));
    if (!major || !minor) return false;
    m.mount_id = *id;
    m.parent_id = *parent;
    m.major = *major;
    m.minor = *minor;
    m.root = UnescapeOctal(f[3]);
    m.mount_point = UnescapeOctal(f[4]);
    m.mount_options = std::string(f[5]);
    for (size_t i = 6; i < dash; ++i) m.optional_fields.emplace_back(f[i]);
    m.fs_type = UnescapeOctal(f[dash + 1]);
    m.source = UnescapeOctal(f[dash + 2]);
    if (dash + 3 < f.size()) m.super_options = std::string(f[dash + 3]);
    out.push_back(std::move(m));
    return true;
  });
  return out;
}

std::vector<ModuleEntry> ParseProcModules(std::string_view text, int64_t* skipped) {
  std::vector<ModuleEntry> out;
  ForEachLine(text, skipped, [&](std::string_view line) {
    // name size refcount deps state address [taints]
    std::vector<std::string_view> f = Fields(line);
    if (f.size() < 5) return false;
    auto size = ParseInt(f[1]), refs = ParseInt(f[2]);
    if (!size || !refs) return false;
    ModuleEntry m{std::string(f[0]), *size, *refs, {}, std::string(f[4])};
    if (f[3] != "-")
      for (std::string_view d : Split(f[3], ','))
        if (!d.empty()) m.used_by.emplace_back(d);
    out.push_back(std::move(m));
    return true;
  });
  return out;
}

}  // namespace ferry::plugins::host
