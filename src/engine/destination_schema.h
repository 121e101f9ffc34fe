// What a destination receives: the source's tables with the engine's meta
// columns in front (_cq_sync_time, _cq_source_name, [_cq_sync_group_id]) and
// the write mode applied to the key flags (docs/semantics.md, "Write modes"):
//   append      -> primary_key and unique stripped (plain inserts);
//   cq-id-only  -> _cq_id is the only primary key.
// A source column named like a meta column the engine adds is replaced by it
// (this sync's values), not duplicated.
// MetaColumns builds the constant meta arrays once per sync and hands out
// zero-copy slices of them, so adding them costs no per-row work.
#pragma once

#include <mutex>
#include <string>

#include "ferry/batch.h"
#include "ferry/destination.h"
#include "ferry/schema.h"

namespace ferry::engine {

struct DestinationSettings {
  WriteMode write_mode = WriteMode::kOverwriteDeleteStale;
  MigrateMode migrate_mode = MigrateMode::kSafe;
  PkMode pk_mode = PkMode::kDefault;
  std::string sync_group_id;   // expanded; "" when unset
  bool snapshot_views = false;  // ferry/snapshot_views.h (append mode only)
};

TableSchemaPtr DestinationSchema(const TableSchema& source_table, const DestinationSettings& s);

class MetaColumns {
 public:
  MetaColumns(int64_t sync_time_us, std::string source_name, std::string sync_group_id);

  // Prepends the meta columns to `batch` under `schema` (a DestinationSchema
  // of batch's table). Thread-safe.
  BatchPtr Apply(const BatchPtr& batch, const TableSchemaPtr& schema);

 private:
  void Grow(int64_t rows);  // REQUIRES: mu_ held

  const int64_t sync_time_us_;
  const std::string source_name_;
  const std::string group_id_;
  std::mutex mu_;
  int64_t capacity_ = 0;     // guarded by mu_
  ArrayPtr time_;            // guarded by mu_
  ArrayPtr name_;            // guarded by mu_
  ArrayPtr group_;           // guarded by mu_
};

}  // namespace ferry::engine
