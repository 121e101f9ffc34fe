#include "plugins/destination/clickhouse/native_encoder.h"

#include "ferry/builder.h"
#include "ferry/text_codec.h"

namespace ferry::plugins::clickhouse {

namespace {

// Rows [begin, end) of array `a` (logical indices, before a->offset is
// added). `masked` rows lie under a null list or struct: they are written as
// defaults without reading `a` (which may be null), and the null path of the
// parent says they are not there.
struct Span {
  const ArrayData* a;
  int64_t begin;
  int64_t end;
  bool masked;
  int64_t size() const { return end - begin; }
};

int64_t RowsOf(const std::vector<Span>& spans) {
  int64_t n = 0;
  for (const auto& s : spans) n += s.size();
  return n;
}

void AddSpan(std::vector<Span>& spans, const ArrayData* a, int64_t begin, int64_t end, bool masked) {
  if (begin == end) return;
  if (!spans.empty()) {
    Span& last = spans.back();
    if (last.masked && masked) {
      last.end += end - begin;
      return;
    }
    if (!last.masked && !masked && last.a == a && last.end == begin) {
      last.end = end;
      return;
    }
  }
  if (masked)
    spans.push_back({nullptr, 0, end - begin, true});
  else
    spans.push_back({a, begin, end, false});
}

void EncodeScalarValues(const DataType& type, const std::vector<Span>& spans, ByteBuffer* out) {
  if (StoredAsText(type)) {  // String of the canonical text
    std::string text;
    for (const auto& s : spans)
      for (int64_t i = s.begin; i < s.end; ++i) {
        text.clear();
        if (!s.masked && !s.a->IsNull(i)) AppendArrowScalarText(type, s.a->FixedValue(i), &text);
        out->String(text);
      }
    return;
  }
  if (const int w = DecimalWidth(type); w > 0 && w < 16) {  // Decimal32/64: the low bytes (within the precision)
    for (const auto& s : spans) {
      if (s.masked) {
        out->AppendZeros(static_cast<size_t>(s.size() * w));
        continue;
      }
      for (int64_t i = s.begin; i < s.end; ++i) out->Append(s.a->FixedValue(i).data(), static_cast<size_t>(w));
    }
    return;
  }
  const Layout layout = LayoutOf(type.id);
  switch (layout) {
    case Layout::kFixedWidth: {
      const int32_t w = FixedWidthOf(type);
      for (const auto& s : spans) {
        if (s.masked || !s.a->buffers[1])
          out->AppendZeros(static_cast<size_t>(s.size() * w));
        else
          out->Append(s.a->buffers[1]->data() + (s.a->offset + s.begin) * w, static_cast<size_t>(s.size() * w));
      }
      return;
    }
    case Layout::kBitmap: {
      char* p = out->Grow(static_cast<size_t>(RowsOf(spans)));
      for (const auto& s : spans) {
        for (int64_t i = s.begin; i < s.end; ++i) *p++ = s.masked ? 0 : static_cast<char>(s.a->BoolValue(i));
      }
      return;
    }
    case Layout::kVarBinary: {
      size_t bytes = 0;
      for (const auto& s : spans) {
        bytes += static_cast<size_t>(s.size()) * 5;
        if (!s.masked && s.size()) {
          const int32_t* offs = s.a->buffers[1]->as<int32_t>() + s.a->offset;
          bytes += static_cast<size_t>(offs[s.end] - offs[s.begin]);
        }
      }
      out->Reserve(bytes);
      for (const auto& s : spans) {
        for (int64_t i = s.begin; i < s.end; ++i) {
          if (s.masked || s.a->IsNull(i))
            out->Byte(0);
          else
            out->String(s.a->StringValue(i));
        }
      }
      return;
    }
    case Layout::kFixedBinary: {
      const int32_t w = FixedWidthOf(type);
      for (const auto& s : spans) {
        if (s.masked) {
          out->AppendZeros(static_cast<size_t>(s.size() * w));
          continue;
        }
        const uint8_t* src = s.a->buffers[1]->data() + (s.a->offset + s.begin) * w;
        if (type.id != TypeId::kUuid) {
          out->Append(src, static_cast<size_t>(s.size() * w));
          continue;
        }
        // UUID: two little-endian UInt64, high half first = each half reversed.
        char* p = out->Grow(static_cast<size_t>(s.size() * 16));
        for (int64_t i = 0; i < s.size(); ++i, src += 16, p += 16)
          for (int k = 0; k < 8; ++k) {
            p[k] = static_cast<char>(src[7 - k]);
            p[8 + k] = static_cast<char>(src[15 - k]);
          }
      }
      return;
    }
    case Layout::kList:
    case Layout::kStruct:
      return;
  }
}

Status CheckNoNulls(const std::vector<Span>& spans, const std::string& what) {
  for (const auto& s : spans) {
    if (s.masked || s.a->null_count == 0) continue;
    for (int64_t i = s.begin; i < s.end; ++i)
      if (s.a->IsNull(i)) return Status::Invalid(what + ": null value in a NOT NULL column");
  }
  return Status::OK();
}

// Writes the cumulative UInt64 end offsets of list spans; returns the spans
// of their items in the child array.
std::vector<Span> ListOffsets(const std::vector<Span>& spans, ByteBuffer* out) {
  std::vector<Span> items;
  uint64_t total = 0;
  char* p = out->Grow(static_cast<size_t>(RowsOf(spans)) * 8);
  for (const auto& s : spans) {
    if (s.masked) {
      for (int64_t i = 0; i < s.size(); ++i, p += 8) std::memcpy(p, &total, 8);
      continue;
    }
    const ArrayData* child = s.a->children[0].get();
    for (int64_t i = s.begin; i < s.end; ++i, p += 8) {
      if (!s.a->IsNull(i)) {
        const auto [b, e] = s.a->ListRange(i);
        total += static_cast<uint64_t>(e - b);
        AddSpan(items, child, b, e, false);
      }
      std::memcpy(p, &total, 8);
    }
  }
  return items;
}

// The spans of field `k` for struct spans; null structs mask their fields.
std::vector<Span> FieldSpans(const std::vector<Span>& spans, size_t k) {
  std::vector<Span> out;
  for (const auto& s : spans) {
    if (s.masked) {
      AddSpan(out, nullptr, 0, s.size(), true);
      continue;
    }
    const ArrayData* child = s.a->children[k].get();
    for (int64_t i = s.begin; i < s.end;) {
      const bool null = s.a->IsNull(i);
      int64_t j = i + 1;
      while (j < s.end && s.a->IsNull(j) == null) ++j;
      if (null)
        AddSpan(out, nullptr, 0, j - i, true);
      else
        AddSpan(out, child, i, j, false);  // struct children are sliced with the parent
      i = j;
    }
  }
  return out;
}

Status EncodeColumn(const DataType& type, bool nullable, const std::vector<Span>& spans, const std::string& what,
                    ByteBuffer* out) {
  if (type.id == TypeId::kList) {
    const Field& item = type.children[0];
    return EncodeColumn(*item.type, item.nullable, ListOffsets(spans, out), what + "[]", out);
  }
  if (type.id == TypeId::kStruct) {
    for (size_t k = 0; k < type.children.size(); ++k) {
      const Field& f = type.children[k];
      FERRY_RETURN_NOT_OK(EncodeColumn(*f.type, f.nullable, FieldSpans(spans, k), what + "." + f.name, out));
    }
    return Status::OK();
  }
  if (nullable) {
    char* p = out->Grow(static_cast<size_t>(RowsOf(spans)));
    for (const auto& s : spans) {
      if (s.masked)
        std::memset(p, 1, static_cast<size_t>(s.size()));
      else if (s.a->null_count == 0 || !s.a->buffers[0])
        std::memset(p, 0, static_cast<size_t>(s.size()));
      else
        for (int64_t i = 0; i < s.size(); ++i) p[i] = s.a->IsNull(s.begin + i) ? 1 : 0;
      p += s.size();
    }
  } else {
    FERRY_RETURN_NOT_OK(CheckNoNulls(spans, what));
  }
  EncodeScalarValues(type, spans, out);
  return Status::OK();
}

bool HasCompositeNulls(const ArrayData& a, const DataType& type) {
  if (!IsComposite(type.id)) return false;
  if (a.null_count > 0) return true;
  for (size_t k = 0; k < a.children.size() && k < type.children.size(); ++k)
    if (HasCompositeNulls(*a.children[k], *type.children[k].type)) return true;
  return false;
}

}  // namespace

void NullPaths(const ArrayData& column, const DataType& type, int64_t row, const std::string& name,
               std::vector<std::string>* out) {
  if (!IsComposite(type.id)) return;
  if (column.IsNull(row)) {
    out->push_back(name);
    return;
  }
  if (type.id == TypeId::kList) {
    const DataType& item = *type.children[0].type;
    if (!IsComposite(item.id)) return;
    const auto [b, e] = column.ListRange(row);
    for (int64_t j = b; j < e; ++j)
      NullPaths(*column.children[0], item, j, name + "[" + std::to_string(j - b) + "]", out);
    return;
  }
  for (size_t k = 0; k < type.children.size(); ++k)
    NullPaths(*column.children[k], *type.children[k].type, row, name + "." + type.children[k].name, out);
}

void EncodeBlockHeader(const TableLayout& layout, const std::vector<RowRange>& rows, ByteBuffer* out) {
  int64_t total = 0;
  for (const auto& r : rows) total += r.end - r.begin;
  out->Varint(layout.columns.size());
  out->Varint(static_cast<uint64_t>(total));
}

Status EncodeBlockColumn(const TableLayout& layout, size_t index, const std::vector<RowRange>& rows,
                         const std::string& context, ByteBuffer* out) {
  const TableSchema& schema = *layout.schema;
  const PhysicalColumn& pc = layout.columns[index];
  int64_t total = 0, bytes = 0;
  for (const auto& r : rows) {
    total += r.end - r.begin;
    if (pc.logical >= 0)
      bytes += r.batch->column(pc.logical)->ByteSize() * (r.end - r.begin) / std::max<int64_t>(r.batch->num_rows(), 1);
  }
  out->Reserve(static_cast<size_t>(bytes + total * 2 + 256));
  out->String(pc.name);
  out->String(pc.type);
  if (pc.logical < 0) {  // _ferry_nulls
    std::vector<std::vector<std::string>> paths(static_cast<size_t>(total));
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      const Column& col = schema.columns[c];
      if (!NeedsNullPaths(col)) continue;
      int64_t at = 0;
      for (const auto& r : rows) {
        const ArrayData& a = *r.batch->column(c);
        if (!HasCompositeNulls(a, *col.type)) {
          at += r.end - r.begin;
          continue;
        }
        for (int64_t row = r.begin; row < r.end; ++row, ++at) NullPaths(a, *col.type, row, col.name, &paths[at]);
      }
    }
    uint64_t cum = 0;
    char* offsets = out->Grow(paths.size() * 8);
    for (const auto& p : paths) {
      cum += p.size();
      std::memcpy(offsets, &cum, 8);
      offsets += 8;
    }
    for (const auto& p : paths)
      for (const auto& s : p) out->String(s);
    return Status::OK();
  }
  const Column& col = schema.columns[pc.logical];
  std::vector<Span> spans;
  for (const auto& r : rows) AddSpan(spans, r.batch->column(pc.logical).get(), r.begin, r.end, false);
  const std::string what = context + ": column " + col.name;
  if (IsComposite(col.type->id) && (col.not_null || col.primary_key)) FERRY_RETURN_NOT_OK(CheckNoNulls(spans, what));
  if (pc.element >= 0) {  // flattened list<struct>: field `element` of every item
    const Field& f = col.type->children[0].type->children[pc.element];
    std::vector<Span> items = ListOffsets(spans, out);
    return EncodeColumn(*f.type, f.nullable, FieldSpans(items, pc.element), what + "[]." + f.name, out);
  }
  return EncodeColumn(*col.type, layout.nullable[pc.logical], spans, what, out);
}

Status EncodeBlock(const TableLayout& layout, const std::vector<RowRange>& rows, const std::string& context,
                   ByteBuffer* out) {
  EncodeBlockHeader(layout, rows, out);
  for (size_t i = 0; i < layout.columns.size(); ++i)
    FERRY_RETURN_NOT_OK(EncodeBlockColumn(layout, i, rows, context, out));
  return Status::OK();
}

Status CheckNotNull(const TableLayout& layout, const std::vector<RowRange>& rows, const std::string& context) {
  const TableSchema& schema = *layout.schema;
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const Column& col = schema.columns[c];
    if (layout.nullable[c] || (IsComposite(col.type->id) && !col.not_null && !col.primary_key)) continue;
    std::vector<Span> spans;
    for (const auto& r : rows) AddSpan(spans, r.batch->column(c).get(), r.begin, r.end, false);
    FERRY_RETURN_NOT_OK(CheckNoNulls(spans, context + ": column " + col.name));
  }
  return Status::OK();
}

NativeBody::NativeBody(const TableLayout& layout, std::vector<RowRange> rows, std::string context)
    : layout_(layout), rows_(std::move(rows)), context_(std::move(context)) {
  for (const auto& r : rows_) num_rows_ += r.end - r.begin;
}

Result<bool> NativeBody::Next(ByteBuffer* out) {
  if (next_ > layout_.columns.size()) return false;
  if (next_ == 0)
    EncodeBlockHeader(layout_, rows_, out);
  else
    FERRY_RETURN_NOT_OK(EncodeBlockColumn(layout_, next_ - 1, rows_, context_, out));
  ++next_;
  return true;
}

}  // namespace ferry::plugins::clickhouse
