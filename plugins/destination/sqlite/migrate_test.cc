#include "plugins/destination/sqlite/migrate.h"
#include "plugins/destination/sqlite/type_map.h"

#include <gtest/gtest.h>

#include "testing/batch_gen.h"

namespace ferry::plugins::sqlite {
namespace {

using ferry::testing::Col;

TableSchemaPtr Table(std::vector<Column> cols) {
  auto t = std::make_shared<TableSchema>();
  t->name = "t";
  t->columns = std::move(cols);
  return t;
}

TEST(Migrate, CreateTableSql) {
  auto t = Table({Col("id", types::Int64(), true), Col("we\"ird", types::Utf8(), false, true), Col("ts", types::Timestamp()),
                  Col("k2", types::Uuid(), true)});
  EXPECT_EQ(CreateTableSql(*t),
            "CREATE TABLE IF NOT EXISTS \"t\" (\"id\" INTEGER NOT NULL, \"we\"\"ird\" TEXT NOT NULL, "
            "\"ts\" TIMESTAMP, \"k2\" TEXT NOT NULL, PRIMARY KEY (\"id\", \"k2\"))");
  EXPECT_EQ(AddColumnSql("a\"b", Col("c", types::Bool())), "ALTER TABLE \"a\"\"b\" ADD COLUMN \"c\" BOOLEAN");
}

TEST(Migrate, PlanNewTable) {
  EXPECT_EQ(PlanTable(Table({Col("a", types::Int64())}), std::nullopt).action, TablePlan::Action::kCreate);
}

TEST(Migrate, PlanNoChange) {
  std::vector<ExistingColumn> have = {{"id", "integer", true, 1}, {"a", "TEXT", false, 0}};
  auto plan = PlanTable(Table({Col("id", types::Int64(), true), Col("A", types::Utf8())}), have);
  EXPECT_EQ(plan.action, TablePlan::Action::kNone) << "types and names compare case-insensitively";
  EXPECT_TRUE(plan.unsafe.empty());
}

TEST(Migrate, PlanSafeAdd) {
  std::vector<ExistingColumn> have = {{"id", "INTEGER", true, 1}, {"old", "TEXT", false, 0}};
  auto plan = PlanTable(Table({Col("id", types::Int64(), true), Col("b", types::Int64())}), have);
  EXPECT_EQ(plan.action, TablePlan::Action::kAddColumns);
  ASSERT_EQ(plan.add.size(), 1u);
  EXPECT_EQ(plan.add[0].name, "b");
}

TEST(Migrate, PlanUnsafeChanges) {
  std::vector<ExistingColumn> have = {{"id", "INTEGER", true, 1}, {"a", "INTEGER", false, 0},
                                      {"b", "TEXT", true, 0},     {"c", "TEXT", false, 0},
                                      {"gone", "TEXT", true, 0}};
  auto want = Table({Col("id", types::Int64(), true), Col("a", types::Utf8()), Col("b", types::Utf8()),
                     Col("c", types::Utf8(), false, true), Col("d", types::Int64(), false, true),
                     Col("e", types::Int64(), true)});
  auto plan = PlanTable(want, have);
  EXPECT_EQ(plan.action, TablePlan::Action::kRecreate);
  std::vector<std::string> expected = {
      "primary key changed from (id) to (id, e)",
      "column a: type changed from INTEGER to TEXT",
      "column b: NOT NULL removed",
      "column d: new NOT NULL column",
      "column gone: removed, but it is NOT NULL, so new rows could not be inserted"};
  EXPECT_EQ(plan.unsafe, expected);
}

TEST(Migrate, NullableColumnsTheSchemaDeclaresNotNullAreKept) {
  // CloudQuery's SQLite DDL: key columns without NOT NULL.
  std::vector<ExistingColumn> have = {{"_cq_id", "text", true, 0}, {"resource_id", "integer", false, 1},
                                      {"client_id", "integer", false, 2}, {"column2", "text", false, 0}};
  auto plan = PlanTable(Table({Col("_cq_id", types::Uuid(), false, true), Col("resource_id", types::Int64(), true),
                               Col("client_id", types::Int64(), true), Col("column2", types::Utf8(), false, true)}),
                        have);
  EXPECT_EQ(plan.action, TablePlan::Action::kNone);
  EXPECT_TRUE(plan.unsafe.empty());
}

TEST(Migrate, InPlaceRulesDropNotNullAndMoveTheKeyToCqId) {
  // PostgreSQL's rules (alter_in_place); SQLite's would recreate.
  DiffRules rules;
  rules.column_type = [](const DataType& t) { return std::string(DeclaredType(t)); };
  rules.alter_in_place = true;
  std::vector<ExistingColumn> have = {{"_cq_id", "TEXT", true, 0}, {"id", "INTEGER", true, 1},
                                      {"note", "TEXT", true, 0}};
  auto plan = ::ferry::plugins::PlanTable(
      Table({Col("_cq_id", types::Uuid(), true), Col("id", types::Int64()), Col("note", types::Utf8())}), have, rules);
  EXPECT_TRUE(plan.unsafe.empty()) << plan.unsafe.front();
  EXPECT_EQ(plan.action, TablePlan::Action::kAddColumns);
  EXPECT_TRUE(plan.key_to_cq_id);
  EXPECT_EQ(plan.drop_not_null, (std::vector<std::string>{"id", "note"}));
  // A key moved anywhere but to _cq_id alone stays unsafe.
  plan = ::ferry::plugins::PlanTable(
      Table({Col("_cq_id", types::Uuid(), false, true), Col("id", types::Int64()), Col("note", types::Utf8(), true)}),
      have, rules);
  EXPECT_FALSE(plan.unsafe.empty());
  EXPECT_FALSE(plan.key_to_cq_id);
}

TEST(Migrate, DateColumnsDeclaredDateOrTextAreTheSame) {
  // Ferry declared DATE before; CloudQuery and Ferry now declare TEXT.
  std::vector<ExistingColumn> have = {{"d", "DATE", false, 0}};
  EXPECT_EQ(PlanTable(Table({Col("d", types::Date32())}), have).action, TablePlan::Action::kNone);
  have = {{"d", "text", false, 0}};
  EXPECT_EQ(PlanTable(Table({Col("d", types::Date32())}), have).action, TablePlan::Action::kNone);
  have = {{"d", "INTEGER", false, 0}};
  EXPECT_EQ(PlanTable(Table({Col("d", types::Date32())}), have).action, TablePlan::Action::kRecreate);
  // CloudQuery declares fixed_size_binary `text` and stores blobs in it.
  have = {{"f", "text", false, 0}};
  EXPECT_EQ(PlanTable(Table({Col("f", types::FixedSizeBinary(16))}), have).action, TablePlan::Action::kNone);
  EXPECT_EQ(PlanTable(Table({Col("f", types::Binary())}), have).action, TablePlan::Action::kRecreate);
}

TEST(Migrate, KeyOrderDoesNotMatter) {
  std::vector<ExistingColumn> have = {{"a", "INTEGER", true, 2}, {"b", "INTEGER", true, 1}};
  auto plan = PlanTable(Table({Col("a", types::Int64(), true), Col("b", types::Int64(), true)}), have);
  EXPECT_EQ(plan.action, TablePlan::Action::kNone);
}

}  // namespace
}  // namespace ferry::plugins::sqlite
