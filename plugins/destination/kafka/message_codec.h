// How the rows of one table become Kafka messages, and back.
//
// One message per row. The value is the row in the spec's format, as
// CloudQuery's files encode it (cloudquery/filetypes v4 over arrow-go):
//   json  one object, keys in name order (Go maps sort them), then "\n";
//         timestamps RFC 3339 as Go's RFC3339Nano, binary base64, uuid and
//         MAC as text, json columns embedded, lists arrays, structs objects.
//   csv   a header line (unless skip_header), then the row; nulls empty,
//         floats as Go's strconv 'g', nested values as their JSON text;
//         quoted as Go's encoding/csv quotes.
// With compression: gzip the value is gzipped (a gzip member per message).
// The key is the row's primary key as a compact JSON object ({"id":1}),
// columns in name order; rows of tables without one are unkeyed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"
#include "plugins/destination/kafka/kafka_spec.h"

namespace ferry::plugins::kafka {

class MessageCodec {
 public:
  // `key_columns`: the columns whose values make the message key (empty:
  // unkeyed).
  MessageCodec(const Spec& spec, const TableSchema& table, const std::vector<std::string>& key_columns);

  // The value of row `row` of `batch` (whose columns are the table's).
  Status Value(const Batch& batch, int64_t row, std::string* out) const;
  bool keyed() const { return !key_columns_.empty(); }
  // The key of row `row` (keyed() only).
  void Key(const Batch& batch, int64_t row, std::string* out) const;

 private:
  void JsonValue(const Batch& batch, int64_t row, std::string* out) const;
  void CsvValue(const Batch& batch, int64_t row, std::string* out) const;

  Format format_;
  char delimiter_;
  bool gzip_;
  std::vector<std::string> names_;
  std::vector<size_t> name_order_;    // column indexes in name order (JSON)
  std::vector<std::string> json_keys_;  // per name_order_ entry: `{"name":` or `,"name":`, escaped once
  std::vector<size_t> key_columns_;   // in name order
  std::vector<std::string> key_prefixes_;   // per key column: `{"name":` or `,"name":`, escaped once
  std::string csv_header_;            // "" with skip_header
};

// Go's strconv.FormatFloat(v, 'g', -1, bits) (arrow-go's CSV writer).
void AppendGoFloat(double v, int bits, std::string* out);
// Go's encoding/csv quoting of one field.
void AppendCsvField(std::string_view field, char delimiter, std::string* out);

// gzip (RFC 1952) of `data`, and back.
Result<std::string> Gzip(std::string_view data);
Result<std::string> Gunzip(std::string_view data);

// A JSON message value back into a Row of `table` (columns missing from the
// message are null). For tests and tools that read what Ferry wrote.
Result<Row> DecodeJsonRow(const TableSchema& table, std::string_view value);

}  // namespace ferry::plugins::kafka
