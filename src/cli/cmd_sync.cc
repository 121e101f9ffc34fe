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
      dests += (dests.empty() ? "" : ", ") + d + (ds ? " (" + ds->path + ")" : "");
    }
    std::cout << "Starting sync for: " << source.name << " (" << source.path << ") -> [" << dests << "]" << std::endl;
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
    const double secs = summary->duration_ms / 1000.0;
    std::string head = summary->ok() ? "Sync completed successfully." : "Sync completed with errors.";
    std::cout << head << " Resources: " << summary->TotalRows() << ", Errors: " << summary->errors.size()
              << ", Warnings: " << summary->warnings.size() << ", Time: " << static_cast<int64_t>(secs) << "s"
              << std::endl;
    log::Info("Sync summary: source=" + source.name + " resources=" + std::to_string(summary->TotalRows()) +
              " errors=" + std::to_string(summary->errors.size()) +
              " warnings=" + std::to_string(summary->warnings.size()) +
              " duration_ms=" + std::to_string(summary->duration_ms) +
              " peak_memory_bytes=" + std::to_string(summary->peak_memory_bytes));
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
