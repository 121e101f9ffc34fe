// End to end: `snapshot_views: true` (ferry/snapshot_views.h) in SQLite, a
// real PostgreSQL and a real ClickHouse server, driven by `ferry sync` with
// the test source in append mode.
//
// One story per destination:
//   1. two complete syncs with different data (rows, seeds);
//   2. a third sync killed with SIGKILL once some of its rows landed;
//   3. <t>_latest equals what an overwrite-delete-stale destination of the
//      same syncs held after sync 2, although the table holds sync 3's rows;
//      <t>_changes lists exactly the rows added, removed and changed between
//      syncs 1 and 2, computed here from the raw append rows;
//   4. a fourth sync adds a column (migration) and a second source writes
//      the same tables: the views show the new column and both sources;
//   5. snapshot_views turned off: the views are gone, the data stays.
#include <signal.h>
#include <sqlite3.h>

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/cli_runner.h"

namespace ferry {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// One destination kind: how to name it in a spec, and how to read from it.
struct Backend {
  std::string name;   // the destination path: sqlite, postgresql, clickhouse
  // A fresh database for `ns`: the connection_string for the spec.
  std::function<std::string(const std::string& ns)> fresh;
  std::function<Rows(const std::string& conn, const std::string& sql)> query;
  std::string final_suffix;   // how to read deduplicated rows of an overwrite table
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

Rows SqliteRows(const std::string& file, const std::string& sql) {
  Rows out;
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const unsigned char* t = sqlite3_column_text(st, i);
        row.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out.push_back(std::move(row));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

Rows PgRows(const std::string& conn, const std::string& sql) {
  Rows out;
  PGconn* c = PQconnectdb(conn.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQerrorMessage(c);
  } else {
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < PQnfields(r); ++j) row.push_back(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
      out.push_back(std::move(row));
    }
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

// `sql` names its tables with their database (SnapshotViews::Q).
Rows ChRows(const std::string&, const std::string& sql) {
  auto body = plugins::clickhouse::testing::Admin(sql + " FORMAT TSV");
  Rows out;
  if (!body.ok()) {
    ADD_FAILURE() << sql << ": " << body.status().ToString();
    return out;
  }
  std::istringstream in(*body);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i)
      if (i == line.size() || line[i] == '\t') {
        std::string f = line.substr(start, i - start);
        row.push_back(f == "\\N" ? "NULL" : f);
        start = i + 1;
      }
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<std::string> Sorted(const Rows& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    std::string s;
    for (const auto& f : r) s += (s.empty() ? "" : "|") + f;
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The test tables: key and compared columns.
struct TableCols {
  std::string table;
  std::vector<std::string> key, compared;
  std::string List() const {
    std::string s;
    for (const auto& c : key) s += (s.empty() ? "" : ", ") + c;
    for (const auto& c : compared) s += ", " + c;
    return s;
  }
};
const std::vector<TableCols>& Tables() {
  static const std::vector<TableCols> t = {
      {"test_some_table", {"resource_id", "client_id"}, {"column2"}},
      {"test_sub_table", {"parent_resource_id", "sub_resource_id"}, {"data_column", "extra_column_0"}},
      {"test_synthetic_table", {"id"}, {"name", "count"}},
  };
  return t;
}

class SnapshotViews : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const std::string ns = "snapviews_" + GetParam().name;
    views_ = GetParam().fresh(ns);
    ods_ = GetParam().fresh(ns + "_ods");
    ASSERT_FALSE(views_.empty());
  }

  // A database name for ClickHouse queries; the connection otherwise.
  std::string Q(const std::string& conn_or_db, const std::string& table) const {
    if (GetParam().name != "clickhouse") return table;
    return conn_or_db.substr(conn_or_db.rfind('/') + 1) + "." + table;
  }
  std::string Target(const std::string& conn) const {
    return GetParam().name == "clickhouse" ? conn.substr(conn.rfind('/') + 1) : conn;
  }
  Rows Query(const std::string& conn, const std::string& sql) { return GetParam().query(Target(conn), sql); }

  std::string Spec(int rows, int seed, int sub_cols, bool views, const std::string& extra_source = "",
                   int synthetic = 0, const std::string& fail = "[]") {
    if (synthetic == 0) synthetic = 100 + 20 * rows;
    auto source = [&](const std::string& name, const std::string& dests) {
      return "kind: source\nspec:\n  name: " + name +
             "\n  path: cloudquery/test\n  version: v1.0.0\n  tables: [test_some_table, test_sub_table, test_synthetic_table]\n"
             "  destinations: [" + dests + "]\n  spec:\n    num_rows: " + std::to_string(rows) +
             "\n    num_sub_rows: 3\n    num_sub_cols: " + std::to_string(sub_cols) + "\n    seed: " +
             std::to_string(seed) + "\n    synthetic_rows: " + std::to_string(synthetic) + "\n    fail_tables: " + fail + "\n---\n";
    };
    auto dest = [&](const std::string& name, const std::string& mode, const std::string& conn, bool v) {
      return "kind: destination\nspec:\n  name: " + name + "\n  path: cloudquery/" + GetParam().name +
             "\n  version: v1.0.0\n  write_mode: " + mode + (v ? "\n  snapshot_views: true" : "") +
             "\n  spec:\n    connection_string: \"" + conn + "\"\n    batch_timeout: 50ms\n---\n";
    };
    std::string spec = source("test", "views, ods") + dest("views", "append", views_, views) +
                       dest("ods", "overwrite-delete-stale", ods_, false);
    if (!extra_source.empty()) spec = source(extra_source, "views") + spec;
    return spec;
  }

  testing::CommandResult Run(const std::string& spec) {
    return testing::RunFerry({"sync", dir_.Write("spec.yml", spec), "--no-progress"}, dir_.path());
  }

  std::vector<std::string> Times(const std::string& table) {
    std::vector<std::string> out;
    for (const auto& r : Query(views_, "SELECT DISTINCT _cq_sync_time FROM " + Q(views_, table) + " ORDER BY _cq_sync_time"))
      out.push_back(r.at(0));
    return out;
  }

  testing::TempDir dir_;
  std::string views_, ods_;
};

TEST_P(SnapshotViews, LatestAndChangesSurviveAKilledSyncAMigrationAndASecondSource) {
  auto r1 = Run(Spec(4, 1, 1, true));
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  auto r2 = Run(Spec(5, 2, 1, true));   // one row more, other extra_column values
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  std::map<std::string, std::vector<std::string>> ods_after_2;
  for (const auto& t : Tables())
    ods_after_2[t.table] =
        Sorted(Query(ods_, "SELECT " + t.List() + " FROM " + Q(ods_, t.table) + GetParam().final_suffix));

  // Sync 3 (another seed, many synthetic rows) is killed once some of its rows landed.
  const std::string spec3 = dir_.Write("spec3.yml", Spec(3, 3, 1, true, "", 2000000));
  const int pid = testing::StartFerry({"sync", spec3, "--no-progress"}, dir_.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && Times("test_synthetic_table").size() < 3)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGKILL);
  testing::WaitFerry(pid);
  ASSERT_EQ(Times("test_synthetic_table").size(), 3u) << "sync 3 wrote no rows before the kill";
  ASSERT_LT(Query(views_, "SELECT count(*) FROM " + Q(views_, "test_synthetic_table"))[0][0].size(), 8u)
      << "sync 3 should have been killed well before its 2M rows";

  for (const auto& t : Tables()) {
    SCOPED_TRACE(t.table);
    EXPECT_EQ(Sorted(Query(views_, "SELECT " + t.List() + " FROM " + Q(views_, t.table + "_latest"))),
              ods_after_2[t.table])
        << "the latest view is sync 2, as the overwrite-delete-stale table was after it";

    // Expected changes between syncs 1 and 2, from the raw append rows
    // (sync 3 may or may not have rows in this table).
    const std::vector<std::string> times = Times(t.table);
    ASSERT_GE(times.size(), 2u);
    std::map<std::string, std::string> before, after;   // key -> compared values
    for (const auto& r : Query(views_, "SELECT _cq_sync_time, " + t.List() + " FROM " + Q(views_, t.table))) {
      std::string key, vals;
      for (size_t i = 0; i < t.key.size(); ++i) key += "|" + r[1 + i];
      for (size_t i = 0; i < t.compared.size(); ++i) vals += "|" + r[1 + t.key.size() + i];
      if (r[0] == times[0]) before[key] = vals;
      if (r[0] == times[1]) after[key] = vals;
    }
    std::vector<std::string> want;
    for (const auto& [k, v] : after)
      if (!before.count(k)) want.push_back("added|" + times[0] + "|" + times[1] + k + v);
      else if (before[k] != v) want.push_back("changed|" + times[0] + "|" + times[1] + k + v);
    for (const auto& [k, v] : before)
      if (!after.count(k)) want.push_back("removed|" + times[0] + "|" + times[1] + k + v);
    std::sort(want.begin(), want.end());
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(Sorted(Query(views_, "SELECT _ferry_change, _ferry_from_sync_time, _ferry_to_sync_time, " + t.List() +
                                       " FROM " + Q(views_, t.table + "_changes"))),
              want);
  }

  // Sync 4: a new column (num_sub_cols 2) and a second source into the same tables.
  auto r4 = Run(Spec(2, 4, 2, true, "other"));
  ASSERT_EQ(r4.exit_code, 0) << r4.out << r4.err;
  for (const auto& t : Tables()) {
    SCOPED_TRACE(t.table);
    const std::string latest = Q(views_, t.table + "_latest");
    const auto per_source = Sorted(Query(views_, "SELECT _cq_source_name, count(*) FROM " + latest +
                                                     " GROUP BY _cq_source_name"));
    const std::string n = t.table == "test_some_table" ? "2" : t.table == "test_sub_table" ? "6" : "140";
    EXPECT_EQ(per_source, (std::vector<std::string>{"other|" + n, "test|" + n}));
  }
  EXPECT_EQ(Query(views_, "SELECT count(*) FROM " + Q(views_, "test_sub_table_latest") +
                              " WHERE extra_column_1 IS NOT NULL")[0][0],
            "12")
      << "the column the migration added shows in the view";

  // A sync in which one table fails: the other tables' views move on, the
  // failed table's view stays on sync 4.
  const auto sub_before = Sorted(Query(views_, "SELECT * FROM " + Q(views_, "test_sub_table_latest")));
  auto r5 = Run(Spec(1, 5, 2, true, "", 0, "[test_sub_table]"));
  ASSERT_NE(r5.exit_code, 0) << r5.out << r5.err;
  EXPECT_NE(r5.out.find("test_sub_table_latest still shows the previous complete sync"), std::string::npos) << r5.out;
  EXPECT_EQ(Sorted(Query(views_, "SELECT * FROM " + Q(views_, "test_sub_table_latest"))), sub_before);
  EXPECT_EQ(Query(views_, "SELECT count(*) FROM " + Q(views_, "test_some_table_latest") +
                              " WHERE _cq_source_name = 'test'")[0][0],
            "1");

  // Off: the views go, the rows and the record of snapshots stay.
  auto r6 = Run(Spec(2, 4, 2, false));
  ASSERT_EQ(r6.exit_code, 0) << r6.out << r6.err;
  const std::string objects =
      GetParam().name == "sqlite"     ? "SELECT name FROM sqlite_master WHERE type = 'view'"
      : GetParam().name == "postgresql" ? "SELECT viewname FROM pg_views WHERE schemaname = 'public'"
                                        : "SELECT name FROM system.tables WHERE database = '" + Target(views_) +
                                              "' AND engine = 'View'";
  EXPECT_TRUE(Query(views_, objects).empty());
  EXPECT_FALSE(Query(views_, "SELECT count(*) FROM " + Q(views_, "_ferry_snapshots")).empty());
}

Backend Sqlite() {
  static testing::TempDir dir;
  return Backend{"sqlite", [](const std::string& ns) { return dir.File(ns + ".db"); }, SqliteRows, ""};
}
Backend Postgres() {
  return Backend{"postgresql",
                 [](const std::string& ns) {
                   auto c = plugins::postgresql::testing::FreshDatabase(ns);
                   EXPECT_TRUE(c.ok()) << c.status().ToString();
                   return c.ok() ? *c : std::string();
                 },
                 PgRows, ""};
}
Backend ClickHouse() {
  return Backend{"clickhouse",
                 [](const std::string& ns) {
                   auto c = plugins::clickhouse::testing::FreshDatabase(ns);
                   EXPECT_TRUE(c.ok()) << c.status().ToString();
                   return c.ok() ? *c : std::string();
                 },
                 ChRows, " FINAL"};
}

INSTANTIATE_TEST_SUITE_P(Destinations, SnapshotViews, ::testing::Values(Sqlite(), Postgres(), ClickHouse()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ferry
