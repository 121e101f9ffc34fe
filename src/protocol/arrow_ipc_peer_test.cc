// Cross-checks with an independent Arrow implementation (Apache Arrow JS,
// tests/peers/arrow_peer.mjs): Ferry's streams must read there with the same
// types and values, and streams written there must decode in Ferry.
//
// Needs `node` and tests/peers/node_modules (scripts/install-test-peers.sh).
// Without them the tests skip, unless FERRY_REQUIRE_PEERS=1, when they fail.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <string>

#include "ferry/text_codec.h"
#include "protocol/arrow_ipc.h"
#include "testing/peers.h"
#include "testing/test_servers.h"
#include "protocol/ipc_test_util.h"

namespace ferry::protocol {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kPeers = fs::path(FERRY_SOURCE_DIR) / "tests" / "peers";

#define REQUIRE_PEERS() FERRY_REQUIRE_PEERS("apache-arrow")

// Runs the peer; returns its stdout and stderr, and sets *rc to its exit code.
std::string RunPeer(const std::string& args, int* rc) {
  std::string out;
  *rc = testing::RunShell("node " + (kPeers / "arrow_peer.mjs").string() + " " + args + " 2>&1", &out);
  return out;
}

fs::path TempFile(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("ferry_ipc_peer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += {d[c >> 4], d[c & 15]};
  return out;
}

// Ferry's Value as the peer prints it (see arrow_peer.mjs).
json Expected(const DataType& t, const Value& v) {
  if (v.is_null()) return nullptr;
  switch (t.id) {
    case TypeId::kBool: return v.as_bool();
    case TypeId::kInt64: case TypeId::kTimestamp: return std::to_string(v.as_int());
    case TypeId::kUInt64: return std::to_string(v.as_uint());
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kDate32: return v.as_int();
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: return v.as_uint();
    case TypeId::kFloat32: case TypeId::kFloat64: return v.as_double();
    case TypeId::kUtf8: return v.as_string();
    case TypeId::kBinary: case TypeId::kJson: case TypeId::kInet: case TypeId::kMac:
    case TypeId::kFixedSizeBinary: case TypeId::kUuid: return Hex(v.as_string());
    case TypeId::kTime32: case TypeId::kIntervalMonth: {  // raw little-endian bytes
      const int32_t x = static_cast<int32_t>(v.as_int());
      return Hex(std::string_view(reinterpret_cast<const char*>(&x), 4));
    }
    case TypeId::kTime64: case TypeId::kDuration: {
      const int64_t x = v.as_int();
      return Hex(std::string_view(reinterpret_cast<const char*>(&x), 8));
    }
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      return Hex(v.as_string());
    case TypeId::kList: case TypeId::kStruct: {
      json a = json::array();
      for (size_t i = 0; i < v.items().size(); ++i)
        a.push_back(Expected(*t.children[t.id == TypeId::kList ? 0 : i].type, v.items()[i]));
      return a;
    }
  }
  return nullptr;
}

TEST(ArrowIpcPeer, ArrowJsReadsFerryStreams) {
  REQUIRE_PEERS();
  auto schema = testutil::AllTypesSchema();
  auto batch = testutil::MakeBatch(schema, 19)->Slice(2, 15);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok());
  const fs::path file = TempFile("ferry.arrow");
  std::ofstream(file, std::ios::binary) << *bytes;

  int rc = 0;
  const std::string out = RunPeer("read " + file.string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  const json j = json::parse(out);
  EXPECT_EQ(j["metadata"]["cq:table_name"], "all_types");
  EXPECT_EQ(j["metadata"]["cq:table_title"], "All Types");
  EXPECT_EQ(j["num_rows"], 15);
  EXPECT_EQ(j["batches"], 1);
  ASSERT_EQ(j["fields"].size(), schema->columns.size());

  const std::map<std::string, std::string> arrow_types = {
      {"c_bool", "Bool"}, {"c_i8", "Int8"}, {"c_u64", "Uint64"}, {"c_f32", "Float32"}, {"c_utf8", "Utf8"},
      {"c_bin", "Binary"}, {"c_ts", "Timestamp<MICROSECOND, UTC>"}, {"c_date", "Date32<DAY>"},
      {"c_fsb", "FixedSizeBinary[3]"}, {"c_uuid", "FixedSizeBinary[16]"}, {"c_json", "Binary"},
      {"c_list", "List<Int64>"}, {"c_struct", "Struct<{a:Utf8, n:List<Int32>}>"}};
  for (size_t c = 0; c < schema->columns.size(); ++c) {
    const Column& col = schema->columns[c];
    const json& f = j["fields"][c];
    SCOPED_TRACE(col.name);
    EXPECT_EQ(f["name"], col.name);
    EXPECT_EQ(f["nullable"], !col.not_null);
    if (arrow_types.count(col.name)) {
      EXPECT_EQ(f["type"], arrow_types.at(col.name));
    }
    EXPECT_EQ(f["metadata"]["cq:extension:primary_key"], col.primary_key ? "true" : "false");
    if (IsExtension(col.type->id)) {
      EXPECT_EQ(f["metadata"]["ARROW:extension:name"], ExtensionName(col.type->id));
      EXPECT_EQ(f["metadata"]["ARROW:extension:metadata"], std::string(ExtensionName(col.type->id)) + "-serialized");
    }
    const json& values = j["columns"][col.name];
    ASSERT_EQ(values.size(), 15u);
    for (int64_t r = 0; r < 15; ++r)
      EXPECT_EQ(values[r], Expected(*col.type, GetValue(*batch->column(c), r))) << "row " << r;
  }
}

// Arrow JS reads Ferry's time, duration, interval and decimal128 columns as
// those Arrow types, units kept, with the same bytes. (Arrow JS 15 has no
// month_day_nano interval: that one is checked against arrow-go in
// CloudQueryGoSdk.TestTableOfTheSdkSyncsAsUnderCloudQuerysCli.)
TEST(ArrowIpcPeer, ArrowJsReadsFerrysTimesDurationsIntervalsAndDecimals) {
  REQUIRE_PEERS();
  auto all = testutil::CarriedArrowTypesSchema();
  auto schema = std::make_shared<TableSchema>(*all);
  schema->columns.clear();
  for (const Column& c : all->columns)
    if (c.name != "interval_month_day_nano" && c.name != "struct") schema->columns.push_back(c);
  auto batch = testutil::MakeBatch(schema, 13);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok());
  const fs::path file = TempFile("ferry_types.arrow");
  std::ofstream(file, std::ios::binary) << *bytes;
  int rc = 0;
  const std::string out = RunPeer("read " + file.string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  const json j = json::parse(out);
  ASSERT_EQ(j["fields"].size(), schema->columns.size());
  const std::map<std::string, std::string> arrow_types = {
      {"time32_s", "Time32<SECOND>"}, {"time32_ms", "Time32<MILLISECOND>"},
      {"time64_us", "Time64<MICROSECOND>"}, {"time64_ns", "Time64<NANOSECOND>"},
      {"duration_s", "Duration<SECOND>"}, {"duration_ms", "Duration<MILLISECOND>"},
      {"duration_us", "Duration<MICROSECOND>"}, {"duration_ns", "Duration<NANOSECOND>"},
      {"interval_month", "Interval<YEAR_MONTH>"}, {"interval_day_time", "Interval<DAY_TIME>"},
      {"decimal128", "Decimal[19e+10]"}, {"decimal_neg_scale", "Decimal[38e-2]"},
      {"duration_list", "List<Duration<NANOSECOND>>"}};
  for (size_t c = 0; c < schema->columns.size(); ++c) {
    const Column& col = schema->columns[c];
    SCOPED_TRACE(col.name);
    EXPECT_EQ(j["fields"][c]["name"], col.name);
    EXPECT_EQ(j["fields"][c]["type"], arrow_types.at(col.name));
    const json& values = j["columns"][col.name];
    ASSERT_EQ(values.size(), 13u);
    for (int64_t r = 0; r < 13; ++r)
      EXPECT_EQ(values[r], Expected(*col.type, GetValue(*batch->column(c), r))) << "row " << r;
  }
}

TEST(ArrowIpcPeer, FerryReadsArrowJsStreams) {
  REQUIRE_PEERS();
  const fs::path file = TempFile("peer.arrow");
  int rc = 0;
  const std::string out = RunPeer("write " + file.string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto decoded = DecodeRecordStream(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const Batch& b = **decoded;
  EXPECT_EQ(b.schema()->name, "peer_table");
  EXPECT_EQ(b.schema()->title, "Peer");
  ASSERT_EQ(b.num_rows(), 3);

  // What Ferry must make of each column (see arrow_peer.mjs write()).
  const json want = json::parse(R"({
    "i8": ["Int8", [1, null, -3]],
    "u64": ["UInt64", ["18446744073709551615", "0", null]],
    "f32": ["Float32", [1.5, null, -2.0]],
    "f64": ["Float64", [0.25, 1e300, null]],
    "s": ["Utf8", ["a", null, "h\u00e9llo"]],
    "b": ["Binary", ["00ff", "", null]],
    "flag": ["Bool", [true, null, false]],
    "ts_ns": ["Timestamp", ["1000000", null, "-2"]],
    "ts_ms": ["Timestamp", ["1000000", "-1000", null]],
    "ts_us": ["Timestamp", ["1700000000123456", null, "0"]],
    "d32": ["Date32", [19000, null, -1]],
    "d64": ["Date32", [2, null, -1]],
    "fsb": ["FixedSizeBinary", ["0102", null, "0304"]],
    "id": ["Uuid", ["abababababababababababababababab", null, "00000000000000000000000000000000"]],
    "doc": ["Json", ["7b2261223a317d", null, ""]],
    "tags": ["List", [[1, 2], null, []]],
    "obj": ["Struct", [["x", "1"], null, [null, "3"]]]
  })");
  const std::map<std::string, TypeId> ids = {
      {"Int8", TypeId::kInt8}, {"UInt64", TypeId::kUInt64}, {"Float32", TypeId::kFloat32},
      {"Float64", TypeId::kFloat64}, {"Utf8", TypeId::kUtf8}, {"Binary", TypeId::kBinary},
      {"Bool", TypeId::kBool}, {"Timestamp", TypeId::kTimestamp}, {"Date32", TypeId::kDate32},
      {"FixedSizeBinary", TypeId::kFixedSizeBinary}, {"Uuid", TypeId::kUuid}, {"Json", TypeId::kJson},
      {"List", TypeId::kList}, {"Struct", TypeId::kStruct}};
  // Arrow types Ferry keeps as they are: the type as arrow-go prints it, and
  // each value in Ferry's text form (include/ferry/text_codec.h).
  const json kept = json::parse(R"J({
    "t32ms": ["time32[ms]", ["01:02:03.004", null, "00:00:00.000"]],
    "t64ns": ["time64[ns]", ["03:04:05.123456789", null, "00:00:00.000000000"]],
    "dur_us": ["duration[us]", ["-7us", null, "1500us"]],
    "ym": ["month_interval", ["14 months", null, "-1 month"]],
    "dt": ["day_time_interval", ["2 days 300ms", null, "1 day -1ms"]],
    "dec": ["decimal(19, 10)", ["-12.3400000000", null, "0.0000000005"]]
  })J");
  ASSERT_EQ(b.schema()->columns.size(), want.size() + kept.size());
  for (size_t c = 0; c < b.schema()->columns.size(); ++c) {
    const Column& col = b.schema()->columns[c];
    SCOPED_TRACE(col.name);
    if (kept.contains(col.name)) {
      EXPECT_EQ(col.type->ToString(), kept[col.name][0]);
      for (int64_t r = 0; r < 3; ++r) {
        const Value v = GetValue(*b.column(c), r);
        EXPECT_EQ(v.is_null() ? json(nullptr) : json(ArrowScalarText(*col.type, v)), kept[col.name][1][r])
            << "row " << r;
      }
      continue;
    }
    ASSERT_TRUE(want.contains(col.name));
    EXPECT_EQ(col.type->id, ids.at(want[col.name][0]));
    for (int64_t r = 0; r < 3; ++r)
      EXPECT_EQ(Expected(*col.type, GetValue(*b.column(c), r)), want[col.name][1][r]) << "row " << r;
  }
  // And back: Ferry's re-encoding reads the same in Ferry.
  auto again = DecodeRecordStream(*EncodeRecordStream(b));
  ASSERT_TRUE(again.ok());
  testutil::ExpectSameRows(b, **again);
}

}  // namespace
}  // namespace ferry::protocol
