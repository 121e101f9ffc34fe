// Pieces shared by the tables of the `host` source: table names, a column
// builder, the tally that turns skipped entries into summary warnings, and
// uid/gid name lookups.
//
// Every resolver owns its own Skips and Accounts (nothing here is shared
// between threads); the Spec is shared read-only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/sdk/table_source.h"
#include "plugins/source/host/host_spec.h"

namespace ferry::plugins::host {

using SpecPtr = std::shared_ptr<const Spec>;

inline constexpr const char* kSystemInfo = "host_system_info";
inline constexpr const char* kProcesses = "host_processes";
inline constexpr const char* kProcessOpenFiles = "host_process_open_files";
inline constexpr const char* kInterfaces = "host_interfaces";
inline constexpr const char* kInterfaceAddresses = "host_interface_addresses";
inline constexpr const char* kSockets = "host_sockets";
inline constexpr const char* kMounts = "host_mounts";
inline constexpr const char* kBlockDevices = "host_block_devices";
inline constexpr const char* kUsers = "host_users";
inline constexpr const char* kGroups = "host_groups";
inline constexpr const char* kPackages = "host_packages";
inline constexpr const char* kPackageFiles = "host_package_files";
inline constexpr const char* kPackageHistory = "host_package_history";
inline constexpr const char* kKernelModules = "host_kernel_modules";
inline constexpr const char* kFiles = "host_files";
inline constexpr const char* kLogLines = "host_log_lines";

Column Col(std::string name, DataTypePtr type, std::string description, bool primary_key = false);

// Optional values: null when absent.
Value OptInt(const std::optional<int64_t>& v);
Value OptString(const std::string& s);  // null when empty

// Counts skipped entries per reason and reports each reason once, as one
// warning with the count and a few examples, so a host with thousands of
// unreadable entries does not flood the log.
class Skips {
 public:
  void Add(const std::string& reason, const std::string& example);
  int64_t Count(const std::string& reason) const;
  // One ctx.Warning per reason: "<reason>: N (e.g. a, b, c)".
  void Report(const sdk::ResolveContext& ctx, const std::string& table) const;

 private:
  struct Tally {
    int64_t count = 0;
    std::vector<std::string> examples;
  };
  std::map<std::string, Tally> tallies_;
};

// uid -> user name and gid -> group name from /etc/passwd and /etc/group.
class Accounts {
 public:
  static Accounts Load();
  std::string User(int64_t uid) const;   // "" when unknown
  std::string Group(int64_t gid) const;  // "" when unknown

 private:
  std::map<int64_t, std::string> users_, groups_;
};

// Clock ticks per second (sysconf(_SC_CLK_TCK)) and the page size.
int64_t ClockTicks();
int64_t PageSize();
// Boot time in microseconds since the epoch, from /proc/stat; nullopt when unreadable.
std::optional<int64_t> BootTimeMicros();
// Seconds and nanoseconds to microseconds.
int64_t TimespecMicros(int64_t sec, int64_t nsec);

}  // namespace ferry::plugins::host
