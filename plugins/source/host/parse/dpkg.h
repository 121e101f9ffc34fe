// Parsers for dpkg's database: the status file (deb822 paragraphs, see
// deb-control(5) and dpkg(1) "FILES"), the per-package file lists, and the
// action lines of dpkg's log (dpkg.cfg(5) "log"). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::plugins::host {

// One paragraph of /var/lib/dpkg/status.
struct DpkgPackage {
  std::string name;
  std::string architecture;
  std::string version;
  std::string status;          // "install ok installed": want, flag, state
  std::string source;          // source package name ("" when same as name)
  std::string source_version;  // "" unless the Source field gives one in parentheses
  std::optional<int64_t> installed_size_kib;
  std::string maintainer;
  std::string section;
  std::string priority;
  std::string summary;         // first line of Description
  std::string homepage;
  std::string multi_arch;
  std::string depends;
  bool essential = false;

  // The third word of status: installed, config-files, half-installed, ...
  std::string State() const;
};

// Paragraphs without a Package field are skipped and counted.
std::vector<DpkgPackage> ParseDpkgStatus(std::string_view text, int64_t* skipped = nullptr);

// Names dpkg uses for the file list of a package in <dpkg_dir>/info:
// "<name>:<arch>.list" for Multi-Arch: same packages, else "<name>.list".
// Both are returned, the likely one first.
std::vector<std::string> DpkgListFileNames(const DpkgPackage& p);

// A line of dpkg.log that records an action on a package:
//   "2024-01-15 10:23:45 upgrade libc6:amd64 2.36-9 2.36-9+deb12u4"
// Actions: install, upgrade, remove, purge, configure, trigproc. Other lines
// (status, startup, conffile) give nullopt.
struct DpkgLogAction {
  std::string time_text;       // "2024-01-15 10:23:45", the host's local time
  std::string action;
  std::string package;
  std::string architecture;    // "" when the log gives none
  std::string old_version;     // "" for "<none>"
  std::string new_version;     // "" for "<none>"
};
std::optional<DpkgLogAction> ParseDpkgLogAction(std::string_view line);

// "YYYY-MM-DD HH:MM:SS" in the host's local time zone to microseconds since
// the epoch (UTC); nullopt when malformed.
std::optional<int64_t> LocalTimeToMicros(std::string_view text);

}  // namespace ferry::plugins::host
