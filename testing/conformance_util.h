// Shared by the conformance suite's files (not for destinations): status
// assertions and the small tables the cases use.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"
#include "testing/batch_gen.h"

#define FERRY_ASSERT_OK(expr)                                   \
  do {                                                          \
    const ::ferry::Status _st = (expr);                         \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString();   \
  } while (0)

#define FERRY_EXPECT_OK(expr)                                   \
  do {                                                          \
    const ::ferry::Status _st = (expr);                         \
    EXPECT_TRUE(_st.ok()) << #expr << ": " << _st.ToString();   \
  } while (0)

#define FERRY_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                     \
  auto FERRY_CONCAT(_r_, __LINE__) = (rexpr);                                      \
  ASSERT_TRUE(FERRY_CONCAT(_r_, __LINE__).ok())                                    \
      << #rexpr << ": " << FERRY_CONCAT(_r_, __LINE__).status().ToString();        \
  lhs = std::move(FERRY_CONCAT(_r_, __LINE__)).value()

namespace ferry::testing::conformance {

// Sync times used by the cases (2024-01-02 03:04:05.678901 UTC and an hour later).
inline const int64_t kT1 = Micros(2024, 1, 2, 3, 4, 5, 678901);
inline const int64_t kT2 = kT1 + 3600LL * 1000000;

// name with the meta columns, then id (int64, the key when `pk`), name (utf8), value (float64).
inline TableSchemaPtr Items(const std::string& name, bool pk) {
  auto t = std::make_shared<TableSchema>(
      *TableWithMeta(name, {Col("id", types::Int64(), pk), Col("name", types::Utf8()), Col("value", types::Float64())}));
  // Without a key the table is what the engine hands a destination in append
  // mode: no primary key and no UNIQUE column (_cq_id repeats when rows do).
  if (!pk)
    for (auto& c : t->columns) c.unique = false;
  return t;
}

inline Row ItemRow(int64_t sync_time, const std::string& source, int64_t id, const std::string& name, double value) {
  return MetaRow(sync_time, source, static_cast<uint64_t>(id),
                 {Value::Int(id), Value::String(name), Value::Double(value)});
}

// `schema` with `extra` columns appended.
inline TableSchemaPtr WithColumns(const TableSchemaPtr& schema, std::vector<Column> extra) {
  auto t = std::make_shared<TableSchema>(*schema);
  for (auto& c : extra) t->columns.push_back(std::move(c));
  return t;
}

}  // namespace ferry::testing::conformance
