// Test helpers for src/protocol tests (header-only, so no test code lands in
// the ferry_protocol library): a table with every Ferry type, deterministic
// rows with nulls, and value-by-value batch comparison.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/builder.h"
#include "ferry/schema.h"
#include "ferry/text_codec.h"

namespace ferry::protocol::testutil {

inline DataTypePtr InnerStruct() {
  return types::Struct({{"a", types::Utf8(), true}, {"n", types::List(types::Int32()), true}});
}

// One column of every Ferry type, nested ones included.
inline TableSchemaPtr AllTypesSchema() {
  auto s = std::make_shared<TableSchema>();
  s->name = "all_types";
  s->title = "All Types";
  s->description = "every type";
  const std::vector<std::pair<std::string, DataTypePtr>> cols = {
      {"c_bool", types::Bool()},       {"c_i8", types::Int8()},         {"c_i16", types::Int16()},
      {"c_i32", types::Int32()},       {"c_i64", types::Int64()},       {"c_u8", types::UInt8()},
      {"c_u16", types::UInt16()},      {"c_u32", types::UInt32()},      {"c_u64", types::UInt64()},
      {"c_f32", types::Float32()},     {"c_f64", types::Float64()},     {"c_utf8", types::Utf8()},
      {"c_bin", types::Binary()},      {"c_ts", types::Timestamp()},    {"c_date", types::Date32()},
      {"c_fsb", types::FixedSizeBinary(3)},                             {"c_uuid", types::Uuid()},
      {"c_json", types::Json()},       {"c_inet", types::Inet()},       {"c_mac", types::Mac()},
      {"c_list", types::List(types::Int64())},
      {"c_list_uuid", types::List(types::Uuid(), false)},
      {"c_struct", InnerStruct()},
      {"c_list_struct", types::List(InnerStruct())},
  };
  for (const auto& [name, type] : cols) {
    Column c;
    c.name = name;
    c.type = type;
    s->columns.push_back(c);
  }
  s->columns[4].primary_key = true;
  s->columns[4].not_null = true;
  return s;
}

// One column of each Arrow type Ferry carries as it is (time, duration,
// interval, decimal128), alone and nested; not in AllTypesSchema, which the
// JS peer and the corpus tests also read.
inline TableSchemaPtr CarriedArrowTypesSchema() {
  auto s = std::make_shared<TableSchema>();
  s->name = "arrow_types";
  const std::vector<std::pair<std::string, DataTypePtr>> cols = {
      {"time32_s", types::Time32(TimeUnit::kSecond)},   {"time32_ms", types::Time32(TimeUnit::kMilli)},
      {"time64_us", types::Time64(TimeUnit::kMicro)},   {"time64_ns", types::Time64(TimeUnit::kNano)},
      {"duration_s", types::Duration(TimeUnit::kSecond)}, {"duration_ms", types::Duration(TimeUnit::kMilli)},
      {"duration_us", types::Duration(TimeUnit::kMicro)}, {"duration_ns", types::Duration(TimeUnit::kNano)},
      {"interval_month", types::IntervalMonth()},        {"interval_day_time", types::IntervalDayTime()},
      {"interval_month_day_nano", types::IntervalMonthDayNano()},
      {"decimal128", types::Decimal128(19, 10)},         {"decimal_neg_scale", types::Decimal128(38, -2)},
      {"duration_list", types::List(types::Duration(TimeUnit::kNano))},
      {"struct", types::Struct({{"t", types::Time64(TimeUnit::kNano), true},
                                {"i", types::IntervalMonthDayNano(), true},
                                {"d", types::Decimal128(19, 10), true}})},
  };
  for (const auto& [name, type] : cols) {
    Column c;
    c.name = name;
    c.type = type;
    s->columns.push_back(c);
  }
  return s;
}

// A deterministic value of `type` for (row, col); null about one time in four.
inline Value MakeValue(const DataType& type, int64_t row, int64_t col, bool nullable = true) {
  if (nullable && (row * 7 + col * 3) % 4 == 0) return Value::Null();
  const int64_t k = row * 31 + col;
  switch (type.id) {
    case TypeId::kBool: return Value::Bool(k % 3 == 0);
    case TypeId::kInt8: return Value::Int(static_cast<int8_t>(k * 5 - 60));
    case TypeId::kInt16: return Value::Int(static_cast<int16_t>(k * 977 - 30000));
    case TypeId::kInt32: return Value::Int(static_cast<int32_t>(k * 1000003 - 7));
    case TypeId::kInt64: return Value::Int(k * 123456789012345 - 99);
    case TypeId::kUInt8: return Value::UInt(static_cast<uint8_t>(k * 7));
    case TypeId::kUInt16: return Value::UInt(static_cast<uint16_t>(k * 977));
    case TypeId::kUInt32: return Value::UInt(static_cast<uint32_t>(k * 2654435761u));
    case TypeId::kUInt64: return Value::UInt(static_cast<uint64_t>(k) * 0x9E3779B97F4A7C15ull);
    case TypeId::kFloat32: return Value::Double(static_cast<float>(k) / 8 - 3);
    case TypeId::kFloat64: return Value::Double(static_cast<double>(k) / 3 - 1e10);
    case TypeId::kUtf8: return Value::String(std::string(static_cast<size_t>(k % 5), 'a' + k % 26) + "é");
    case TypeId::kBinary: return Value::String(std::string(static_cast<size_t>(k % 4), static_cast<char>(k)));
    case TypeId::kTimestamp: return Value::Int(1700000000000000 + k * 1000001 - 5000000000000);
    case TypeId::kDate32: return Value::Int(19000 + k - 20000 * (k % 2));
    case TypeId::kFixedSizeBinary: return Value::String(std::string(static_cast<size_t>(type.byte_width), static_cast<char>(k)));
    case TypeId::kUuid: {
      std::string u(16, '\0');
      for (int i = 0; i < 16; ++i) u[i] = static_cast<char>(k * 13 + i);
      return Value::String(u);
    }
    case TypeId::kJson: return Value::String("{\"k\":" + std::to_string(k) + "}");
    case TypeId::kInet: return Value::String("10.0." + std::to_string(k % 256) + ".0/24");
    case TypeId::kMac: return Value::String(std::string("\x00\x1a\x2b\x3c\x4d", 5) + static_cast<char>(k));
    case TypeId::kTime32:
      return Value::Int(type.unit == TimeUnit::kSecond ? k * 1237 % 86400 : k * 1234567 % 86400000);
    case TypeId::kTime64:
      return Value::Int(type.unit == TimeUnit::kMicro ? k * 1234567891 % 86400000000
                                                      : k * 123456789123 % 86400000000000);
    case TypeId::kDuration: return Value::Int(k * 1000000007 - 99999);
    case TypeId::kIntervalMonth: return Value::Int(static_cast<int32_t>(k * 7 - 40));
    case TypeId::kIntervalDayTime:
      return Value::String(IntervalDayTimeBytes(static_cast<int32_t>(k - 30), static_cast<int32_t>(k * 86399 - 5)));
    case TypeId::kIntervalMonthDayNano:
      return Value::String(IntervalMonthDayNanoBytes(static_cast<int32_t>(k - 3), static_cast<int32_t>(k * 3 - 50),
                                                     k * 1000000000007 - 3));
    case TypeId::kDecimal128:
      return Value::String(Decimal128Bytes((static_cast<__int128>(k * 123456789 - 1000000) * 1000000007 + k) *
                                           (k % 3 == 0 ? -1 : 1)));
    case TypeId::kList: {
      std::vector<Value> items;
      for (int64_t i = 0; i < k % 4; ++i)
        items.push_back(MakeValue(*type.children[0].type, row + i + 1, col + 1, type.children[0].nullable));
      return Value::List(std::move(items));
    }
    case TypeId::kStruct: {
      std::vector<Value> fields;
      for (size_t i = 0; i < type.children.size(); ++i)
        fields.push_back(MakeValue(*type.children[i].type, row + 1, col + static_cast<int64_t>(i) + 1));
      return Value::List(std::move(fields));
    }
  }
  return Value::Null();
}

inline BatchPtr MakeBatch(const TableSchemaPtr& schema, int64_t rows) {
  BatchBuilder b(schema);
  for (int64_t r = 0; r < rows; ++r) {
    Row row;
    for (size_t c = 0; c < schema->columns.size(); ++c)
      row.push_back(MakeValue(*schema->columns[c].type, r, static_cast<int64_t>(c), !schema->columns[c].not_null));
    Status st = b.AppendRow(row);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return b.Finish();
}

inline void ExpectSameRows(const Batch& want, const Batch& got) {
  ASSERT_EQ(want.num_rows(), got.num_rows());
  ASSERT_EQ(want.columns().size(), got.columns().size());
  for (size_t c = 0; c < want.columns().size(); ++c) {
    ASSERT_TRUE(want.column(c)->type->Equals(*got.column(c)->type))
        << want.column(c)->type->ToString() << " vs " << got.column(c)->type->ToString();
    for (int64_t r = 0; r < want.num_rows(); ++r)
      ASSERT_TRUE(GetValue(*want.column(c), r) == GetValue(*got.column(c), r))
          << "column " << want.schema()->columns[c].name << " row " << r;
  }
}

// Reads every cell, so sanitizers see any out-of-bounds buffer.
inline int64_t TouchAll(const Batch& b) {
  int64_t n = 0;
  for (const auto& c : b.columns())
    for (int64_t r = 0; r < b.num_rows(); ++r) n += GetValue(*c, r).is_null();
  return n;
}

}  // namespace ferry::protocol::testutil
