#include <iostream>

#include "cli/commands.h"
#include "config/loader.h"
#include "engine/sync.h"
#include "engine/table_selection.h"

namespace ferry::cli {

namespace {
std::vector<const config::SourceSpec*> PickSources(const config::Config& cfg, const std::string& name, Status* st) {
  std::vector<const config::SourceSpec*> out;
  for (const auto& s : cfg.sources)
    if (name.empty() || s.name == name) {
      if (name.empty() && !s.backend_options) continue;  // nothing to show for it
      out.push_back(&s);
    }
  if (!name.empty() && out.empty()) *st = Status::NotFound("no source named \"" + name + "\" in the spec files");
  else if (out.empty()) *st = Status::NotFound("no source in the spec files has backend_options (no cursors are kept)");
  return out;
}
}  // namespace

int RunState(const Registry& registry, const StateFlags& flags) {
  auto cfg = config::LoadConfig(flags.paths);
  if (!cfg.ok()) return ReportFatal("", cfg.status());
  Status pick;
  auto sources = PickSources(*cfg, flags.source, &pick);
  if (!pick.ok()) return ReportFatal("", pick);
  for (const auto* source : sources) {
    if (flags.action == "list") {
      auto entries = engine::ReadSourceState(registry, *cfg, *source);
      if (!entries.ok()) return ReportFatal("source \"" + source->name + "\"", entries.status());
      std::cout << "source " << source->name << " (state table " << source->backend_options->table_name << ")\n";
      if (entries->empty()) std::cout << "  (no cursors)\n";
      std::printf("  %-32s %-20s %-8s %s\n", "TABLE", "CLIENT", "VERSION", "CURSOR");
      for (const auto& e : *entries) {
        auto colon = e.key.find(':');
        std::string table = e.key.substr(0, colon);
        std::string client = colon == std::string::npos ? "" : e.key.substr(colon + 1);
        std::printf("  %-32s %-20s %-8llu %s\n", table.c_str(), client.c_str(),
                    static_cast<unsigned long long>(e.version), e.value.empty() ? "(reset)" : e.value.c_str());
      }
      std::fflush(stdout);
    } else {
      auto keys = engine::ResetSourceState(registry, *cfg, *source, flags.tables);
      if (!keys.ok()) return ReportFatal("source \"" + source->name + "\"", keys.status());
      std::cout << "source " << source->name << ": reset " << keys->size() << " cursor(s)";
      for (const auto& k : *keys) std::cout << " " << k;
      std::cout << "; the next sync of those tables is a full one." << std::endl;
    }
  }
  return 0;
}

}  // namespace ferry::cli
