#include "engine/sync_summary_table.h"

#include "ferry/builder.h"
#include "ferry/message.h"

namespace ferry::engine {

namespace {
struct Field {
  const char* name;
  DataTypePtr type;
};
const std::vector<Field>& Fields() {
  static const std::vector<Field> f = {
      {"cli_version", types::Utf8()},        {"sync_id", types::Utf8()},
      {"sync_duration_ms", types::Int64()},  {"resources", types::Int64()},
      {"source_name", types::Utf8()},        {"source_path", types::Utf8()},
      {"source_version", types::Utf8()},     {"source_errors", types::Int64()},
      {"source_warnings", types::Int64()},   {"source_tables", types::Json()},
      {"destination_name", types::Utf8()},   {"destination_path", types::Utf8()},
      {"destination_version", types::Utf8()}, {"destination_errors", types::Int64()},
      {"destination_warnings", types::Int64()}, {"resources_per_table", types::Json()},
      {"errors_per_table", types::Json()},   {"durations_per_table_ms", types::Json()},
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
  nlohmann::json j = summary.ToJsonLines(cli_version).at(destination_index);
  Row row;
  row.push_back(Value::Int(ToMicros(summary.sync_time)));
  row.push_back(Value::String(summary.source_name));
  if (schema->FindColumn(meta::kSyncGroupId) >= 0) row.push_back(Value::String(summary.sync_group_id));
  for (const auto& f : Fields()) {
    const nlohmann::json& v = j[f.name];
    if (f.type->id == TypeId::kJson) row.push_back(Value::String(v.dump()));
    else if (f.type->id == TypeId::kInt64) row.push_back(Value::Int(v.get<int64_t>()));
    else row.push_back(Value::String(v.get<std::string>()));
  }
  BatchBuilder b(schema);
  Status st = b.AppendRow(row);
  (void)st;  // the row is built from the schema above; it always fits
  return b.Finish();
}

}  // namespace ferry::engine
