#include "ferry/builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ferry {

// ---- BufferBuilder ----

BufferBuilder::~BufferBuilder() {
  if (data_) FreeAligned(data_);
}

void BufferBuilder::Grow(int64_t need) {
  int64_t cap = std::max<int64_t>(64, capacity_ * 2);
  if (capacity_ == 0 && next_capacity_ > cap) cap = next_capacity_;
  while (cap < need) cap *= 2;
  MoveTo(cap);
}

void BufferBuilder::MoveTo(int64_t cap) {
  uint8_t* p = AllocateAligned(cap);
  if (size_ > 0) std::memcpy(p, data_, size_);
  if (data_) FreeAligned(data_);
  data_ = p;
  capacity_ = cap;
}

void BufferBuilder::AppendZeros(int64_t n) {
  if (n == 0) return;
  Reserve(n);
  std::memset(data_ + size_, 0, n);
  size_ += n;
}

BufferPtr BufferBuilder::Finish() {
  if (!data_) {  // an empty buffer: the smallest one; the hint stays for the next
    MoveTo(64);
  } else {
    // An eighth more than this one held, so a batch a little bigger than the
    // last does not double (and copy) its buffer at the very end.
    next_capacity_ = (size_ + size_ / 8 + 63) & ~int64_t{63};
    // A batch much smaller than the one before (a client's last rows) must
    // not hold, and count against the memory budget, the big one's
    // capacity: under half used, it moves to a buffer of its size (a copy of
    // less than half the capacity; growth by doubling never left less).
    if (size_ * 2 < capacity_ && capacity_ > 4096) MoveTo(std::max<int64_t>(64, (size_ + 63) & ~int64_t{63}));
  }
  // Zero the padding so buffers are deterministic (IPC writes them out).
  std::memset(data_ + size_, 0, capacity_ - size_);
  auto b = std::make_shared<Buffer>(data_, size_, capacity_);
  data_ = nullptr;
  size_ = capacity_ = 0;
  return b;
}

// ---- BitmapBuilder ----

void BitmapBuilder::Materialize() {
  const int64_t nbytes = (length_ + 7) / 8;
  bytes_.AppendZeros(nbytes);
  if (nbytes > 0) {
    std::memset(bytes_.mutable_data(), 0xff, nbytes);
    if (length_ & 7) bytes_.mutable_data()[nbytes - 1] = static_cast<uint8_t>((1u << (length_ & 7)) - 1);
  }
  materialized_ = true;
}

void BitmapBuilder::Discard() {
  if (bytes_.capacity() > 0) bytes_.Finish();  // frees the bytes (the Buffer dies at once)
  length_ = 0;
  false_count_ = 0;
  materialized_ = false;
}

void BitmapBuilder::AppendN(int64_t n, bool bit) {
  for (int64_t i = 0; i < n; ++i) Append(bit);
}

BufferPtr BitmapBuilder::Finish() {
  if (!materialized_) Materialize();
  length_ = 0;
  false_count_ = 0;
  materialized_ = false;
  return bytes_.Finish();
}

// ---- ArrayBuilder ----

ArrayBuilder::ArrayBuilder(DataTypePtr type)
    : type_(std::move(type)), layout_(LayoutOf(type_->id)), width_(FixedWidthOf(*type_)) {
  if (layout_ == Layout::kVarBinary || layout_ == Layout::kList) values_.AppendValue<int32_t>(0);
  for (const auto& f : type_->children) children_.push_back(std::make_unique<ArrayBuilder>(f.type));
}

ArrayBuilder::~ArrayBuilder() = default;

int64_t ArrayBuilder::ByteSize() const {
  int64_t n = validity_.byte_size() + bools_.byte_size() + values_.size() + data_.size();
  for (const auto& c : children_) n += c->ByteSize();
  return n;
}

void ArrayBuilder::AppendNull() {
  validity_.Append(false);
  switch (layout_) {
    case Layout::kBitmap: bools_.Append(false); break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary: values_.AppendZeros(width_); break;
    case Layout::kVarBinary: values_.AppendValue<int32_t>(static_cast<int32_t>(data_.size())); break;
    case Layout::kList: values_.AppendValue<int32_t>(static_cast<int32_t>(children_[0]->length())); break;
    case Layout::kStruct:
      for (auto& c : children_) c->AppendNull();
      break;
  }
  ++length_;
}

void ArrayBuilder::AppendBool(bool v) {
  validity_.Append(true);
  bools_.Append(v);
  ++length_;
}

void ArrayBuilder::AppendInt(int64_t v) {
  validity_.Append(true);
  switch (width_) {
    case 1: values_.AppendValue<int8_t>(static_cast<int8_t>(v)); break;
    case 2: values_.AppendValue<int16_t>(static_cast<int16_t>(v)); break;
    case 4: values_.AppendValue<int32_t>(static_cast<int32_t>(v)); break;
    default: values_.AppendValue<int64_t>(v); break;
  }
  ++length_;
}

void ArrayBuilder::AppendUInt(uint64_t v) {
  validity_.Append(true);
  switch (width_) {
    case 1: values_.AppendValue<uint8_t>(static_cast<uint8_t>(v)); break;
    case 2: values_.AppendValue<uint16_t>(static_cast<uint16_t>(v)); break;
    case 4: values_.AppendValue<uint32_t>(static_cast<uint32_t>(v)); break;
    default: values_.AppendValue<uint64_t>(v); break;
  }
  ++length_;
}

void ArrayBuilder::AppendDouble(double v) {
  validity_.Append(true);
  if (type_->id == TypeId::kFloat32) values_.AppendValue<float>(static_cast<float>(v));
  else values_.AppendValue<double>(v);
  ++length_;
}

void ArrayBuilder::AppendBytes(std::string_view v) {
  validity_.Append(true);
  if (layout_ == Layout::kFixedBinary) {
    values_.Append(v.data(), std::min<int64_t>(v.size(), width_));
    if (static_cast<int64_t>(v.size()) < width_) values_.AppendZeros(width_ - v.size());
  } else {
    data_.Append(v.data(), v.size());
    values_.AppendValue<int32_t>(static_cast<int32_t>(data_.size()));
  }
  ++length_;
}

void ArrayBuilder::CloseList() {
  validity_.Append(true);
  values_.AppendValue<int32_t>(static_cast<int32_t>(children_[0]->length()));
  ++length_;
}

void ArrayBuilder::CloseStruct() {
  validity_.Append(true);
  ++length_;
}

namespace {
template <typename T>
bool FitsSigned(int64_t v) {
  return v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max();
}
}  // namespace

Status CheckValue(const DataType& type, const Value& v) {
  if (v.is_null()) return Status::OK();
  const TypeId id = type.id;
  auto mismatch = [&]() { return Status::Invalid("value does not fit type " + type.ToString()); };
  const int32_t width = FixedWidthOf(type);
  switch (LayoutOf(id)) {
    case Layout::kBitmap:
      return v.kind() == Value::Kind::kBool ? Status::OK() : mismatch();
    case Layout::kFixedWidth: {
      if (id == TypeId::kFloat32 || id == TypeId::kFloat64) {
        bool num = v.kind() == Value::Kind::kDouble || v.kind() == Value::Kind::kInt ||
                   v.kind() == Value::Kind::kUInt;
        return num ? Status::OK() : mismatch();
      }
      if (IsInteger(id) && !IsSignedInteger(id)) {
        uint64_t u;
        if (v.kind() == Value::Kind::kUInt) u = v.as_uint();
        else if (v.kind() == Value::Kind::kInt && v.as_int() >= 0) u = static_cast<uint64_t>(v.as_int());
        else return mismatch();
        if (width < 8 && (u >> (width * 8)) != 0)
          return Status::Invalid("value " + std::to_string(u) + " out of range for " + type.ToString());
        return Status::OK();
      }
      int64_t i;
      if (v.kind() == Value::Kind::kInt) i = v.as_int();
      else if (v.kind() == Value::Kind::kUInt && v.as_uint() <= static_cast<uint64_t>(INT64_MAX))
        i = static_cast<int64_t>(v.as_uint());
      else return mismatch();
      bool fits = width == 8 || (width == 4 && FitsSigned<int32_t>(i)) ||
                  (width == 2 && FitsSigned<int16_t>(i)) || (width == 1 && FitsSigned<int8_t>(i));
      return fits ? Status::OK()
                  : Status::Invalid("value " + std::to_string(i) + " out of range for " + type.ToString());
    }
    case Layout::kFixedBinary:
      if (v.kind() != Value::Kind::kString) return mismatch();
      if (static_cast<int64_t>(v.as_string().size()) != width)
        return Status::Invalid("expected " + std::to_string(width) + " bytes for " + type.ToString() +
                               ", got " + std::to_string(v.as_string().size()));
      return Status::OK();
    case Layout::kVarBinary:
      if (v.kind() != Value::Kind::kString) return mismatch();
      if (v.as_string().size() > static_cast<size_t>(INT32_MAX)) return Status::Invalid("value larger than 2 GiB");
      return Status::OK();
    case Layout::kList:
      if (v.kind() != Value::Kind::kList) return mismatch();
      for (const auto& item : v.items()) FERRY_RETURN_NOT_OK(CheckValue(*type.children[0].type, item));
      return Status::OK();
    case Layout::kStruct:
      if (v.kind() != Value::Kind::kList || v.items().size() != type.children.size()) return mismatch();
      for (size_t k = 0; k < type.children.size(); ++k)
        FERRY_RETURN_NOT_OK(CheckValue(*type.children[k].type, v.items()[k])
                                .WithContext("field " + type.children[k].name));
      return Status::OK();
  }
  return mismatch();
}

void ArrayBuilder::AppendChecked(const Value& v) {
  if (v.is_null()) {
    AppendNull();
    return;
  }
  const TypeId id = type_->id;
  switch (layout_) {
    case Layout::kBitmap: AppendBool(v.as_bool()); return;
    case Layout::kFixedWidth:
      if (id == TypeId::kFloat32 || id == TypeId::kFloat64) {
        if (v.kind() == Value::Kind::kDouble) AppendDouble(v.as_double());
        else if (v.kind() == Value::Kind::kInt) AppendDouble(static_cast<double>(v.as_int()));
        else AppendDouble(static_cast<double>(v.as_uint()));
      } else if (IsInteger(id) && !IsSignedInteger(id)) {
        AppendUInt(v.kind() == Value::Kind::kUInt ? v.as_uint() : static_cast<uint64_t>(v.as_int()));
      } else {
        AppendInt(v.kind() == Value::Kind::kInt ? v.as_int() : static_cast<int64_t>(v.as_uint()));
      }
      return;
    case Layout::kFixedBinary:
    case Layout::kVarBinary: AppendBytes(v.as_string()); return;
    case Layout::kList:
      for (const auto& item : v.items()) children_[0]->AppendChecked(item);
      CloseList();
      return;
    case Layout::kStruct:
      for (size_t k = 0; k < children_.size(); ++k) children_[k]->AppendChecked(v.items()[k]);
      CloseStruct();
      return;
  }
}

Status ArrayBuilder::Append(const Value& v) {
  FERRY_RETURN_NOT_OK(CheckValue(*type_, v));
  AppendChecked(v);
  return Status::OK();
}

ArrayPtr ArrayBuilder::Finish() {
  auto a = std::make_shared<ArrayData>();
  a->type = type_;
  a->length = length_;
  a->null_count = validity_.false_count();
  if (a->null_count > 0) {
    a->buffers.push_back(validity_.Finish());
  } else {
    validity_.Discard();
    a->buffers.push_back(nullptr);
  }
  switch (layout_) {
    case Layout::kBitmap: a->buffers.push_back(bools_.Finish()); break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary: a->buffers.push_back(values_.Finish()); break;
    case Layout::kVarBinary:
      a->buffers.push_back(values_.Finish());
      a->buffers.push_back(data_.Finish());
      values_.AppendValue<int32_t>(0);
      break;
    case Layout::kList:
      a->buffers.push_back(values_.Finish());
      a->children.push_back(children_[0]->Finish());
      values_.AppendValue<int32_t>(0);
      break;
    case Layout::kStruct:
      for (auto& c : children_) a->children.push_back(c->Finish());
      break;
  }
  length_ = 0;
  return a;
}

Value ArrayBuilder::PeekLast() const {
  if (length_ == 0) return Value::Null();
  const int64_t i = length_ - 1;
  if (!validity_.Get(i)) return Value::Null();
  const uint8_t* vals = const_cast<BufferBuilder&>(values_).mutable_data();
  switch (layout_) {
    case Layout::kBitmap: return Value::Bool(bools_.Get(i));
    case Layout::kFixedWidth: {
      const uint8_t* p = vals + i * width_;
      switch (type_->id) {
        case TypeId::kInt8: return Value::Int(*reinterpret_cast<const int8_t*>(p));
        case TypeId::kInt16: return Value::Int(*reinterpret_cast<const int16_t*>(p));
        case TypeId::kInt32: case TypeId::kDate32: case TypeId::kTime32: case TypeId::kIntervalMonth:
          return Value::Int(*reinterpret_cast<const int32_t*>(p));
        case TypeId::kInt64: case TypeId::kTimestamp: case TypeId::kTime64: case TypeId::kDuration:
          return Value::Int(*reinterpret_cast<const int64_t*>(p));
        case TypeId::kUInt8: return Value::UInt(*p);
        case TypeId::kUInt16: return Value::UInt(*reinterpret_cast<const uint16_t*>(p));
        case TypeId::kUInt32: return Value::UInt(*reinterpret_cast<const uint32_t*>(p));
        case TypeId::kUInt64: return Value::UInt(*reinterpret_cast<const uint64_t*>(p));
        case TypeId::kFloat32: return Value::Double(*reinterpret_cast<const float*>(p));
        case TypeId::kFloat64: return Value::Double(*reinterpret_cast<const double*>(p));
        default: return Value::Null();
      }
    }
    case Layout::kFixedBinary:
      return Value::String(std::string(reinterpret_cast<const char*>(vals + i * width_), width_));
    case Layout::kVarBinary: {
      const int32_t* offs = reinterpret_cast<const int32_t*>(vals);
      const char* d = reinterpret_cast<const char*>(const_cast<BufferBuilder&>(data_).mutable_data());
      return Value::String(std::string(d + offs[i], offs[i + 1] - offs[i]));
    }
    default: return Value::Null();
  }
}

// ---- BatchBuilder ----

BatchBuilder::BatchBuilder(TableSchemaPtr schema) : schema_(std::move(schema)) {
  for (const auto& c : schema_->columns) columns_.push_back(std::make_unique<ArrayBuilder>(c.type));
}

int64_t BatchBuilder::ByteSize() const {
  int64_t n = 0;
  for (const auto& c : columns_) n += c->ByteSize();
  return n;
}

Status BatchBuilder::AppendRow(const Row& row) {
  if (row.size() != columns_.size())
    return Status::Invalid("table " + schema_->name + ": row has " + std::to_string(row.size()) +
                           " values, the table has " + std::to_string(columns_.size()) + " columns");
  // Check every value before appending any, so a bad row leaves no trace.
  for (size_t i = 0; i < row.size(); ++i) {
    Status st = CheckValue(*schema_->columns[i].type, row[i]);
    if (!st.ok()) return st.WithContext("table " + schema_->name + ", column " + schema_->columns[i].name);
  }
  for (size_t i = 0; i < row.size(); ++i) columns_[i]->AppendChecked(row[i]);
  ++num_rows_;
  return Status::OK();
}

BatchPtr BatchBuilder::Finish() {
  std::vector<ArrayPtr> cols;
  cols.reserve(columns_.size());
  for (auto& c : columns_) cols.push_back(c->Finish());
  auto b = std::make_shared<Batch>(schema_, std::move(cols), num_rows_);
  num_rows_ = 0;
  return b;
}

// ---- GetValue ----

Value GetValue(const ArrayData& a, int64_t i) {
  if (a.IsNull(i)) return Value::Null();
  switch (a.type->id) {
    case TypeId::kBool: return Value::Bool(a.BoolValue(i));
    case TypeId::kInt8: return Value::Int(a.Value<int8_t>(i));
    case TypeId::kInt16: return Value::Int(a.Value<int16_t>(i));
    case TypeId::kInt32: case TypeId::kDate32: case TypeId::kTime32: case TypeId::kIntervalMonth:
      return Value::Int(a.Value<int32_t>(i));
    case TypeId::kInt64: case TypeId::kTimestamp: case TypeId::kTime64: case TypeId::kDuration:
      return Value::Int(a.Value<int64_t>(i));
    case TypeId::kUInt8: return Value::UInt(a.Value<uint8_t>(i));
    case TypeId::kUInt16: return Value::UInt(a.Value<uint16_t>(i));
    case TypeId::kUInt32: return Value::UInt(a.Value<uint32_t>(i));
    case TypeId::kUInt64: return Value::UInt(a.Value<uint64_t>(i));
    case TypeId::kFloat32: return Value::Double(a.Value<float>(i));
    case TypeId::kFloat64: return Value::Double(a.Value<double>(i));
    case TypeId::kUtf8: case TypeId::kBinary: case TypeId::kJson: case TypeId::kInet: case TypeId::kMac:
      return Value::String(std::string(a.StringValue(i)));
    case TypeId::kFixedSizeBinary: case TypeId::kUuid: case TypeId::kIntervalDayTime:
    case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      return Value::String(std::string(a.FixedValue(i)));
    case TypeId::kList: {
      auto [b, e] = a.ListRange(i);
      std::vector<Value> items;
      for (int64_t k = b; k < e; ++k) items.push_back(GetValue(*a.children[0], k));
      return Value::List(std::move(items));
    }
    case TypeId::kStruct: {
      std::vector<Value> fields;
      for (const auto& c : a.children) fields.push_back(GetValue(*c, i));
      return Value::List(std::move(fields));
    }
  }
  return Value::Null();
}

}  // namespace ferry
