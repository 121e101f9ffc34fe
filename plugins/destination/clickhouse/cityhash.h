// CityHash128 as ClickHouse uses it: version 1.0.2 of Google's CityHash
// (later versions changed the results), the checksum of every compressed
// block in the native protocol (compressed_frame.h). Written for Ferry from
// the algorithm's description; checked against known answers from PyPI's
// clickhouse-cityhash 1.0.2.6 and the real server (cityhash_test.cc).
// Pure function; little-endian reads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::plugins::clickhouse {

struct Hash128 {
  uint64_t low = 0;   // written first on the wire
  uint64_t high = 0;
  bool operator==(const Hash128& o) const { return low == o.low && high == o.high; }
};

Hash128 CityHash128(const char* data, size_t len);

}  // namespace ferry::plugins::clickhouse
