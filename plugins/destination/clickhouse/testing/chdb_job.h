// Test-only: runs jobs in chdb, ClickHouse's engine embedded in Python
// (tests/peers/python/chdb_native.py, pinned in tests/peers/python/
// requirements.txt as chdb-core), for tests/interop/clickhouse_chdb_*_test.cc:
// what Ferry generates for a current server, proven against one. RunJob
// writes a job, runs the script with the venv's Python and returns its JSON
// answer; the other helpers build the job's pieces the way the destination
// builds its requests (CreateTableSql, NativeBody) and read the answer in the
// shapes migrate uses (ExistingTable).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "plugins/destination/clickhouse/migrate.h"
#include "plugins/destination/clickhouse/native_encoder.h"
#include "plugins/destination/clickhouse/request_rows.h"
#include "plugins/destination/clickhouse/sql.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"
#include "testing/peers.h"

namespace ferry::plugins::clickhouse::chdb {

using nlohmann::json;
using ferry::testing::TempDir;

inline constexpr const char* kDb = "ferry";
inline const int64_t kSyncTime = ferry::testing::Micros(2026, 12, 5, 22, 0, 0, 123456);

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs chdb_native.py on `job`; its JSON answer.
inline Result<json> RunJob(const TempDir& dir, const json& job) {
  const std::string path = dir.Write("job.json", job.dump());
  const std::string out = dir.File("answer.json"), err = dir.File("stderr.txt");
  const std::string cmd = ShellQuote(ferry::testing::PythonPeer().string()) + " " +
                          ShellQuote((ferry::testing::PeersDir() / "python" / "chdb_native.py").string()) + " " +
                          ShellQuote(path) + " >" + ShellQuote(out) + " 2>" + ShellQuote(err);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) return Status::Internal("chdb_native.py exited with " + std::to_string(rc) + ": " + ReadAll(err));
  json j = json::parse(ReadAll(out), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Internal("chdb_native.py printed no JSON: " + ReadAll(out).substr(0, 400));
  return j;
}

// The features Ferry derives from chdb's `SELECT version()`.
inline Result<ServerFeatures> ChdbFeatures() {
  static std::optional<Result<ServerFeatures>> cached;
  if (!cached) {
    TempDir dir;
    auto answer = RunJob(dir, json::object());
    if (!answer.ok()) {
      cached = answer.status();
    } else {
      auto v = ParseVersion((*answer)["version"].get<std::string>());
      cached = v.ok() ? FeaturesOf(*v) : Result<ServerFeatures>(v.status());
    }
  }
  return *cached;
}

inline Spec SpecOf(json j) {
  j["connection_string"] = std::string("http://localhost:8123/") + kDb;
  auto s = ParseSpec(Options(j));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Spec{};
}

inline std::string Hex(const std::string& bytes) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

// A job step running `sql`, sent as the hex of its bytes (a literal may hold
// any bytes; JSON text must be UTF-8); `rows`: the answer has its rows.
inline json SqlStep(const std::string& sql, bool rows = false) {
  json step = {{"sql_hex", Hex(sql)}};
  if (rows) step["rows"] = true;
  return step;
}
// A query of the job's `queries`, the same way.
inline json SqlQuery(const std::string& sql) { return {{"hex", Hex(sql)}}; }

inline std::string ColumnList(const TableLayout& layout) {
  std::string into = "(";
  for (size_t i = 0; i < layout.columns.size(); ++i) into += (i ? ", " : "") + QuoteIdent(layout.columns[i].name);
  return into + ")";
}

// What a write request of `rows` sends: the rows RowsToWrite picks, checked
// and encoded by NativeBody one column at a time, into `file`.
inline Status EncodeRequest(const TableLayout& layout, const std::vector<BatchPtr>& batches, const std::string& file) {
  FERRY_RETURN_NOT_OK(CheckBatches(layout, batches));
  int64_t dropped = 0;
  std::vector<RowRange> rows = RowsToWrite(*layout.schema, batches, &dropped);
  FERRY_RETURN_NOT_OK(CheckNotNull(layout, rows, "table " + layout.schema->name));
  NativeBody body(layout, rows, "table " + layout.schema->name);
  std::string bytes;
  for (;;) {
    ByteBuffer chunk;
    FERRY_ASSIGN_OR_RETURN(bool more, body.Next(&chunk));
    if (!more) break;
    bytes.append(chunk.data());
  }
  std::ofstream(file, std::ios::binary) << bytes;
  return Status::OK();
}

// The table as the engine reports it, in the shape migrate reads.
inline ExistingTable Existing(const json& answer, const std::string& table) {
  const json& t = answer["tables"][std::string(kDb) + "." + table];
  ExistingTable e;
  e.engine = t["engine"];
  e.engine_full = t["engine_full"];
  e.sorting_key = t["sorting_key"];
  for (const auto& c : t["columns"]) e.columns.emplace_back(c[0], c[1]);
  return e;
}

// Every step but the last `but_last` ran without an error.
inline void ExpectStepsOk(const json& answer, size_t but_last = 0) {
  const json& steps = answer["steps"];
  for (size_t i = 0; i + but_last < steps.size(); ++i) {
    const json& s = steps[i];
    EXPECT_TRUE(s["error"].is_null()) << s["sql"].get<std::string>() << "\n-> " << s["error"].get<std::string>();
  }
}


}  // namespace ferry::plugins::clickhouse::chdb

// The features of the current server chdb is (`const ServerFeatures f`);
// skips without chdb (fails under FERRY_REQUIRE_PEERS=1), fails the test if
// chdb does not run or is not a current server.
#define FERRY_CHDB_CURRENT_FEATURES(f)                                                                     \
  FERRY_REQUIRE_CHDB();                                                                                   \
  FERRY_ASSERT_OK_AND_ASSIGN(const ServerFeatures f, ::ferry::plugins::clickhouse::chdb::ChdbFeatures()); \
  ASSERT_TRUE(f.datetime64 && f.date32 && f.bool_type && f.named_tuples && !f.flattens_array_tuple &&      \
              f.ttl && f.dedup_token && f.nullable_key)                                                   \
      << "chdb " << f.version.text << " is not a current server"
