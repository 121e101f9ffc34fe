#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "config/loader.h"
#include "engine/log.h"
#include "engine/sync.h"
#include "ferry/redact.h"
#include "rpc/plugin_process.h"

namespace ferry::cli {

namespace {
std::atomic<bool> g_cancel{false};
std::atomic<int> g_cancel_signal{0};
extern "C" void OnSigint(int sig) {
  int none = 0;
  g_cancel_signal.compare_exchange_strong(none, sig);
  if (g_cancel.exchange(true)) {  // second Ctrl-C: stop now, plugin processes included
    rpc::KillAllPluginProcesses();
    std::_Exit(130);
  }
}
}  // namespace

int ReportFatal(const std::string& what, const Status& st) {
  // Engine errors usually name their source or destination already.
  const bool named = !what.empty() && st.message().rfind(what, 0) == 0;
  std::cerr << "Error: " << Redact(what.empty() || named ? st.message() : what + ": " + st.message()) << "\n";
  return 2;
}

// A duration as Go prints it (CloudQuery's "Time: 1m54s"): whole seconds.
std::string GoDuration(int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string out;
  if (seconds >= 3600) out += std::to_string(seconds / 3600) + "h";
  if (seconds >= 60) out += std::to_string(seconds / 60 % 60) + "m";
  return out + std::to_string(seconds % 60) + "s";
}

// "path@version", as CloudQuery names a plugin in "Starting sync for:".
static std::string PathAtVersion(const std::string& path, const std::string& version) {
  return version.empty() ? path : path + "@" + version;
}

static std::string JoinFiles(const std::vector<std::string>& files) {
  std::string s;
  for (const auto& f : files) s += (s.empty() ? "" : ", ") + f;
  return s;
}

int RunSync(const Registry& registry, const SyncFlags& flags) {
  auto budget = ParseByteSize(flags.memory_budget);
  if (!budget.ok()) return ReportFatal("--memory-budget", budget.status());
  auto cfg = config::LoadConfig(flags.paths);
  if (!cfg.ok()) return ReportFatal("", cfg.status());
  std::cout << "Loading spec(s) from " << JoinFiles(cfg->files) << std::endl;
  for (const auto& w : cfg->warnings) log::Warn(w);
  Status valid = config::ValidateForSync(*cfg);
  if (!valid.ok()) return ReportFatal("", valid);

  std::signal(SIGINT, OnSigint);
  std::signal(SIGTERM, OnSigint);
  int exit_code = 0;
  for (const auto& source : cfg->sources) {
    std::string dests;
    for (const auto& d : source.destinations) {
      const auto* ds = cfg->FindDestination(d);
      dests += (dests.empty() ? "" : ", ") + d + (ds ? " (" + PathAtVersion(ds->path, ds->version) + ")" : "");
    }
    std::cout << "Starting sync for: " << source.name << " (" << PathAtVersion(source.path, source.version) << ") -> ["
              << dests << "]" << std::endl;
    engine::SyncProgress progress;
    engine::SyncOptions opts;
    opts.no_migrate = flags.no_migrate;
    opts.invocation_id = flags.invocation_id;
    opts.memory_budget_bytes = *budget;
    opts.cancel = &g_cancel;
    opts.cancel_signal = &g_cancel_signal;
    opts.progress = &progress;
    ProgressLine line(progress, !flags.no_progress && StderrIsTerminal());
    auto summary = engine::SyncSource(registry, *cfg, source, opts);
    line.Stop();
    if (!summary.ok()) {
      ReportFatal("source \"" + source.name + "\"", summary.status());
      exit_code = 2;
      continue;
    }
    std::cout << summary->ToText();
    // CloudQuery's line, word for word (scripts parse it).
    std::string head =
        summary->ok() ? "Sync completed successfully." : "Sync completed with errors, see logs for details.";
    std::cout << head << " Resources: " << summary->TotalRows() << ", Errors: " << summary->errors.size()
              << ", Warnings: " << summary->warnings.size() << ", Time: " << GoDuration(summary->duration_ms / 1000)
              << std::endl;
    // CloudQuery's log lines: one "Sync summary" per destination with its
    // summary object, then the totals (fields with --log-format json). The
    // object is long: on a text console it is a debug line.
    for (const auto& line : summary->ToJsonLines(kVersion, flags.summary_ferry_fields))
      log::WriteFields(log::ConsoleIsJson() ? log::Level::kInfo : log::Level::kDebug, "Sync summary",
                       nlohmann::ordered_json{{"summary", line}});
    log::WriteFields(log::Level::kInfo, "Sync summary",
                     nlohmann::ordered_json{{"resources", summary->TotalRows()},
                                            {"errors", summary->errors.size()},
                                            {"warnings", summary->warnings.size()},
                                            {"duration", GoDuration(summary->duration_ms / 1000)},
                                            {"result", head.substr(0, head.size() - 1)},
                                            {"peak_memory_bytes", summary->peak_memory_bytes}});
    if (!flags.tables_metrics_location.empty()) {
      // CloudQuery's --tables-metrics-location writes a per-table table; Ferry
      // has no client-level timing in the summary, so its columns are the
      // table's totals.
      std::ofstream out(flags.tables_metrics_location, std::ios::trunc);
      if (!out) {
        std::cerr << "Error: cannot write --tables-metrics-location file " << flags.tables_metrics_location << "\n";
        exit_code = std::max(exit_code, 1);
      }
      out << "TABLE\tRESOURCES\tERRORS\tWARNINGS\tDURATION\n";
      for (const auto& [name, t] : summary->tables)
        out << name << "\t" << t.rows << "\t" << t.errors << "\t" << t.warnings << "\t" << t.duration_ms << "ms\n";
    }
    if (!flags.summary_location.empty()) {
      std::ofstream out(flags.summary_location, std::ios::app);
      if (!out) {
        std::cerr << "Error: cannot open --summary-location file " << flags.summary_location << "\n";
        exit_code = std::max(exit_code, 1);
      }
      for (const auto& j : summary->ToJsonLines(kVersion, flags.summary_ferry_fields)) out << Redact(j.dump()) << "\n";
    }
    if (!summary->ok()) exit_code = std::max(exit_code, 1);
    if (g_cancel.load()) break;
  }
  return exit_code;
}

int RunMigrate(const Registry& registry, const std::vector<std::string>& paths) {
  auto cfg = config::LoadConfig(paths);
  if (!cfg.ok()) return ReportFatal("", cfg.status());
  std::cout << "Loading spec(s) from " << JoinFiles(cfg->files) << std::endl;
  for (const auto& source : cfg->sources) {
    engine::SyncOptions opts;
    Status st = engine::MigrateSource(registry, *cfg, source, opts);
    if (!st.ok()) return ReportFatal("source \"" + source.name + "\"", st);
  }
  std::cout << "Migration completed successfully." << std::endl;
  return 0;
}

}  // namespace ferry::cli
