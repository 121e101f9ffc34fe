// The CLI's commands. Each returns the process exit code:
// 0 success, 1 the sync ran but something failed, 2 bad usage or bad spec.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <vector>

#include "engine/summary.h"
#include "ferry/registry.h"

namespace ferry::cli {

inline constexpr const char* kVersion = engine::kFerryVersion;

struct SyncFlags {
  std::vector<std::string> paths;
  bool no_migrate = false;
  std::string summary_location;
  bool summary_ferry_fields = false;   // Ferry's fields after CloudQuery's in the summary lines
  std::string memory_budget = "auto";
  std::string invocation_id;
  bool no_progress = false;
  std::string tables_metrics_location;   // per-table text table, "" for none
  std::string shard;       // --shard N/T ("": FERRY_SHARD / JOB_COMPLETION_INDEX, else not sharded)
  std::string shard_run;   // --shard-run ("": FERRY_SHARD_RUN)
};
int RunSync(const Registry& registry, const SyncFlags& flags);

int RunMigrate(const Registry& registry, const std::vector<std::string>& paths);

struct TablesFlags {
  std::vector<std::string> paths;   // empty: every built-in source
  std::string format = "json";      // json | markdown
  std::string output_dir = "cq-docs";
  std::string filter = "all";       // all | spec
};
int RunTables(const Registry& registry, const TablesFlags& flags);

struct StateFlags {
  std::string action;               // list | reset
  std::vector<std::string> paths;
  std::string source;               // "" = every source with backend_options
  std::vector<std::string> tables;  // reset: table globs ("" = all)
};
int RunState(const Registry& registry, const StateFlags& flags);

// Every built-in integration with its options (Markdown or JSON schema).
int RunPlugins(const Registry& registry, const std::string& format);

int RunValidateConfig(const Registry& registry, const std::vector<std::string>& paths);

// Tests every source's and destination's connection; exit 1 when one fails.
int RunTestConnection(const Registry& registry, const std::vector<std::string>& paths);

// Whole seconds as Go prints a duration ("0s", "54s", "1m54s", "2h0m5s"),
// CloudQuery's "Time:" in the sync summary line.
std::string GoDuration(int64_t seconds);
// Milliseconds as Go prints a time.Duration ("350ms", "1.234s", "2m3.5s").
std::string GoDurationMs(int64_t ms);
// A text table in go-pretty's default box style (what CloudQuery's CLI
// renders): a rule, the header, a rule, the rows, a rule. `right`: columns
// aligned right (numbers).
std::string BoxTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                     const std::vector<bool>& right);

// Before parsing: an unknown command gets CloudQuery's message, `unknown
// command "X" for "ferry"` and the nearest command, exit 2 (CLI11 would say
// that a subcommand is required). 0 when the command line names a command.
int CheckCommand(const CLI::App& app, int argc, char** argv);

// Prints a failed Status for the user (redacted) and returns 2.
int ReportFatal(const std::string& what, const Status& st);

}  // namespace ferry::cli
