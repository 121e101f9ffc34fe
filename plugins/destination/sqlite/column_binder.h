// ColumnBinder: binds cells of one Arrow-layout column to a prepared
// statement parameter, in the storage form of type_map.h.
//
// The binder is chosen once per column type (a function pointer), then
// called per row. Strings and blobs are bound SQLITE_STATIC straight from the
// batch buffers (the batch outlives the step); formatted values (timestamps,
// dates, UUIDs, JSON, big uint64) are written to the binder's own scratch
// memory, which stays valid until the next Bind on the same binder. So: one
// binder per statement parameter, and step the statement before rebinding.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <sqlite3.h>

#include "ferry/batch.h"
#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

class ColumnBinder {
 public:
  explicit ColumnBinder(const DataType& type);

  // Binds cell `row` of `array` (whose type is the constructor's) to
  // parameter `index` (1-based). Returns an SQLite result code.
  int Bind(sqlite3_stmt* stmt, int index, const ArrayData& array, int64_t row) {
    if (array.IsNull(row)) return sqlite3_bind_null(stmt, index);
    return fn_(*this, stmt, index, array, row);
  }

 private:
  using Fn = int (*)(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  template <typename T> static int BindInt(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  template <typename T> static int BindFloat(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindUInt64(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindBool(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindText(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindBlob(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindFixedBlob(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindTimestamp(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindDate(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindUuid(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindJsonText(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);
  static int BindArrowText(ColumnBinder&, sqlite3_stmt*, int, const ArrayData&, int64_t);

  Fn fn_;
  // Scratch for formatted values. The timestamp text is cached: every row of
  // a sync has the same _cq_sync_time, so it is formatted once per batch.
  char text_[kMaxTimeText];
  int64_t text_key_ = 0;
  int text_len_ = -1;   // -1: text_ holds nothing reusable
  std::string json_;
};

}  // namespace ferry::plugins::sqlite
