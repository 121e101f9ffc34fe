// Comparing rows in tests: readable Value text and an order-insensitive
// comparison that names the missing and the unexpected rows.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/value.h"

namespace ferry::testing {

// Int(5), UInt(5), Double(0.1), "text" with non-printable bytes as \xNN,
// [items], null. Distinct values give distinct text (doubles use 17 digits).
std::string DebugString(const Value& v);
std::string DebugString(const Row& row);

// Equal as multisets of rows (NaN equals NaN, as Value::operator== says).
// The failure message lists up to 5 missing and 5 unexpected rows.
::testing::AssertionResult SameRows(const std::vector<Row>& expected, const std::vector<Row>& actual);

}  // namespace ferry::testing
