// Micro-benchmarks of the per-row CPU that Ferry pays and a raw client
// sending prepared bytes does not (bench/kafka, bench/clickhouse): encoding
// a batch of the `test` source's synthetic rows as Kafka JSON messages, and
// making those rows. Single-threaded, CPU time per row; run with
//   build/ferry_micro_bench [--benchmark_filter=...]
// The end-to-end benchmarks (bench/*/run.sh) stay the measure of a goal;
// these say where a change moved the per-row cost.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ferry/builder.h"
#include "ferry/types.h"
#include "ferry/uuid.h"
#include "plugins/destination/kafka/message_codec.h"
#include "plugins/source/test/tables/synthetic_table.h"

namespace {

using namespace ferry;

constexpr int64_t kRows = 10000;

// The synthetic table as the engine hands it to a destination: the source's
// columns with CloudQuery's four internal columns.
TableSchemaPtr SyntheticSchema() {
  auto t = std::make_shared<TableSchema>();
  t->name = "test_synthetic_table";
  auto col = [&](std::string name, DataTypePtr type, bool pk = false) {
    Column c;
    c.name = std::move(name);
    c.type = std::move(type);
    c.primary_key = pk;
    t->columns.push_back(std::move(c));
  };
  col("_cq_source_name", types::Utf8());
  col("_cq_sync_time", types::Timestamp());
  col("_cq_id", types::Uuid());
  col("_cq_parent_id", types::Uuid());
  col("id", types::Int64(), true);
  col("client_id", types::Int64());
  col("name", types::Utf8());
  col("created_at", types::Timestamp());
  col("amount", types::Float64());
  col("count", types::Int32());
  col("active", types::Bool());
  col("tags", types::List(types::Utf8()));
  col("attributes", types::Json());
  col("uuid", types::Uuid());
  return t;
}

BatchPtr SyntheticBatch(const TableSchemaPtr& schema) {
  BatchBuilder b(schema);
  const int64_t sync_time_us = 1796655021655089;
  for (int64_t r = 0; r < kRows; ++r) {
    Row row = plugins::test::SyntheticRow(1, kRows, 1, r);
    char id[16];
    uuid::NewV4(id);
    row.insert(row.begin(), {Value::String("test"), Value::Int(sync_time_us), Value::String(std::string(id, 16)),
                             Value::Null()});
    if (!b.AppendRow(row).ok()) std::abort();
  }
  return b.Finish();
}

void BM_KafkaJsonMessage(benchmark::State& state) {
  const TableSchemaPtr schema = SyntheticSchema();
  const BatchPtr batch = SyntheticBatch(schema);
  plugins::kafka::Spec spec;
  const plugins::kafka::MessageCodec codec(spec, *schema, {"id"});
  std::string value, key;
  size_t bytes = 0;
  for (auto _ : state) {
    for (int64_t r = 0; r < kRows; ++r) {
      if (!codec.Value(*batch, r, &value).ok()) std::abort();
      codec.Key(*batch, r, &key);
      bytes += value.size() + key.size();
    }
    benchmark::DoNotOptimize(value.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_KafkaJsonMessage)->Unit(benchmark::kMicrosecond);

void BM_SyntheticRecord(benchmark::State& state) {
  plugins::test::SyntheticRecord rec;
  for (auto _ : state) {
    for (int64_t r = 0; r < kRows; ++r) {
      plugins::test::MakeSyntheticRecord(1, kRows, 1, r, &rec);
      benchmark::DoNotOptimize(rec);
    }
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_SyntheticRecord)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
