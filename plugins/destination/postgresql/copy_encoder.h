// CopyEncoder: Arrow-layout columns to PostgreSQL's binary COPY format.
//
// Hand-written because no Debian package encodes Arrow arrays as binary COPY
// (libpq only moves the bytes; libpqxx streams text). The format
// (PostgreSQL docs, "COPY ... Binary Format"): an 11-byte signature, two int32
// (flags, extension length); per row an int16 field count, then per field an
// int32 length (-1 = NULL) and the type's binary "send" form; an int16 -1
// trailer. All integers are big-endian. Per type (type_map.h gives the column
// types):
//   bool 1 byte; int2/int4/int8 and float4/float8 big-endian
//   text / bytea: the bytes (U+0000 removed from text)
//   timestamp: int64 microseconds since 2000-01-01; date: int32 days since 2000-01-01
//   uuid: 16 bytes; jsonb: version byte 1 + JSON text
//   inet: family (2 = IPv4, 3 = IPv6), bits, is_cidr 0, address length, address
//   macaddr: 6 bytes
//   numeric (uint64): int16 ndigits, int16 weight, uint16 sign, uint16 dscale,
//     then ndigits base-10000 digits, most significant first
//   arrays: int32 ndim (0 when empty), int32 has-nulls, element OID, then per
//     dimension int32 length and int32 lower bound 1, then the elements as fields
// Values PostgreSQL cannot hold (bad inet text, a MAC address that is not 6
// bytes) fail with InvalidArgument naming the column and the row.
//
// A CopyEncoder is immutable after construction and may be shared; encoding
// appends to a caller-owned CopyBuffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/schema.h"
#include "ferry/status.h"

namespace ferry::plugins::postgresql {

// A growable byte buffer with cheap appends; Clear() keeps the memory.
class CopyBuffer {
 public:
  char* Reserve(size_t n) {
    if (len_ + n > data_.size()) data_.resize(std::max(data_.size() * 2, len_ + n + 4096));
    return data_.data() + len_;
  }
  void Commit(size_t n) { len_ += n; }
  void Append(const void* p, size_t n) {
    std::memcpy(Reserve(n), p, n);
    len_ += n;
  }
  void PutU8(uint8_t v) { Append(&v, 1); }
  void PutU16(uint16_t v) {
    v = __builtin_bswap16(v);
    Append(&v, 2);
  }
  void PutU32(uint32_t v) {
    v = __builtin_bswap32(v);
    Append(&v, 4);
  }
  void PutU64(uint64_t v) {
    v = __builtin_bswap64(v);
    Append(&v, 8);
  }
  // Writes `v` big-endian at byte `pos` (back-patching a length).
  void PatchU32(size_t pos, uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(data_.data() + pos, &v, 4);
  }
  const char* data() const { return data_.data(); }
  size_t size() const { return len_; }
  void Clear() { len_ = 0; }

 private:
  std::string data_;
  size_t len_ = 0;
};

class CopyEncoder {
 public:
  // `with_seq` appends an int8 column holding each row's ordinal in the
  // request (the staging table uses it to keep the last of repeated keys).
  CopyEncoder(TableSchemaPtr schema, bool with_seq);

  static void AppendHeader(CopyBuffer* out);
  static void AppendTrailer(CopyBuffer* out);
  // Appends rows [begin, end) of `batch`; `seq` is the ordinal of row `begin`.
  Status AppendRows(const Batch& batch, int64_t begin, int64_t end, int64_t seq, CopyBuffer* out) const;

 private:
  TableSchemaPtr schema_;
  bool with_seq_;
};

// Appends the binary send form of cell `row` of `a` (not null), without the
// length prefix; for query parameters. On failure returns false and sets *why.
bool EncodeValue(const ArrayData& a, int64_t row, CopyBuffer* out, std::string* why);

// Numeric binary form of `v` (exposed for tests).
void AppendNumeric(uint64_t v, CopyBuffer* out);
// Binary numeric of a decimal128 (unscaled value, scale): exact, dscale = max(scale, 0).
void AppendDecimalNumeric(__int128 unscaled, int32_t scale, CopyBuffer* out);

}  // namespace ferry::plugins::postgresql
