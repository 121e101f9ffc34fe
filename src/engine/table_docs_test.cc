#include "engine/table_docs.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plugins/source/test/test_source.h"

namespace ferry::engine {
namespace {

using nlohmann::json;

std::vector<TableSchemaPtr> TestSourceTables() {
  auto src = plugins::test::TestSourcePlugin().create();
  auto opts = ValidateOptions(plugins::test::TestSourcePlugin().options, json::object(), "source", nullptr);
  EXPECT_TRUE(opts.ok());
  SourceInit init;
  init.name = "test";
  init.no_connection = true;
  EXPECT_TRUE(src->Init(*opts, init).ok());
  return src->Tables();
}

Column Col(std::string name, DataTypePtr type, bool pk = false) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.primary_key = pk;
  return c;
}

const json* Find(const json& arr, const std::string& name) {
  for (const auto& t : arr)
    if (t["name"] == name) return &t;
  return nullptr;
}

TEST(TablesJson, TestSourceTablesNestedAndSortedWithMetaColumns) {
  json j = json::parse(TablesJson(TestSourceTables()));
  ASSERT_TRUE(j.is_array());
  std::vector<std::string> top;
  for (const auto& t : j) top.push_back(t["name"]);
  EXPECT_EQ(top, (std::vector<std::string>{"test_incremental_table", "test_paid_table", "test_some_table",
                                           "test_synthetic_table", "test_testdata_table", "test_wide_table"}));

  const json* some = Find(j, "test_some_table");
  ASSERT_TRUE(some);
  EXPECT_EQ((*some)["description"], "Test table");
  EXPECT_EQ((*some)["title"], "");
  EXPECT_EQ((*some)["parent"], "");
  EXPECT_FALSE(some->contains("is_paid"));
  std::vector<std::string> cols;
  for (const auto& c : (*some)["columns"]) cols.push_back(c["name"]);
  EXPECT_EQ(cols, (std::vector<std::string>{"_cq_id", "_cq_parent_id", "resource_id", "column2", "client_id"}));
  const json& cq_id = (*some)["columns"][0];
  EXPECT_EQ(cq_id["type"], "uuid");
  EXPECT_FALSE(cq_id.contains("is_primary_key"));
  EXPECT_EQ(cq_id["not_null"], true);
  EXPECT_EQ(cq_id["unique"], true);
  const json& rid = (*some)["columns"][2];
  EXPECT_EQ(rid["type"], "int64");
  EXPECT_EQ(rid["is_primary_key"], true);
  EXPECT_EQ(rid["description"], "Resource ID");
  EXPECT_EQ((*some)["columns"][3]["type"], "utf8");

  ASSERT_EQ((*some)["relations"].size(), 1u);
  const json& sub = (*some)["relations"][0];
  EXPECT_EQ(sub["name"], "test_sub_table");
  EXPECT_EQ(sub["parent"], "test_some_table");
  EXPECT_TRUE(sub["relations"].empty());
  EXPECT_EQ(sub["columns"].size(), 6u);  // 2 meta + 3 + extra_column_0

  EXPECT_EQ((*Find(j, "test_paid_table"))["is_paid"], true);
  const json& testdata = *Find(j, "test_testdata_table");
  EXPECT_EQ(testdata["columns"][0]["is_primary_key"], true) << "_cq_id is the PK of a table without PKs";
  bool has_list = false;
  for (const auto& c : testdata["columns"]) has_list |= c["type"] == "list<item: int64, nullable>";
  EXPECT_TRUE(has_list);
  EXPECT_TRUE(testdata["incremental_keys"].is_array());
}

TEST(TablesJson, CloudQueryFlagsAndFerryAdditions) {
  auto inc = std::make_shared<TableSchema>();
  inc->name = "inc";
  inc->title = "Incremental";
  inc->is_incremental = true;
  inc->columns = {Col("id_col", types::Int64(), true), Col("cursor", types::Timestamp())};
  inc->columns[1].incremental_key = true;
  inc->columns[1].type_schema = "{}";
  auto comp = std::make_shared<TableSchema>();
  comp->name = "comp";
  comp->columns = {Col("_cq_id", types::Uuid(), true), Col("a", types::Utf8())};
  comp->columns[1].primary_key_component = true;

  std::string text = TablesJson({inc, comp});
  EXPECT_EQ(text.back(), '\n');
  json j = json::parse(text);
  EXPECT_EQ(j[0]["name"], "comp");  // sorted by name
  EXPECT_FALSE(j[0]["columns"][0].contains("is_primary_key")) << "hidden when components define _cq_id";
  EXPECT_EQ(j[0]["columns"][1]["is_primary_key"], true);
  EXPECT_EQ(j[0]["columns"][1]["is_primary_key_component"], true);
  EXPECT_EQ(j[1]["is_incremental"], true);
  EXPECT_EQ(j[1]["incremental_keys"], json::array({"cursor"}));
  EXPECT_EQ(j[1]["columns"][1]["is_incremental_key"], true);
  EXPECT_EQ(j[1]["columns"][1]["type_schema"], "{}");
  EXPECT_FALSE(j[1]["columns"][0].contains("type_schema"));
  // CloudQuery's key order first.
  EXPECT_LT(text.find("\"name\": \"inc\""), text.find("\"title\": \"Incremental\""));
}

TEST(TablesJson, InvalidUtf8DoesNotThrow) {
  auto t = std::make_shared<TableSchema>();
  t->name = "t";
  t->description = "bad \xff byte";
  EXPECT_NE(TablesJson({t}).find("bad"), std::string::npos);
}

TEST(TablesMarkdown, TestSourceReadmeAndTableFiles) {
  auto files = TablesMarkdown("test", TestSourceTables());
  ASSERT_EQ(files.size(), 8u);
  EXPECT_EQ(files["README.md"],
            "# Source Plugin: test\n\n## Tables\n\n"
            "- [test_incremental_table](test_incremental_table.md) (Incremental)\n"
            "- [test_paid_table](test_paid_table.md)\n"
            "- [test_some_table](test_some_table.md)\n"
            "  - [test_sub_table](test_sub_table.md)\n"
            "- [test_synthetic_table](test_synthetic_table.md)\n"
            "- [test_testdata_table](test_testdata_table.md)\n"
            "- [test_wide_table](test_wide_table.md)\n");

  const std::string& inc = files["test_incremental_table.md"];
  EXPECT_NE(inc.find("incremental"), std::string::npos) << inc;
  EXPECT_NE(inc.find("id"), std::string::npos) << inc;

  const std::string& sub = files["test_sub_table.md"];
  EXPECT_EQ(sub.rfind("# Table: test_sub_table\n\nSub table of test_some_table\n\n", 0), 0u) << sub;
  EXPECT_NE(sub.find("The composite primary key for this table is (**parent_resource_id**, **sub_resource_id**)."),
            std::string::npos);
  EXPECT_NE(sub.find("## Relations\n\nThis table depends on [test_some_table](test_some_table.md).\n"),
            std::string::npos)
      << sub;
  EXPECT_NE(sub.find("|extra_column_0|`int64`|Extra column 0|\n"), std::string::npos) << sub;

  const std::string& some = files["test_some_table.md"];
  EXPECT_NE(some.find("The following tables depend on test_some_table:\n  - [test_sub_table](test_sub_table.md)\n"),
            std::string::npos)
      << some;
  EXPECT_NE(some.find("|resource_id (PK)|`int64`|Resource ID|\n"), std::string::npos) << some;
  EXPECT_NE(some.find("|_cq_id (Not Null) (Unique)|`uuid`|"), std::string::npos) << some;

  EXPECT_NE(files["test_paid_table.md"].find("paid"), std::string::npos);
  EXPECT_NE(files["test_testdata_table.md"].find("The primary key for this table is **_cq_id**."), std::string::npos);
}

TEST(TablesMarkdown, IncrementalTitleEscapingAndOrphans) {
  auto t = std::make_shared<TableSchema>();
  t->name = "events";
  t->title = "Events";
  t->description = "All events";
  t->is_incremental = true;
  t->columns = {Col("id", types::Int64(), true), Col("updated_at", types::Timestamp())};
  t->columns[1].incremental_key = true;
  t->columns[1].description = "a|b\nc";
  auto orphan = std::make_shared<TableSchema>();
  orphan->name = "child";
  orphan->parent = "missing";

  auto files = TablesMarkdown("p", {t, orphan});
  EXPECT_EQ(files["events.md"],
            "# Table: events\n\n"
            "This table shows data for Events.\n\n"
            "All events\n\n"
            "The primary key for this table is **id**.\n"
            "It supports incremental syncs based on the **updated_at** column.\n\n"
            "## Columns\n\n"
            "| Name          | Type          | Description   |\n"
            "| ------------- | ------------- | ------------- |\n"
            "|id (PK)|`int64`||\n"
            "|updated_at (Incremental Key)|`timestamp[us, tz=UTC]`|a\\|b<br>c|\n");
  EXPECT_EQ(files["README.md"], "# Source Plugin: p\n\n## Tables\n\n- [child](child.md)\n- [events](events.md) (Incremental)\n");
  EXPECT_NE(files["child.md"].find("This table depends on [missing](missing.md)."), std::string::npos);
}

}  // namespace
}  // namespace ferry::engine

namespace ferry::engine {
namespace {

TEST(TableDocs, SnapshotViewsNamedWhereADestinationKeepsThem) {
  auto keyed = std::make_shared<TableSchema>();
  keyed->name = "hosts";
  keyed->columns = {Col("id", types::Int64(), true), Col("name", types::Utf8())};
  auto inc = std::make_shared<TableSchema>(*keyed);
  inc->name = "events";
  inc->is_incremental = true;

  const json j = json::parse(TablesJson({keyed, inc}, {"lake", "pg"}));
  EXPECT_EQ((*Find(j, "hosts"))["snapshot_views"],
            json({{"latest", "hosts_latest"}, {"changes", "hosts_changes"}, {"destinations", {"lake", "pg"}}}));
  EXPECT_EQ((*Find(j, "events"))["snapshot_views"], json({{"latest", "events_latest"}, {"destinations", {"lake", "pg"}}}))
      << "an incremental table has no changes view";
  EXPECT_FALSE(json::parse(TablesJson({keyed}))[0].contains("snapshot_views"));

  auto md = TablesMarkdown("p", {keyed, inc}, {"lake"});
  EXPECT_NE(md["hosts.md"].find("## Snapshot views\n\nIn `lake` (append mode, `snapshot_views: true`):\n"
                                "  - `hosts_latest`: the rows of the latest sync in which this table synced "
                                "completely, per source\n  - `hosts_changes`: "),
            std::string::npos)
      << md["hosts.md"];
  EXPECT_EQ(md["events.md"].find("events_changes"), std::string::npos);
  EXPECT_EQ(TablesMarkdown("p", {keyed})["hosts.md"].find("Snapshot views"), std::string::npos);
}

}  // namespace
}  // namespace ferry::engine
