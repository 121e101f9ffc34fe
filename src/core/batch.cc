#include "ferry/batch.h"
#include "ferry/message.h"

#include <cstdlib>
#include <new>
#include <string>

namespace ferry {

uint8_t* AllocateAligned(int64_t size) {
  if (size <= 0) size = 64;
  size_t rounded = (static_cast<size_t>(size) + 63) & ~size_t{63};
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  return static_cast<uint8_t*>(p);
}
void FreeAligned(uint8_t* p) { std::free(p); }

Buffer::Buffer(uint8_t* data, int64_t size, int64_t capacity)
    : data_(data), size_(size), capacity_(capacity) {}
Buffer::~Buffer() { FreeAligned(data_); }

BufferPtr Buffer::Copy(const void* data, int64_t size) {
  uint8_t* p = AllocateAligned(size);
  if (size > 0) std::memcpy(p, data, size);
  return std::make_shared<Buffer>(p, size, size);
}

ArrayPtr ArrayData::Slice(int64_t start, int64_t len) const {
  auto out = std::make_shared<ArrayData>(*this);
  out->offset = offset + start;
  out->length = len;
  if (null_count == 0 || !buffers[0]) {
    out->null_count = 0;
  } else if (len == length) {
    out->null_count = null_count;
  } else {
    int64_t nulls = 0;
    const uint8_t* bits = buffers[0]->data();
    for (int64_t i = 0; i < len; ++i) nulls += !GetBit(bits, out->offset + i);
    out->null_count = nulls;
  }
  // Struct children are addressed with the parent's offset (Arrow semantics),
  // so they are sliced too to keep one rule: child k of row i is at
  // children[k]->offset + i.
  if (type->id == TypeId::kStruct) {
    for (auto& c : out->children) c = c->Slice(start, len);
  }
  return out;
}

int64_t ArrayData::ByteSize() const {
  // Capacity, not size: the memory budget must count what is allocated.
  int64_t total = 0;
  for (const auto& b : buffers)
    if (b) total += b->capacity();
  for (const auto& c : children) total += c->ByteSize();
  if (type->id == TypeId::kStruct) return total;  // children already sliced
  // A slice accounts for its share of the buffers.
  int64_t full = 0;
  if (buffers.size() > 1 && buffers[1]) {
    int32_t w = FixedWidthOf(*type);
    if (w > 0) full = buffers[1]->size() / w;
    else if (LayoutOf(type->id) == Layout::kBitmap) full = buffers[1]->size() * 8;
    else full = buffers[1]->size() / 4 - 1;
  }
  if (full > length && full > 0) return total * length / full;
  return total;
}

Batch::Batch(TableSchemaPtr schema, std::vector<ArrayPtr> columns, int64_t num_rows)
    : schema_(std::move(schema)), columns_(std::move(columns)), num_rows_(num_rows) {
  byte_size_ = 0;
  for (const auto& c : columns_) byte_size_ += c->ByteSize();
}

std::shared_ptr<const Batch> Batch::Slice(int64_t start, int64_t len) const {
  std::vector<ArrayPtr> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) cols.push_back(c->Slice(start, len));
  return std::make_shared<Batch>(schema_, std::move(cols), len);
}

std::shared_ptr<const Batch> Batch::WithSchema(TableSchemaPtr schema) const {
  return std::make_shared<Batch>(std::move(schema), columns_, num_rows_);
}

namespace {
bool ValidateArray(const ArrayData& a, const std::string& path, std::string* why) {
  auto fail = [&](const std::string& m) {
    if (why) *why = path + ": " + m;
    return false;
  };
  if (a.length < 0 || a.offset < 0) return fail("negative length or offset");
  if (a.buffers.empty()) return fail("no buffers");
  int64_t end = a.offset + a.length;
  if (a.null_count > 0) {
    if (!a.buffers[0]) return fail("null_count > 0 without a validity bitmap");
    if (a.buffers[0]->size() * 8 < end) return fail("validity bitmap too short");
    int64_t nulls = 0;
    for (int64_t i = 0; i < a.length; ++i) nulls += !GetBit(a.buffers[0]->data(), a.offset + i);
    if (nulls != a.null_count) return fail("null_count does not match the bitmap");
  }
  switch (LayoutOf(a.type->id)) {
    case Layout::kBitmap:
      if (a.buffers.size() < 2 || !a.buffers[1] || a.buffers[1]->size() * 8 < end)
        return fail("bool values too short");
      break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary: {
      int32_t w = FixedWidthOf(*a.type);
      if (w <= 0) return fail("invalid fixed width");
      if (a.buffers.size() < 2 || !a.buffers[1] || a.buffers[1]->size() < end * w)
        return fail("values buffer too short");
      break;
    }
    case Layout::kVarBinary:
    case Layout::kList: {
      if (a.buffers.size() < 2 || !a.buffers[1] || a.buffers[1]->size() < (end + 1) * 4)
        return fail("offsets buffer too short");
      const int32_t* offs = a.buffers[1]->as<int32_t>();
      for (int64_t i = a.offset; i < end; ++i)
        if (offs[i] < 0 || offs[i + 1] < offs[i]) return fail("offsets not monotonic");
      int64_t limit;
      if (LayoutOf(a.type->id) == Layout::kVarBinary) {
        if (a.buffers.size() < 3) return fail("missing data buffer");
        limit = a.buffers[2] ? a.buffers[2]->size() : 0;
      } else {
        if (a.children.size() != 1) return fail("list without one child");
        limit = a.children[0]->length;
        if (!ValidateArray(*a.children[0], path + ".item", why)) return false;
      }
      if (a.length > 0 && offs[end] > limit) return fail("offsets past the end of the data");
      break;
    }
    case Layout::kStruct:
      if (a.children.size() != a.type->children.size()) return fail("struct child count mismatch");
      for (size_t k = 0; k < a.children.size(); ++k) {
        if (a.children[k]->length < a.length) return fail("struct child too short");
        if (!ValidateArray(*a.children[k], path + "." + a.type->children[k].name, why)) return false;
      }
      break;
  }
  return true;
}
}  // namespace

bool Batch::Validate(std::string* why) const {
  if (!schema_) {
    if (why) *why = "batch without schema";
    return false;
  }
  if (columns_.size() != schema_->columns.size()) {
    if (why) *why = "table " + schema_->name + ": column count does not match the schema";
    return false;
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    const auto& c = columns_[i];
    std::string path = schema_->name + "." + schema_->columns[i].name;
    if (!c || c->length != num_rows_) {
      if (why) *why = path + ": column length does not match the row count";
      return false;
    }
    if (!c->type->Equals(*schema_->columns[i].type)) {
      if (why) *why = path + ": column type does not match the schema";
      return false;
    }
    if (!ValidateArray(*c, path, why)) return false;
  }
  return true;
}

int64_t ToMicros(SyncClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace ferry
