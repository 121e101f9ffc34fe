#include "engine/destination_schema.h"

#include <algorithm>

#include "ferry/builder.h"

namespace ferry::engine {

namespace {

// A source column that the meta columns replace: a source that already has
// _cq_sync_time or _cq_source_name (another CloudQuery destination's table read
// back, or CloudQuery's MemDB) gets this sync's values, so delete-stale and
// the destination's columns stay right. CloudQuery's CLI keeps the source's
// values there (outside its cloud) and then deletes those rows as stale.
bool ReplacedByMeta(const std::string& name, bool with_group) {
  return name == meta::kSyncTime || name == meta::kSourceName || (with_group && name == meta::kSyncGroupId);
}

}  // namespace

TableSchemaPtr DestinationSchema(const TableSchema& src, const DestinationSettings& s) {
  auto out = std::make_shared<TableSchema>(src);
  out->source_primary_key = src.PrimaryKeys();
  out->columns.clear();
  Column time{.name = meta::kSyncTime, .type = types::Timestamp(), .description = "Time of the sync that wrote this row"};
  Column name{.name = meta::kSourceName, .type = types::Utf8(), .description = "Name of the source that wrote this row"};
  out->columns.push_back(time);
  out->columns.push_back(name);
  if (!s.sync_group_id.empty()) {
    Column group{.name = meta::kSyncGroupId, .type = types::Utf8(), .description = "Sync group id"};
    group.primary_key = true;
    out->columns.push_back(group);
  }
  for (Column c : src.columns) {
    if (ReplacedByMeta(c.name, !s.sync_group_id.empty())) continue;
    if (s.write_mode == WriteMode::kAppend) {
      c.primary_key = false;
      c.unique = false;
    } else if (s.pk_mode == PkMode::kCqIdOnly) {
      c.primary_key = c.name == meta::kId;
    }
    out->columns.push_back(c);
  }
  if (s.write_mode == WriteMode::kAppend)
    for (auto& c : out->columns) c.primary_key = false;
  return out;
}

MetaColumns::MetaColumns(int64_t sync_time_us, std::string source_name, std::string sync_group_id)
    : sync_time_us_(sync_time_us), source_name_(std::move(source_name)), group_id_(std::move(sync_group_id)) {}

void MetaColumns::Grow(int64_t rows) {
  int64_t cap = std::max<int64_t>(rows, std::max<int64_t>(capacity_ * 2, 16384));
  ArrayBuilder t(types::Timestamp()), n(types::Utf8()), g(types::Utf8());
  for (int64_t i = 0; i < cap; ++i) {
    t.AppendInt(sync_time_us_);
    n.AppendBytes(source_name_);
    if (!group_id_.empty()) g.AppendBytes(group_id_);
  }
  time_ = t.Finish();
  name_ = n.Finish();
  if (!group_id_.empty()) group_ = g.Finish();
  capacity_ = cap;
}

BatchPtr MetaColumns::Apply(const BatchPtr& batch, const TableSchemaPtr& schema) {
  const int64_t n = batch->num_rows();
  std::vector<ArrayPtr> cols;
  cols.reserve(batch->columns().size() + 3);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (n > capacity_) Grow(n);
    cols.push_back(time_->Slice(0, n));
    cols.push_back(name_->Slice(0, n));
    if (!group_id_.empty()) cols.push_back(group_->Slice(0, n));
  }
  const auto& src = batch->schema()->columns;
  for (size_t i = 0; i < batch->columns().size(); ++i) {
    if (i < src.size() && ReplacedByMeta(src[i].name, !group_id_.empty())) continue;
    cols.push_back(batch->column(i));
  }
  return std::make_shared<Batch>(schema, std::move(cols), n);
}

}  // namespace ferry::engine
