// The `${time:...}` expressions of CloudQuery specs (its configtype.ParseTime).
//
// EXPR is one of
//   now
//   2024-03-01T12:00:00Z, 2024-03-01T12:00:00.5+02:00     (RFC 3339)
//   2024-03-01                                             (a date, midnight UTC)
//   a relative duration: segments "N unit" or Go durations ("1h30m"),
//   optionally followed by "ago" or "from now":
//     "3 days ago", "1 hour 30 minutes ago", "2 months from now", "-24h"
//   units: ns, us, ms, s, m, h, d, M, Y and the words nanosecond(s),
//   microsecond(s), millisecond(s), second(s), minute(s), hour(s), day(s),
//   month(s), year(s). Days, months and years are calendar steps (Go AddDate).
// LAYOUT is a Go reference-time layout ("2006-01-02T15:04:05Z07:00" is the
// default, RFC 3339). Relative times are computed and printed in UTC.
#pragma once

#include <chrono>
#include <string>

#include "ferry/status.h"

namespace ferry::config {

// Evaluates "EXPR" or "EXPR|LAYOUT" relative to `now` and formats the result.
Result<std::string> EvaluateTimeExpression(const std::string& expr, std::chrono::system_clock::time_point now);

}  // namespace ferry::config
