// _cq_id computation as CloudQuery's SDK does it (docs/architecture.md, "Resolving"):
// UUIDv5 (zero namespace) of the SHA-256 of the concatenated (name, value
// string) of the sorted primary-key-component (or, when deterministic ids are
// requested, primary-key) columns; a random UUIDv4 otherwise.
#pragma once

#include <string>
#include <vector>

#include "ferry/schema.h"
#include "ferry/value.h"

namespace ferry::sdk {

// CloudQuery's scalar.String() of a value of `type`.
std::string ScalarString(const DataType& type, const Value& v);

class CqIdPlan {
 public:
  // `own` is the table's own-column schema.
  CqIdPlan(const TableSchema& own, bool deterministic);
  bool random() const { return columns_.empty(); }
  // Own-column indexes whose values feed the hash, sorted by name.
  const std::vector<int>& columns() const { return columns_; }
  // 16 raw bytes.
  std::string Compute(const TableSchema& own, const std::vector<Value>& values_by_plan) const;

 private:
  std::vector<int> columns_;
};

}  // namespace ferry::sdk
