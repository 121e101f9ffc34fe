#include "plugins/source/test/test_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <set>

#include "testing/fake_sink.h"
#include "plugins/source/test/tables/some_table.h"
#include "plugins/source/test/tables/testdata_table.h"

namespace ferry::plugins::test {
namespace {

using nlohmann::json;
using testing::FakeSink;
using testing::MakeSource;
using testing::SyncAll;

std::unique_ptr<ferry::Source> MustMake(const json& spec) {
  auto r = MakeSource(TestSourcePlugin(), spec);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.MoveValue() : nullptr;
}

TEST(TestSource, DeclaresCloudQueryTablesFlattenedParentsFirst) {
  auto src = MustMake({{"num_sub_cols", 3}});
  ASSERT_TRUE(src);
  std::vector<std::string> names;
  for (const auto& t : src->Tables()) names.push_back(t->name);
  EXPECT_EQ(names, (std::vector<std::string>{kSomeTable, kSubTable, kTestdataTable, kPaidTable, kSyntheticTable,
                                                 kIncrementalTable, kWideTable}));

  auto tables = src->Tables();
  const TableSchema& some = *tables[0];
  ASSERT_EQ(some.columns.size(), 5u);
  EXPECT_EQ(some.columns[0].name, meta::kId);
  EXPECT_EQ(some.columns[1].name, meta::kParentId);
  EXPECT_EQ(some.PrimaryKeys(), (std::vector<std::string>{"resource_id", "client_id"}));
  EXPECT_FALSE(some.columns[0].primary_key);  // own PKs exist, so _cq_id is not one

  const TableSchema& sub = *tables[1];
  EXPECT_EQ(sub.parent, kSomeTable);
  std::vector<std::string> cols;
  for (const auto& c : sub.columns) cols.push_back(c.name);
  EXPECT_EQ(cols, (std::vector<std::string>{meta::kId, meta::kParentId, "parent_resource_id", "sub_resource_id",
                                            "data_column", "extra_column_0", "extra_column_1", "extra_column_2"}));
  EXPECT_TRUE(tables[3]->is_paid);
  EXPECT_TRUE(tables[2]->PrimaryKeys() == std::vector<std::string>{meta::kId});
  for (const auto& t : tables) {
    EXPECT_FALSE(t->description.empty()) << t->name;
    for (const auto& c : t->columns) EXPECT_FALSE(c.description.empty()) << t->name << "." << c.name;
  }
}

TEST(TestSource, RowCountsAndTableDonePerClient) {
  auto src = MustMake({{"num_clients", 2}, {"num_rows", 3}});
  ASSERT_TRUE(src);
  FakeSink sink;
  ASSERT_TRUE(SyncAll(*src, sink).ok());
  EXPECT_EQ(sink.Rows(kSomeTable), 6);
  EXPECT_EQ(sink.Rows(kSubTable), 60);
  EXPECT_EQ(sink.Rows(kTestdataTable), 2);
  EXPECT_EQ(sink.Rows(kPaidTable), 6);
  EXPECT_EQ(sink.Rows(kSyntheticTable), 0);
  for (const char* t : {kSomeTable, kSubTable, kTestdataTable, kPaidTable, kSyntheticTable}) {
    auto done = sink.DoneFor(t);
    ASSERT_EQ(done.size(), 2u) << t;
    std::set<std::string> clients;
    for (const auto& d : done) {
      EXPECT_TRUE(d.status.ok()) << t << ": " << d.status.ToString();
      clients.insert(d.client);
    }
    // CloudQuery's test plugin names client k (client_id k) "Client#<k+1>".
    EXPECT_EQ(clients, (std::set<std::string>{"Client#2", "Client#3"})) << t;
  }
  for (const auto& d : sink.DoneFor(kSubTable)) EXPECT_EQ(d.rows, 30);
  for (const auto& b : sink.batches) {
    std::string why;
    EXPECT_TRUE(b->Validate(&why)) << why;
  }
  EXPECT_TRUE(sink.deletes.empty());
}

TEST(TestSource, SomeAndSubTableValuesMatchCloudQuery) {
  auto src = MustMake({{"num_clients", 2}, {"num_rows", 4}, {"num_sub_rows", 3}, {"num_sub_cols", 2}, {"seed", 7}});
  ASSERT_TRUE(src);
  FakeSink sink;
  ASSERT_TRUE(SyncAll(*src, sink).ok());
  std::map<std::string, std::pair<int64_t, int64_t>> parents;  // _cq_id -> (client_id, resource_id)
  std::set<std::pair<int64_t, int64_t>> keys;
  for (auto& r : sink.Table(kSomeTable)) {
    int64_t id = r["resource_id"].as_int(), client = r["client_id"].as_int();
    EXPECT_GE(id, 1);
    EXPECT_LE(id, 4);
    EXPECT_EQ(r["column2"].as_string(), "test_column_data_" + std::to_string((id - 1) % 3));
    EXPECT_TRUE(r[meta::kParentId].is_null());
    EXPECT_EQ(r[meta::kId].as_string().size(), 16u);
    keys.insert({client, id});
    parents[r[meta::kId].as_string()] = {client, id};
  }
  EXPECT_EQ(keys.size(), 8u);
  EXPECT_EQ(keys.begin()->first, 1);
  EXPECT_EQ(keys.rbegin()->first, 2);

  auto subs = sink.Table(kSubTable);
  ASSERT_EQ(subs.size(), 24u);
  for (auto& r : subs) {
    auto it = parents.find(r[meta::kParentId].as_string());
    ASSERT_NE(it, parents.end()) << "_cq_parent_id is not the _cq_id of a test_some_table row";
    auto [client, parent_id] = it->second;
    EXPECT_EQ(r["parent_resource_id"].as_int(), parent_id);
    int64_t i = r["sub_resource_id"].as_int();
    EXPECT_EQ(r["data_column"].as_string(), "sub_data_" + std::to_string(i % 3));
    for (int k = 0; k < 2; ++k) {
      Value v = r["extra_column_" + std::to_string(k)];
      EXPECT_EQ(v.as_int(), ExtraColumnValue(7, client, parent_id, k));
      EXPECT_GE(v.as_int(), 0);
    }
  }
}

TEST(TestSource, TestdataTableHasEveryTypeWithFixedValues) {
  auto src = MustMake({{"num_clients", 2}});
  ASSERT_TRUE(src);
  FakeSink sink;
  ASSERT_TRUE(SyncAll(*src, sink, {kTestdataTable}).ok());
  ASSERT_EQ(sink.Rows(kTestdataTable), 2);
  std::set<TypeId> ids;
  const TableSchema* schema = nullptr;
  for (const auto& b : sink.batches) schema = b->schema().get();
  ASSERT_TRUE(schema);
  for (const auto& c : schema->columns) ids.insert(c.type->id);
  EXPECT_EQ(ids.size(), 28u) << "a column of every Ferry type but fixed_size_binary";
  EXPECT_FALSE(ids.count(TypeId::kFixedSizeBinary)) << "CloudQuery's table has none";
  EXPECT_EQ(schema->columns.size(), 2u + 78u) << "_cq_id, _cq_parent_id, schema.TestTable without maps (77), client_id";
  for (auto& r : sink.Table(kTestdataTable)) {
    Row want = TestdataRow(r["client_id"].as_int());
    for (size_t i = 2; i < schema->columns.size(); ++i)
      EXPECT_TRUE(r[schema->columns[i].name] == want[i - 2]) << schema->columns[i].name;
  }
  EXPECT_TRUE(sink.DoneFor(kSomeTable).empty()) << "unselected tables are not reported";
}

TEST(TestSource, DeterministicCqIdsRepeat) {
  auto run = [](bool deterministic) {
    auto src = MustMake({{"num_rows", 5}, {"num_sub_rows", 2}});
    FakeSink sink;
    EXPECT_TRUE(SyncAll(*src, sink, {kSomeTable, kSubTable}, deterministic).ok());
    std::set<std::string> ids;
    for (auto& r : sink.Table(kSubTable)) ids.insert(r[meta::kId].as_string());
    return ids;
  };
  EXPECT_EQ(run(true), run(true));
  EXPECT_NE(run(false), run(false));
}

TEST(TestSource, DeleteRecordsAfterTheSyncOfSomeTable) {
  auto src = MustMake({{"num_clients", 2}, {"num_rows", 3}, {"delete_records", {1, 3}}});
  ASSERT_TRUE(src);
  FakeSink sink;
  ASSERT_TRUE(SyncAll(*src, sink).ok());
  ASSERT_EQ(sink.deletes.size(), 1u);
  const DeleteRecord& d = sink.deletes[0];
  EXPECT_EQ(d.table_name, kSomeTable);
  ASSERT_EQ(d.where.size(), 1u);
  EXPECT_EQ(d.where[0].grouping, DeletePredicateGroup::Grouping::kOr);
  ASSERT_EQ(d.where[0].predicates.size(), 2u);
  EXPECT_EQ(d.where[0].predicates[0].column, "resource_id");
  EXPECT_TRUE(d.where[0].predicates[0].value == Value::Int(1));
  EXPECT_TRUE(d.where[0].predicates[1].value == Value::Int(3));
  EXPECT_EQ(sink.events.back(), "delete:test_some_table") << "sent after every insert and TableDone";

  FakeSink other;
  ASSERT_TRUE(SyncAll(*src, other, {kTestdataTable}).ok());
  EXPECT_TRUE(other.deletes.empty()) << "no delete for a table that was not synced";
}

TEST(TestSource, RequiredEnv) {
  ::setenv("FERRY_TEST_SOURCE_ENV", "yes", 1);
  ::unsetenv("FERRY_TEST_SOURCE_UNSET");
  EXPECT_TRUE(MakeSource(TestSourcePlugin(), {{"required_env", {"FERRY_TEST_SOURCE_ENV=yes"}}}).ok());
  EXPECT_TRUE(MakeSource(TestSourcePlugin(), {{"required_env", {"FERRY_TEST_SOURCE_UNSET="}}}).ok());

  auto bad = MakeSource(TestSourcePlugin(), {{"required_env", {"FERRY_TEST_SOURCE_ENV=no"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("FERRY_TEST_SOURCE_ENV (want \"no\", but got \"yes\")"), std::string::npos)
      << bad.status().message();
  // Like CloudQuery, no_connection (docs, migrate) skips the check.
  EXPECT_TRUE(MakeSource(TestSourcePlugin(), {{"required_env", {"FERRY_TEST_SOURCE_ENV=no"}}}, true).ok());

  auto malformed = MakeSource(TestSourcePlugin(), {{"required_env", {"NO_EQUALS_SIGN"}}});
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find("KEY=value"), std::string::npos);
}

TEST(TestSource, FailTablesReportsErrorsAndOtherTablesComplete) {
  auto src = MustMake({{"num_clients", 2}, {"num_rows", 3}, {"fail_tables", {kPaidTable, kSubTable}}});
  ASSERT_TRUE(src);
  FakeSink sink;
  ASSERT_TRUE(SyncAll(*src, sink).ok()) << "table failures are not source failures";
  for (const char* t : {kPaidTable, kSubTable}) {
    auto done = sink.DoneFor(t);
    ASSERT_EQ(done.size(), 2u) << t;
    for (const auto& d : done) {
      EXPECT_FALSE(d.status.ok()) << t;
      EXPECT_NE(d.status.message().find("fail_tables"), std::string::npos) << d.status.message();
    }
  }
  EXPECT_EQ(sink.Rows(kPaidTable), 0);
  EXPECT_EQ(sink.Rows(kSubTable), 0);
  EXPECT_EQ(sink.Rows(kSomeTable), 6);
  EXPECT_EQ(sink.Rows(kTestdataTable), 2);
  for (const char* t : {kSomeTable, kTestdataTable})
    for (const auto& d : sink.DoneFor(t)) EXPECT_TRUE(d.status.ok()) << t;

  auto unknown = MakeSource(TestSourcePlugin(), {{"fail_tables", {"test_some_tabel"}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("did you mean \"test_some_table\""), std::string::npos)
      << unknown.status().message();
}

TEST(TestSource, FailImmediatelyFailsTheResolversLikeCloudQuery) {
  auto src = MustMake({{"fail_immediately", true}});
  ASSERT_TRUE(src) << "CloudQuery fails in the resolvers, not at init";
  FakeSink sink;
  ASSERT_TRUE(SyncAll(*src, sink).ok());
  for (const char* t : {kSomeTable, kPaidTable}) {
    auto done = sink.DoneFor(t);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].status.message(), "failing immediately");
  }
  EXPECT_EQ(sink.Rows(kSomeTable), 0);
  EXPECT_EQ(sink.Rows(kTestdataTable), 1);
}

TEST(TestSourceDeathTest, ExitImmediatelyExitsWithStatusOne) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto src = MakeSource(TestSourcePlugin(), {{"exit_immediately", true}});
        FakeSink sink;
        if (src.ok()) SyncAll(**src, sink).IgnoreError();
        std::exit(0);
      },
      ::testing::ExitedWithCode(1), "");
}

TEST(TestSource, ResolveDelayEndsWhenCancelled) {
  auto src = MustMake({{"resolve_delay", "30s"}});
  ASSERT_TRUE(src);
  FakeSink sink;
  sink.cancelled = true;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(SyncAll(*src, sink).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(sink.deletes.empty());
  EXPECT_EQ(sink.Rows(kSomeTable), 0);
}

TEST(TestSource, OptionTableRejectsUnknownKeysAndBadValues) {
  auto unknown = MakeSource(TestSourcePlugin(), {{"num_row", 3}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("num_rows"), std::string::npos) << unknown.status().message();
  EXPECT_FALSE(MakeSource(TestSourcePlugin(), {{"num_clients", 0}}).ok());
  EXPECT_FALSE(MakeSource(TestSourcePlugin(), {{"num_rows", -1}}).ok());
  EXPECT_TRUE(MakeSource(TestSourcePlugin(), nullptr).ok()) << "no spec at all takes the defaults";
  EXPECT_EQ(TestSourcePlugin().name, "test");
}

}  // namespace
}  // namespace ferry::plugins::test
