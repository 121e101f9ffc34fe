#include "engine/table_selection.h"

#include <map>
#include <set>

#include "ferry/options.h"

namespace ferry::engine {

bool GlobMatch(const std::string& p, const std::string& s) {
  size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Result<std::vector<TableSchemaPtr>> SelectTables(const std::vector<TableSchemaPtr>& all,
                                                 const std::vector<std::string>& tables,
                                                 const std::vector<std::string>& skip_tables,
                                                 bool skip_dependent_tables,
                                                 const std::string& source_name) {
  std::map<std::string, TableSchemaPtr> by_name;
  std::vector<std::string> names;
  for (const auto& t : all) {
    by_name[t->name] = t;
    names.push_back(t->name);
  }
  auto check_patterns = [&](const std::vector<std::string>& patterns, const char* key) -> Status {
    for (const auto& p : patterns) {
      bool any = false;
      for (const auto& n : names) any = any || GlobMatch(p, n);
      if (!any) {
        std::string msg = "source \"" + source_name + "\": " + key + " pattern \"" + p +
                          "\" matches no table";
        std::string near = NearestName(p, names);
        msg += near.empty() ? "." : "; did you mean \"" + near + "\"?";
        msg += " Run `ferry tables` to list the tables of this source.";
        return Status::Invalid(msg);
      }
    }
    return Status::OK();
  };
  FERRY_RETURN_NOT_OK(check_patterns(tables, "tables"));
  FERRY_RETURN_NOT_OK(check_patterns(skip_tables, "skip_tables"));

  auto matches = [](const std::vector<std::string>& patterns, const std::string& n) {
    for (const auto& p : patterns)
      if (GlobMatch(p, n)) return true;
    return false;
  };
  std::set<std::string> chosen;
  for (const auto& t : all) {
    bool listed = matches(tables, t->name);
    bool is_child = !t->parent.empty();
    if (listed) {
      chosen.insert(t->name);
      // A listed child brings its ancestors.
      for (std::string p = t->parent; !p.empty(); p = by_name.count(p) ? by_name[p]->parent : "")
        chosen.insert(p);
    } else if (is_child && !skip_dependent_tables && chosen.count(t->parent)) {
      chosen.insert(t->name);
    }
  }
  // Skips remove the table and everything below it.
  std::set<std::string> skipped;
  for (const auto& t : all) {
    if (matches(skip_tables, t->name) || (!t->parent.empty() && skipped.count(t->parent)))
      skipped.insert(t->name);
  }
  // A child whose parent is not selected cannot be resolved.
  std::vector<TableSchemaPtr> out;
  std::set<std::string> kept;
  for (const auto& t : all) {
    if (!chosen.count(t->name) || skipped.count(t->name)) continue;
    if (!t->parent.empty() && !kept.count(t->parent)) continue;
    kept.insert(t->name);
    out.push_back(t);
  }
  return out;
}

}  // namespace ferry::engine
