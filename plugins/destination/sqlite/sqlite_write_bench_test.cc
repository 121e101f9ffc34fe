// Write throughput of the sqlite destination, as the engine drives it: one
// Write (one transaction) per 10000-row batch, 5 data columns plus the meta
// columns. Disabled by default; run with
//   ferry_tests --gtest_also_run_disabled_tests --gtest_filter='SqliteBench.*'
// FERRY_BENCH_ROWS sets the row count (default 1000000).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <gtest/gtest.h>

#include "ferry/builder.h"
#include "ferry/options.h"
#include "plugins/destination/sqlite/sqlite_destination.h"
#include "testing/batch_gen.h"
#include "testing/cli_runner.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::sqlite {
namespace {

using ferry::testing::Col;

// `n` rows: id, name, amount, created_at, active.
BatchPtr BenchBatch(const TableSchemaPtr& schema, int64_t first, int64_t n, int64_t sync_time) {
  BatchBuilder b(schema);
  const size_t m = schema->columns.size() == 9 ? 4 : 0;  // meta columns first
  char name[32];
  const std::string id16 = ferry::testing::UuidBytes(static_cast<uint64_t>(first));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = first + i;
    if (m) {
      b.column(0).AppendInt(sync_time);
      b.column(1).AppendBytes("bench");
      std::string uuid = id16;
      std::memcpy(uuid.data(), &id, sizeof(id));
      b.column(2).AppendBytes(uuid);
      b.column(3).AppendNull();
    }
    b.column(m).AppendInt(id);
    int len = std::snprintf(name, sizeof(name), "user_%lld", static_cast<long long>(id));
    b.column(m + 1).AppendBytes(std::string_view(name, static_cast<size_t>(len)));
    b.column(m + 2).AppendDouble(static_cast<double>(id % 100000) / 100.0);
    b.column(m + 3).AppendInt(sync_time - id * 1000);
    b.column(m + 4).AppendBool(id % 3 == 0);
    b.EndRow();
  }
  return b.Finish();
}

void RunBench(bool with_pk, bool meta = true) {
  const char* env = std::getenv("FERRY_BENCH_ROWS");
  const int64_t rows = env ? std::atoll(env) : 1000000;
  const int64_t per_batch = 10000;
  ferry::testing::TempDir dir;
  std::vector<Column> cols = {Col("id", types::Int64(), with_pk), Col("name", types::Utf8()),
                              Col("amount", types::Float64()), Col("created_at", types::Timestamp()),
                              Col("active", types::Bool())};
  TableSchemaPtr schema;
  if (meta) {
    schema = ferry::testing::TableWithMeta("bench", cols);
  } else {
    auto t = std::make_shared<TableSchema>();
    t->name = "bench";
    t->columns = cols;
    schema = t;
  }
  auto opts = ValidateOptions(SpecOptions(), {{"connection_string", dir.File("bench.db")}}, "bench", nullptr);
  ASSERT_TRUE(opts.ok());
  Destination d;
  FERRY_ASSERT_OK(d.Init(*opts, DestinationInit{"bench", "bench"}));
  FERRY_ASSERT_OK(d.Migrate({schema}, MigrateOptions{}));
  std::vector<BatchPtr> batches;
  for (int64_t first = 0; first < rows; first += per_batch)
    batches.push_back(BenchBatch(schema, first, std::min(per_batch, rows - first), ferry::testing::conformance::kT1));
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (const auto& b : batches) FERRY_ASSERT_OK(d.Write(WriteRequest{schema, {b}, nullptr, {}}));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  FERRY_ASSERT_OK(d.Close());
  // CPU time too: on a shared machine it says more than the wall clock.
  std::printf("sqlite %s, %zu columns: %lld rows in %.3f s = %.0f rows/s (%.0f rows per CPU second)\n",
              with_pk ? "upsert (id primary key)" : "append", schema->columns.size(), static_cast<long long>(rows),
              secs, static_cast<double>(rows) / secs, static_cast<double>(rows) / cpu);
}

TEST(SqliteBench, DISABLED_AppendThroughput) { RunBench(false); }
TEST(SqliteBench, DISABLED_UpsertThroughput) { RunBench(true); }
TEST(SqliteBench, DISABLED_AppendThroughputNoMeta) { RunBench(false, false); }
TEST(SqliteBench, DISABLED_UpsertThroughputNoMeta) { RunBench(true, false); }

}  // namespace
}  // namespace ferry::plugins::sqlite
