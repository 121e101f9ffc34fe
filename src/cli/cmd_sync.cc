#include <algorithm>
#include <csignal>
#include <cstdlib>
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

// Milliseconds as Go's time.Duration prints them: "0s", "350ms", "1.234s", "2m3.5s".
std::string GoDurationMs(int64_t ms) {
  if (ms <= 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  if (ms >= 3600000) out += std::to_string(ms / 3600000) + "h";
  if (ms >= 60000) out += std::to_string(ms / 60000 % 60) + "m";
  std::string frac = std::to_string(ms % 1000 + 1000).substr(1);   // three digits
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return out + std::to_string(ms / 1000 % 60) + (frac.empty() ? "" : "." + frac) + "s";
}

std::string BoxTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                     const std::vector<bool>& right) {
  std::vector<size_t> w(header.size());
  for (size_t c = 0; c < header.size(); ++c) w[c] = header[c].size();
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  std::string rule = "+";
  for (size_t c : w) rule += std::string(c + 2, '-') + "+";
  rule += "\n";
  auto line = [&](const std::vector<std::string>& cells, bool header_row) {
    std::string s = "|";
    for (size_t c = 0; c < w.size(); ++c) {
      const std::string& v = c < cells.size() ? cells[c] : std::string();
      const std::string pad(w[c] - v.size(), ' ');
      s += " " + (!header_row && right[c] ? pad + v : v + pad) + " |";
    }
    return s + "\n";
  };
  std::string out = rule + line(header, true) + rule;
  for (const auto& r : rows) out += line(r, false);
  return out + rule;
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
  Result<int64_t> budget = flags.memory_budget == "auto" ? Result<int64_t>(0) : ParseByteSize(flags.memory_budget);
  if (budget.ok() && flags.memory_budget != "auto" && *budget <= 0)
    budget = Status::Invalid("\"" + flags.memory_budget + "\" is no budget: give a size above 0 (64MiB) or auto");
  if (!budget.ok()) return ReportFatal("--memory-budget", budget.status());
  Result<Shard> shard = flags.shard.empty() ? ShardFromEnvironment() : ParseShard(flags.shard, "--shard");
  if (!shard.ok()) return ReportFatal("", shard.status());
  std::string shard_run = flags.shard_run;
  if (shard_run.empty())
    if (const char* v = std::getenv("FERRY_SHARD_RUN")) shard_run = v;
  if (!shard_run.empty() && !shard->sharded())
    return ReportFatal("", Status::Invalid("--shard-run " + shard_run + " without --shard N/T (or FERRY_SHARD)"));
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
    opts.shard = *shard;
    opts.shard_run = shard_run;
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
      // CloudQuery's --tables-metrics-location table (its CLI renders TABLE,
      // DURATION, RESOURCES, ERRORS, PANICS with go-pretty's default box
      // style), written once the source is done; Ferry has no panics.
      std::ofstream out(flags.tables_metrics_location, std::ios::trunc);
      if (!out) {
        std::cerr << "Error: cannot write --tables-metrics-location file " << flags.tables_metrics_location << "\n";
        exit_code = std::max(exit_code, 1);
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& [name, t] : summary->tables)
        rows.push_back({name, GoDurationMs(t.duration_ms), std::to_string(t.rows), std::to_string(t.errors), "0"});
      out << BoxTable({"TABLE", "DURATION", "RESOURCES", "ERRORS", "PANICS"}, rows, {false, false, true, true, true});
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
