#include "ferry/snapshot_views.h"

#include <algorithm>
#include <memory>

namespace ferry::snapshot {

TableSchemaPtr Schema() {
  static const TableSchemaPtr schema = [] {
    auto s = std::make_shared<TableSchema>();
    s->name = kTable;
    s->description = "Ferry: one row per (table, source, sync group, sync) that synced completely in append mode "
                     "(snapshot_views); the _latest and _changes views read it";
    auto key = [](const char* name, DataTypePtr type, const char* what) {
      return Column{.name = name, .type = std::move(type), .description = what, .primary_key = true, .not_null = true};
    };
    s->columns = {
        key(kTableName, types::Utf8(), "Table that synced completely"),
        key(kSourceName, types::Utf8(), "Source that wrote it (_cq_source_name of its rows)"),
        key(kSyncGroupId, types::Utf8(), "Sync group id of that sync (_cq_sync_group_id), '' when none"),
        key(kSyncTime, types::Timestamp(), "Sync time (_cq_sync_time of its rows)"),
        Column{.name = kInvocationId, .type = types::Utf8(), .description = "Invocation id of the sync"},
        Column{.name = kRows, .type = types::Int64(), .description = "Rows this destination wrote for the table"},
    };
    return TableSchemaPtr(std::move(s));
  }();
  return schema;
}

bool HasViews(const TableSchema& table) { return table.name != kTable; }

bool HasChangesView(const TableSchema& table) {
  return HasViews(table) && !table.is_incremental && !table.source_primary_key.empty();
}

bool IsComparedColumn(const TableSchema& table, const std::string& column) {
  for (const char* m : {meta::kSyncTime, meta::kSourceName, meta::kSyncGroupId, meta::kId, meta::kParentId})
    if (column == m) return false;
  const auto& pk = table.source_primary_key;
  return std::find(pk.begin(), pk.end(), column) == pk.end();
}

}  // namespace ferry::snapshot
