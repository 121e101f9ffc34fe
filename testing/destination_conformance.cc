// The fixture and the migration cases of the conformance suite; the write
// cases are in destination_conformance_writes.cc and the type cases in
// destination_conformance_types.cc.
#include "testing/destination_conformance.h"

#include <unistd.h>

#include <atomic>
#include <set>

#include "ferry/builder.h"
#include "testing/conformance_util.h"
#include "testing/row_compare.h"

namespace ferry::testing {

using namespace conformance;  // NOLINT

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DestinationConformance);

std::string ConformanceTargetName(const ::testing::TestParamInfo<ConformanceTarget>& info) {
  return info.param.name;
}

void PrintTo(const ConformanceTarget& target, std::ostream* os) { *os << "ConformanceTarget(" << target.name << ")"; }

void DestinationConformance::SetUp() {
  static std::atomic<int> counter{0};
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : test)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  for (char& c : test) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  ns_ = "conf_" + test + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  ASSERT_FALSE(GetParam().plugin.name.empty())
      << "ConformanceTarget.plugin is not set: the suite reads the capabilities from the registry entry";
  // The cases that read nothing back; a discard-form target runs only these.
  static const std::set<std::string> kNoRead = {"WriteToUnmigratedTableFails", "CloseIsIdempotentAndLaterCallsFail",
                                                "EveryCallOnAMigratedTable", "CallsOnUnknownTablesFail"};
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();  // "Case/Target"
  name = name.substr(0, name.find('/'));
  if (GetParam().discards && !kNoRead.count(name))
    GTEST_SKIP() << "discard form: this case reads rows back";
  if (!GetParam().discards) {
    ASSERT_TRUE(GetParam().read) << "ConformanceTarget.read is not set (and discards is false)";
  }
}

void DestinationConformance::TearDown() {
  for (auto& d : open_) d->Close().IgnoreError();  // a failed close cannot fail a finished case
  open_.clear();
}

Destination* DestinationConformance::Open() {
  auto d = target().open(ns_);
  if (!d.ok()) {
    ADD_FAILURE() << "open " << ns_ << ": " << d.status().ToString();
    return nullptr;
  }
  open_.push_back(d.MoveValue());
  return open_.back().get();
}

Status DestinationConformance::Migrate(Destination* d, const std::vector<TableSchemaPtr>& tables, MigrateMode mode) {
  MigrateOptions opts;
  opts.mode = mode;
  return d->Migrate(tables, opts);
}

Status DestinationConformance::Write(Destination* d, const TableSchemaPtr& table,
                                     const std::vector<std::vector<Row>>& batches) {
  std::vector<BatchPtr> built;
  for (const auto& rows : batches) {
    FERRY_ASSIGN_OR_RETURN(BatchPtr b, MakeBatch(table, rows));
    built.push_back(std::move(b));
  }
  return WriteBatches(d, table, std::move(built));
}

Status DestinationConformance::WriteBatches(Destination* d, const TableSchemaPtr& table, std::vector<BatchPtr> batches) {
  WriteRequest req;
  req.table = table;
  req.batches = std::move(batches);
  return d->Write(req);
}

Result<std::vector<Row>> DestinationConformance::Read(const TableSchema& table) { return target().read(ns_, table); }

// ---- Migration ----

TEST_P(DestinationConformance, MigrateCreatesTable) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto t = Items("conf_items", true);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto empty, Read(*t));
  EXPECT_TRUE(empty.empty()) << "a new table has no rows";
  std::vector<Row> rows = {ItemRow(kT1, "src", 1, "a", 1.5), ItemRow(kT1, "src", 2, "b", -2.25)};
  FERRY_ASSERT_OK(Write(d, t, {rows}));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*t));
  EXPECT_TRUE(SameRows(rows, got));
}

TEST_P(DestinationConformance, MigrateTwiceIsIdempotent) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto keyed = Items("conf_keyed", true);
  auto plain = Items("conf_plain", false);
  FERRY_ASSERT_OK(Migrate(d, {keyed, plain}));
  std::vector<Row> rows = {ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT1, "src", 2, "b", 2)};
  FERRY_ASSERT_OK(Write(d, keyed, {rows}));
  FERRY_ASSERT_OK(Write(d, plain, {rows}));
  FERRY_ASSERT_OK(Migrate(d, {keyed, plain}));
  // A second instance (the next sync) migrates the same schemas again.
  Destination* d2 = Open();
  ASSERT_NE(d2, nullptr);
  FERRY_ASSERT_OK(Migrate(d2, {keyed, plain}));
  if (Caps().forced_migration) {
    // Forced mode recreates only tables that changed: these did not.
    FERRY_ASSERT_OK(Migrate(d2, {keyed, plain}, MigrateMode::kForced));
  }
  FERRY_ASSERT_OK_AND_ASSIGN(auto got_keyed, Read(*keyed));
  EXPECT_TRUE(SameRows(rows, got_keyed));
  FERRY_ASSERT_OK_AND_ASSIGN(auto got_plain, Read(*plain));
  EXPECT_TRUE(SameRows(rows, got_plain));
  std::vector<Row> more = {ItemRow(kT2, "src", 3, "c", 3)};
  FERRY_ASSERT_OK(Write(d2, keyed, {more}));
  rows.push_back(more[0]);
  FERRY_ASSERT_OK_AND_ASSIGN(auto after, Read(*keyed));
  EXPECT_TRUE(SameRows(rows, after));
}

TEST_P(DestinationConformance, AddNullableColumnIsSafe) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto v1 = Items("conf_evolve", true);
  auto v2 = WithColumns(v1, {Col("extra", types::Int64()), Col("tags", types::List(types::Utf8()))});
  std::vector<Row> old_rows = {ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT1, "src", 2, "b", 2)};
  FERRY_ASSERT_OK(Migrate(d, {v1}));
  FERRY_ASSERT_OK(Write(d, v1, {old_rows}));
  FERRY_ASSERT_OK(Migrate(d, {v2}, MigrateMode::kSafe));

  std::vector<Row> expected;
  for (Row r : old_rows) {
    r.push_back(Value::Null());
    r.push_back(Value::Null());
    expected.push_back(r);
  }
  FERRY_ASSERT_OK_AND_ASSIGN(auto got, Read(*v2));
  EXPECT_TRUE(SameRows(AsStored(*v2, expected), AsStored(*v2, got))) << "existing rows get null in the new columns";

  Row r3 = ItemRow(kT2, "src", 3, "c", 3);
  r3.push_back(Value::Int(-7));
  r3.push_back(Value::List({Value::String("x"), Value::String("y")}));
  FERRY_ASSERT_OK(Write(d, v2, {{r3}}));
  expected.push_back(r3);
  FERRY_ASSERT_OK_AND_ASSIGN(auto got2, Read(*v2));
  EXPECT_TRUE(SameRows(AsStored(*v2, expected), AsStored(*v2, got2)));
}

TEST_P(DestinationConformance, UnsafeChangesRefusedInSafeModeAppliedInForced) {
  if (target().schemaless) GTEST_SKIP() << "schemaless: every schema change is safe, only later messages change";
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto type_v1 = TableWithMeta("conf_unsafe_type", {Col("id", types::Int64(), true), Col("changes_type", types::Int64())});
  auto type_v2 = TableWithMeta("conf_unsafe_type", {Col("id", types::Int64(), true), Col("changes_type", types::Utf8())});
  auto nn_v1 = TableWithMeta("conf_unsafe_notnull", {Col("id", types::Int64(), true)});
  auto nn_v2 = WithColumns(nn_v1, {Col("new_not_null", types::Int64(), false, true)});
  auto pk_v1 = TableWithMeta("conf_unsafe_pk", {Col("id", types::Int64(), true), Col("joins_key", types::Utf8())});
  auto pk_v2 = TableWithMeta("conf_unsafe_pk", {Col("id", types::Int64(), true), Col("joins_key", types::Utf8(), true)});
  FERRY_ASSERT_OK(Migrate(d, {type_v1, nn_v1, pk_v1}));
  std::vector<Row> type_rows = {MetaRow(kT1, "src", 1, {Value::Int(1), Value::Int(10)})};
  std::vector<Row> nn_rows = {MetaRow(kT1, "src", 2, {Value::Int(2)})};
  std::vector<Row> pk_rows = {MetaRow(kT1, "src", 3, {Value::Int(3), Value::String("k")})};
  FERRY_ASSERT_OK(Write(d, type_v1, {type_rows}));
  FERRY_ASSERT_OK(Write(d, nn_v1, {nn_rows}));
  FERRY_ASSERT_OK(Write(d, pk_v1, {pk_rows}));

  Status st = Migrate(d, {type_v2, nn_v2, pk_v2}, MigrateMode::kSafe);
  ASSERT_EQ(st.code(), StatusCode::kSchemaChange) << st.ToString();
  std::vector<std::string> words = {"conf_unsafe_type", "changes_type", "forced"};
  if (target().stores_constraints)
    words.insert(words.end(), {"conf_unsafe_notnull", "new_not_null", "conf_unsafe_pk", "joins_key"});
  for (const std::string& word : words)
    EXPECT_NE(st.message().find(word), std::string::npos) << "the error should name \"" << word << "\": " << st.message();

  // Nothing changed: the old schemas still read and write.
  FERRY_ASSERT_OK_AND_ASSIGN(auto type_got, Read(*type_v1));
  EXPECT_TRUE(SameRows(type_rows, type_got));
  FERRY_ASSERT_OK_AND_ASSIGN(auto nn_got, Read(*nn_v1));
  EXPECT_TRUE(SameRows(nn_rows, nn_got));
  FERRY_ASSERT_OK(Write(d, pk_v1, {{MetaRow(kT1, "src", 4, {Value::Int(4), Value::String("k")})}}));

  if (!Caps().forced_migration) GTEST_SKIP() << "no forced migration";
  FERRY_ASSERT_OK(Migrate(d, {type_v2, nn_v2, pk_v2}, MigrateMode::kForced));
  std::vector<Row> type_new = {MetaRow(kT2, "src", 5, {Value::Int(1), Value::String("now text")})};
  std::vector<Row> nn_new = {MetaRow(kT2, "src", 6, {Value::Int(2), Value::Int(0)})};
  std::vector<Row> pk_new = {MetaRow(kT2, "src", 7, {Value::Int(3), Value::String("a")}),
                             MetaRow(kT2, "src", 8, {Value::Int(3), Value::String("b")})};
  FERRY_ASSERT_OK(Write(d, type_v2, {type_new}));
  FERRY_ASSERT_OK(Write(d, nn_v2, {nn_new}));
  FERRY_ASSERT_OK(Write(d, pk_v2, {pk_new}));
  // Forced migration drops and recreates: the old rows are gone.
  FERRY_ASSERT_OK_AND_ASSIGN(auto type_after, Read(*type_v2));
  EXPECT_TRUE(SameRows(type_new, type_after));
  FERRY_ASSERT_OK_AND_ASSIGN(auto nn_after, Read(*nn_v2));
  FERRY_ASSERT_OK_AND_ASSIGN(auto pk_after, Read(*pk_v2));
  if (!target().stores_constraints) {
    // No constraint changed there: the column was added, the rows stay.
    std::vector<Row> nn_all = {MetaRow(kT1, "src", 2, {Value::Int(2), Value::Null()})};
    nn_all.insert(nn_all.end(), nn_new.begin(), nn_new.end());
    EXPECT_TRUE(SameRows(nn_all, nn_after));
    std::vector<Row> pk_all = pk_rows;
    pk_all.push_back(MetaRow(kT1, "src", 4, {Value::Int(4), Value::String("k")}));
    pk_all.insert(pk_all.end(), pk_new.begin(), pk_new.end());
    EXPECT_TRUE(SameRows(pk_all, pk_after));
    return;
  }
  EXPECT_TRUE(SameRows(nn_new, nn_after));
  EXPECT_TRUE(SameRows(pk_new, pk_after)) << "(3, a) and (3, b) are distinct keys now";
}

TEST_P(DestinationConformance, WriteToUnmigratedTableFails) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  Status st = Write(d, Items("conf_never_migrated", false), {{ItemRow(kT1, "src", 1, "a", 1)}});
  EXPECT_FALSE(st.ok());
}

TEST_P(DestinationConformance, CloseIsIdempotentAndLaterCallsFail) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto t = Items("conf_close", false);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  FERRY_ASSERT_OK(d->Close());
  FERRY_EXPECT_OK(d->Close());
  EXPECT_FALSE(Write(d, t, {{ItemRow(kT1, "src", 1, "a", 1)}}).ok());
}

// Every call a sync makes, in every declared mode, on a migrated table: each
// succeeds (what it stored is checked by the reading cases).
TEST_P(DestinationConformance, EveryCallOnAMigratedTable) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto keyed = Items("conf_calls_keyed", true);
  auto plain = Items("conf_calls_plain", false);
  FERRY_ASSERT_OK(Migrate(d, {keyed, plain}));
  FERRY_ASSERT_OK(Migrate(d, {keyed, plain}));  // again: changes nothing
  for (int i = 0; i < 3; ++i) {
    FERRY_ASSERT_OK(Write(d, plain, {{ItemRow(kT1, "src", i, "a", i)}, {ItemRow(kT1, "src", i + 10, "b", i)}}));
  }
  if (Caps().write_modes.count(WriteMode::kOverwrite) || Caps().write_modes.count(WriteMode::kOverwriteDeleteStale)) {
    FERRY_ASSERT_OK(Write(d, keyed, {{ItemRow(kT1, "src", 1, "a", 1), ItemRow(kT1, "src", 2, "b", 2)}}));
    FERRY_ASSERT_OK(Write(d, keyed, {{ItemRow(kT1 + 1, "src", 1, "a2", 1)}}));
  }
  if (Caps().write_modes.count(WriteMode::kOverwriteDeleteStale)) {
    FERRY_ASSERT_OK(d->DeleteStale(DeleteStaleRequest{keyed, "src", kT1 + 1}));
  }
  if (Caps().delete_record) {
    ferry::DeleteRecord del;
    del.table_name = plain->name;
    del.where.push_back({DeletePredicateGroup::Grouping::kAnd, {DeletePredicate{"id", Value::Int(1)}}});
    FERRY_ASSERT_OK(d->DeleteRecord(del));
  }
}

// Calls naming a table that was never migrated, or a column the table does
// not have, fail instead of doing nothing.
TEST_P(DestinationConformance, CallsOnUnknownTablesFail) {
  Destination* d = Open();
  ASSERT_NE(d, nullptr);
  auto t = Items("conf_known", false);
  FERRY_ASSERT_OK(Migrate(d, {t}));
  auto never = Items("conf_never_migrated_either", false);
  if (Caps().write_modes.count(WriteMode::kOverwriteDeleteStale)) {
    EXPECT_FALSE(d->DeleteStale(DeleteStaleRequest{never, "src", kT1}).ok());
  }
  if (Caps().delete_record) {
    ferry::DeleteRecord del;
    del.table_name = never->name;
    del.where.push_back({DeletePredicateGroup::Grouping::kAnd, {DeletePredicate{"id", Value::Int(1)}}});
    EXPECT_FALSE(d->DeleteRecord(del).ok()) << "unknown table";
    del.table_name = t->name;
    del.where = {{DeletePredicateGroup::Grouping::kAnd, {DeletePredicate{"no_such_column", Value::Int(1)}}}};
    EXPECT_FALSE(d->DeleteRecord(del).ok()) << "unknown column";
  }
}

}  // namespace ferry::testing
