// RecordBatch nodes, buffers and body -> Ferry arrays (see record_codec.h).
// Everything read here is untrusted: each count, length and offset is checked
// before it is used, and values are copied out of the body, never referenced.
#include <cmath>
#include <limits>
#include <cstring>
#include <string>

#include "protocol/record_codec.h"

namespace ferry::protocol::ipc {

namespace fb = arrowfb;

namespace {

// Element `i` of a flatbuffer vector of structs, copied out. The verifier
// checks a vector's 4-byte alignment, not its 8-byte structs' (FieldNode,
// Buffer): a crafted message can place them at 4 mod 8, and reading through
// the struct pointer would then be a misaligned access (UB).
template <typename T>
T StructAt(const flatbuffers::Vector<const T*>& v, size_t i) {
  T out;
  std::memcpy(static_cast<void*>(&out), v.Data() + i * sizeof(T), sizeof(T));
  return out;
}

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
      const fb::Buffer buf = StructAt(*rb_.buffers(), i);
      const fb::Buffer* b = &buf;
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
    const fb::FieldNode node_copy = StructAt(*rb_.nodes(), node_++);
    const fb::FieldNode* node = &node_copy;
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
        if (static_cast<int64_t>(v.size()) < (len + 7) / 8) {
          if (nulls != len) return bad("bool values too short");
          a->buffers.push_back(Zeros((len + 7) / 8));  // all null: Arrow JS omits the values
          break;
        }
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
        BufferPtr offsets;
        if (wire.convert == WireConvert::kLargeOffsets) {
          FERRY_ASSIGN_OR_RETURN(offsets, LargeOffsets(offs, len, static_cast<int64_t>(data.size()), path));
        } else {
          FERRY_ASSIGN_OR_RETURN(offsets, Offsets(offs, len, static_cast<int64_t>(data.size()), path));
        }
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
    const fb::Buffer buf = StructAt(*rb_.buffers(), buffer_++);
    const fb::Buffer* b = &buf;
    return body_.substr(static_cast<size_t>(b->offset()), static_cast<size_t>(b->length()));
  }

  static BufferPtr Zeros(int64_t n) {
    uint8_t* p = AllocateAligned(n);
    std::memset(p, 0, static_cast<size_t>(n));
    return std::make_shared<Buffer>(p, n, n);
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

  // len + 1 int64 offsets (large_utf8 / large_binary) narrowed to int32:
  // the same checks as Offsets, and the data must fit 32-bit offsets.
  Result<BufferPtr> LargeOffsets(std::string_view v, int64_t len, int64_t limit, const std::string& path) {
    if (len == 0 && v.size() < 8) {
      const int32_t zero = 0;
      return Buffer::Copy(&zero, 4);
    }
    if (static_cast<int64_t>(v.size()) < (len + 1) * 8)
      return Status::Invalid("arrow ipc: column " + path + ": offsets buffer too short");
    uint8_t* p = AllocateAligned((len + 1) * 4);
    auto out = std::make_shared<Buffer>(p, (len + 1) * 4, (len + 1) * 4);
    int64_t prev = 0;
    for (int64_t i = 0; i <= len; ++i) {
      int64_t x;
      std::memcpy(&x, v.data() + i * 8, 8);
      if (x < 0) return Status::Invalid("arrow ipc: column " + path + ": negative offset");
      if (i > 0 && x < prev) return Status::Invalid("arrow ipc: column " + path + ": offsets not monotonic");
      if (x > limit) return Status::Invalid("arrow ipc: column " + path + ": offsets past the end of the data");
      if (x > INT32_MAX)
        return Status::Unsupported("arrow ipc: column " + path + ": more than 2 GiB of values in one batch");
      const auto y = static_cast<int32_t>(x);
      std::memcpy(p + i * 4, &y, 4);
      prev = x;
    }
    return BufferPtr(std::move(out));
  }

  // IEEE 754 binary16 to float (every half value is exactly representable).
  static float HalfToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const int exp = (h >> 10) & 0x1f;
    const uint32_t mant = h & 0x3ff;
    float f;
    if (exp == 0) {
      f = std::ldexp(static_cast<float>(mant), -24);  // zero and subnormals
    } else if (exp == 31) {
      f = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    } else {
      f = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
    }
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
  }

  // Fixed-width values, converted from the wire's unit when it differs.
  Result<BufferPtr> FixedValues(const ArrayData& a, WireConvert convert, std::string_view v,
                                const std::string& path) {
    const int64_t len = a.length;
    const int64_t w = FixedWidthOf(*a.type);
    const int64_t wire_w = convert == WireConvert::kNone ? w : convert == WireConvert::kFloat16 ? 2 : 8;
    if (static_cast<int64_t>(v.size()) < len * wire_w) {
      // An all-null array may come without values (Arrow JS writes none).
      if (a.null_count == len) return Zeros(len * w);
      return Status::Invalid("arrow ipc: column " + path + ": values buffer too short");
    }
    if (convert == WireConvert::kNone) return Buffer::Copy(v.data(), len * w);
    if (convert == WireConvert::kFloat16) {
      uint8_t* p = AllocateAligned(len * 4);
      auto out = std::make_shared<Buffer>(p, len * 4, len * 4);
      for (int64_t i = 0; i < len; ++i) {
        uint16_t h;
        std::memcpy(&h, v.data() + i * 2, 2);
        const float f = HalfToFloat(h);
        std::memcpy(p + i * 4, &f, 4);
      }
      return BufferPtr(std::move(out));
    }

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
        case WireConvert::kNone:
        case WireConvert::kLargeOffsets:
        case WireConvert::kFloat16: break;
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
