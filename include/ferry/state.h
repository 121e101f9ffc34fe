// Incremental-sync state: cursors kept in a state backend.
//
// A cursor is a (key, value) string pair. Built-in sources key cursors as
// "<table>" or "<table>:<client id>" (sdk::TableSource does it). The backend
// is a destination named by the source's `backend_options.connection`; it
// stores cursors in `backend_options.table_name` with CloudQuery's layout
// (key utf8 primary key, value utf8, version uint64), so a CloudQuery state
// table and a Ferry state table are the same thing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry {

struct StateEntry {
  std::string key;
  std::string value;
  uint64_t version = 0;
};

// key -> value, as read from the backend at the start of a sync.
using StateSnapshot = std::map<std::string, std::string>;

// The state table's schema (no meta columns).
TableSchemaPtr StateTableSchema(const std::string& table_name);

// The one conversion between cursors and state-table rows, for every state
// backend (SQLite, PostgreSQL, the protocol's Read/Write). `table` needs the
// columns key and value; version is optional (CloudQuery's SDKs write it).
Result<BatchPtr> StateBatch(const TableSchemaPtr& table, const std::vector<StateEntry>& entries);
Result<std::vector<StateEntry>> StateEntriesOf(const Batch& batch);
// The same from rows read back as Values, in `table`'s column order.
Result<std::vector<StateEntry>> StateEntriesOf(const TableSchema& table, const std::vector<Row>& rows);

}  // namespace ferry
