#include <algorithm>
#include <iostream>

#include "cli/commands.h"

namespace ferry::cli {

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

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
    std::string nearest;
    size_t best = 3;   // at most 2 edits away
    for (const auto& n : names) {
      size_t d = EditDistance(arg, n);
      if (arg.size() >= 2 && n.rfind(arg, 0) == 0) d = std::min(d, size_t{1});   // a prefix: "valid" -> validate-config
      if (d < best) {
        best = d;
        nearest = n;
      }
    }
    std::cerr << "Error: unknown command \"" << arg << "\" for \"ferry\"";
    if (!nearest.empty()) std::cerr << "\n\nDid you mean this?\n\t" << nearest << "\n";
    std::cerr << "\nRun 'ferry --help' for usage.\n";
    return 2;
  }
  return 0;
}

}  // namespace ferry::cli
