// SyncSource with a registry of real built-ins plus a recording destination,
// for engine rules that no built-in destination exercises.
#include "engine/sync.h"

#include <gtest/gtest.h>

#include "config/loader.h"
#include "ferry/builder.h"
#include "plugins/source/test/test_source.h"

namespace ferry::engine {
namespace {

struct Calls {
  int migrate = 0;
  int write = 0;
  std::vector<int64_t> write_rows;   // rows of each Write, in order
  std::vector<bool> write_follow;    // WriteRequest::more_follow of each
};

// A destination that supports only `append` and records what it is asked.
DestinationPlugin AppendOnly(Calls* calls, bool ramp_up = false, bool packs_writes = false) {
  class Dest : public Destination {
   public:
    explicit Dest(Calls* c) : c_(c) {}
    Status Init(const Options&, const DestinationInit&) override { return Status::OK(); }
    Status Migrate(const std::vector<TableSchemaPtr>&, const MigrateOptions&) override {
      ++c_->migrate;
      return Status::OK();
    }
    Status Write(const WriteRequest& r) override {
      ++c_->write;
      int64_t rows = 0;
      for (const auto& b : r.batches) rows += b->num_rows();
      c_->write_rows.push_back(rows);
      c_->write_follow.push_back(r.more_follow);
      return Status::OK();
    }
    Status DeleteStale(const DeleteStaleRequest&) override { return Status::OK(); }
    Status DeleteRecord(const ferry::DeleteRecord&) override { return Status::OK(); }
    Status Close() override { return Status::OK(); }

   private:
    Calls* c_;
  };
  DestinationPlugin p;
  p.name = "appendonly";
  p.description = "test double";
  p.capabilities.write_modes = {WriteMode::kAppend};
  p.batching.ramp_up = ramp_up;
  p.capabilities.packs_writes = packs_writes;
  p.create = [calls] { return std::make_unique<Dest>(calls); };
  return p;
}

const char* kSpec = R"(kind: source
spec:
  name: t
  path: cloudquery/test
  version: v1.0.0
  tables: ["test_some_table"]
  destinations: [d]
---
kind: destination
spec:
  name: d
  path: appendonly
  version: v1.0.0
)";

TEST(SyncTest, UnsupportedWriteModeIsRefusedBeforeAnyDataMoves) {
  Calls calls;
  Registry reg;
  ASSERT_TRUE(reg.AddSource(plugins::test::TestSourcePlugin()).ok());
  ASSERT_TRUE(reg.AddDestination(AppendOnly(&calls)).ok());
  auto cfg = config::LoadConfigFromString(kSpec, "spec.yml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto r = SyncSource(reg, *cfg, cfg->sources[0], SyncOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("does not support write_mode \"overwrite-delete-stale\""), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("it supports: append"), std::string::npos);
  EXPECT_EQ(calls.migrate, 0);
  EXPECT_EQ(calls.write, 0);

  std::string append = std::string(kSpec) + "  write_mode: append\n";
  auto cfg2 = config::LoadConfigFromString(append, "spec.yml");
  ASSERT_TRUE(cfg2.ok()) << cfg2.status().ToString();
  auto r2 = SyncSource(reg, *cfg2, cfg2->sources[0], SyncOptions{});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(r2->ok());
  EXPECT_EQ(calls.migrate, 1);
  EXPECT_GE(calls.write, 1);
}

// A source of one table, "arrow_table", whose column "spans" holds Arrow
// durations inside a list of structs (as a plugin may send them).
SourcePlugin ArrowTypesSource() {
  class Src : public Source {
   public:
    Status Init(const Options&, const SourceInit&) override { return Status::OK(); }
    std::vector<TableSchemaPtr> Tables() const override { return {Schema()}; }
    Status Sync(const SyncRequest&, SyncSink& sink) override {
      BatchBuilder b(Schema());
      for (int i = 0; i < 2; ++i) {
        FERRY_RETURN_NOT_OK(b.AppendRow(
            {Value::String(std::string(15, 'a') + static_cast<char>('0' + i)), Value::Null(), Value::Int(i),
             Value::List({Value::List({Value::Int(1500 * i)})})}));
      }
      sink.TablePlanned("arrow_table", {"c"});
      FERRY_RETURN_NOT_OK(sink.InsertFor("c", b.Finish()));
      sink.TableDone("arrow_table", "c", Status::OK(), 2);
      return Status::OK();
    }
    static TableSchemaPtr Schema() {
      static const TableSchemaPtr t = [] {
        auto s = std::make_shared<TableSchema>();
        s->name = "arrow_table";
        Column id{meta::kId, types::Uuid()};
        id.unique = true;
        id.not_null = true;
        Column n{"n", types::Int64()};
        n.primary_key = true;
        s->columns = {id, Column{meta::kParentId, types::Uuid()}, n,
                      Column{"spans", types::List(types::Struct({{"d", types::Duration(TimeUnit::kMilli), true}}))}};
        return s;
      }();
      return t;
    }
  };
  SourcePlugin p;
  p.name = "arrowtypes";
  p.description = "test double";
  p.create = [] { return std::make_unique<Src>(); };
  return p;
}

const char* kArrowTypesSpec = R"(kind: source
spec:
  name: a
  path: arrowtypes
  version: v1.0.0
  tables: ["*"]
  destinations: [d]
---
kind: destination
spec:
  name: d
  path: appendonly
  version: v1.0.0
  write_mode: append
)";

// A destination that does not declare a type family refuses, before Migrate,
// a table with a column of it at any depth, naming destination, column, type
// and table; one that declares it takes the rows.
TEST(SyncTest, ColumnOfATypeFamilyTheDestinationDoesNotStoreIsRefusedBeforeAnyDataMoves) {
  Calls calls;
  Registry reg;
  ASSERT_TRUE(reg.AddSource(ArrowTypesSource()).ok());
  ASSERT_TRUE(reg.AddDestination(AppendOnly(&calls)).ok());
  Calls stores_calls;
  DestinationPlugin stores = AppendOnly(&stores_calls);
  stores.name = "storesdurations";
  stores.capabilities.type_families = {TypeFamily::kDuration};
  ASSERT_TRUE(reg.AddDestination(stores).ok());
  auto cfg = config::LoadConfigFromString(kArrowTypesSpec, "spec.yml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto r = SyncSource(reg, *cfg, cfg->sources[0], SyncOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  const std::string& m = r.status().message();
  for (const char* part :
       {"destination \"d\" (appendonly) cannot store column \"spans\" (list<item: struct<d: duration[ms]>, "
        "nullable>, holding duration[ms]) of table \"arrow_table\" yet",
        "it stores none of Arrow's time, duration, interval and decimal types",
        "skip the table (skip_tables) or send it to storesdurations"})
    EXPECT_NE(m.find(part), std::string::npos) << m;
  EXPECT_EQ(calls.migrate, 0);
  EXPECT_EQ(calls.write, 0);

  std::string spec = kArrowTypesSpec;
  spec.replace(spec.find("path: appendonly"), 16, "path: storesdurations");
  auto cfg2 = config::LoadConfigFromString(spec, "spec.yml");
  ASSERT_TRUE(cfg2.ok()) << cfg2.status().ToString();
  auto r2 = SyncSource(reg, *cfg2, cfg2->sources[0], SyncOptions{});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(r2->ok());
  EXPECT_EQ(stores_calls.migrate, 1);
  ASSERT_EQ(stores_calls.write_rows.size(), 1u);
  EXPECT_EQ(stores_calls.write_rows[0], 2);
}

// 400,000 rows of test_synthetic_table, one client, into an `appendonly`
// destination with `batch_size`: what it was asked.
Calls SyncSyntheticRows(int64_t batch_size, bool ramp_up, bool packs_writes) {
  const std::string spec = R"(kind: source
spec:
  name: t
  path: cloudquery/test
  version: v1.0.0
  tables: ["test_synthetic_table"]
  destinations: [d]
  spec: {num_clients: 1, synthetic_rows: 400000}
---
kind: destination
spec:
  name: d
  path: appendonly
  version: v1.0.0
  write_mode: append
  spec: {batch_size: )" + std::to_string(batch_size) + R"(, batch_size_bytes: 1GiB}
)";
  Calls calls;
  Registry reg;
  EXPECT_TRUE(reg.AddSource(plugins::test::TestSourcePlugin()).ok());
  EXPECT_TRUE(reg.AddDestination(AppendOnly(&calls, ramp_up, packs_writes)).ok());
  auto cfg = config::LoadConfigFromString(spec, "spec.yml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return calls;
  auto r = SyncSource(reg, *cfg, cfg->sources[0], SyncOptions{});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok()) EXPECT_TRUE(r->ok());
  return calls;
}

// BatchingDefaults::ramp_up: the first writes of a stream are 1/16, 1/8, 1/4
// and 1/2 of batch_size, then full batches; without it every write but the last
// is a full batch. (The test source hands over batches of 10,000 rows.)
TEST(SyncTest, RampUpCutsTheFirstBatchesOfAStream) {
  for (bool ramp : {false, true}) {
    SCOPED_TRACE(ramp ? "ramp_up" : "no ramp_up");
    Calls calls = SyncSyntheticRows(160000, ramp, false);
    const std::vector<int64_t> want =
        ramp ? std::vector<int64_t>{10000, 20000, 40000, 80000, 160000, 90000}
             : std::vector<int64_t>{160000, 160000, 80000};
    EXPECT_EQ(calls.write_rows, want);
    // Writes made while the source runs say more rows may follow; the last
    // one, made at the end of the sync, does not.
    std::vector<bool> follow(want.size(), true);
    follow.back() = false;
    EXPECT_EQ(calls.write_follow, follow);
  }
}

// A destination that keeps part of a write for the next one (packs_writes)
// gets, at the end of the sync, a write of no rows for each stream whose last
// write said more rows might follow; one that does not, never.
TEST(SyncTest, AStreamWhoseLastWriteSaidMoreMightFollowIsEndedForADestinationThatPacksWrites) {
  for (bool packs : {false, true}) {
    SCOPED_TRACE(packs ? "packs_writes" : "no packs_writes");
    Calls calls = SyncSyntheticRows(200000, false, packs);
    const std::vector<int64_t> rows = packs ? std::vector<int64_t>{200000, 200000, 0} : std::vector<int64_t>{200000, 200000};
    const std::vector<bool> follow = packs ? std::vector<bool>{true, true, false} : std::vector<bool>{true, true};
    EXPECT_EQ(calls.write_rows, rows);
    EXPECT_EQ(calls.write_follow, follow);
  }
}

}  // namespace
}  // namespace ferry::engine

namespace ferry::engine {
namespace {

// The default budget: room for full batches of the destination that needs
// most (batch_size_bytes x (writes in flight + 1)), within 64-256 MiB.
TEST(SyncTest, AutomaticMemoryBudgetFollowsTheBiggestBatches) {
  constexpr int64_t MiB = 1 << 20;
  EXPECT_EQ(AutoMemoryBudget({}), 64 * MiB);
  EXPECT_EQ(AutoMemoryBudget({10 * MiB * 2, 5 * MiB * 2}), 64 * MiB) << "10 MiB and 5 MiB batches: the floor";
  EXPECT_EQ(AutoMemoryBudget({100000000LL * 2, 10 * MiB * 2}), 200000000LL) << "PostgreSQL's 100 MB batches";
  EXPECT_EQ(AutoMemoryBudget({128 * MiB * 3}), 256 * MiB) << "ClickHouse, two INSERTs in flight: the ceiling";
}

}  // namespace
}  // namespace ferry::engine
