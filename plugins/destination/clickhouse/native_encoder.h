// Batches -> one block of ClickHouse's Native format.
//
// Native is ClickHouse's own columnar wire format (what `FORMAT Native`
// reads and writes over HTTP): varint column count, varint row count, then per
// column its name, its type and its values. No packaged library writes it,
// so this is a hand-written encoder, checked against a real server by the
// integration tests. The layout per type, as the server reads it:
//   - fixed-width numbers: little-endian values back to back (Ferry's Arrow
//     buffers are copied as they are);
//   - String: varint length + bytes per value; FixedString(n): n bytes each;
//   - UUID: two little-endian UInt64, the high half first;
//   - Nullable(T): one byte per row (1 = null), then the T values;
//   - Array(T): cumulative UInt64 end offsets, then all items as one T column;
//   - Tuple(A, B): the A column, then the B column.
// Ferry's layout (type_map.h) decides names and types; null lists and
// structs go to `_ferry_nulls`.
//
// One request becomes one INSERT of one block (NativeBody), which ClickHouse
// inserts whole or not at all (client.h). Everything the server could refuse
// about a value is checked here first (a null in a NOT NULL column, a column
// of the wrong type), so a bad batch fails before a byte is sent.
//
// Thread-safety: pure functions over immutable batches.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/batch.h"
#include "ferry/status.h"
#include "plugins/destination/clickhouse/byte_buffer.h"
#include "plugins/destination/clickhouse/http_transport.h"
#include "plugins/destination/clickhouse/request_rows.h"
#include "plugins/destination/clickhouse/type_map.h"

namespace ferry::plugins::clickhouse {

// Appends one Native block of `rows` in `layout` to `out`. `context` prefixes
// errors ("table t").
Status EncodeBlock(const TableLayout& layout, const std::vector<RowRange>& rows, const std::string& context,
                   ByteBuffer* out);

// Fails when a NOT NULL column (top level) holds a null in `rows`: the check
// EncodeBlock makes, done for a whole request before anything is sent.
Status CheckNotNull(const TableLayout& layout, const std::vector<RowRange>& rows, const std::string& context);

// The body of one INSERT: `rows` as ONE Native block, produced one column
// at a time as the transport asks for it, so encoding overlaps sending and
// an INSERT holds one encoded column in memory, not the whole request. One
// block matters: a body cut anywhere before its end fails to parse on the
// server, while a body of several blocks cut between two blocks would be
// taken as a shorter, valid one. `layout` and the batches behind `rows`
// must outlive it.
class NativeBody final : public BodySource {
 public:
  NativeBody(const TableLayout& layout, std::vector<RowRange> rows, std::string context);
  void Rewind() override { next_ = 0; }
  Result<bool> Next(ByteBuffer* out) override;
  int64_t rows() const { return num_rows_; }

 private:
  const TableLayout& layout_;
  std::vector<RowRange> rows_;
  std::string context_;
  size_t next_ = 0;  // 0: the block header; k: physical column k - 1
  int64_t num_rows_ = 0;
};

// The null-list / null-struct paths of one cell (empty when none); what
// EncodeBlock writes into `_ferry_nulls`.
void NullPaths(const ArrayData& column, const DataType& type, int64_t row, const std::string& name,
               std::vector<std::string>* out);

}  // namespace ferry::plugins::clickhouse
