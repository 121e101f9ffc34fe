// BigQuery's value ranges that Ferry's types exceed: TIMESTAMP and DATE
// hold years 0001 to 9999 only, TIME one day (time32/time64 may hold any
// count). A batch is checked before it is sent, so a
// value outside is an error naming the table, batch, row and column (the
// rows of that Write are not sent) rather than a failed request or, on some
// servers, a wrapped-around date.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/batch.h"
#include "ferry/status.h"

namespace ferry::plugins::bigquery {

inline constexpr int64_t kMinTimestampUs = -62135596800000000LL;   // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampUs = 253402300799999999LL;   // 9999-12-31T23:59:59.999999Z
inline constexpr int64_t kMinDate = -719162;                         // 0001-01-01
inline constexpr int64_t kMaxDate = 2932896;                         // 9999-12-31

// OK, or an error "<what> batch B row R column C: ..." for the first value
// out of range (C is a path for nested values: c_struct.e, tags[]).
Status CheckValueRanges(const Batch& batch, const std::string& what, size_t batch_index);

}  // namespace ferry::plugins::bigquery
