#include "plugins/source/host/parse/proc.h"

#include <cstdlib>
#include <set>
#include <utility>

#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  // "pid (comm) state ppid ...": comm may hold anything, so it ends at the last ')'.
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat s;
  auto pid = ParseInt(Trim(text.substr(0, open)));
  if (!pid) return std::nullopt;
  s.pid = *pid;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  std::vector<std::string_view> f = Fields(Trim(text.substr(close + 1)));
  // f[k] is field k+3 of proc(5) (1-based): state is field 3, rss field 24.
  if (f.size() < 22 || f[0].size() != 1) return std::nullopt;
  auto i64 = [&](size_t field) { return ParseInt(f[field - 3]); };
  auto u64 = [&](size_t field) { return ParseUInt(f[field - 3]); };
  s.state = f[0][0];
  auto ppid = i64(4), pgrp = i64(5), session = i64(6), tty = i64(7), prio = i64(18), nice = i64(19),
       threads = i64(20), rss = i64(24);
  auto utime = u64(14), stime = u64(15), start = u64(22), vsize = u64(23);
  if (!ppid || !pgrp || !session || !tty || !prio || !nice || !threads || !rss || !utime || !stime || !start ||
      !vsize)
    return std::nullopt;
  s.ppid = *ppid;
  s.pgrp = *pgrp;
  s.session = *session;
  s.tty_nr = *tty;
  s.utime_ticks = *utime;
  s.stime_ticks = *stime;
  s.priority = *prio;
  s.nice = *nice;
  s.num_threads = *threads;
  s.start_ticks = *start;
  s.vsize_bytes = *vsize;
  s.rss_pages = *rss;
  return s;
}

const char* ProcStateName(char state) {
  switch (state) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk-sleep";
    case 'Z': return "zombie";
    case 'T': return "stopped";
    case 't': return "tracing-stop";
    case 'X': case 'x': return "dead";
    case 'I': return "idle";
    case 'P': return "parked";
    case 'W': return "paging";
    case 'K': return "wakekill";
    default: return "unknown";
  }
}

ProcStatus ParseProcStatus(std::string_view text) {
  ProcStatus st;
  for (std::string_view line : Split(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = Trim(line.substr(colon + 1));
    if (key == "Name") {
      st.name = std::string(value);
    } else if (key == "Uid" || key == "Gid") {
      std::vector<std::string_view> ids = Fields(value);
      std::optional<int64_t> real = ids.size() > 0 ? ParseInt(ids[0]) : std::nullopt;
      std::optional<int64_t> eff = ids.size() > 1 ? ParseInt(ids[1]) : std::nullopt;
      if (key == "Uid") st.uid = real, st.euid = eff;
      else st.gid = real, st.egid = eff;
    }
  }
  return st;
}

std::vector<std::string> ParseCmdline(std::string_view text) {
  std::vector<std::string> argv;
  if (text.empty()) return argv;
  if (text.back() == '\0') text.remove_suffix(1);
  for (std::string_view a : Split(text, '\0')) argv.emplace_back(a);
  return argv;
}

std::map<std::string, int64_t> ParseMeminfo(std::string_view text) {
  std::map<std::string, int64_t> out;
  for (std::string_view line : Split(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::vector<std::string_view> f = Fields(line.substr(colon + 1));
    if (f.empty()) continue;
    auto v = ParseInt(f[0]);
    if (!v) continue;
    int64_t mult = (f.size() > 1 && f[1] == "kB") ? 1024 : 1;
    out[std::string(line.substr(0, colon))] = *v * mult;
  }
  return out;
}

CpuInfo ParseCpuinfo(std::string_view text) {
  CpuInfo c;
  std::set<std::pair<std::string, std::string>> cores;
  std::set<std::string> sockets;
  std::string physical_id;
  for (std::string_view line : Split(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key(Trim(line.substr(0, colon)));
    std::string value(Trim(line.substr(colon + 1)));
    if (key == "processor") {
      ++c.logical;
    } else if ((key == "model name" || key == "Model" || key == "Hardware" || key == "cpu model") && c.model.empty()) {
      c.model = value;
    } else if ((key == "vendor_id" || key == "CPU implementer") && c.vendor.empty()) {
      c.vendor = value;
    } else if (key == "cpu MHz" && !c.mhz) {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (end && *end == '\0' && !value.empty()) c.mhz = v;
    } else if (key == "physical id") {
      physical_id = value;
      sockets.insert(value);
    } else if (key == "core id") {
      cores.insert({physical_id, value});
    }
  }
  c.physical_cores = static_cast<int64_t>(cores.size());
  c.sockets = static_cast<int64_t>(sockets.size());
  return c;
}

std::optional<int64_t> ParseBootTime(std::string_view text) {
  for (std::string_view line : Split(text, '\n')) {
    std::vector<std::string_view> f = Fields(line);
    if (f.size() == 2 && f[0] == "btime") return ParseInt(f[1]);
  }
  return std::nullopt;
}

namespace {
std::optional<double> ToDouble(std::string_view s) {
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (str.empty() || !end || *end != '\0') return std::nullopt;
  return v;
}
}  // namespace

std::optional<std::array<double, 3>> ParseLoadavg(std::string_view text) {
  std::vector<std::string_view> f = Fields(Trim(text));
  if (f.size() < 3) return std::nullopt;
  auto a = ToDouble(f[0]), b = ToDouble(f[1]), c = ToDouble(f[2]);
  if (!a || !b || !c) return std::nullopt;
  return std::array<double, 3>{*a, *b, *c};
}

std::optional<double> ParseUptime(std::string_view text) {
  std::vector<std::string_view> f = Fields(Trim(text));
  if (f.empty()) return std::nullopt;
  return ToDouble(f[0]);
}

std::map<std::string, std::string> ParseOsRelease(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view raw : Split(text, '\n')) {
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view v = line.substr(eq + 1);
    std::string value;
    if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
      const char q = v[0];
      for (size_t i = 1; i < v.size() && v[i] != q; ++i) {
        if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
        value.push_back(v[i]);
      }
    } else {
      value = std::string(v);
    }
    out[std::string(line.substr(0, eq))] = std::move(value);
  }
  return out;
}

}  // namespace ferry::plugins::host
