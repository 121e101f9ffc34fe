// How Ferry types and tables are stored in ClickHouse.
//
// Scalar types map one to one and are wrapped in Nullable(T) unless the
// column is NOT NULL, part of the primary key, or `_cq_sync_time` of a table
// with a primary key (the ReplacingMergeTree version; never null in a sync). Types the server lacks fall
// back to an exact integer encoding of the same value:
//
//   Ferry           ClickHouse >= 22.2           ClickHouse 18.16 (Debian 12)
//   bool            Bool                         UInt8
//   int8..uint64    Int8..UInt64                 same
//   float32/64      Float32/Float64              same
//   utf8, binary,   String                       String
//   json, inet, mac
//   fixed_size_binary[n]  FixedString(n)         same
//   uuid            UUID                         UUID
//   timestamp[us]   DateTime64(6, 'UTC')         Int64 (microseconds since the epoch, UTC)
//   date32          Date32                       Int32 (days since the epoch)
//   list<T>         Array(T')                    Array(T'); a top-level list<struct> is stored
//                                                flattened as `c.1 Array(F1)`, `c.2 Array(F2)`, ...
//   struct          Tuple(a A', b B')            Tuple(A', B')
//   decimal128(p,s) Decimal(p, s)                same (String for s < 0 or s > p, which
//                                                ClickHouse's Decimal cannot hold)
//   time32/time64,  String: Ferry's canonical text (ferry/text_codec.h: "03:04:05.123",
//   duration,       "12s", "14 months", "2 days 300ms", "1 month 2 days 3ns")
//   intervals
//
// ClickHouse has no Nullable(Array) or Nullable(Tuple): a null list or struct
// is written as [] or a tuple of defaults, and its path is recorded in the
// row's `_ferry_nulls Array(String)` column (added only to tables that have a
// nullable list or struct): "tags" for a null column, "tags[2]" for a null
// third item, "s.f" for a null field, combined as "c[1].f". Readers that
// need the difference between null and empty use `has(_ferry_nulls, 'tags')`.
//
// All functions are pure.
#pragma once

#include <string>
#include <vector>

#include "ferry/schema.h"
#include "plugins/destination/clickhouse/server_features.h"

namespace ferry::plugins::clickhouse {

inline constexpr const char* kNullsColumn = "_ferry_nulls";
inline constexpr const char* kNullsType = "Array(String)";

bool IsComposite(TypeId id);
// Whether a column stores Nullable values: scalars that are not NOT NULL, not
// in the primary key, and not the version (_cq_sync_time of a keyed table).
bool ColumnNullable(const Column& c, bool keyed_table);

// The ClickHouse type of a value of `type` (Nullable-wrapped when `nullable`
// and the type is a scalar).
std::string ClickHouseType(const DataType& type, bool nullable, const ServerFeatures& f);

// True for the types stored as String of their canonical text (above).
bool StoredAsText(const DataType& type);
// Bytes of a Decimal(p, s) value in Native data (4, 8 or 16; 0: not a Decimal column).
int DecimalWidth(const DataType& type);

// True when a value of the column can hold a null list or struct somewhere
// (the column needs `_ferry_nulls`).
bool NeedsNullPaths(const Column& c);

// One column as ClickHouse has it.
struct PhysicalColumn {
  std::string name;
  std::string type;
  int logical = -1;  // index in the TableSchema; -1 for _ferry_nulls
  int element = -1;  // >= 0: field `element` of a flattened top-level list<struct>
};

struct TableLayout {
  TableSchemaPtr schema;
  std::vector<PhysicalColumn> columns;  // insert / select order
  std::vector<std::string> declared;    // per logical column: the type written in CREATE / ADD COLUMN
  std::vector<bool> nullable;           // per logical column: ColumnNullable
  bool null_paths = false;              // has _ferry_nulls (last physical column)
  // Physical columns of logical column i, as [first, last) into `columns`.
  std::vector<std::pair<int, int>> ranges;
};

TableLayout LayoutOf(const TableSchemaPtr& schema, const ServerFeatures& f);

// A type string without blanks outside quotes, for comparing the server's
// canonical spelling with ours ("Tuple(Int64, String)" == "Tuple(Int64,String)").
std::string NormalizeType(const std::string& type);

}  // namespace ferry::plugins::clickhouse
