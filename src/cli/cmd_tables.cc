#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "ferry/redact.h"
#include "config/loader.h"
#include "engine/sync.h"
#include "engine/table_docs.h"

namespace ferry::cli {

namespace fs = std::filesystem;

namespace {

Status WriteFile(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Status::IOError("cannot create directory " + path.parent_path().string() + ": " + ec.message());
  std::ofstream out(path, std::ios::trunc);
  out << content;
  if (!out) return Status::IOError("cannot write " + path.string());
  return Status::OK();
}

Status WriteDocs(const std::string& dir, const std::string& plugin, const std::vector<TableSchemaPtr>& tables,
                 const std::string& format, int* files, const std::vector<std::string>& views = {}) {
  fs::path base = fs::path(dir) / plugin;
  if (format == "json") {
    FERRY_RETURN_NOT_OK(WriteFile(base / "__tables.json", engine::TablesJson(tables, views)));
    ++*files;
    return Status::OK();
  }
  for (const auto& [name, content] : engine::TablesMarkdown(plugin, tables, views)) {
    FERRY_RETURN_NOT_OK(WriteFile(base / name, content));
    ++*files;
  }
  return Status::OK();
}

}  // namespace

int RunTables(const Registry& registry, const TablesFlags& flags) {
  int files = 0;
  if (flags.paths.empty()) {
    // Every built-in source with default options.
    for (const auto& name : registry.SourceNames()) {
      config::SourceSpec spec;
      spec.name = name;
      spec.path = "cloudquery/" + name;
      spec.tables = {"*"};
      auto tables = engine::SourceTables(registry, spec, true);
      if (!tables.ok()) return ReportFatal("source \"" + name + "\"", tables.status());
      Status st = WriteDocs(flags.output_dir, name, *tables, flags.format, &files);
      if (!st.ok()) return ReportFatal("", st);
    }
  } else {
    auto cfg = config::LoadConfig(flags.paths);
    if (!cfg.ok()) return ReportFatal("", cfg.status());
    for (const auto& source : cfg->sources) {
      auto tables = engine::SourceTables(registry, source, flags.filter == "all");
      if (!tables.ok()) return ReportFatal("source \"" + source.name + "\"", tables.status());
      std::vector<std::string> views;   // destinations of this source with snapshot views
      for (const auto& d : source.destinations)
        if (const config::DestinationSpec* spec = cfg->FindDestination(d); spec && spec->snapshot_views)
          views.push_back(d);
      Status st = WriteDocs(flags.output_dir, source.name, *tables, flags.format, &files, views);
      if (!st.ok()) return ReportFatal("", st);
    }
  }
  std::cout << "Wrote " << files << " file(s) to " << flags.output_dir << std::endl;
  return 0;
}

int RunValidateConfig(const Registry& registry, const std::vector<std::string>& paths) {
  auto cfg = config::LoadConfig(paths);
  if (!cfg.ok()) return ReportFatal("", cfg.status());
  for (const auto& w : cfg->warnings) std::cerr << "Warning: " << w << "\n";
  int failed = 0;
  for (const auto& source : cfg->sources) {
    Status st = engine::ValidateSource(registry, *cfg, source);
    if (!st.ok()) {
      ReportFatal("", st);
      ++failed;
    }
  }
  if (failed) return 2;
  std::cout << "Config is valid: " << cfg->sources.size() << " source(s), " << cfg->destinations.size()
            << " destination(s)." << std::endl;
  return 0;
}

int RunTestConnection(const Registry& registry, const std::vector<std::string>& paths) {
  auto cfg = config::LoadConfig(paths);
  if (!cfg.ok()) return ReportFatal("", cfg.status());
  for (const auto& w : cfg->warnings) std::cerr << "Warning: " << w << "\n";
  int failed = 0;
  std::cout << "Test Connection Results" << std::endl;
  for (const auto& r : engine::TestConnections(registry, *cfg)) {
    std::cout << "  " << r.kind << " \"" << r.name << "\" (" << r.path << "): ";
    if (r.success) {
      std::cout << "Success\n";
    } else {
      ++failed;
      std::cout << Redact("Failure: " + r.code + " " + r.description) << "\n";
    }
  }
  std::cout.flush();
  return failed ? 1 : 0;
}

}  // namespace ferry::cli
