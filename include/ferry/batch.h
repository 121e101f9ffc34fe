// Columnar batches in the Arrow memory layout.
//
// An ArrayData is one column: validity bitmap (LSB bit order, 1 = valid),
// then the layout's buffers (offsets and/or values), then children for list
// and struct types, exactly as the Arrow columnar format describes. Buffers
// are 64-byte aligned and immutable once an array is finished.
//
// A Batch is a schema plus equal-length columns. Batches are immutable and
// shared between destinations as shared_ptr<const Batch> without copying;
// Slice() makes a zero-copy view. ByteSize() is what the engine's memory
// budget accounts for. All const methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "ferry/schema.h"
#include "ferry/types.h"

namespace ferry {

// An immutable, 64-byte aligned, heap-allocated byte buffer.
class Buffer {
 public:
  // Takes ownership of `data` allocated with AllocateAligned.
  Buffer(uint8_t* data, int64_t size, int64_t capacity);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }

  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data_); }

  static std::shared_ptr<const Buffer> Copy(const void* data, int64_t size);

 private:
  uint8_t* data_;
  int64_t size_;
  int64_t capacity_;
};
using BufferPtr = std::shared_ptr<const Buffer>;

uint8_t* AllocateAligned(int64_t size);
void FreeAligned(uint8_t* p);

inline bool GetBit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

struct ArrayData;
using ArrayPtr = std::shared_ptr<const ArrayData>;

struct ArrayData {
  DataTypePtr type;
  int64_t length = 0;
  int64_t offset = 0;      // logical start into the buffers (slices)
  int64_t null_count = 0;
  // buffers[0] validity (may be null when null_count == 0);
  // kFixedWidth/kFixedBinary/kBitmap: buffers[1] values;
  // kVarBinary: buffers[1] int32 offsets, buffers[2] data;
  // kList: buffers[1] int32 offsets; kStruct: no value buffer.
  std::vector<BufferPtr> buffers;
  std::vector<ArrayPtr> children;

  bool IsNull(int64_t i) const {
    return null_count != 0 && buffers[0] && !GetBit(buffers[0]->data(), offset + i);
  }
  bool IsValid(int64_t i) const { return !IsNull(i); }

  template <typename T>
  T Value(int64_t i) const { return buffers[1]->as<T>()[offset + i]; }
  bool BoolValue(int64_t i) const { return GetBit(buffers[1]->data(), offset + i); }
  // kVarBinary values.
  std::string_view StringValue(int64_t i) const {
    const int32_t* offs = buffers[1]->as<int32_t>() + offset;
    return {reinterpret_cast<const char*>(buffers[2]->data()) + offs[i],
            static_cast<size_t>(offs[i + 1] - offs[i])};
  }
  // kFixedBinary values.
  std::string_view FixedValue(int64_t i) const {
    int32_t w = FixedWidthOf(*type);
    return {reinterpret_cast<const char*>(buffers[1]->data()) + (offset + i) * w,
            static_cast<size_t>(w)};
  }
  // kList: [begin, end) positions in children[0].
  std::pair<int64_t, int64_t> ListRange(int64_t i) const {
    const int32_t* offs = buffers[1]->as<int32_t>() + offset;
    return {offs[i], offs[i + 1]};
  }
  // kStruct: children are sliced with their parent (Slice), so row i of the
  // struct is row i of every children[k].

  // Zero-copy view of [start, start + len).
  ArrayPtr Slice(int64_t start, int64_t len) const;
  // Bytes allocated for this array's buffers (proportional for slices).
  int64_t ByteSize() const;
};

class Batch {
 public:
  Batch(TableSchemaPtr schema, std::vector<ArrayPtr> columns, int64_t num_rows);

  const TableSchemaPtr& schema() const { return schema_; }
  const std::vector<ArrayPtr>& columns() const { return columns_; }
  const ArrayPtr& column(size_t i) const { return columns_[i]; }
  int64_t num_rows() const { return num_rows_; }
  int64_t ByteSize() const { return byte_size_; }

  // Zero-copy view of rows [start, start + len).
  std::shared_ptr<const Batch> Slice(int64_t start, int64_t len) const;
  // Same columns, another schema (e.g. with primary keys stripped). The
  // schemas must have the same column count and types.
  std::shared_ptr<const Batch> WithSchema(TableSchemaPtr schema) const;
  // Checks the layout invariants (lengths, offsets monotonic and in bounds,
  // null counts); used on untrusted input (plugins) and in tests.
  [[nodiscard]] bool Validate(std::string* why) const;

 private:
  TableSchemaPtr schema_;
  std::vector<ArrayPtr> columns_;
  int64_t num_rows_;
  int64_t byte_size_;
};
using BatchPtr = std::shared_ptr<const Batch>;

}  // namespace ferry
