#include "plugins/destination/bigquery/row_json.h"

#include <charconv>
#include <cmath>

#include "ferry/text_codec.h"
#include "plugins/common/json_cell.h"
#include "plugins/destination/bigquery/type_map.h"

namespace ferry::plugins::bigquery {
namespace {

// Cells inside BigQuery values: RFC 3339 timestamps, MAC text; otherwise
// plugins/common's JSON forms (uint64 exact, NaN/Infinity as strings,
// base64 bytes, canonical uuid text).
const JsonCellStyle& Style() {
  static const JsonCellStyle style = [] {
    JsonCellStyle s;
    s.timestamp = TimestampStyle::kIsoUtc;
    s.mac_as_text = true;
    return s;
  }();
  return style;
}

void AppendValue(const ArrayData& a, int64_t i, std::string* out);

// A value of a REPEATED column: an array without the NULL elements.
void AppendRepeated(const ArrayData& a, int64_t i, std::string* out) {
  out->push_back('[');
  if (a.IsValid(i)) {
    const auto [begin, end] = a.ListRange(i);
    const ArrayData& items = *a.children[0];
    bool first = true;
    for (int64_t k = begin; k < end; ++k) {
      if (items.IsNull(k)) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendValue(items, k, out);
    }
  }
  out->push_back(']');
}

void AppendRecord(const ArrayData& a, int64_t i, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (size_t f = 0; f < a.children.size(); ++f) {
    const ArrayData& field = *a.children[f];
    const bool repeated = field.type->id == TypeId::kList && ListIsRepeated(*field.type);
    if (field.IsNull(i) && !repeated) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(a.type->children[f].name, out);
    out->push_back(':');
    if (repeated) AppendRepeated(field, i, out);
    else AppendValue(field, i, out);
  }
  out->push_back('}');
}

// One non-NULL value (of a column, a REPEATED element or a RECORD field).
void AppendValue(const ArrayData& a, int64_t i, std::string* out) {
  const DataType& t = *a.type;
  if (StoredAsJson(t)) {
    // The JSON column's value is the document's text, a JSON string.
    std::string doc;
    if (t.id == TypeId::kJson) doc.assign(a.StringValue(i));
    else AppendJsonCell(a, i, Style(), &doc);
    AppendJsonString(doc, out);
    return;
  }
  switch (t.id) {
    case TypeId::kUInt64: {
      out->push_back('"');
      out->append(std::to_string(a.Value<uint64_t>(i)));
      out->push_back('"');
      return;
    }
    case TypeId::kInet:
      AppendJsonString(a.StringValue(i), out);
      return;
    case TypeId::kFloat32: {
      // The column is FLOAT64: the float's exact value as the shortest
      // double text (its shortest float text would parse to another double).
      const double d = static_cast<double>(a.Value<float>(i));
      if (std::isnan(d)) out->append("\"NaN\"");
      else if (std::isinf(d)) out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      else {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof(buf), d);
        out->append(buf, r.ptr);
      }
      return;
    }
    case TypeId::kTime32: case TypeId::kTime64:
      out->push_back('"');
      AppendTimeText(a, i, out);
      out->push_back('"');
      return;
    case TypeId::kDuration:
      out->append(std::to_string(a.Value<int64_t>(i)));
      return;
    case TypeId::kDecimal128:
      out->push_back('"');
      AppendArrowScalarText(t, a.FixedValue(i), out);
      out->push_back('"');
      return;
    case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: {
      const auto parts = IntervalParts(t.id, a.FixedValue(i));
      const auto& names = IntervalFields(t.id);
      out->push_back('{');
      for (size_t f = 0; f < names.size(); ++f) {
        if (f) out->push_back(',');
        AppendJsonString(names[f], out);
        out->push_back(':');
        out->append(std::to_string(parts[f]));
      }
      out->push_back('}');
      return;
    }
    case TypeId::kList:
      AppendRepeated(a, i, out);
      return;
    case TypeId::kStruct:
      AppendRecord(a, i, out);
      return;
    default:
      AppendJsonCell(a, i, Style(), out);
  }
}

}  // namespace

void AppendRowJson(const Batch& batch, int64_t row, const std::string& insert_id, std::string* out) {
  out->push_back('{');
  if (!insert_id.empty()) {
    out->append("\"insertId\":");
    AppendJsonString(insert_id, out);
    out->push_back(',');
  }
  out->append("\"json\":{");
  bool first = true;
  const auto& columns = batch.schema()->columns;
  for (size_t c = 0; c < columns.size(); ++c) {
    const ArrayData& a = *batch.column(c);
    const bool repeated = a.type->id == TypeId::kList && ListIsRepeated(*a.type);
    if (a.IsNull(row) && !repeated) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(columns[c].name, out);
    out->push_back(':');
    if (repeated) AppendRepeated(a, row, out);
    else AppendValue(a, row, out);
  }
  out->append("}}");
}

}  // namespace ferry::plugins::bigquery
