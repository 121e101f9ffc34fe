// Round trips of Ferry schemas and batches through Arrow IPC streams.
#include "protocol/arrow_ipc.h"

#include <gtest/gtest.h>

#include "protocol/ipc_test_util.h"

namespace ferry::protocol {
namespace {

using testutil::AllTypesSchema;
using testutil::ExpectSameRows;
using testutil::MakeBatch;

BatchPtr RoundTrip(const Batch& b, TableSchemaPtr expected = nullptr) {
  auto bytes = EncodeRecordStream(b);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return nullptr;
  auto back = DecodeRecordStream(*bytes, std::move(expected));
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  return back.ok() ? *back : nullptr;
}

void ExpectSameColumns(const TableSchema& want, const TableSchema& got) {
  ASSERT_EQ(want.columns.size(), got.columns.size());
  for (size_t i = 0; i < want.columns.size(); ++i) {
    const Column& w = want.columns[i];
    const Column& g = got.columns[i];
    EXPECT_EQ(w.name, g.name);
    EXPECT_TRUE(w.type->Equals(*g.type)) << w.name << ": " << w.type->ToString() << " vs " << g.type->ToString();
    EXPECT_EQ(w.primary_key, g.primary_key) << w.name;
    EXPECT_EQ(w.not_null, g.not_null) << w.name;
    EXPECT_EQ(w.unique, g.unique) << w.name;
    EXPECT_EQ(w.incremental_key, g.incremental_key) << w.name;
    EXPECT_EQ(w.primary_key_component, g.primary_key_component) << w.name;
    EXPECT_EQ(w.type_schema, g.type_schema) << w.name;
  }
}

TEST(ArrowIpcRoundTrip, EveryTypeWithNulls) {
  auto schema = AllTypesSchema();
  auto batch = MakeBatch(schema, 37);
  ASSERT_GT(testutil::TouchAll(*batch), 0);  // there are nulls
  auto back = RoundTrip(*batch);
  ASSERT_TRUE(back);
  ExpectSameColumns(*schema, *back->schema());
  EXPECT_EQ(back->schema()->name, "all_types");
  ExpectSameRows(*batch, *back);
}

TEST(ArrowIpcRoundTrip, TimesDurationsIntervalsAndDecimalsKeepTheirArrowTypes) {
  auto schema = testutil::CarriedArrowTypesSchema();
  auto batch = MakeBatch(schema, 41);
  ASSERT_GT(testutil::TouchAll(*batch), 0);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto back = DecodeRecordStream(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameColumns(*schema, *(*back)->schema());
  ExpectSameRows(*batch, **back);
  // The types print as arrow-go prints them (CloudQuery's messages and docs).
  const auto& cols = (*back)->schema()->columns;
  EXPECT_EQ(cols[0].type->ToString(), "time32[s]");
  EXPECT_EQ(cols[3].type->ToString(), "time64[ns]");
  EXPECT_EQ(cols[5].type->ToString(), "duration[ms]");
  EXPECT_EQ(cols[8].type->ToString(), "month_interval");
  EXPECT_EQ(cols[9].type->ToString(), "day_time_interval");
  EXPECT_EQ(cols[10].type->ToString(), "month_day_nano_interval");
  EXPECT_EQ(cols[11].type->ToString(), "decimal(19, 10)");
  EXPECT_EQ(cols[12].type->ToString(), "decimal(38, -2)");
  // Re-encoding what was decoded gives the same bytes: nothing converted.
  auto again = EncodeRecordStream(**back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
  // A type differing only in unit, scale or interval kind is another type.
  EXPECT_FALSE(types::Duration(TimeUnit::kSecond)->Equals(*types::Duration(TimeUnit::kMilli)));
  EXPECT_FALSE(types::Decimal128(19, 10)->Equals(*types::Decimal128(19, 9)));
  EXPECT_FALSE(types::IntervalDayTime()->Equals(*types::IntervalMonthDayNano()));
}

TEST(ArrowIpcRoundTrip, SchemaMetadata) {
  TableSchema s;
  s.name = "child_table";
  s.title = "Child Table";
  s.description = "a child, with \"quotes\" and ünïcode";
  s.parent = "parent_table";
  s.is_incremental = true;
  s.is_paid = true;
  auto col = [](std::string name, DataTypePtr t) {
    Column c;
    c.name = std::move(name);
    c.type = std::move(t);
    return c;
  };
  s.columns = {col("_cq_id", types::Uuid()), col("pk", types::Utf8()), col("cursor", types::Timestamp()),
               col("doc", types::Json()), col("plain", types::Int64())};
  s.columns[0].unique = true;
  s.columns[0].not_null = true;
  s.columns[1].primary_key = true;
  s.columns[1].primary_key_component = true;
  s.columns[1].not_null = true;
  s.columns[2].incremental_key = true;
  s.columns[3].type_schema = R"({"a":"utf8"})";

  auto bytes = EncodeSchemaStream(s);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeSchemaStream(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const TableSchema& g = **back;
  EXPECT_EQ(g.name, s.name);
  EXPECT_EQ(g.title, s.title);
  EXPECT_EQ(g.description, s.description);
  EXPECT_EQ(g.parent, s.parent);
  EXPECT_TRUE(g.is_incremental);
  EXPECT_TRUE(g.is_paid);
  ExpectSameColumns(s, g);

  // Flags off stay off.
  s.is_incremental = s.is_paid = false;
  s.parent.clear();
  auto plain = DecodeSchemaStream(*EncodeSchemaStream(s));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->is_incremental);
  EXPECT_FALSE((*plain)->is_paid);
  EXPECT_EQ((*plain)->parent, "");
}

TEST(ArrowIpcRoundTrip, SlicesAtEveryOffset) {
  auto schema = AllTypesSchema();
  auto batch = MakeBatch(schema, 40);
  for (int64_t start : {0, 1, 3, 7, 8, 9, 15, 17, 39, 40}) {
    for (int64_t len : {0, 1, 2, 7, 8, 13, 23}) {
      if (start + len > batch->num_rows()) continue;
      SCOPED_TRACE("slice " + std::to_string(start) + "+" + std::to_string(len));
      auto slice = batch->Slice(start, len);
      auto back = RoundTrip(*slice);
      ASSERT_TRUE(back);
      ExpectSameRows(*slice, *back);
      // A slice of a slice too.
      if (len > 2) {
        auto inner = slice->Slice(1, len - 2);
        auto back2 = RoundTrip(*inner);
        ASSERT_TRUE(back2);
        ExpectSameRows(*inner, *back2);
      }
    }
  }
}

TEST(ArrowIpcRoundTrip, DeeplyNestedSlices) {
  auto s = std::make_shared<TableSchema>();
  s->name = "nested";
  auto leaf = types::Struct({{"xs", types::List(types::Utf8()), true}, {"id", types::Uuid(), false}});
  Column c;
  c.name = "deep";
  c.type = types::List(types::Struct({{"inner", types::List(leaf), true}, {"n", types::Int16(), true}}));
  s->columns.push_back(c);
  c.name = "st";
  c.type = types::Struct({{"l", types::List(types::List(types::Bool())), true}});
  s->columns.push_back(c);
  auto batch = MakeBatch(s, 50);
  for (int64_t start = 0; start < 12; ++start) {
    auto slice = batch->Slice(start, 50 - 2 * start);
    auto back = RoundTrip(*slice);
    ASSERT_TRUE(back);
    ExpectSameRows(*slice, *back);
  }
}

TEST(ArrowIpcRoundTrip, EmptyBatches) {
  auto schema = AllTypesSchema();
  auto empty = MakeBatch(schema, 0);
  auto back = RoundTrip(*empty);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->num_rows(), 0);
  ExpectSameColumns(*schema, *back->schema());

  auto no_columns = std::make_shared<TableSchema>();
  no_columns->name = "nothing";
  auto b = std::make_shared<Batch>(no_columns, std::vector<ArrayPtr>{}, 5);
  auto back2 = RoundTrip(*b);
  ASSERT_TRUE(back2);
  EXPECT_EQ(back2->num_rows(), 5);
  EXPECT_EQ(back2->columns().size(), 0u);
}

TEST(ArrowIpcRoundTrip, ExpectedSchemaIsCheckedAndKept) {
  auto schema = AllTypesSchema();
  auto batch = MakeBatch(schema, 5);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok());

  auto back = DecodeRecordStream(*bytes, schema);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->schema(), schema);  // the caller's schema, descriptions and all

  auto other_name = std::make_shared<TableSchema>(*schema);
  other_name->name = "other";
  auto r = DecodeRecordStream(*bytes, other_name);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("all_types"), std::string::npos) << r.status().message();

  auto other_type = std::make_shared<TableSchema>(*schema);
  other_type->columns[3].type = types::Int64();
  r = DecodeRecordStream(*bytes, other_type);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("c_i32"), std::string::npos) << r.status().message();

  auto fewer = std::make_shared<TableSchema>(*schema);
  fewer->columns.pop_back();
  EXPECT_FALSE(DecodeRecordStream(*bytes, fewer).ok());
}

TEST(ArrowIpcRoundTrip, StreamKindsAreNotInterchangeable) {
  auto schema = AllTypesSchema();
  auto schema_bytes = EncodeSchemaStream(*schema);
  ASSERT_TRUE(schema_bytes.ok());
  auto r = DecodeRecordStream(*schema_bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no record batch"), std::string::npos);

  // A record stream carries its schema, then an unexpected record batch.
  auto record_bytes = EncodeRecordStream(*MakeBatch(schema, 2));
  ASSERT_TRUE(record_bytes.ok());
  auto s = DecodeSchemaStream(*record_bytes);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("record batch"), std::string::npos) << s.status().message();
}

TEST(ArrowIpcRoundTrip, BatchWithoutNullsAndAllNulls) {
  auto s = std::make_shared<TableSchema>();
  s->name = "t";
  Column c;
  c.name = "v";
  c.type = types::Utf8();
  s->columns.push_back(c);
  BatchBuilder b(s);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.AppendRow({Value::Null()}).ok());
  auto nulls = b.Finish();
  auto back = RoundTrip(*nulls);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->column(0)->null_count, 10);
  ExpectSameRows(*nulls, *back);

  for (int i = 0; i < 10; ++i) ASSERT_TRUE(b.AppendRow({Value::String(std::to_string(i))}).ok());
  auto full = b.Finish();
  back = RoundTrip(*full);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->column(0)->null_count, 0);
  ExpectSameRows(*full, *back);
}

}  // namespace
}  // namespace ferry::protocol
