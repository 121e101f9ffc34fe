// Conformance cases for values: every type round-trips exactly, random rows,
// a large batch, and sliced batches.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <iostream>

#include <nlohmann/json.hpp>

#include "ferry/builder.h"
#include "ferry/text_codec.h"
#include "testing/conformance_util.h"
#include "testing/destination_conformance.h"
#include "testing/row_compare.h"

namespace ferry::testing {

using namespace conformance;  // NOLINT

namespace {

// A value as the target stores it: the declared deviations (NUL in text,
// re-formatted JSON, NULL-free arrays) applied at any depth.
Value Stored(const DataType& type, Value v, const ConformanceTarget& target) {
  if (type.id == TypeId::kList && target.list_is_array) {
    if (!target.list_is_array(type)) return v;  // a JSON document keeps everything
    if (v.is_null()) return Value::List({});
    std::vector<Value> items;
    for (const Value& item : v.items())
      if (!item.is_null()) items.push_back(Stored(*type.children[0].type, item, target));
    return Value::List(std::move(items));
  }
  if (v.kind() == Value::Kind::kList) {
    std::vector<Value> items = v.items();
    for (size_t i = 0; i < items.size(); ++i) {
      const DataType& t = type.id == TypeId::kList ? *type.children[0].type : *type.children[i].type;
      items[i] = Stored(t, std::move(items[i]), target);
    }
    return Value::List(std::move(items));
  }
  if ((type.id == TypeId::kTime32 || type.id == TypeId::kTime64) && v.kind() == Value::Kind::kInt &&
      target.time_units_kept_per_second > 0 && TimeUnitsPerSecond(type.unit) > target.time_units_kept_per_second) {
    const int64_t step = TimeUnitsPerSecond(type.unit) / target.time_units_kept_per_second;
    return Value::Int(v.as_int() - v.as_int() % step);
  }
  if (v.kind() != Value::Kind::kString) return v;
  if (type.id == TypeId::kUtf8 && target.nul == ConformanceTarget::NulPolicy::kStripped) {
    std::string s = v.as_string();
    s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
    return Value::String(std::move(s));
  }
  if (type.id == TypeId::kJson && target.json_normalized) {
    auto j = nlohmann::json::parse(v.as_string(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_null() && target.json_null_document_is_null) return Value::Null();
    if (!j.is_discarded()) return Value::String(j.dump());
  }
  return v;
}

}  // namespace

// The target's declared deviations: float cells at top level, text, JSON
// and arrays at any depth.
std::vector<Row> DestinationConformance::AsStored(const TableSchema& schema, std::vector<Row> rows) const {
  const ConformanceTarget& t = target();
  for (auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) {
      r[c] = Stored(*schema.columns[c].type, std::move(r[c]), t);
      const TypeId id = schema.columns[c].type->id;
      if ((id != TypeId::kFloat32 && id != TypeId::kFloat64) || r[c].kind() != Value::Kind::kDouble) continue;
      const double v = r[c].as_double();
      if (std::isnan(v) && t.nan == ConformanceTarget::NanPolicy::kNull) r[c] = Value::Null();
      if (v == 0 && std::signbit(v) && !t.keeps_negative_zero) r[c] = Value::Double(0.0);
    }
  return rows;
}

namespace {

bool AnyType(const DataType& t, const std::function<bool(const DataType&)>& pred) {
  if (pred(t)) return true;
  for (const auto& c : t.children)
    if (AnyType(*c.type, pred)) return true;
  return false;
}

bool TimestampOutside(const DataType& t, const Value& v, int64_t lo, int64_t hi) {
  if (v.is_null()) return false;
  if (t.id == TypeId::kTimestamp) return v.as_int() < lo || v.as_int() > hi;
  if (t.id == TypeId::kList)
    for (const Value& x : v.items())
      if (TimestampOutside(*t.children[0].type, x, lo, hi)) return true;
  if (t.id == TypeId::kStruct)
    for (size_t i = 0; i < t.children.size() && i < v.items().size(); ++i)
      if (TimestampOutside(*t.children[i].type, v.items()[i], lo, hi)) return true;
  return false;
}

// Cell by cell, rows matched by the first data column (the id), so a failure
// names the row, the column and its type.
void ExpectSameCells(const TableSchema& t, const std::vector<Row>& want, const std::vector<Row>& got) {
  std::map<int64_t, const Row*> by_id;
  for (const Row& w : want) by_id[w[kMetaColumns].as_int()] = &w;
  for (const Row& g : got) {
    const int64_t id = g[kMetaColumns].as_int();
    ASSERT_TRUE(by_id.count(id)) << "row " << id << " was not written";
    for (size_t c = 0; c < g.size(); ++c)
      EXPECT_EQ(DebugString(g[c]), DebugString((*by_id[id])[c]))
          << "row " << id << " column " << t.columns[c].name << " (" << t.columns[c].type->ToString() << ")";
  }
}

}  // namespace

TableSchemaPtr DestinationConformance::TypesTable(const std::string& name, std::vector<size_t>* kept) const {
  auto full = AllTypesTable(name);
  auto t = std::make_shared<TableSchema>(*full);
  t->columns.clear();
  for (size_t c = 0; c < full->columns.size(); ++c) {
    if (target().server_cannot_store && AnyType(*full->columns[c].type, target().server_cannot_store)) {
      std::cout << "[ note     ] column " << full->columns[c].name << " (" << full->columns[c].type->ToString()
                << ") left out: the server under test cannot store it through this target\n";
      continue;
    }
    t->columns.push_back(full->columns[c]);
    if (kept) kept->push_back(c);
  }
  return t;
}

TEST_P(DestinationConformance, EveryTypeRoundTrips) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  std::vector<size_t> kept;
  auto t = TypesTable("conf_types", &kept);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  std::vector<Row> rows, outside;
  for (const Row& full : AllTypesRows(kT1, "src")) {
    Row r;
    for (size_t c : kept) r.push_back(full[c]);
    bool out = false;
    for (size_t c = 0; c < r.size(); ++c)
      out = out || TimestampOutside(*t->columns[c].type, r[c], target().timestamp_min_us, target().timestamp_max_us);
    (out ? outside : rows).push_back(std::move(r));
  }
  // A row the destination cannot hold is refused, naming the column.
  for (const Row& r : outside) {
    Status st = Write(d, t, {{r}});
    EXPECT_FALSE(st.ok()) << "a timestamp outside the destination's range must be refused";
    EXPECT_NE(st.message().find("column"), std::string::npos) << st.message();
  }
  FERRY_ASSERT_OK(Write(d, t, {rows}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto read, Read(*t));
  const auto got = AsStored(*t, read);
  ASSERT_EQ(got.size(), rows.size());
  const auto want = AsStored(*t, rows);
  EXPECT_TRUE(SameRows(want, got));
  ExpectSameCells(*t, want, got);
}

TEST_P(DestinationConformance, RandomRowsOfEveryTypeRoundTrip) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto t = TypesTable("conf_random");
  FERRY_ASSERT_OK(Migrate(d, {t}));
  auto a = RandomRows(*t, 700, 1, 0), b = RandomRows(*t, 1300, 2, 700);
  FERRY_ASSERT_OK(Write(d, t, {a, b}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_TRUE(SameRows(AsStored(*t, a), AsStored(*t, got)));
}

namespace {

// Arrow's time, duration, interval and decimal128 types, the families a
// destination declares it stores (capabilities.type_families): every unit,
// extremes, negatives, and each inside lists and a struct.
struct ArrowTypesCase {
  TableSchemaPtr table;
  std::vector<Row> rows;
};

Value Dec(__int128 v) { return Value::String(Decimal128Bytes(v)); }
Value DayTime(int32_t d, int32_t ms) { return Value::String(IntervalDayTimeBytes(d, ms)); }
Value Mdn(int32_t m, int32_t d, int64_t ns) { return Value::String(IntervalMonthDayNanoBytes(m, d, ns)); }

// `cannot_store` (ConformanceTarget::server_cannot_store, may be empty):
// columns of such a type at any depth are left out, saying so.
ArrowTypesCase ArrowTypes(const std::string& name, const std::set<TypeFamily>& families,
                          const std::function<bool(const DataType&)>& cannot_store) {
  const auto I = [](int64_t v) { return Value::Int(v); };
  const auto N = [] { return Value::Null(); };
  const auto L = [](std::vector<Value> v) { return Value::List(std::move(v)); };
  __int128 nines38 = 0;
  for (int i = 0; i < 38; ++i) nines38 = nines38 * 10 + 9;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max(), kMin32 = std::numeric_limits<int32_t>::min();
  // One column per entry: its type and the value of rows 1-4 (row 0 is all null).
  struct Entry {
    TypeFamily family;
    Column column;
    std::vector<Value> values;
  };
  const auto inner = types::Struct({{"t", types::Time32(TimeUnit::kMilli)}, {"d", types::Duration(TimeUnit::kNano)},
                                    {"i", types::IntervalMonthDayNano()}, {"dec", types::Decimal128(12, 3)}});
  std::vector<Entry> entries = {
      {TypeFamily::kTime, Col("t_s", types::Time32(TimeUnit::kSecond)), {I(0), I(86399), I(1), I(45296)}},
      {TypeFamily::kTime, Col("t_ms", types::Time32(TimeUnit::kMilli)), {I(0), I(86399999), I(1), I(45296789)}},
      {TypeFamily::kTime, Col("t_us", types::Time64(TimeUnit::kMicro)), {I(0), I(86399999999), I(1), I(45296789012)}},
      {TypeFamily::kTime, Col("t_ns", types::Time64(TimeUnit::kNano)),
       {I(0), I(86399999999999), I(1000), I(45296789012345)}},
      {TypeFamily::kDuration, Col("d_s", types::Duration(TimeUnit::kSecond)), {I(0), I(kMax), I(kMin), I(-90061)}},
      {TypeFamily::kDuration, Col("d_ms", types::Duration(TimeUnit::kMilli)), {I(0), I(kMax), I(kMin), I(1500)}},
      {TypeFamily::kDuration, Col("d_us", types::Duration(TimeUnit::kMicro)), {I(0), I(kMax), I(kMin), I(-7)}},
      {TypeFamily::kDuration, Col("d_ns", types::Duration(TimeUnit::kNano)), {I(0), I(kMax), I(kMin), I(9)}},
      {TypeFamily::kInterval, Col("i_month", types::IntervalMonth()), {I(0), I(kMax32), I(kMin32), I(-14)}},
      {TypeFamily::kInterval, Col("i_day_time", types::IntervalDayTime()),
       {DayTime(0, 0), DayTime(kMax32, kMax32), DayTime(kMin32, kMin32), DayTime(1, -1)}},
      {TypeFamily::kInterval, Col("i_month_day_nano", types::IntervalMonthDayNano()),
       {Mdn(0, 0, 0), Mdn(kMax32, kMax32, kMax), Mdn(kMin32, kMin32, kMin), Mdn(1, 2, 3)}},
      {TypeFamily::kDecimal, Col("dec_38_10", types::Decimal128(38, 10)), {Dec(0), Dec(nines38), Dec(-nines38), Dec(1)}},
      {TypeFamily::kDecimal, Col("dec_5_0", types::Decimal128(5, 0)), {Dec(0), Dec(99999), Dec(-99999), Dec(-5)}},
      {TypeFamily::kDecimal, Col("dec_10_neg2", types::Decimal128(10, -2)),
       {Dec(0), Dec(9999999999), Dec(-9999999999), Dec(12)}},
      {TypeFamily::kTime, Col("l_time", types::List(types::Time64(TimeUnit::kMicro))),
       {L({}), L({I(86399999999), N(), I(0)}), L({N()}), L({I(1), I(2)})}},
      {TypeFamily::kDuration, Col("l_duration", types::List(types::Duration(TimeUnit::kMilli))),
       {L({}), L({I(kMax), N()}), L({I(kMin)}), L({I(-1), I(0), I(1)})}},
      {TypeFamily::kDecimal, Col("l_decimal", types::List(types::Decimal128(20, 4))),
       {L({}), L({Dec(-1), N(), Dec(123456789)}), L({N()}), L({Dec(5)})}},
  };
  const bool all_nested = families.count(TypeFamily::kTime) && families.count(TypeFamily::kDuration) &&
                          families.count(TypeFamily::kInterval) && families.count(TypeFamily::kDecimal);
  if (all_nested)
    entries.push_back({TypeFamily::kTime, Col("s_mixed", inner),
                       {L({N(), N(), N(), N()}), L({I(86399999), I(kMax), Mdn(kMax32, kMin32, kMax), Dec(-999999999999)}),
                        L({I(0), I(kMin), Mdn(0, 0, -1), Dec(1)}), N()}});
  // The same without the decimal, for a server that stores the others only.
  if (families.count(TypeFamily::kTime) && families.count(TypeFamily::kDuration) && families.count(TypeFamily::kInterval))
    entries.push_back({TypeFamily::kTime,
                       Col("s_times", types::Struct({{"t", types::Time64(TimeUnit::kMicro)},
                                                     {"d", types::Duration(TimeUnit::kSecond)},
                                                     {"i", types::IntervalDayTime()}})),
                       {L({N(), N(), N()}), L({I(86399999999), I(kMax), DayTime(kMin32, kMax32)}),
                        L({I(0), I(kMin), DayTime(0, -1)}), N()}});
  std::vector<Column> cols = {Col("id", types::Int64())};
  std::vector<const Entry*> kept;
  for (const auto& e : entries)
    if (families.count(e.family)) {
      if (cannot_store && AnyType(*e.column.type, cannot_store)) {
        std::cout << "[ note     ] column " << e.column.name << " (" << e.column.type->ToString()
                  << ") left out: the server under test cannot store it through this target\n";
        continue;
      }
      cols.push_back(e.column);
      kept.push_back(&e);
    }
  ArrowTypesCase out;
  out.table = TableWithMeta(name, cols);
  for (int r = 0; r < 5; ++r) {
    Row values{I(r)};
    for (const Entry* e : kept) values.push_back(r == 0 ? N() : e->values[static_cast<size_t>(r - 1)]);
    out.rows.push_back(MetaRow(kT1, "src", static_cast<uint64_t>(r), std::move(values)));
  }
  return out;
}

}  // namespace

// Arrow's time, duration, interval and decimal128 values round-trip (as the
// target declares it keeps them) in a destination that declares their
// families; the engine refuses them before Migrate for the others.
TEST_P(DestinationConformance, ArrowTimeDurationIntervalAndDecimalRoundTrip) {
  const std::set<TypeFamily>& families = Caps().type_families;
  if (families.empty())
    GTEST_SKIP() << "the destination declares none of the time, duration, interval and decimal families: the "
                    "engine refuses such columns before any data moves (SyncTest.ColumnOfATypeFamilyTheDestinationDoesNotStoreIsRefusedBeforeAnyDataMoves)";
  if (target().discards) GTEST_SKIP() << "the destination keeps nothing to read back";
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  const ArrowTypesCase c = ArrowTypes("conf_arrow_types", families, target().server_cannot_store);
  FERRY_ASSERT_OK(Migrate(d, {c.table}));
  FERRY_ASSERT_OK(Write(d, c.table, {c.rows}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto read, Read(*c.table));
  const auto want = AsStored(*c.table, c.rows);
  const auto got = AsStored(*c.table, read);
  ASSERT_EQ(got.size(), want.size());
  ExpectSameCells(*c.table, want, got);
}

TEST_P(DestinationConformance, LargeBatch) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto t = TableWithMeta("conf_large", {Col("id", types::Int64()), Col("name", types::Utf8()),
                                        Col("amount", types::Float64()), Col("created", types::Timestamp()),
                                        Col("tags", types::List(types::Utf8())), Col("active", types::Bool())});
  FERRY_ASSERT_OK(Migrate(d, {t}));
  const auto rows = RandomRows(*t, target().large_batch_rows, 42);
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, MakeBatch(t, rows));
  const auto start = std::chrono::steady_clock::now();
  FERRY_ASSERT_OK(WriteBatches(d, t, {batch}));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("rows_per_second", static_cast<int>(static_cast<double>(rows.size()) / std::max(secs, 1e-9)));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(AsStored(*t, rows), AsStored(*t, got)));
}

TEST_P(DestinationConformance, SlicedBatches) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  // Rows 600-650 are written twice: an append-mode table, as the engine
  // hands it over (no UNIQUE _cq_id).
  auto table = std::make_shared<TableSchema>(*TypesTable("conf_slices"));
  for (auto& c : table->columns) c.unique = false;
  TableSchemaPtr t = table;
  FERRY_ASSERT_OK(Migrate(d, {t}));
  const auto rows = RandomRows(*t, 1000, 7);
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr batch, MakeBatch(t, rows));
  // Zero-copy slices start at an offset into every buffer, including the
  // list offsets and the struct children.
  FERRY_ASSERT_OK(WriteBatches(d, t, {batch->Slice(3, 400), batch->Slice(403, 597)}));
  FERRY_ASSERT_OK(WriteBatches(d, t, {batch->Slice(1, 1)}));
  FERRY_ASSERT_OK(WriteBatches(d, t, {batch->Slice(500, 500)->Slice(100, 50)}));
  FERRY_ASSERT_OK(WriteBatches(d, t, {batch->Slice(999, 0)}));
  std::vector<Row> want(rows.begin() + 3, rows.end());
  want.push_back(rows[1]);
  want.insert(want.end(), rows.begin() + 600, rows.begin() + 650);
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(AsStored(*t, want), AsStored(*t, got)));
}

}  // namespace ferry::testing
