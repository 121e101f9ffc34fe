#include "plugins/destination/sqlite/column_binder.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "plugins/common/json_cell.h"

namespace ferry::plugins::sqlite {

namespace {

// sqlite3_bind_text/blob with a null pointer binds NULL; an empty value from a
// buffer-less array must stay an empty string / blob.
const char* NonNull(const char* p) { return p ? p : ""; }

}  // namespace

ColumnBinder::ColumnBinder(const DataType& type) {
  switch (type.id) {
    case TypeId::kBool: fn_ = &BindBool; break;
    case TypeId::kInt8: fn_ = &BindInt<int8_t>; break;
    case TypeId::kInt16: fn_ = &BindInt<int16_t>; break;
    case TypeId::kInt32: fn_ = &BindInt<int32_t>; break;
    case TypeId::kInt64: fn_ = &BindInt<int64_t>; break;
    case TypeId::kUInt8: fn_ = &BindInt<uint8_t>; break;
    case TypeId::kUInt16: fn_ = &BindInt<uint16_t>; break;
    case TypeId::kUInt32: fn_ = &BindInt<uint32_t>; break;
    case TypeId::kUInt64: fn_ = &BindUInt64; break;
    case TypeId::kFloat32: fn_ = &BindFloat<float>; break;
    case TypeId::kFloat64: fn_ = &BindFloat<double>; break;
    case TypeId::kUtf8: case TypeId::kJson: case TypeId::kInet: fn_ = &BindText; break;
    case TypeId::kBinary: case TypeId::kMac: fn_ = &BindBlob; break;
    case TypeId::kFixedSizeBinary: fn_ = &BindFixedBlob; break;
    case TypeId::kTimestamp: fn_ = &BindTimestamp; break;
    case TypeId::kDate32: fn_ = &BindDate; break;
    case TypeId::kUuid: fn_ = &BindUuid; break;
    case TypeId::kList: case TypeId::kStruct: fn_ = &BindJsonText; break;
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      fn_ = &BindArrowText;
      break;
  }
}

template <typename T>
int ColumnBinder::BindInt(ColumnBinder&, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  return sqlite3_bind_int64(s, idx, static_cast<sqlite3_int64>(a.Value<T>(row)));
}

template <typename T>
int ColumnBinder::BindFloat(ColumnBinder&, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const double v = a.Value<T>(row);
  // SQLite stores a bound NaN as NULL; keep it as text so it round-trips.
  if (std::isnan(v)) return sqlite3_bind_text(s, idx, "NaN", 3, SQLITE_STATIC);
  return sqlite3_bind_double(s, idx, v);
}

int ColumnBinder::BindUInt64(ColumnBinder& b, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const uint64_t v = a.Value<uint64_t>(row);
  if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return sqlite3_bind_int64(s, idx, static_cast<sqlite3_int64>(v));
  // INTEGER affinity would convert decimal text to a lossy REAL; a blob is
  // stored as given. CAST(col AS TEXT) shows the digits.
  auto r = std::to_chars(b.text_, b.text_ + sizeof(b.text_), v);
  b.text_len_ = -1;
  return sqlite3_bind_blob(s, idx, b.text_, static_cast<int>(r.ptr - b.text_), SQLITE_STATIC);
}

int ColumnBinder::BindBool(ColumnBinder&, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  return sqlite3_bind_int(s, idx, a.BoolValue(row) ? 1 : 0);
}

int ColumnBinder::BindText(ColumnBinder&, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const std::string_view v = a.StringValue(row);
  return sqlite3_bind_text(s, idx, NonNull(v.data()), static_cast<int>(v.size()), SQLITE_STATIC);
}

int ColumnBinder::BindBlob(ColumnBinder&, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const std::string_view v = a.StringValue(row);
  return sqlite3_bind_blob(s, idx, NonNull(v.data()), static_cast<int>(v.size()), SQLITE_STATIC);
}

int ColumnBinder::BindFixedBlob(ColumnBinder&, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const std::string_view v = a.FixedValue(row);
  return sqlite3_bind_blob(s, idx, NonNull(v.data()), static_cast<int>(v.size()), SQLITE_STATIC);
}

int ColumnBinder::BindTimestamp(ColumnBinder& b, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const int64_t v = a.Value<int64_t>(row);
  if (b.text_len_ < 0 || b.text_key_ != v) {
    b.text_len_ = static_cast<int>(FormatTimestamp(v, b.text_));
    b.text_key_ = v;
  }
  return sqlite3_bind_text(s, idx, b.text_, b.text_len_, SQLITE_STATIC);
}

int ColumnBinder::BindDate(ColumnBinder& b, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  const int64_t v = a.Value<int32_t>(row);
  if (b.text_len_ < 0 || b.text_key_ != v) {
    b.text_len_ = static_cast<int>(FormatDate(v, b.text_));
    b.text_key_ = v;
  }
  return sqlite3_bind_text(s, idx, b.text_, b.text_len_, SQLITE_STATIC);
}

int ColumnBinder::BindUuid(ColumnBinder& b, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  FormatUuid(a.FixedValue(row), b.text_);
  b.text_len_ = -1;
  return sqlite3_bind_text(s, idx, b.text_, 36, SQLITE_STATIC);
}

int ColumnBinder::BindJsonText(ColumnBinder& b, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  b.json_.clear();
  AppendJsonCell(a, row, JsonCellStyle{}, &b.json_);   // TEXT holds any JSON
  return sqlite3_bind_text(s, idx, b.json_.data(), static_cast<int>(b.json_.size()), SQLITE_STATIC);
}

int ColumnBinder::BindArrowText(ColumnBinder& b, sqlite3_stmt* s, int idx, const ArrayData& a, int64_t row) {
  b.json_.clear();
  AppendArrowScalarText(*a.type, a.FixedValue(row), &b.json_);  // "03:04:05.123", "12s", "-12.3400000000"
  return sqlite3_bind_text(s, idx, b.json_.data(), static_cast<int>(b.json_.size()), SQLITE_STATIC);
}

}  // namespace ferry::plugins::sqlite
