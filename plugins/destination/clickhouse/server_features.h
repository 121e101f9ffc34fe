// What the connected ClickHouse server can do, decided from `SELECT version()`.
//
// The destination adapts its types and statements to the server it finds at
// Init: Debian's 18.16 has no DateTime64, Date32 or Bool, flattens a
// top-level Array(Tuple) column into Nested sub-columns (`c.1`, `c.2`) and
// has no insert deduplication for non-replicated tables; current servers
// have all of these. 18.16 is verified against a live server in this
// repository, and ClickHouse 26.9 through chdb (its Native format and DDL:
// tests/interop/clickhouse_chdb_*_test.cc); the thresholds for features in
// between follow ClickHouse's changelog and err on the late side. A plain
// value.
#pragma once

#include <string>

#include "ferry/status.h"

namespace ferry::plugins::clickhouse {

struct ServerVersion {
  int major = 0, minor = 0, patch = 0;
  std::string text;  // as the server printed it
  bool AtLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
};

// Parses "18.16.1", "24.8.4.13" or "1.1.54388".
Result<ServerVersion> ParseVersion(const std::string& text);

struct ServerFeatures {
  ServerVersion version;
  bool datetime64 = false;            // 20.1: timestamps as DateTime64(6, 'UTC'), else Int64 microseconds
  bool date32 = false;                // 21.9: date32 as Date32, else Int32 days
  bool bool_type = false;             // 22.1: Bool, else UInt8
  bool named_tuples = false;          // 22.1: Tuple(a T, b U), else Tuple(T, U)
  bool flattens_array_tuple = true;   // < 21.1: CREATE turns `c Array(Tuple(A, B))` into `c.1 Array(A)`, `c.2 Array(B)`
  bool ttl = false;                   // 19.6: TTL clauses
  bool dedup_token = false;           // 22.2: insert_deduplication_token + non_replicated_deduplication_window
  bool nullable_key = false;          // 21.8: SETTINGS allow_nullable_key = 1
  bool mutation_fail_reason = false;  // 20.1: system.mutations.latest_fail_reason
};

// The oldest server Ferry accepts (ALTER TABLE ... DELETE mutations exist
// since 1.1.54388; 18.16 is the oldest verified).
inline constexpr int kMinMajor = 18, kMinMinor = 16;

// Features of `version`; fails (Unsupported) for servers older than 18.16.
Result<ServerFeatures> FeaturesOf(const ServerVersion& version);

}  // namespace ferry::plugins::clickhouse
