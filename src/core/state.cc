// Cursors <-> state-table rows (ferry/state.h).
#include "ferry/state.h"

#include <algorithm>

#include "ferry/builder.h"

namespace ferry {

namespace {

struct StateColumns {
  int key = -1, value = -1, version = -1;
};

Result<StateColumns> ColumnsOf(const TableSchema& t) {
  StateColumns c{t.FindColumn("key"), t.FindColumn("value"), t.FindColumn("version")};
  if (c.key < 0 || c.value < 0)
    return Status::Invalid("state table " + t.name + " lacks the columns key and value (CloudQuery's layout: "
                           "key, value, version)");
  return c;
}

// One row's entry; rows without a string key (cannot happen: key is the
// primary key) are skipped.
bool EntryOf(const StateColumns& c, const Value& key, const Value& value, const Value* version, StateEntry* e) {
  if (key.kind() != Value::Kind::kString) return false;
  e->key = key.as_string();
  e->value = value.kind() == Value::Kind::kString ? value.as_string() : "";
  e->version = 0;
  if (version && version->kind() == Value::Kind::kUInt) e->version = version->as_uint();
  if (version && version->kind() == Value::Kind::kInt && version->as_int() > 0)
    e->version = static_cast<uint64_t>(version->as_int());
  return true;
}

}  // namespace

Result<BatchPtr> StateBatch(const TableSchemaPtr& table, const std::vector<StateEntry>& entries) {
  FERRY_ASSIGN_OR_RETURN(StateColumns c, ColumnsOf(*table));
  BatchBuilder b(table);
  for (const auto& e : entries) {
    Row row(table->columns.size());
    row[c.key] = Value::String(e.key);
    row[c.value] = Value::String(e.value);
    if (c.version >= 0) row[c.version] = Value::UInt(e.version);
    FERRY_RETURN_NOT_OK(b.AppendRow(row).WithContext("state table " + table->name));
  }
  return b.Finish();
}

Result<std::vector<StateEntry>> StateEntriesOf(const Batch& batch) {
  FERRY_ASSIGN_OR_RETURN(StateColumns c, ColumnsOf(*batch.schema()));
  std::vector<StateEntry> out;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    const Value key = GetValue(*batch.column(c.key), r), value = GetValue(*batch.column(c.value), r);
    const Value version = c.version >= 0 ? GetValue(*batch.column(c.version), r) : Value();
    StateEntry e;
    if (EntryOf(c, key, value, c.version >= 0 ? &version : nullptr, &e)) out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<StateEntry>> StateEntriesOf(const TableSchema& table, const std::vector<Row>& rows) {
  FERRY_ASSIGN_OR_RETURN(StateColumns c, ColumnsOf(table));
  std::vector<StateEntry> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    if (static_cast<int>(r.size()) <= std::max({c.key, c.value, c.version}))
      return Status::Internal("state table " + table.name + ": a row has fewer values than the table has columns");
    StateEntry e;
    if (EntryOf(c, r[c.key], r[c.value], c.version >= 0 ? &r[c.version] : nullptr, &e)) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace ferry
