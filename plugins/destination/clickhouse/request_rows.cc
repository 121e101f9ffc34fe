#include "plugins/destination/clickhouse/request_rows.h"

#include <unordered_map>

#include "ferry/builder.h"

namespace ferry::plugins::clickhouse {

namespace {

// Bytes of one primary-key cell, for finding repeated keys.
void AppendKey(const ArrayData& a, int64_t row, std::string* key) {
  if (a.IsNull(row)) {
    key->push_back('\0');
    return;
  }
  key->push_back('\1');
  switch (LayoutOf(a.type->id)) {
    case Layout::kFixedWidth:
    case Layout::kFixedBinary: {
      const int32_t w = FixedWidthOf(*a.type);
      key->append(reinterpret_cast<const char*>(a.buffers[1]->data() + (a.offset + row) * w), static_cast<size_t>(w));
      return;
    }
    case Layout::kBitmap:
      key->push_back(a.BoolValue(row) ? '1' : '0');
      return;
    case Layout::kVarBinary: {
      const std::string_view v = a.StringValue(row);
      const uint32_t n = static_cast<uint32_t>(v.size());
      key->append(reinterpret_cast<const char*>(&n), 4);
      key->append(v);
      return;
    }
    case Layout::kList:
    case Layout::kStruct: {
      // Rare (ClickHouse cannot order by them); compare by the value's text.
      const Value v = GetValue(a, row);
      std::vector<const Value*> stack{&v};
      while (!stack.empty()) {
        const Value* x = stack.back();
        stack.pop_back();
        key->push_back(static_cast<char>(x->kind()));
        key->append(x->kind() == Value::Kind::kString ? x->as_string() : std::to_string(x->as_uint()));
        key->push_back(static_cast<char>(x->items().size()));
        for (const auto& item : x->items()) stack.push_back(&item);
      }
      return;
    }
  }
}

}  // namespace

Status CheckBatches(const TableLayout& layout, const std::vector<BatchPtr>& batches) {
  const TableSchema& schema = *layout.schema;
  for (const auto& b : batches) {
    if (!b) continue;
    if (b->columns().size() != schema.columns.size())
      return Status::Invalid("table " + schema.name + ": a batch has " + std::to_string(b->columns().size()) +
                             " columns, the table " + std::to_string(schema.columns.size()));
    for (size_t i = 0; i < schema.columns.size(); ++i)
      if (!b->column(i)->type->Equals(*schema.columns[i].type))
        return Status::Invalid("table " + schema.name + ": column " + schema.columns[i].name + ": the batch holds " +
                               b->column(i)->type->ToString() + ", the table " + schema.columns[i].type->ToString());
  }
  return Status::OK();
}

std::vector<RowRange> RowsToWrite(const TableSchema& schema, const std::vector<BatchPtr>& batches, int64_t* dropped) {
  *dropped = 0;
  std::vector<RowRange> all;
  for (const auto& b : batches)
    if (b && b->num_rows() > 0) all.push_back({b.get(), 0, b->num_rows()});
  std::vector<int> pk;
  for (size_t i = 0; i < schema.columns.size(); ++i)
    if (schema.columns[i].primary_key) pk.push_back(static_cast<int>(i));
  if (pk.empty()) return all;

  std::vector<std::string> keys;
  std::unordered_map<std::string_view, int64_t> last;
  for (const auto& r : all) {
    for (int64_t row = r.begin; row < r.end; ++row) {
      std::string key;
      for (int c : pk) AppendKey(*r.batch->column(c), row, &key);
      keys.push_back(std::move(key));
    }
  }
  last.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) last[keys[i]] = static_cast<int64_t>(i);
  if (last.size() == keys.size()) return all;

  std::vector<RowRange> kept;
  int64_t idx = 0;
  for (const auto& r : all) {
    for (int64_t row = r.begin; row < r.end; ++row, ++idx) {
      if (last[keys[idx]] != idx) {
        ++*dropped;
        continue;
      }
      if (!kept.empty() && kept.back().batch == r.batch && kept.back().end == row)
        kept.back().end = row + 1;
      else
        kept.push_back({r.batch, row, row + 1});
    }
  }
  return kept;
}

}  // namespace ferry::plugins::clickhouse
