// Conformance cases for writes: append, upsert, delete-stale, delete-record,
// atomicity and state.
#include <algorithm>

#include "ferry/builder.h"
#include "ferry/state.h"
#include "testing/conformance_util.h"
#include "testing/destination_conformance.h"
#include "testing/row_compare.h"

namespace ferry::testing {

using namespace conformance;  // NOLINT

namespace {

std::vector<Row> Concat(std::vector<std::vector<Row>> parts) {
  std::vector<Row> out;
  for (auto& p : parts)
    for (auto& r : p) out.push_back(std::move(r));
  return out;
}

// Keeps the rows whose id (column `id_col`) is in `ids`.
std::vector<Row> WithIds(const std::vector<Row>& rows, size_t id_col, std::vector<int64_t> ids) {
  std::vector<Row> out;
  for (const auto& r : rows)
    if (std::find(ids.begin(), ids.end(), r[id_col].as_int()) != ids.end()) out.push_back(r);
  return out;
}

}  // namespace

TEST_P(DestinationConformance, AppendKeepsDuplicates) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  if (!Caps().write_modes.count(WriteMode::kAppend)) GTEST_SKIP() << "no append mode";
  auto t = Items("conf_append", false);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  std::vector<Row> rows = {ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT1, "src", 2, "b", 2)};
  FERRY_ASSERT_OK(Write(d, t, {rows}));
  FERRY_ASSERT_OK(Write(d, t, {rows}));
  FERRY_ASSERT_OK(Write(d, t, {rows, rows}));  // two batches, one request
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(Concat({rows, rows, rows, rows}), got));
}

TEST_P(DestinationConformance, OverwriteUpsertsOnPrimaryKey) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  if (!Caps().write_modes.count(WriteMode::kOverwrite)) GTEST_SKIP() << "no overwrite mode";
  auto t = Items("conf_upsert", true);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  FERRY_ASSERT_OK(Write(d, t, {{ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT1, "src", 2, "b", 2), ItemRow(kT1, "src", 3, "c", 3)}}));
  FERRY_ASSERT_OK(Write(d, t, {{ItemRow(kT2, "src", 2, "b2", 2), ItemRow(kT2, "src", 3, "c", 33), ItemRow(kT2, "src", 4, "d", 4)}}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows({ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT2, "src", 2, "b2", 2),
                        ItemRow(kT2, "src", 3, "c", 33), ItemRow(kT2, "src", 4, "d", 4)},
                       got));
  // A key repeated within a batch and across the batches of one request:
  // the later row wins.
  FERRY_ASSERT_OK(Write(d, t, {{ItemRow(kT2, "src", 5, "first", 5), ItemRow(kT2, "src", 5, "second", 5)},
                               {ItemRow(kT2, "src", 1, "one", 1)}, {ItemRow(kT2, "src", 1, "uno", 1)}}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got2, Read(*t));
  EXPECT_TRUE(SameRows({ItemRow(kT2, "src", 1, "uno", 1), ItemRow(kT2, "src", 2, "b2", 2),
                        ItemRow(kT2, "src", 3, "c", 33), ItemRow(kT2, "src", 4, "d", 4),
                        ItemRow(kT2, "src", 5, "second", 5)},
                       got2));
}

TEST_P(DestinationConformance, OverwriteUpsertsOnCompositeKey) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  if (!Caps().write_modes.count(WriteMode::kOverwrite)) GTEST_SKIP() << "no overwrite mode";
  auto t = TableWithMeta("conf_composite", {Col("region", types::Utf8(), true), Col("id", types::Int64(), true),
                                            Col("v", types::Utf8())});
  auto row = [](int64_t t, const char* region, int64_t id, const char* v, uint64_t cq) {
    return MetaRow(t, "src", cq, {Value::String(region), Value::Int(id), Value::String(v)});
  };
  FERRY_ASSERT_OK(Migrate(d, {t}));
  FERRY_ASSERT_OK(Write(d, t, {{row(kT1, "eu", 1, "a", 1), row(kT1, "us", 1, "b", 2), row(kT1, "eu", 2, "c", 3)}}));
  FERRY_ASSERT_OK(Write(d, t, {{row(kT2, "eu", 1, "a2", 4)}}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows({row(kT2, "eu", 1, "a2", 4), row(kT1, "us", 1, "b", 2), row(kT1, "eu", 2, "c", 3)}, got));
}

TEST_P(DestinationConformance, DeleteStaleRemovesOnlyOlderRowsOfThisSource) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  if (!Caps().write_modes.count(WriteMode::kOverwriteDeleteStale))
    GTEST_SKIP() << "no overwrite-delete-stale mode";
  auto t = Items("conf_stale", true);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  std::vector<Row> first = {ItemRow(kT1, "a", 1, "old", 1), ItemRow(kT1, "a", 2, "old", 2),
                            ItemRow(kT1, "a", 5, "old", 5), ItemRow(kT1, "b", 3, "other source", 3),
                            ItemRow(kT2 - 1, "a", 6, "one microsecond older", 6),
                            ItemRow(kT2 + 1, "a", 7, "newer", 7)};
  std::vector<Row> second = {ItemRow(kT2, "a", 2, "new", 2), ItemRow(kT2, "a", 4, "new", 4)};
  FERRY_ASSERT_OK(Write(d, t, {first}));
  FERRY_ASSERT_OK(Write(d, t, {second}));
  FERRY_ASSERT_OK(d->DeleteStale(DeleteStaleRequest{t, "a", kT2}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows({ItemRow(kT2, "a", 2, "new", 2), ItemRow(kT2, "a", 4, "new", 4),
                        ItemRow(kT1, "b", 3, "other source", 3), ItemRow(kT2 + 1, "a", 7, "newer", 7)},
                       got));
  // Another source's delete-stale leaves source a alone.
  FERRY_ASSERT_OK(d->DeleteStale(DeleteStaleRequest{t, "c", kT2 + 10}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got2, Read(*t));
  EXPECT_EQ(got2.size(), 4u);
}

TEST_P(DestinationConformance, DeleteRecordMatchesGroups) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  if (!Caps().delete_record) GTEST_SKIP() << "no delete_record";
  auto t = Items("conf_delete_record", false);
  auto other = Items("conf_delete_record_other", false);
  FERRY_ASSERT_OK(Migrate(d, {t, other}));
  std::vector<Row> rows;
  const char* names[] = {"", "a", "b", "c", "d", "e", "f", "g", "h ü"};
  for (int64_t id = 1; id <= 8; ++id) rows.push_back(ItemRow(kT1 + id, "src", id, names[id], static_cast<double>(id)));
  FERRY_ASSERT_OK(Write(d, t, {rows}));
  FERRY_ASSERT_OK(Write(d, other, {rows}));

  using G = DeletePredicateGroup::Grouping;
  auto pred = [](const char* col, Value v) { return DeletePredicate{col, std::move(v)}; };
  ferry::DeleteRecord del;
  del.table_name = t->name;
  del.where.push_back({G::kOr, {pred("id", Value::Int(1)), pred("id", Value::Int(2))}});
  del.where.push_back({G::kAnd, {pred("id", Value::Int(3)), pred("name", Value::String("c"))}});
  del.where.push_back({G::kAnd, {pred("id", Value::Int(4)), pred("name", Value::String("not d"))}});
  del.where.push_back({G::kAnd, {pred(meta::kId, Value::String(UuidBytes(5)))}});
  del.where.push_back({G::kAnd, {pred(meta::kSyncTime, Value::Int(kT1 + 6)), pred("id", Value::Int(6))}});
  del.where.push_back({G::kAnd, {pred("name", Value::String("h ü"))}});
  FERRY_ASSERT_OK(d->DeleteRecord(del));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(WithIds(rows, kMetaColumns, {4, 7}), got));
  FERRY_ASSERT_OK_AND_ASSIGN(auto untouched, Read(*other));
  EXPECT_TRUE(SameRows(rows, untouched)) << "delete_record touches only its table";

  ferry::DeleteRecord bad;
  bad.table_name = t->name;
  bad.where.push_back({G::kAnd, {pred("id", Value::String("not an int"))}});
  EXPECT_FALSE(d->DeleteRecord(bad).ok()) << "a value of the wrong type is an error";
}

TEST_P(DestinationConformance, FailedWriteLeavesNothingBehind) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto t = TableWithMeta("conf_atomic", {Col("id", types::Int64()), Col("required", types::Utf8(), false, true)});
  FERRY_ASSERT_OK(Migrate(d, {t}));
  std::vector<Row> good = {MetaRow(kT1, "src", 1, {Value::Int(1), Value::String("x")})};
  std::vector<Row> bad = {MetaRow(kT1, "src", 2, {Value::Int(2), Value::String("y")}),
                          MetaRow(kT1, "src", 3, {Value::Int(3), Value::Null()})};
  // The builder does not enforce NOT NULL; the destination must.
  EXPECT_FALSE(Write(d, t, {good, bad}).ok()) << "null in a NOT NULL column";
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows({}, got)) << "a failed request writes none of its batches";
  FERRY_ASSERT_OK(Write(d, t, {good}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got2, Read(*t));
  EXPECT_TRUE(SameRows(good, got2)) << "the destination is usable after a failed write";
}

TEST_P(DestinationConformance, StateCommitsWithRows) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  if (!Caps().state_backend) GTEST_SKIP() << "not a state backend";
  auto t = TableWithMeta("conf_state_rows", {Col("id", types::Int64(), true), Col("required", types::Utf8(), false, true)});
  auto st = StateTableSchema("conf_state");
  FERRY_ASSERT_OK(Migrate(d, {t, st}));
  auto row = [](int64_t id, Value v) { return MetaRow(kT1, "src", static_cast<uint64_t>(id), {Value::Int(id), std::move(v)}); };
  auto sorted = [](std::vector<StateEntry> e) {
    std::sort(e.begin(), e.end(), [](const StateEntry& a, const StateEntry& b) { return a.key < b.key; });
    return e;
  };
  auto same = [](const std::vector<StateEntry>& a, const std::vector<StateEntry>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].key != b[i].key || a[i].value != b[i].value || a[i].version != b[i].version) return false;
    return true;
  };

  WriteRequest req;
  req.table = t;
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b1, MakeBatch(t, {row(1, Value::String("x"))}));
  req.batches = {b1};
  req.state_table = st;
  req.state = {{"tbl:client", "cursor-1", 1}, {"other", "ü \"quoted\"", UINT64_MAX}};
  FERRY_ASSERT_OK(d->Write(req));
  FERRY_ASSERT_OK_AND_ASSIGN(auto s1, d->ReadState(st));
  EXPECT_TRUE(same(sorted(s1), sorted(req.state)));

  WriteRequest only_state;
  only_state.state_table = st;
  only_state.state = {{"tbl:client", "cursor-2", 2}};
  FERRY_ASSERT_OK(d->Write(only_state));

  // Rows that fail take their cursor with them.
  WriteRequest failing = req;
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr bad, MakeBatch(t, {row(2, Value::String("y")), row(3, Value::Null())}));
  failing.batches = {bad};
  failing.state = {{"tbl:client", "cursor-3", 3}};
  EXPECT_FALSE(d->Write(failing).ok());

  FERRY_ASSERT_OK_AND_ASSIGN(auto s2, d->ReadState(st));
  EXPECT_TRUE(same(sorted(s2), sorted({{"tbl:client", "cursor-2", 2}, {"other", "ü \"quoted\"", UINT64_MAX}})));
  FERRY_ASSERT_OK_AND_ASSIGN(auto rows, Read(*t));
  EXPECT_TRUE(SameRows({row(1, Value::String("x"))}, rows));
  // A second instance reads the same cursors (the next sync).
  Destination* d2 = Open();
  ASSERT_NE(d2, nullptr);
  FERRY_ASSERT_OK_AND_ASSIGN(auto s3, d2->ReadState(st));
  EXPECT_TRUE(same(sorted(s3), sorted(s2)));
}

}  // namespace ferry::testing
