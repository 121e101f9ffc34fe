// The spec the compat tests run: CloudQuery's `test` source into one
// destination, as a CloudQuery user would write it (versions of CloudQuery's
// own plugins, so the printed path@version is the one CloudQuery prints).
#pragma once

#include <string>

namespace ferry::testing {

struct CompatSpec {
  std::string source = "test";
  std::string tables = "[test_some_table]";
  std::string source_extra;             // more lines of the source's spec mapping, "  key: value\n"
  std::string destination = "sqlite";   // its name; path cloudquery/<destination>
  std::string connection = "./cq.sqlite";
  std::string destination_extra;        // more lines of the destination's spec mapping
  std::string plugin_spec_extra;        // more lines of the destination plugin's own spec, "    key: value\n"
};

inline std::string Render(const CompatSpec& s) {
  const std::string version = s.destination == "postgresql" ? "v8.0.0" : "v2.10.5";
  return "kind: source\nspec:\n  name: " + s.source + "\n  path: cloudquery/test\n  version: v4.5.1\n  tables: " +
         s.tables + "\n  destinations: [" + s.destination + "]\n" + s.source_extra +
         "---\nkind: destination\nspec:\n  name: " + s.destination + "\n  path: cloudquery/" + s.destination +
         "\n  version: " + version + "\n" + s.destination_extra + "  spec:\n    connection_string: \"" +
         s.connection + "\"\n" + s.plugin_spec_extra;
}

}  // namespace ferry::testing
