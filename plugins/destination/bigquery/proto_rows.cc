#include "plugins/destination/bigquery/proto_rows.h"

#include <cstring>

#include "ferry/text_codec.h"
#include "ferry/uuid.h"
#include "plugins/common/json_cell.h"
#include "plugins/destination/bigquery/type_map.h"

namespace ferry::plugins::bigquery {

using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptorProto;

namespace {

FieldDescriptorProto::Type ScalarProtoType(const DataType& t) {
  switch (t.id) {
    case TypeId::kBool: return FieldDescriptorProto::TYPE_BOOL;
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kTimestamp:
    case TypeId::kDuration:
      return FieldDescriptorProto::TYPE_INT64;
    case TypeId::kDate32: return FieldDescriptorProto::TYPE_INT32;
    case TypeId::kFloat32: case TypeId::kFloat64: return FieldDescriptorProto::TYPE_DOUBLE;
    case TypeId::kBinary: case TypeId::kFixedSizeBinary: return FieldDescriptorProto::TYPE_BYTES;
    // utf8, uuid, inet, mac, json, JSON documents; NUMERIC, BIGNUMERIC and TIME
    // as their text (the Storage Write API takes a string for each).
    default: return FieldDescriptorProto::TYPE_STRING;
  }
}

// Adds field `number` named `name` of `type` to `msg`; RECORDs become nested
// types named after their field number (unique within `msg`).
void AddField(DescriptorProto* msg, const std::string& name, int number, const DataType& type) {
  FieldDescriptorProto* f = msg->add_field();
  f->set_name(name);
  f->set_number(number);
  f->set_label(FieldDescriptorProto::LABEL_OPTIONAL);
  const DataType* t = &type;
  if (type.id == TypeId::kList && ListIsRepeated(type)) {
    f->set_label(FieldDescriptorProto::LABEL_REPEATED);
    t = type.children[0].type.get();
  }
  if (t->id == TypeId::kStruct && !StoredAsJson(*t)) {
    DescriptorProto* nested = msg->add_nested_type();
    nested->set_name("record_" + std::to_string(number));
    for (size_t i = 0; i < t->children.size(); ++i)
      AddField(nested, t->children[i].name, static_cast<int>(i) + 1, *t->children[i].type);
    f->set_type(FieldDescriptorProto::TYPE_MESSAGE);
    f->set_type_name(nested->name());
    return;
  }
  if (!IntervalFields(t->id).empty()) {
    DescriptorProto* nested = msg->add_nested_type();
    nested->set_name("record_" + std::to_string(number));
    const auto& names = IntervalFields(t->id);
    for (size_t i = 0; i < names.size(); ++i) {
      FieldDescriptorProto* x = nested->add_field();
      x->set_name(names[i]);
      x->set_number(static_cast<int>(i) + 1);
      x->set_label(FieldDescriptorProto::LABEL_OPTIONAL);
      x->set_type(FieldDescriptorProto::TYPE_INT64);
    }
    f->set_type(FieldDescriptorProto::TYPE_MESSAGE);
    f->set_type_name(nested->name());
    return;
  }
  f->set_type(StoredAsJson(*t) ? FieldDescriptorProto::TYPE_STRING : ScalarProtoType(*t));
}

// ---- wire format (protobuf encoding: varints, little-endian fixed64,
// length-delimited) ----

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(int number, int wire_type, std::string* out) {
  PutVarint((static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(wire_type), out);
}

void PutBytes(int number, std::string_view bytes, std::string* out) {
  PutTag(number, 2, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

const JsonCellStyle& DocumentStyle() {
  static const JsonCellStyle style = [] {
    JsonCellStyle s;
    s.timestamp = TimestampStyle::kIsoUtc;
    s.mac_as_text = true;
    return s;
  }();
  return style;
}

void PutValue(int number, const ArrayData& a, int64_t i, std::string* out);

void PutMessage(int number, const ArrayData& a, int64_t i, std::string* out) {
  std::string body;
  for (size_t f = 0; f < a.children.size(); ++f) {
    const ArrayData& field = *a.children[f];
    if (field.IsNull(i)) continue;
    PutValue(static_cast<int>(f) + 1, field, i, &body);
  }
  PutBytes(number, body, out);
}

// Field `number` holding the (non-NULL) cell i of `a`; a REPEATED list
// puts one field per non-NULL element.
void PutValue(int number, const ArrayData& a, int64_t i, std::string* out) {
  const DataType& t = *a.type;
  if (StoredAsJson(t)) {
    if (t.id == TypeId::kJson) {
      PutBytes(number, a.StringValue(i), out);
    } else {
      std::string doc;
      AppendJsonCell(a, i, DocumentStyle(), &doc);
      PutBytes(number, doc, out);
    }
    return;
  }
  switch (t.id) {
    case TypeId::kBool: PutTag(number, 0, out); out->push_back(a.BoolValue(i) ? 1 : 0); return;
    case TypeId::kInt8: PutTag(number, 0, out); PutVarint(static_cast<uint64_t>(int64_t{a.Value<int8_t>(i)}), out); return;
    case TypeId::kInt16: PutTag(number, 0, out); PutVarint(static_cast<uint64_t>(int64_t{a.Value<int16_t>(i)}), out); return;
    case TypeId::kInt32: case TypeId::kDate32:
      PutTag(number, 0, out);
      PutVarint(static_cast<uint64_t>(int64_t{a.Value<int32_t>(i)}), out);
      return;
    case TypeId::kInt64: case TypeId::kTimestamp:
      PutTag(number, 0, out);
      PutVarint(static_cast<uint64_t>(a.Value<int64_t>(i)), out);
      return;
    case TypeId::kUInt8: PutTag(number, 0, out); PutVarint(a.Value<uint8_t>(i), out); return;
    case TypeId::kUInt16: PutTag(number, 0, out); PutVarint(a.Value<uint16_t>(i), out); return;
    case TypeId::kUInt32: PutTag(number, 0, out); PutVarint(a.Value<uint32_t>(i), out); return;
    case TypeId::kUInt64: PutBytes(number, std::to_string(a.Value<uint64_t>(i)), out); return;
    case TypeId::kFloat32: case TypeId::kFloat64: {
      const double d = t.id == TypeId::kFloat32 ? static_cast<double>(a.Value<float>(i)) : a.Value<double>(i);
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      PutTag(number, 1, out);
      for (int k = 0; k < 8; ++k) out->push_back(static_cast<char>(bits >> (8 * k)));
      return;
    }
    case TypeId::kUtf8: case TypeId::kInet: case TypeId::kBinary: PutBytes(number, a.StringValue(i), out); return;
    case TypeId::kFixedSizeBinary: PutBytes(number, a.FixedValue(i), out); return;
    case TypeId::kUuid: PutBytes(number, uuid::ToString(a.FixedValue(i)), out); return;
    case TypeId::kMac: PutBytes(number, MacText(a.StringValue(i)), out); return;
    case TypeId::kList: {
      const auto [begin, end] = a.ListRange(i);
      const ArrayData& items = *a.children[0];
      for (int64_t k = begin; k < end; ++k)
        if (!items.IsNull(k)) PutValue(number, items, k, out);
      return;
    }
    case TypeId::kStruct: PutMessage(number, a, i, out); return;
    case TypeId::kJson: return;  // StoredAsJson above
    case TypeId::kTime32: case TypeId::kTime64: {
      std::string text;
      AppendTimeText(a, i, &text);
      PutBytes(number, text, out);
      return;
    }
    case TypeId::kDuration:
      PutTag(number, 0, out);
      PutVarint(static_cast<uint64_t>(a.Value<int64_t>(i)), out);
      return;
    case TypeId::kDecimal128: {
      std::string text;
      AppendArrowScalarText(t, a.FixedValue(i), &text);
      PutBytes(number, text, out);
      return;
    }
    case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: {
      // Every field, zeros too (an absent field would read as NULL).
      const auto parts = IntervalParts(t.id, a.FixedValue(i));
      std::string body;
      for (size_t f = 0; f < IntervalFields(t.id).size(); ++f) {
        PutTag(static_cast<int>(f) + 1, 0, &body);
        PutVarint(static_cast<uint64_t>(parts[f]), &body);
      }
      PutBytes(number, body, out);
      return;
    }
  }
}

}  // namespace

DescriptorProto RowDescriptor(const TableSchema& table) {
  DescriptorProto d;
  d.set_name("ferry_row");
  for (size_t i = 0; i < table.columns.size(); ++i)
    AddField(&d, table.columns[i].name, static_cast<int>(i) + 1, *table.columns[i].type);
  return d;
}

void EncodeRow(const Batch& batch, int64_t row, std::string* out) {
  for (size_t c = 0; c < batch.columns().size(); ++c) {
    const ArrayData& a = *batch.column(c);
    if (a.IsNull(row)) continue;
    PutValue(static_cast<int>(c) + 1, a, row, out);
  }
}

}  // namespace ferry::plugins::bigquery
