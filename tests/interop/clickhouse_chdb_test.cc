// The clickhouse destination's current-server path against a current
// ClickHouse: chdb (ClickHouse's engine embedded in Python, pinned in
// tests/peers/python/requirements.txt as chdb-core), driven by
// tests/peers/python/chdb_native.py (plugins/destination/clickhouse/testing/
// chdb_job.h). The only real server here is Debian's 18.16; this proves what
// Ferry generates for the ServerFeatures of chdb's own `SELECT version()`
// (the DDL of every engine and rule: clickhouse_chdb_ddl_test.cc):
//  - the CREATE TABLE of the all-types table (append and overwrite), the
//    delete-stale condition and delete-record's `column = literal` for every
//    scalar value (Ferry's typed literals) run and select the right rows;
//  - the Native bytes Ferry's encoder sends (NativeBody, as an INSERT does)
//    load into those tables, and every value of the conformance suite's
//    all-types table reads back as the engine's own text (toString, hex of
//    bytes, float bits) equal to the value Ferry was given;
//  - system.tables / system.columns as the engine reports them make Ferry's
//    migration plan "nothing to do" (a second sync does not see a change);
//  - the Native the engine writes back decodes with Ferry's reader to the
//    rows written.
// Not covered: the HTTP and native network paths (client, transport), and
// what chdb cannot run without a cluster: Replicated / Shared engines and ON
// CLUSTER. Needs the venv (scripts/install-test-peers.sh); without it the
// tests skip, unless FERRY_REQUIRE_PEERS=1, when they fail.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "ferry/options.h"
#include "ferry/text_codec.h"
#include "ferry/uuid.h"
#include "plugins/destination/clickhouse/migrate.h"
#include "plugins/destination/clickhouse/native_decoder.h"
#include "plugins/destination/clickhouse/native_encoder.h"
#include "plugins/destination/clickhouse/request_rows.h"
#include "plugins/destination/clickhouse/sql.h"
#include "plugins/destination/clickhouse/table_reader.h"
#include "plugins/destination/clickhouse/testing/chdb_job.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/peers.h"
#include "testing/row_compare.h"

namespace ferry::plugins::clickhouse {
namespace {

using chdb::json;
using chdb::kDb;
using chdb::kSyncTime;
using ferry::testing::Col;
using ferry::testing::TableWithMeta;
using ferry::testing::TempDir;
using namespace chdb;  // NOLINT: the job helpers

// Years 0001 to 9999: where ClickHouse's text of a DateTime64 / Date32 is
// the value (checked at both ends by the all-types rows); outside, only the
// integer behind it is (chdb_native.py).
constexpr int64_t kMicrosPerDay = 86400000000LL;
constexpr int64_t kMinMicros = -62135596800000000LL, kMaxMicros = 253402300799999999LL;

std::string Dated(int64_t v, int64_t lo, int64_t hi, const std::string& text) {
  return (v >= lo && v <= hi ? text : std::string("(out of range)")) + " = " + std::to_string(v);
}

// chdb_native.py's cell text of what ClickHouse stores for a value Ferry
// cannot store as such: a null list is [], a null struct a tuple of the
// fields' defaults (null for Nullable fields).
json Default(const DataType& t, bool nullable) {
  switch (t.id) {
    case TypeId::kList:
      return json::array();
    case TypeId::kStruct: {
      json a = json::array();
      for (const auto& f : t.children) a.push_back(Default(*f.type, f.nullable));
      return a;
    }
    default:
      break;
  }
  if (nullable) return nullptr;
  switch (t.id) {
    case TypeId::kBool:
      return "false";
    case TypeId::kUtf8:
    case TypeId::kBinary:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
      return "";
    case TypeId::kFixedSizeBinary:
      return Hex(std::string(static_cast<size_t>(t.byte_width), '\0'));
    case TypeId::kUuid:
      return "00000000-0000-0000-0000-000000000000";
    case TypeId::kTimestamp:
      return TimestampText(0) + " = 0";
    case TypeId::kDate32:
      return DateText(0) + " = 0";
    default:
      return "0";
  }
}

// chdb_native.py's cell text (see there) of `v`, a Ferry value of type `t`,
// computed here from the value alone.
json Cell(const DataType& t, bool nullable, const Value& v) {
  if (v.is_null()) return Default(t, nullable);
  switch (t.id) {
    case TypeId::kBool:
      return v.as_bool() ? "true" : "false";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return std::to_string(v.as_int());
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64:
      return std::to_string(v.as_uint());
    case TypeId::kFloat32: {
      const float f = static_cast<float>(v.as_double());
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return std::to_string(bits);
    }
    case TypeId::kFloat64:
      return std::to_string(v.as_uint());  // the double's bits
    case TypeId::kUtf8:
    case TypeId::kBinary:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
    case TypeId::kFixedSizeBinary:
      return Hex(v.as_string());
    case TypeId::kUuid:
      return uuid::ToString(v.as_string());
    case TypeId::kTimestamp:
      return Dated(v.as_int(), kMinMicros, kMaxMicros, TimestampText(v.as_int()));
    case TypeId::kDate32:
      return Dated(v.as_int(), kMinMicros / kMicrosPerDay, kMaxMicros / kMicrosPerDay, DateText(v.as_int()));
    case TypeId::kList: {
      json a = json::array();
      for (const auto& item : v.items()) a.push_back(Cell(*t.children[0].type, t.children[0].nullable, item));
      return a;
    }
    case TypeId::kStruct: {
      json a = json::array();
      for (size_t k = 0; k < t.children.size(); ++k)
        a.push_back(Cell(*t.children[k].type, t.children[k].nullable, v.items()[k]));
      return a;
    }
    // Refused for ClickHouse before any data moves (capabilities.type_families):
    // never in these tables.
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      break;
  }
  return "?";
}

struct TypesCase {
  TableSchemaPtr table;
  std::vector<Row> rows;  // in id order
  BatchPtr batch;
  TableLayout layout;
};

TEST(ChdbClickHouse, EveryConformanceTypeRoundTrips) {
  FERRY_CHDB_CURRENT_FEATURES(f);
  const Spec spec = SpecOf(json::object());
  DdlContext ctx{&spec, &f, kDb};
  TempDir dir;

  // The conformance suite's all-types table and edge rows, then random rows;
  // as an append table and as an overwrite table (id the primary key).
  std::vector<TypesCase> cases;
  for (bool keyed : {false, true}) {
    auto schema = std::make_shared<TableSchema>(*ferry::testing::AllTypesTable(keyed ? "types_keyed" : "types"));
    if (keyed) schema->columns[schema->FindColumn("id")].primary_key = true;
    TypesCase c;
    c.table = schema;
    c.rows = ferry::testing::AllTypesRows(kSyncTime, "src");
    auto random = ferry::testing::RandomRows(*schema, 300, 17, static_cast<int64_t>(c.rows.size()));
    for (auto& r : random) {
      r[0] = Value::Int(kSyncTime);  // one sync: the same _cq_sync_time (delete-stale below)
      r[1] = Value::String("src");
    }
    c.rows.insert(c.rows.end(), random.begin(), random.end());
    FERRY_ASSERT_OK_AND_ASSIGN(c.batch, ferry::testing::MakeBatch(schema, c.rows));
    c.layout = LayoutOf(schema, f);
    cases.push_back(std::move(c));
  }

  json steps = json::array({SqlStep(std::string("CREATE DATABASE ") + QuoteIdent(kDb))});
  json reads = json::array(), queries = json::array();
  for (size_t i = 0; i < cases.size(); ++i) {
    const TypesCase& c = cases[i];
    FERRY_ASSERT_OK_AND_ASSIGN(std::string create, CreateTableSql(c.layout, ctx));
    steps.push_back(SqlStep(create));
    // Two requests: sliced batches, so the encoder starts at offsets.
    const int64_t half = c.batch->num_rows() / 2;
    const std::string a = dir.File(c.table->name + ".1.native"), b = dir.File(c.table->name + ".2.native");
    FERRY_ASSERT_OK(EncodeRequest(c.layout, {c.batch->Slice(0, half)}, a));
    FERRY_ASSERT_OK(EncodeRequest(c.layout, {c.batch->Slice(half, c.batch->num_rows() - half)}, b));
    for (const auto& file : {a, b})
      steps.push_back({{"insert", QualifiedName(kDb, c.table->name)}, {"columns", ColumnList(c.layout)}, {"file", file}});
    reads.push_back({{"database", kDb},
                     {"table", c.table->name},
                     {"order_by", "`id`"},
                     {"native", dir.File(c.table->name + ".out.native")}});
  }

  // delete_record's `column = literal` (Literal, as DeleteRecord writes it)
  // for every scalar cell of the edge rows: it must select exactly the rows
  // holding an equal value (SQL equality: NaN equals nothing, -0.0 equals 0).
  const TypesCase& types = cases[0];
  struct Probe {
    size_t column;
    size_t row;
    std::vector<int64_t> want;
  };
  std::vector<Probe> probes;
  const size_t edge_rows = ferry::testing::AllTypesRows(kSyncTime, "src").size();
  for (size_t c = 0; c < types.table->columns.size(); ++c) {
    const Column& col = types.table->columns[c];
    if (IsComposite(col.type->id)) continue;
    for (size_t r = 0; r < edge_rows; ++r) {
      const Value& v = types.rows[r][c];
      std::string cond;
      if (v.is_null()) {
        cond = "isNull(" + QuoteIdent(col.name) + ")";
      } else {
        FERRY_ASSERT_OK_AND_ASSIGN(std::string lit, Literal(*col.type, v, f));
        cond = QuoteIdent(col.name) + " = " + lit;
      }
      Probe p{c, r, {}};
      for (size_t k = 0; k < types.rows.size(); ++k) {
        const Value& w = types.rows[k][c];
        bool eq = v.is_null() ? w.is_null() : !w.is_null() && w == v;
        if (!v.is_null() && !w.is_null() && col.type->id == TypeId::kFloat32)
          eq = static_cast<float>(w.as_double()) == static_cast<float>(v.as_double());
        else if (!v.is_null() && !w.is_null() && col.type->id == TypeId::kFloat64)
          eq = w.as_double() == v.as_double();
        if (eq) p.want.push_back(static_cast<int64_t>(k));
      }
      probes.push_back(p);
      queries.push_back(SqlQuery("SELECT arraySort(groupArray(`id`)) FROM " + QualifiedName(kDb, types.table->name) +
                        " WHERE " + cond));
    }
  }
  // Delete-stale's condition: every row of this sync is older than the next
  // sync, none older than itself, and none belongs to another source.
  const std::vector<std::tuple<std::string, int64_t, uint64_t>> stale = {
      {"src", kSyncTime + 1, types.rows.size()}, {"src", kSyncTime, 0}, {"other", kSyncTime + 1, 0}};
  for (const auto& [source, at, count] : stale) {
    FERRY_ASSERT_OK_AND_ASSIGN(std::string where, DeleteStaleWhere(source, at, f));
    queries.push_back(SqlQuery("SELECT count() FROM " + QualifiedName(kDb, types.table->name) + " WHERE " + where));
  }

  FERRY_ASSERT_OK_AND_ASSIGN(json answer, RunJob(dir, {{"steps", steps}, {"reads", reads}, {"queries", queries}}));
  ExpectStepsOk(answer);
  RecordProperty("chdb_clickhouse_version", answer["version"].get<std::string>());

  for (size_t i = 0; i < cases.size(); ++i) {
    const TypesCase& c = cases[i];
    SCOPED_TRACE("table " + c.table->name);
    // The server's spelling of every column type is Ferry's, and a second
    // migrate finds nothing to do.
    const ExistingTable have = Existing(answer, c.table->name);
    ASSERT_EQ(have.columns.size(), c.layout.columns.size());
    for (size_t p = 0; p < have.columns.size(); ++p) {
      EXPECT_EQ(have.columns[p].first, c.layout.columns[p].name);
      EXPECT_EQ(NormalizeType(have.columns[p].second), NormalizeType(c.layout.columns[p].type))
          << "column " << c.layout.columns[p].name;
    }
    const TablePlan plan = PlanTable(c.layout, have, ctx);
    EXPECT_EQ(plan.action, TablePlan::Action::kNone) << (plan.unsafe.empty() ? "" : plan.unsafe[0]);
    EXPECT_TRUE(DeduplicatesInserts(have, f)) << have.engine_full;

    const json& read = answer["reads"][i];
    ASSERT_TRUE(read["error"].is_null()) << read["error"];
    ASSERT_EQ(read["columns"].size(), c.layout.columns.size());
    for (size_t p = 0; p < c.layout.columns.size(); ++p)
      EXPECT_EQ(NormalizeType(read["columns"][p][1].get<std::string>()), NormalizeType(c.layout.columns[p].type));
    ASSERT_EQ(read["rows"].size(), c.rows.size());
    for (size_t r = 0; r < c.rows.size(); ++r) {
      const json& got = read["rows"][r];
      ASSERT_EQ(got.size(), c.layout.columns.size());
      std::vector<std::string> paths;
      for (size_t col = 0; col < c.table->columns.size(); ++col)
        if (NeedsNullPaths(c.table->columns[col]))
          NullPaths(*c.batch->column(col), *c.table->columns[col].type, static_cast<int64_t>(r),
                    c.table->columns[col].name, &paths);
      for (size_t p = 0; p < c.layout.columns.size(); ++p) {
        const PhysicalColumn& pc = c.layout.columns[p];
        json want;
        if (pc.logical < 0) {
          want = json::array();
          for (const auto& path : paths) want.push_back(Hex(path));
        } else {
          want = Cell(*c.table->columns[pc.logical].type, c.layout.nullable[pc.logical], c.rows[r][pc.logical]);
        }
        EXPECT_EQ(got[p], want) << "row " << r << " column " << pc.name << " (" << pc.type << ")";
      }
    }
    // What the engine writes back as Native, through Ferry's decoder.
    FERRY_ASSERT_OK_AND_ASSIGN(auto columns, DecodeNative(ReadAll(dir.File(c.table->name + ".out.native"))));
    FERRY_ASSERT_OK_AND_ASSIGN(auto back, RowsFromColumns(c.layout, std::move(columns)));
    EXPECT_TRUE(ferry::testing::SameRows(c.rows, back));
  }

  ASSERT_EQ(answer["queries"].size(), probes.size() + stale.size());
  for (size_t q = 0; q < probes.size(); ++q) {
    const json& got = answer["queries"][q];
    ASSERT_TRUE(got["error"].is_null()) << got["sql"] << "\n-> " << got["error"];
    std::vector<int64_t> ids = got["rows"][0][0].get<std::vector<int64_t>>();
    EXPECT_EQ(ids, probes[q].want) << got["sql"].get<std::string>() << " (row " << probes[q].row << ")";
  }
  for (size_t k = 0; k < stale.size(); ++k) {
    const json& got = answer["queries"][probes.size() + k];
    ASSERT_TRUE(got["error"].is_null()) << got["error"];
    EXPECT_EQ(got["rows"][0][0].get<uint64_t>(), std::get<2>(stale[k])) << got["sql"];
  }
}

}  // namespace
}  // namespace ferry::plugins::clickhouse
