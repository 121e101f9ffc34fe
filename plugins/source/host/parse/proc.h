// Parsers for the text files of procfs (proc(5)): /proc/<pid>/stat, status
// and cmdline, /proc/meminfo, /proc/cpuinfo, /proc/stat, /proc/loadavg,
// /proc/uptime, and os-release(5). Each takes the file's text and returns
// plain values; malformed input gives nullopt or skips the bad line, never
// throws. Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::plugins::host {

// /proc/<pid>/stat (proc(5), "stat"): the fields Ferry uses.
struct ProcStat {
  int64_t pid = 0;
  std::string comm;          // without the parentheses; may contain spaces and ')'
  char state = '?';
  int64_t ppid = 0;
  int64_t pgrp = 0;
  int64_t session = 0;
  int64_t tty_nr = 0;
  uint64_t utime_ticks = 0;  // clock ticks (sysconf(_SC_CLK_TCK))
  uint64_t stime_ticks = 0;
  int64_t priority = 0;
  int64_t nice = 0;
  int64_t num_threads = 0;
  uint64_t start_ticks = 0;  // after boot, in clock ticks
  uint64_t vsize_bytes = 0;
  int64_t rss_pages = 0;
};
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Long name of a one-letter process state ("R" -> "running").
const char* ProcStateName(char state);

// /proc/<pid>/status: the name and the real / effective ids.
struct ProcStatus {
  std::string name;
  std::optional<int64_t> uid, euid, gid, egid;
};
ProcStatus ParseProcStatus(std::string_view text);

// /proc/<pid>/cmdline: NUL-separated argv (an empty list for kernel threads).
std::vector<std::string> ParseCmdline(std::string_view text);

// /proc/meminfo: key -> bytes ("kB" values are multiplied by 1024).
std::map<std::string, int64_t> ParseMeminfo(std::string_view text);

// /proc/cpuinfo, summarised.
struct CpuInfo {
  std::string model;          // "model name" (x86), "Model"/"Hardware"/"cpu model" elsewhere
  std::string vendor;         // "vendor_id" (x86) or "CPU implementer"
  int64_t logical = 0;        // "processor" entries
  int64_t physical_cores = 0; // distinct (physical id, core id) pairs; 0 when not reported
  int64_t sockets = 0;        // distinct physical ids; 0 when not reported
  std::optional<double> mhz;  // first "cpu MHz"
};
CpuInfo ParseCpuinfo(std::string_view text);

// /proc/stat "btime": boot time in seconds since the epoch.
std::optional<int64_t> ParseBootTime(std::string_view text);
// /proc/loadavg: the 1, 5 and 15 minute load averages.
std::optional<std::array<double, 3>> ParseLoadavg(std::string_view text);
// /proc/uptime: seconds since boot.
std::optional<double> ParseUptime(std::string_view text);

// os-release(5): KEY=value lines, values optionally quoted with shell escapes.
std::map<std::string, std::string> ParseOsRelease(std::string_view text);

}  // namespace ferry::plugins::host
