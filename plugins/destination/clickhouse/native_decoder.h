// ClickHouse Native format -> Values: the inverse of native_encoder.h, for
// reading tables back (tests, tools). Hand-written like the encoder.
//
// DecodeNative reads every block of a `SELECT ... FORMAT Native` answer and
// returns one column per name with all rows, values in generic forms:
// signed integers, Date32, DateTime64 -> Int; unsigned, Date, DateTime ->
// UInt; floats -> Double; String, FixedString -> String; UUID -> String of 16
// big-endian bytes; Array, Tuple -> List; Nullable nulls -> Null.
// Unsupported types (LowCardinality, Decimal, Enum, Map, ...) are an error
// that names them. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry::plugins::clickhouse {

// A parsed ClickHouse type: "Nullable(Array(Tuple(a Int64, String)))".
struct TypeNode {
  std::string name;                   // "Nullable", "Array", "Tuple", "Int64", "FixedString", ...
  std::vector<TypeNode> args;         // type arguments (Tuple elements, Array item, ...)
  std::vector<std::string> literals;  // non-type arguments: FixedString(16) -> "16", DateTime64(6, 'UTC')
  std::string element_name;           // for a named Tuple element
};
Result<TypeNode> ParseType(std::string_view text);

struct DecodedColumn {
  std::string name;
  std::string type;
  std::vector<Value> values;
};

Result<std::vector<DecodedColumn>> DecodeNative(std::string_view data);

}  // namespace ferry::plugins::clickhouse
