#include "engine/sync_summary_table.h"

#include <algorithm>

#include "ferry/builder.h"
#include "ferry/message.h"

namespace ferry::engine {

namespace {
struct Field {
  const char* name;
  DataTypePtr type;
};
// CloudQuery's columns with CloudQuery's types, in its order (its CLI makes
// the table from its syncSummary struct: uint64 counts, source_tables a list
// of strings, per-table maps as json; sync_time and sync_group_id are the
// _cq_ columns), so a table CloudQuery made takes Ferry's rows unchanged.
// `errors` is Ferry's, last and nullable (added to CloudQuery's tables as a
// safe migration).
const std::vector<Field>& Fields() {
  static const std::vector<Field> f = {
      {"cli_version", types::Utf8()},           {"destination_errors", types::UInt64()},
      {"destination_name", types::Utf8()},      {"destination_path", types::Utf8()},
      {"destination_version", types::Utf8()},   {"destination_warnings", types::UInt64()},
      {"resources", types::UInt64()},           {"source_errors", types::UInt64()},
      {"source_name", types::Utf8()},           {"source_path", types::Utf8()},
      {"source_version", types::Utf8()},        {"source_warnings", types::UInt64()},
      {"source_tables", types::List(types::Utf8())}, {"sync_id", types::Utf8()},
      {"sync_duration_ms", types::UInt64()},    {"shard_num", types::Int64()},
      {"shard_total", types::Int64()},          {"resources_per_table", types::Json()},
      {"errors_per_table", types::Json()},      {"durations_per_table_ms", types::Json()},
      {"errors", types::Json()},
  };
  return f;
}
}  // namespace

TableSchemaPtr SyncSummarySchema(bool with_group_id) {
  auto s = std::make_shared<TableSchema>();
  s->name = kSyncSummaryTable;
  s->description = "One row per sync and destination (send_sync_summary)";
  s->columns.push_back({.name = meta::kSyncTime, .type = types::Timestamp()});
  s->columns.push_back({.name = meta::kSourceName, .type = types::Utf8()});
  if (with_group_id) s->columns.push_back({.name = meta::kSyncGroupId, .type = types::Utf8()});
  for (const auto& f : Fields()) s->columns.push_back({.name = f.name, .type = f.type});
  return s;
}

BatchPtr SyncSummaryBatch(const SyncSummary& summary, size_t destination_index, const TableSchemaPtr& schema,
                          const std::string& cli_version) {
  const nlohmann::ordered_json j = summary.ToJsonLines(cli_version, /*ferry_fields=*/true).at(destination_index);
  Row row;
  row.push_back(Value::Int(ToMicros(summary.sync_time)));
  row.push_back(Value::String(summary.source_name));
  if (schema->FindColumn(meta::kSyncGroupId) >= 0) row.push_back(Value::String(summary.sync_group_id));
  for (const auto& f : Fields()) {
    auto it = j.find(f.name);
    if (it == j.end() || it->is_null()) {   // shard_num, shard_total: not sharded
      row.push_back(Value::Null());
      continue;
    }
    const nlohmann::ordered_json& v = *it;
    switch (f.type->id) {
      case TypeId::kJson: row.push_back(Value::String(v.dump())); break;
      case TypeId::kInt64: row.push_back(Value::Int(v.get<int64_t>())); break;
      case TypeId::kUInt64: row.push_back(Value::UInt(static_cast<uint64_t>(std::max<int64_t>(0, v.get<int64_t>())))); break;
      case TypeId::kList: {
        std::vector<Value> items;
        for (const auto& e : v) items.push_back(Value::String(e.get<std::string>()));
        row.push_back(Value::List(std::move(items)));
        break;
      }
      default: row.push_back(Value::String(v.get<std::string>()));
    }
  }
  BatchBuilder b(schema);
  Status st = b.AppendRow(row);
  (void)st;  // the row is built from the schema above; it always fits
  return b.Finish();
}

}  // namespace ferry::engine
