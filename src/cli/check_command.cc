#include <iostream>

#include "cli/commands.h"
#include "ferry/options.h"

namespace ferry::cli {

int CheckCommand(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return 0;
    if (arg.rfind("-", 0) == 0) {
      if (arg.find('=') != std::string::npos) continue;
      const CLI::Option* opt = app.get_option_no_throw(arg);
      if (opt && opt->get_expected_min() > 0) ++i;   // its value (flags take none)
      continue;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == arg) return 0;
      names.push_back(sub->get_name());
    }
    const std::string nearest = NearestName(arg, names);
    std::cerr << "Error: unknown command \"" << arg << "\" for \"ferry\"";
    if (!nearest.empty()) std::cerr << "\n\nDid you mean this?\n\t" << nearest << "\n";
    std::cerr << "\nRun 'ferry --help' for usage.\n";
    return 2;
  }
  return 0;
}

}  // namespace ferry::cli
