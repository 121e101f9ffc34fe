#include "plugins/source/host/tables/common.h"

#include <unistd.h>

#include "plugins/source/host/parse/proc.h"
#include "plugins/source/host/parse/system.h"
#include "plugins/source/host/util/files.h"

namespace ferry::plugins::host {

Column Col(std::string name, DataTypePtr type, std::string description, bool primary_key) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.description = std::move(description);
  c.primary_key = primary_key;
  return c;
}

Value OptInt(const std::optional<int64_t>& v) { return v ? Value::Int(*v) : Value::Null(); }
Value OptString(const std::string& s) { return s.empty() ? Value::Null() : Value::String(s); }

void Skips::Add(const std::string& reason, const std::string& example) {
  Tally& t = tallies_[reason];
  ++t.count;
  if (t.examples.size() < 3 && !example.empty()) t.examples.push_back(example);
}

int64_t Skips::Count(const std::string& reason) const {
  auto it = tallies_.find(reason);
  return it == tallies_.end() ? 0 : it->second.count;
}

void Skips::Report(const sdk::ResolveContext& ctx, const std::string& table) const {
  for (const auto& [reason, t] : tallies_) {
    std::string msg = reason + ": " + std::to_string(t.count);
    if (!t.examples.empty()) {
      msg += " (e.g. ";
      for (size_t i = 0; i < t.examples.size(); ++i) msg += (i ? ", " : "") + t.examples[i];
      msg += t.count > static_cast<int64_t>(t.examples.size()) ? ", ...)" : ")";
    }
    ctx.Warning(table, msg);
  }
}

Accounts Accounts::Load() {
  Accounts a;
  std::string text;
  if (ReadFile("/etc/passwd", &text) == 0)
    for (auto& e : ParsePasswd(text)) a.users_.emplace(e.uid, e.name);
  if (ReadFile("/etc/group", &text) == 0)
    for (auto& e : ParseGroup(text)) a.groups_.emplace(e.gid, e.name);
  return a;
}

std::string Accounts::User(int64_t uid) const {
  auto it = users_.find(uid);
  return it == users_.end() ? "" : it->second;
}

std::string Accounts::Group(int64_t gid) const {
  auto it = groups_.find(gid);
  return it == groups_.end() ? "" : it->second;
}

int64_t ClockTicks() {
  static const int64_t ticks = [] {
    long t = ::sysconf(_SC_CLK_TCK);
    return t > 0 ? static_cast<int64_t>(t) : int64_t{100};
  }();
  return ticks;
}

int64_t PageSize() {
  static const int64_t size = [] {
    long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<int64_t>(p) : int64_t{4096};
  }();
  return size;
}

std::optional<int64_t> BootTimeMicros() {
  std::string text;
  if (ReadFile("/proc/stat", &text) != 0) return std::nullopt;
  auto bt = ParseBootTime(text);
  if (!bt) return std::nullopt;
  return *bt * 1000000;
}

int64_t TimespecMicros(int64_t sec, int64_t nsec) { return sec * 1000000 + nsec / 1000; }

}  // namespace ferry::plugins::host
