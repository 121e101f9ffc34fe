// RecordBatch nodes, buffers and body -> Ferry arrays (see record_codec.h).
// Everything read here is untrusted: each count, length and offset is checked
// before it is used, and values are copied out of the body, never referenced.
#include <cstring>
#include <string>

#include "protocol/record_codec.h"

namespace ferry::protocol::ipc {

namespace fb = arrowfb;

namespace {

int64_t CountNodes(const DataType& t) {
  int64_t n = 1;
  for (const Field& c : t.children) n += CountNodes(*c.type);
  return n;
}
int64_t CountBuffers(const DataType& t) {
  int64_t n = 0;
  switch (LayoutOf(t.id)) {
    case Layout::kBitmap: case Layout::kFixedWidth: case Layout::kFixedBinary: n = 2; break;
    case Layout::kVarBinary: n = 3; break;
    case Layout::kList: n = 2; break;
    case Layout::kStruct: n = 1; break;
  }
  for (const Field& c : t.children) n += CountBuffers(*c.type);
  return n;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

class Decoder {
 public:
  Decoder(const fb::RecordBatch& rb, std::string_view body) : rb_(rb), body_(body) {}

  Status CheckCounts(const TableSchema& schema) {
    int64_t nodes = 0, buffers = 0;
    for (const Column& c : schema.columns) {
      nodes += CountNodes(*c.type);
      buffers += CountBuffers(*c.type);
    }
    const int64_t have_nodes = rb_.nodes() ? rb_.nodes()->size() : 0;
    const int64_t have_buffers = rb_.buffers() ? rb_.buffers()->size() : 0;
    if (have_nodes != nodes || have_buffers != buffers)
      return Status::Invalid("arrow ipc: record batch has " + std::to_string(have_nodes) + " field nodes and " +
                             std::to_string(have_buffers) + " buffers, its schema needs " +
                             std::to_string(nodes) + " and " + std::to_string(buffers));
    // Every buffer lies inside the body, and together they are no larger than
    // the body: decoding copies at most what the sender actually sent.
    const auto size = static_cast<int64_t>(body_.size());
    int64_t total = 0;
    for (int64_t i = 0; i < have_buffers; ++i) {
      const fb::Buffer* b = rb_.buffers()->Get(static_cast<flatbuffers::uoffset_t>(i));
      if (b->offset() < 0 || b->length() < 0 || b->offset() > size || b->length() > size - b->offset())
        return Status::Invalid("arrow ipc: buffer " + std::to_string(i) + " [" + std::to_string(b->offset()) +
                               ", +" + std::to_string(b->length()) + ") lies outside the " +
                               std::to_string(size) + "-byte body");
      total += b->length();
      if (total > size) return Status::Invalid("arrow ipc: buffers overlap (they add up to more than the body)");
    }
    return Status::OK();
  }

  Result<ArrayPtr> Decode(const DataTypePtr& type, const WireField& wire, const std::string& path) {
    auto bad = [&](const std::string& m) { return Status::Invalid("arrow ipc: column " + path + ": " + m); };
    const fb::FieldNode* node = rb_.nodes()->Get(static_cast<flatbuffers::uoffset_t>(node_++));
    const int64_t len = node->length();
    const int64_t nulls = node->null_count();
    if (len < 0 || len > kMaxRows) return bad("invalid length " + std::to_string(len));
    if (nulls < 0 || nulls > len) return bad("invalid null count " + std::to_string(nulls));

    auto a = std::make_shared<ArrayData>();
    a->type = type;
    a->length = len;
    a->null_count = nulls;
    std::string_view validity = NextBuffer();
    if (nulls > 0) {
      if (static_cast<int64_t>(validity.size()) < (len + 7) / 8) return bad("validity bitmap too short");
      a->buffers.push_back(Buffer::Copy(validity.data(), (len + 7) / 8));
    } else {
      a->buffers.push_back(nullptr);
    }

    switch (LayoutOf(type->id)) {
      case Layout::kBitmap: {
        std::string_view v = NextBuffer();
        if (static_cast<int64_t>(v.size()) < (len + 7) / 8) return bad("bool values too short");
        a->buffers.push_back(Buffer::Copy(v.data(), (len + 7) / 8));
        break;
      }
      case Layout::kFixedWidth:
      case Layout::kFixedBinary: {
        std::string_view v = NextBuffer();
        FERRY_ASSIGN_OR_RETURN(BufferPtr values, FixedValues(*a, wire.convert, v, path));
        a->buffers.push_back(std::move(values));
        break;
      }
      case Layout::kVarBinary: {
        std::string_view offs = NextBuffer();
        std::string_view data = NextBuffer();
        FERRY_ASSIGN_OR_RETURN(BufferPtr offsets, Offsets(offs, len, static_cast<int64_t>(data.size()), path));
        const int32_t end = offsets->as<int32_t>()[len];
        a->buffers.push_back(std::move(offsets));
        a->buffers.push_back(Buffer::Copy(data.data(), end));
        break;
      }
      case Layout::kList: {
        std::string_view offs = NextBuffer();
        FERRY_ASSIGN_OR_RETURN(BufferPtr offsets, Offsets(offs, len, kMaxRows, path));
        FERRY_ASSIGN_OR_RETURN(ArrayPtr child, Decode(type->children[0].type, wire.children.at(0), path + ".item"));
        if (offsets->as<int32_t>()[len] > child->length) return bad("list offsets past the end of the items");
        a->buffers.push_back(std::move(offsets));
        a->children.push_back(std::move(child));
        break;
      }
      case Layout::kStruct:
        for (size_t k = 0; k < type->children.size(); ++k) {
          const Field& f = type->children[k];
          FERRY_ASSIGN_OR_RETURN(ArrayPtr child, Decode(f.type, wire.children.at(k), path + "." + f.name));
          if (child->length < len) return bad("struct field " + f.name + " shorter than the struct");
          a->children.push_back(std::move(child));
        }
        break;
    }
    return ArrayPtr(std::move(a));
  }

 private:
  std::string_view NextBuffer() {
    const fb::Buffer* b = rb_.buffers()->Get(static_cast<flatbuffers::uoffset_t>(buffer_++));
    return body_.substr(static_cast<size_t>(b->offset()), static_cast<size_t>(b->length()));
  }

  // len + 1 int32 offsets, non-negative, monotonic, the last <= limit. An
  // empty array may omit them.
  Result<BufferPtr> Offsets(std::string_view v, int64_t len, int64_t limit, const std::string& path) {
    if (len == 0 && v.size() < 4) {
      const int32_t zero = 0;
      return Buffer::Copy(&zero, 4);
    }
    if (static_cast<int64_t>(v.size()) < (len + 1) * 4)
      return Status::Invalid("arrow ipc: column " + path + ": offsets buffer too short");
    BufferPtr out = Buffer::Copy(v.data(), (len + 1) * 4);
    const int32_t* o = out->as<int32_t>();
    if (o[0] < 0) return Status::Invalid("arrow ipc: column " + path + ": negative offset");
    for (int64_t i = 0; i < len; ++i)
      if (o[i + 1] < o[i]) return Status::Invalid("arrow ipc: column " + path + ": offsets not monotonic");
    if (o[len] > limit) return Status::Invalid("arrow ipc: column " + path + ": offsets past the end of the data");
    return out;
  }

  // Fixed-width values, converted from the wire's unit when it differs.
  Result<BufferPtr> FixedValues(const ArrayData& a, WireConvert convert, std::string_view v,
                                const std::string& path) {
    const int64_t len = a.length;
    const int64_t w = FixedWidthOf(*a.type);
    const int64_t wire_w = convert == WireConvert::kNone ? w : 8;
    if (static_cast<int64_t>(v.size()) < len * wire_w)
      return Status::Invalid("arrow ipc: column " + path + ": values buffer too short");
    if (convert == WireConvert::kNone) return Buffer::Copy(v.data(), len * w);

    uint8_t* p = AllocateAligned(len * w);
    auto out = std::make_shared<Buffer>(p, len * w, len * w);
    for (int64_t i = 0; i < len; ++i) {
      int64_t x;
      std::memcpy(&x, v.data() + i * 8, 8);
      const bool valid = a.null_count == 0 || GetBit(a.buffers[0]->data(), i);
      if (!valid) x = 0;  // a null slot's bytes are undefined
      int64_t y = 0;
      bool overflow = false;
      switch (convert) {
        case WireConvert::kTimestampSeconds: overflow = __builtin_mul_overflow(x, int64_t{1000000}, &y); break;
        case WireConvert::kTimestampMillis: overflow = __builtin_mul_overflow(x, int64_t{1000}, &y); break;
        case WireConvert::kTimestampNanos: y = FloorDiv(x, 1000); break;
        case WireConvert::kDate64:
          y = FloorDiv(x, 86400000);
          overflow = y < INT32_MIN || y > INT32_MAX;
          break;
        case WireConvert::kNone: break;
      }
      if (overflow)
        return Status::Invalid("arrow ipc: column " + path + ": value " + std::to_string(x) + " at row " +
                               std::to_string(i) + " is out of range for " + a.type->ToString());
      if (w == 8) {
        std::memcpy(p + i * 8, &y, 8);
      } else {
        const auto d = static_cast<int32_t>(y);
        std::memcpy(p + i * 4, &d, 4);
      }
    }
    return BufferPtr(std::move(out));
  }

  const fb::RecordBatch& rb_;
  std::string_view body_;
  int64_t node_ = 0;
  int64_t buffer_ = 0;
};

}  // namespace

Result<std::vector<ArrayPtr>> DecodeColumns(const fb::RecordBatch& rb, std::string_view body,
                                            const TableSchema& schema, const std::vector<WireField>& wire) {
  if (rb.compression())
    return Status::Unsupported("arrow ipc: compressed record batch bodies (" +
                               std::string(fb::EnumNameCompressionType(rb.compression()->codec())) +
                               ") are not supported");
  if (rb.length() < 0 || rb.length() > kMaxRows)
    return Status::Invalid("arrow ipc: invalid record batch length " + std::to_string(rb.length()));
  Decoder d(rb, body);
  FERRY_RETURN_NOT_OK(d.CheckCounts(schema));
  std::vector<ArrayPtr> columns;
  columns.reserve(schema.columns.size());
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const Column& c = schema.columns[i];
    FERRY_ASSIGN_OR_RETURN(ArrayPtr a, d.Decode(c.type, wire.at(i), c.name));
    if (a->length != rb.length())
      return Status::Invalid("arrow ipc: column " + c.name + " has " + std::to_string(a->length) +
                             " rows, the record batch " + std::to_string(rb.length()));
    columns.push_back(std::move(a));
  }
  return columns;
}

}  // namespace ferry::protocol::ipc
