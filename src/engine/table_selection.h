// Table selection with CloudQuery's rules (docs/architecture.md, "Setting up"):
// `tables` and `skip_tables` are globs (`*`, `?`); a pattern that matches no
// table is an error; listing a child includes its parents; skipping a parent
// skips its children; with skip_dependent_tables, children are synced only
// when listed (matched) themselves.
#pragma once

#include <string>
#include <vector>

#include "ferry/schema.h"
#include "ferry/status.h"

namespace ferry::engine {

bool GlobMatch(const std::string& pattern, const std::string& name);

// `all` is flattened, parents first. Returns the selection in the same order.
Result<std::vector<TableSchemaPtr>> SelectTables(const std::vector<TableSchemaPtr>& all,
                                                 const std::vector<std::string>& tables,
                                                 const std::vector<std::string>& skip_tables,
                                                 bool skip_dependent_tables,
                                                 const std::string& source_name);

}  // namespace ferry::engine
