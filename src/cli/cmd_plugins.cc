#include <iostream>

#include "cli/commands.h"

namespace ferry::cli {

namespace {

std::string ModesText(const DestinationCapabilities& c) {
  std::string modes;
  for (WriteMode m : c.write_modes) modes += (modes.empty() ? "" : ", ") + std::string(WriteModeName(m));
  return modes;
}

// Table cells cannot hold '|' or line breaks.
std::string Cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

}  // namespace

int RunPlugins(const Registry& registry, const std::string& format) {
  if (format == "table") {
    // The README's table of built-in integrations (scripts/gen-docs.sh).
    std::cout << "| | name | what it is | write modes | state backend | docs |\n|---|---|---|---|---|---|\n";
    for (const auto& name : registry.SourceNames()) {
      const SourcePlugin* p = registry.FindSource(name);
      std::cout << "| source | `" << p->name << "` | " << Cell(p->description) << " | | | [README](plugins/source/"
                << p->name << "/README.md) |\n";
    }
    for (const auto& name : registry.DestinationNames()) {
      const DestinationPlugin* p = registry.FindDestination(name);
      std::cout << "| destination | `" << p->name << "` | " << Cell(p->description) << " | "
                << ModesText(p->capabilities) << " | "
                << (!p->capabilities.state_backend ? "no"
                    : p->capabilities.state_backend_note.empty()
                        ? "yes (same transaction as the rows)"
                        : "yes (" + p->capabilities.state_backend_note + ")")
                << " | [README](plugins/destination/" << p->name << "/README.md) |\n";
    }
    return 0;
  }
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& name : registry.SourceNames()) {
      const SourcePlugin* p = registry.FindSource(name);
      out.push_back({{"kind", "source"}, {"name", p->name}, {"description", p->description},
                     {"spec_schema", OptionsJsonSchema(p->options)}});
    }
    for (const auto& name : registry.DestinationNames()) {
      const DestinationPlugin* p = registry.FindDestination(name);
      nlohmann::json modes = nlohmann::json::array();
      for (WriteMode m : p->capabilities.write_modes) modes.push_back(WriteModeName(m));
      out.push_back({{"kind", "destination"}, {"name", p->name}, {"description", p->description},
                     {"write_modes", modes}, {"forced_migration", p->capabilities.forced_migration},
                     {"state_backend", p->capabilities.state_backend},
                     {"spec_schema", OptionsJsonSchema(p->options)}});
    }
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  for (const auto& name : registry.SourceNames()) {
    const SourcePlugin* p = registry.FindSource(name);
    std::cout << "## source `" << p->name << "` (path: cloudquery/" << p->name << ")\n\n"
              << p->description << "\n\n" << OptionsMarkdown(p->options) << "\n";
  }
  for (const auto& name : registry.DestinationNames()) {
    const DestinationPlugin* p = registry.FindDestination(name);
    const std::string modes = ModesText(p->capabilities);
    std::cout << "## destination `" << p->name << "` (path: cloudquery/" << p->name << ")\n\n"
              << p->description << "\n\nWrite modes: " << modes
              << (p->capabilities.state_backend ? ". Can be a state backend." : ".") << "\n\n"
              << OptionsMarkdown(p->options) << "\n";
  }
  return 0;
}

}  // namespace ferry::cli
