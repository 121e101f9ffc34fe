// SQL text for ClickHouse: quoting and typed literals.
//
// Every identifier Ferry puts in a statement goes through QuoteIdent and
// every value through QuoteString or Literal, so table names, column names
// and predicate values can hold any bytes. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ferry/text_codec.h"
#include "ferry/status.h"
#include "ferry/types.h"
#include "ferry/value.h"
#include "plugins/destination/clickhouse/server_features.h"

namespace ferry::plugins::clickhouse {

// `name` in backquotes, with backslash and backquote escaped.
std::string QuoteIdent(std::string_view name);
// `db`.`table`
std::string QualifiedName(std::string_view db, std::string_view table);
// 'text' with backslash, quote and control bytes escaped (\xHH).
std::string QuoteString(std::string_view text);
// ^[A-Za-z_][A-Za-z0-9_]*$
bool IsPlainIdentifier(std::string_view name);

// A literal that compares equal to the stored form of `v` in a column of
// Ferry type `type` (see type_map.h). Fails with InvalidArgument when `v` does
// not fit the type, Unsupported for lists and structs.
Result<std::string> Literal(const DataType& type, const Value& v, const ServerFeatures& f);

// The WHERE condition of delete-stale: rows of `source` older than the sync
// that started at `sync_time_us`.
Result<std::string> DeleteStaleWhere(const std::string& source, int64_t sync_time_us, const ServerFeatures& f);

// "2024-01-02 03:04:05.678901" (UTC) for microseconds since the epoch, and
// "2024-01-02" for days (ferry/text_codec.h).
using ::ferry::DateText;
using ::ferry::TimestampText;

}  // namespace ferry::plugins::clickhouse
