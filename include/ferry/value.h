// Value: one dynamically typed cell, used where rows are built one at a time
// (source resolvers, parent rows handed to child resolvers, delete predicates).
//
// The column type decides how a Value is stored: a kString Value fills utf8,
// binary, json, inet (CIDR text) and mac (raw bytes) columns; uuid takes 16
// raw bytes; timestamp and date32 take kInt (microseconds / days). kList holds
// list items or struct fields in declaration order. Hot paths (the synthetic
// benchmark table) write column builders directly instead.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry {

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kUInt, kDouble, kString, kList };

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool v) { Value x; x.kind_ = Kind::kBool; x.bits_ = v ? 1 : 0; return x; }
  static Value Int(int64_t v) { Value x; x.kind_ = Kind::kInt; x.bits_ = static_cast<uint64_t>(v); return x; }
  static Value UInt(uint64_t v) { Value x; x.kind_ = Kind::kUInt; x.bits_ = v; return x; }
  static Value Double(double v) { Value x; x.kind_ = Kind::kDouble; std::memcpy(&x.bits_, &v, 8); return x; }
  static Value String(std::string v) { Value x; x.kind_ = Kind::kString; x.s_ = std::move(v); return x; }
  static Value List(std::vector<Value> v) { Value x; x.kind_ = Kind::kList; x.items_ = std::move(v); return x; }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  // The scalar accessors read one 64-bit word, so each is defined whatever
  // the kind (as_uint of a kInt is its two's complement, as_double of a kInt
  // its bits): code that hashes or compares cells need not switch on kind.
  bool as_bool() const { return bits_ != 0; }
  int64_t as_int() const { return static_cast<int64_t>(bits_); }
  uint64_t as_uint() const { return bits_; }
  double as_double() const {
    double d;
    std::memcpy(&d, &bits_, 8);
    return d;
  }
  const std::string& as_string() const { return s_; }
  const std::vector<Value>& items() const { return items_; }

  bool operator==(const Value& o) const;

 private:
  Kind kind_ = Kind::kNull;
  uint64_t bits_ = 0;   // bool, int64, uint64 or double (a union would make reading the other members UB)
  std::string s_;
  std::vector<Value> items_;
};

// A row: one Value per column of a table, in column order.
using Row = std::vector<Value>;

}  // namespace ferry
