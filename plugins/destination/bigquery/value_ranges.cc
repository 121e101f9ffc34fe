#include "plugins/destination/bigquery/value_ranges.h"

#include <algorithm>
#include <functional>

#include "ferry/text_codec.h"

namespace ferry::plugins::bigquery {
namespace {

// Checks every valid value of `a` (positions [0, length)); `row_of` maps a
// position to the batch row it belongs to. Returns false and fills `bad`
// at the first value out of range.
bool Check(const ArrayData& a, const std::string& path, const std::function<int64_t(int64_t)>& row_of,
           std::string* bad, int64_t* bad_row) {
  const DataType& t = *a.type;
  if (t.id == TypeId::kTimestamp || t.id == TypeId::kDate32) {
    for (int64_t i = 0; i < a.length; ++i) {
      if (a.IsNull(i)) continue;
      const int64_t v = t.id == TypeId::kTimestamp ? a.Value<int64_t>(i) : int64_t{a.Value<int32_t>(i)};
      const bool ok = t.id == TypeId::kTimestamp ? (v >= kMinTimestampUs && v <= kMaxTimestampUs)
                                                 : (v >= kMinDate && v <= kMaxDate);
      if (ok) continue;
      *bad_row = row_of(i);
      *bad = "column " + path + ": " +
             (t.id == TypeId::kTimestamp ? "timestamp " + TimestampText(v, TimestampStyle::kIsoUtc)
                                         : "date " + DateText(v)) +
             " is outside BigQuery's range (years 0001 to 9999)";
      return false;
    }
    return true;
  }
  if (t.id == TypeId::kTime32 || t.id == TypeId::kTime64) {
    const int64_t day = 86400 * TimeUnitsPerSecond(t.unit);
    for (int64_t i = 0; i < a.length; ++i) {
      if (a.IsNull(i)) continue;
      const int64_t v = t.id == TypeId::kTime32 ? a.Value<int32_t>(i) : a.Value<int64_t>(i);
      if (v >= 0 && v < day) continue;
      *bad_row = row_of(i);
      std::string text;
      AppendArrowScalarText(t, a.FixedValue(i), &text);
      *bad = "column " + path + ": time " + text + " is outside BigQuery's TIME (00:00:00 to 23:59:59.999999)";
      return false;
    }
    return true;
  }
  if (t.id == TypeId::kList) {
    const ArrayData& items = *a.children[0];
    const int32_t* offs = a.buffers[1]->as<int32_t>() + a.offset;
    // Child position k belongs to the list cell whose range holds it.
    auto parent = [&, offs](int64_t k) {
      const int32_t* at = std::upper_bound(offs, offs + a.length + 1, static_cast<int32_t>(k));
      return row_of(static_cast<int64_t>(at - offs) - 1);
    };
    const int64_t begin = offs[0], end = offs[a.length];
    ArrayPtr window = items.Slice(begin, end - begin);
    return Check(*window, path + "[]", [&](int64_t k) { return parent(k + begin); }, bad, bad_row);
  }
  if (t.id == TypeId::kStruct) {
    for (size_t f = 0; f < a.children.size(); ++f)
      if (!Check(*a.children[f], path + "." + t.children[f].name, row_of, bad, bad_row)) return false;
  }
  return true;
}

}  // namespace

Status CheckValueRanges(const Batch& batch, const std::string& what, size_t batch_index) {
  const auto& columns = batch.schema()->columns;
  for (size_t c = 0; c < columns.size(); ++c) {
    std::string bad;
    int64_t row = -1;
    if (!Check(*batch.column(c), columns[c].name, [](int64_t i) { return i; }, &bad, &row))
      return Status::Invalid(what + " batch " + std::to_string(batch_index) + " row " + std::to_string(row) + " " + bad +
                             ": BigQuery cannot store it; the rows of this write were not sent");
  }
  return Status::OK();
}

}  // namespace ferry::plugins::bigquery
