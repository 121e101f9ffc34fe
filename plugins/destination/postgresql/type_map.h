// How Ferry types are stored in PostgreSQL: column types (CloudQuery's map,
// plugins/destination/postgresql/README.md, "Type map") and the type OIDs of binary COPY.
//
//   Ferry type                      PostgreSQL column type
//   bool                            boolean
//   int8, int16, uint8              smallint
//   int32, uint16                   integer
//   int64, uint32                   bigint
//   uint64                          numeric(20,0)   (binary numeric, base-10000 digits)
//   float32 / float64               real / double precision (NaN, +-inf, -0 kept)
//   utf8                            text            (U+0000 removed: text cannot hold it,
//                                                    CloudQuery removes it too)
//   binary, fixed_size_binary       bytea
//   timestamp[us, UTC]              timestamp without time zone (UTC wall time)
//   date32                          date
//   uuid                            uuid
//   json                            jsonb           (PostgreSQL normalises whitespace
//                                                    and key order; \u0000 removed)
//   inet                            inet            (CIDR text; invalid text is an error)
//   mac                             macaddr         (6 bytes; other lengths are an error)
//   list<T> of a scalar T above     T[]             (one-dimensional)
//   struct, list<list>, list<struct> jsonb          (CloudQuery writes text; the encoding is
//                                                    plugins/common/json_cell.h in JsonbStyle())
//   time32[s|ms], time64[us|ns]     time without time zone (microseconds since midnight,
//                                                    as CloudQuery; time64[ns] keeps whole
//                                                    microseconds, like timestamps; a value
//                                                    outside 00:00-24:00 is an error)
//   decimal128(p, s)                numeric(p,s)    (as CloudQuery; plain numeric when s < 0
//                                                    or s > p; binary numeric, exact)
//   duration[unit]                  text            (as CloudQuery: "12s", Arrow's form)
//   month, day_time and month_day_nano intervals
//                                   text            (as CloudQuery's column type; the text is
//                                                    Ferry's canonical form, text_codec.h)
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/types.h"
#include "plugins/common/json_cell.h"

namespace ferry::plugins::postgresql {

namespace oid {
inline constexpr uint32_t kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                          kFloat4 = 700, kFloat8 = 701, kMacaddr = 829, kInet = 869, kDate = 1082,
                          kTime = 1083, kTimestamp = 1114, kNumeric = 1700, kUuid = 2950, kJsonb = 3802;
}  // namespace oid

// True when the type is stored as one jsonb document (plugins/common/json_cell.h).
bool StoredAsJson(const DataType& type);

// How nested cells are written as jsonb: RFC 3339 timestamps, U+0000
// removed and -0 as a string (jsonb refuses the one and loses the other).
inline JsonCellStyle JsonbStyle() {
  return JsonCellStyle{.timestamp = TimestampStyle::kIsoUtc, .nul = JsonNul::kDrop, .negative_zero_as_string = true};
}

// The column type as PostgreSQL's format_type() prints it ("bigint",
// "timestamp without time zone", "text[]", ...), so catalog types compare
// with plain string equality.
std::string ColumnType(const DataType& type);

// The OID of the column type (the array type for lists stored as arrays).
uint32_t TypeOid(const DataType& type);
// The OID of one element (scalar types; for lists, of their items).
uint32_t ScalarOid(const DataType& type);
// The array type OID for arrays of ScalarOid `elem`.
uint32_t ArrayOid(uint32_t elem);

// A Ferry type for a column type read from the catalog (format_type text),
// for tables this process has no schema of (delete_record under --no-migrate).
// Unknown types give utf8.
DataTypePtr TypeOfColumnType(const std::string& pg_type);

}  // namespace ferry::plugins::postgresql
