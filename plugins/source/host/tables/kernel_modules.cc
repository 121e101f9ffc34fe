// host_kernel_modules: loaded modules (/proc/modules) and built-in modules
// the kernel lists in /sys/module.
#include <algorithm>
#include <set>

#include "plugins/source/host/parse/system.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"

namespace ferry::plugins::host {

namespace {

Status Resolve(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  std::set<std::string> seen;
  std::string text;
  int err = ReadFile("/proc/modules", &text);
  // A kernel built without module support has no /proc/modules: only built-ins.
  if (err != 0 && !IsGone(err)) ctx.Warning(kKernelModules, "loaded modules not listed: " + ErrnoMessage("/proc/modules", err));
  int64_t bad = 0;
  for (auto& m : ParseProcModules(text, &bad)) {
    std::vector<Value> used_by;
    for (auto& u : m.used_by) used_by.push_back(Value::String(u));
    std::string version = ReadAttr("/sys/module/" + m.name + "/version");
    seen.insert(m.name);
    FERRY_RETURN_NOT_OK(w.Write({Value::String(m.name), Value::Bool(false), Value::Int(m.size), Value::Int(m.refcount),
                                 Value::List(std::move(used_by)), Value::String(m.state), OptString(version)}));
  }
  if (bad > 0) ctx.Warning(kKernelModules, std::to_string(bad) + " malformed lines of /proc/modules skipped");
  // /sys/module also lists built-in modules that have parameters or a
  // version; loadable ones have an initstate file and were listed above.
  std::vector<std::string> names;
  if (ListDir("/sys/module", &names) == 0) {
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (seen.count(n) || !ReadAttr("/sys/module/" + n + "/initstate").empty()) continue;
      std::string version = ReadAttr("/sys/module/" + n + "/version");
      FERRY_RETURN_NOT_OK(w.Write({Value::String(n), Value::Bool(true), Value::Null(), Value::Null(),
                                   Value::List({}), Value::String("builtin"), OptString(version)}));
    }
  }
  return Status::OK();
}

}  // namespace

sdk::TableDef KernelModulesTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kKernelModules;
  t.schema.title = "Host kernel modules";
  t.schema.description =
      "Kernel modules: those loaded (/proc/modules) and those built into the kernel that /sys/module lists "
      "(built-ins with parameters or a version).";
  t.schema.columns = {
      Col("name", types::Utf8(), "Module name", true),
      Col("builtin", types::Bool(), "Built into the kernel image rather than loaded"),
      Col("size_bytes", types::Int64(), "Memory the loaded module uses"),
      Col("refcount", types::Int64(), "Number of references (users) of a loaded module"),
      Col("used_by", types::List(types::Utf8()), "Modules that depend on it"),
      Col("state", types::Utf8(), "Live, Loading, Unloading, or builtin"),
      Col("version", types::Utf8(), "Module version, where it declares one"),
  };
  t.resolve = Resolve;
  return t;
}

}  // namespace ferry::plugins::host
