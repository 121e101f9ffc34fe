// Builders: append values, then Finish() into immutable arrays and batches.
//
// ArrayBuilder appends to one column of any Ferry type (typed fast paths plus
// a type-directed Append(Value)). BatchBuilder holds one ArrayBuilder per
// column of a table and tracks rows and bytes so the caller can flush when a
// limit is reached. Builders are not thread-safe; each resolver owns its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry {

// A growable aligned byte buffer used while building.
class BufferBuilder {
 public:
  BufferBuilder() = default;
  ~BufferBuilder();
  BufferBuilder(const BufferBuilder&) = delete;
  BufferBuilder& operator=(const BufferBuilder&) = delete;

  void Reserve(int64_t additional) {
    if (size_ + additional > capacity_) Grow(size_ + additional);
  }
  void Append(const void* p, int64_t n) {
    if (n == 0) return;
    Reserve(n);
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  template <typename T>
  void AppendValue(T v) { Append(&v, sizeof(T)); }
  void AppendZeros(int64_t n);
  uint8_t* mutable_data() { return data_; }
  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  // Hands the memory to an immutable Buffer and resets. The next buffer
  // starts at about this one's size: a source's batches of one table are
  // alike, and growing each from 64 bytes by doubling copied every byte once
  // more and touched fresh pages (docs/benchmarks.md, generation).
  BufferPtr Finish();

 private:
  void Grow(int64_t need);
  void MoveTo(int64_t capacity);  // a new allocation of `capacity` bytes, the contents copied
  uint8_t* data_ = nullptr;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
  int64_t next_capacity_ = 0;  // the first allocation after Finish()
};

// Bit-packed builder for validity and bool values. Bits are not stored
// while every bit is 1 (the common all-valid column costs no bitmap work);
// the first 0 materialises them.
class BitmapBuilder {
 public:
  void Append(bool bit) {
    if (!materialized_) {
      if (bit) {
        ++length_;
        return;
      }
      Materialize();
    }
    if ((length_ & 7) == 0) bytes_.AppendValue<uint8_t>(0);
    if (bit) bytes_.mutable_data()[length_ >> 3] |= static_cast<uint8_t>(1u << (length_ & 7));
    else ++false_count_;
    ++length_;
  }
  void AppendN(int64_t n, bool bit);
  int64_t length() const { return length_; }
  int64_t false_count() const { return false_count_; }
  int64_t byte_size() const { return materialized_ ? bytes_.size() : (length_ + 7) / 8; }
  bool Get(int64_t i) const { return !materialized_ || GetBit(bytes_.data(), i); }
  BufferPtr Finish();
  // Resets without producing a buffer (an all-valid validity bitmap is omitted).
  void Discard();

 private:
  void Materialize();
  BufferBuilder bytes_;
  int64_t length_ = 0;
  int64_t false_count_ = 0;
  bool materialized_ = false;
};

class ArrayBuilder {
 public:
  explicit ArrayBuilder(DataTypePtr type);
  ~ArrayBuilder();

  const DataTypePtr& type() const { return type_; }
  int64_t length() const { return length_; }
  // Bytes currently held (what the finished array will occupy).
  int64_t ByteSize() const;

  void AppendNull();
  // Typed fast paths; the caller guarantees the column type matches.
  void AppendBool(bool v);
  void AppendInt(int64_t v);     // any signed int, timestamp (us), date32 (days)
  void AppendUInt(uint64_t v);   // any unsigned int
  void AppendDouble(double v);   // float32/float64
  void AppendBytes(std::string_view v);  // var-binary and fixed-binary types
  // Type-directed append with range and shape checks; the error names the
  // problem (the caller adds the column name).
  Status Append(const Value& v);
  // Append a value already checked with CheckValue against this type.
  void AppendChecked(const Value& v);

  // List and struct children, for building nested values by hand.
  ArrayBuilder* child(size_t i) { return children_[i].get(); }
  // kList: call after appending the items of one list to child(0).
  void CloseList();
  // kStruct: call after appending one value to every child.
  void CloseStruct();

  ArrayPtr Finish();

  // The value appended last (scalar layouts; nested types give Null). Used to
  // derive ids from rows appended through the typed fast paths.
  Value PeekLast() const;

 private:
  DataTypePtr type_;
  Layout layout_;
  int32_t width_;
  int64_t length_ = 0;
  BitmapBuilder validity_;
  BitmapBuilder bools_;
  BufferBuilder values_;   // fixed values, or offsets for var-binary / list
  BufferBuilder data_;     // var-binary bytes
  std::vector<std::unique_ptr<ArrayBuilder>> children_;
};

class BatchBuilder {
 public:
  explicit BatchBuilder(TableSchemaPtr schema);

  const TableSchemaPtr& schema() const { return schema_; }
  ArrayBuilder& column(size_t i) { return *columns_[i]; }
  size_t num_columns() const { return columns_.size(); }
  int64_t num_rows() const { return num_rows_; }
  int64_t ByteSize() const;

  // Appends one row of Values (row.size() must equal the column count).
  // On error nothing is appended; the message names the column.
  Status AppendRow(const Row& row);
  // For callers that append to column(i) directly: marks one row done.
  void EndRow() { ++num_rows_; }

  // Finishes the columns into a batch and resets the builder for reuse.
  BatchPtr Finish();

 private:
  TableSchemaPtr schema_;
  std::vector<std::unique_ptr<ArrayBuilder>> columns_;
  int64_t num_rows_ = 0;
};

// Checks that `v` can be stored in a column of `type` (kind, range, width).
Status CheckValue(const DataType& type, const Value& v);

// Reads cell (row) of an array back as a Value (inverse of Append).
Value GetValue(const ArrayData& array, int64_t row);

}  // namespace ferry
