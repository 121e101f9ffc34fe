// Reads a table back through tabledata.list, as Values of the Ferry schema
// the rows were written with (the inverse of row_json.h and type_map.h): for
// tests and for checking what a sync wrote. A REPEATED column reads back as
// a list without NULLs (what BigQuery keeps).
#pragma once

#include <vector>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"
#include "plugins/destination/bigquery/bigquery_api.h"

namespace ferry::plugins::bigquery {

Result<std::vector<Row>> ReadTableRows(BigQueryApi& api, const TableSchema& table);

}  // namespace ferry::plugins::bigquery
