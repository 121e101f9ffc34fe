#include "ferry/sdk/table_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ferry/text_codec.h"
#include "ferry/uuid.h"
#include "sdk/cq_id.h"

namespace ferry::sdk {
namespace {

// Collects what a source emits.
class CollectingSink : public SyncSink {
 public:
  Status Insert(BatchPtr batch) override {
    std::lock_guard<std::mutex> l(mu);
    std::string why;
    EXPECT_TRUE(batch->Validate(&why)) << why;
    batches[batch->schema()->name].push_back(batch);
    return Status::OK();
  }
  Status DeleteRecord(ferry::DeleteRecord) override { return Status::OK(); }
  void TablePlanned(const std::string& table, const std::vector<std::string>& clients) override {
    std::lock_guard<std::mutex> l(mu);
    planned[table] = clients;
  }
  void TableDone(const std::string& table, const std::string& client, const Status& st, int64_t rows) override {
    std::lock_guard<std::mutex> l(mu);
    done[table + "/" + client] = st;
    done_rows[table] += rows;
  }
  void Warning(const std::string&, const std::string&) override {}
  bool Cancelled() const override { return false; }

  int64_t Rows(const std::string& t) {
    int64_t n = 0;
    for (auto& b : batches[t]) n += b->num_rows();
    return n;
  }
  std::mutex mu;
  std::map<std::string, std::vector<BatchPtr>> batches;
  std::map<std::string, Status> done;
  std::map<std::string, int64_t> done_rows;
  std::map<std::string, std::vector<std::string>> planned;
};

class TreeSource : public TableSource {
 public:
  // child_throws: 0 never; 1 the child resolver of parent 2 throws a
  // std::exception; 2 it throws something that is not one.
  explicit TreeSource(int clients, bool fail_child_of_2 = false, bool multiplexer_throws = false,
                      int child_throws = 0) {
    TableDef parent;
    parent.schema.name = "parent";
    parent.schema.columns = {{.name = "id", .type = types::Int64(), .primary_key = true},
                             {.name = "name", .type = types::Utf8()}};
    parent.multiplex = [clients, multiplexer_throws] {
      if (multiplexer_throws) throw std::runtime_error("no such account list");
      std::vector<Client> cs;
      for (int i = 0; i < clients; ++i) cs.push_back(Client{"c" + std::to_string(i), nullptr});
      return cs;
    };
    parent.resolve = [](const ResolveContext& ctx, RowWriter& w) -> Status {
      for (int i = 0; i < 5; ++i)
        FERRY_RETURN_NOT_OK(w.Write({Value::Int(i), Value::String(ctx.client.id + "-" + std::to_string(i))}));
      return Status::OK();
    };
    TableDef child;
    child.schema.name = "child";
    child.schema.columns = {{.name = "parent_id", .type = types::Int64()}, {.name = "n", .type = types::Int32()}};
    child.resolve = [fail_child_of_2, child_throws](const ResolveContext& ctx, RowWriter& w) -> Status {
      int64_t pid = ctx.ParentValue("id").as_int();
      if (fail_child_of_2 && pid == 2) return Status::IOError("api said no");
      if (child_throws == 1 && pid == 2) throw std::runtime_error("json field missing");
      if (child_throws == 2 && pid == 2) throw 42;
      for (int i = 0; i < 3; ++i) {
        w.Column(0).AppendInt(pid);
        w.Column(1).AppendInt(i);
        FERRY_RETURN_NOT_OK(w.EndRow());
      }
      return Status::OK();
    };
    parent.relations.push_back(std::move(child));
    std::vector<TableDef> defs;
    defs.push_back(std::move(parent));
    SetTables(std::move(defs));
    SetSchedulerOptions({.concurrency = 3, .batch_rows = 4, .batch_bytes = 1 << 20});
  }
  Status Init(const Options&, const SourceInit&) override { return Status::OK(); }
};

TEST(TableSourceTest, SchemasGetIdColumnsAndParents) {
  TreeSource s(1);
  auto tables = s.Tables();
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0]->columns[0].name, "_cq_id");
  EXPECT_FALSE(tables[0]->columns[0].primary_key);  // the table has its own PK
  EXPECT_TRUE(tables[1]->columns[0].primary_key);   // child has none: _cq_id is the PK
  EXPECT_EQ(tables[1]->parent, "parent");
}

TEST(TableSourceTest, ResolvesClientsAndRelationsWithParentIds) {
  TreeSource s(4);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child"}, false, {}}, sink).ok());
  EXPECT_EQ(sink.Rows("parent"), 20);
  EXPECT_EQ(sink.Rows("child"), 60);
  EXPECT_EQ(sink.done_rows["child"], 60);
  EXPECT_EQ(sink.done.size(), 8u);
  for (auto& [k, st] : sink.done) EXPECT_TRUE(st.ok()) << k;
  // Every child's _cq_parent_id is some parent's _cq_id.
  std::set<std::string> parent_ids;
  for (auto& b : sink.batches["parent"])
    for (int64_t i = 0; i < b->num_rows(); ++i) parent_ids.insert(std::string(b->column(0)->FixedValue(i)));
  EXPECT_EQ(parent_ids.size(), 20u);
  for (auto& b : sink.batches["child"])
    for (int64_t i = 0; i < b->num_rows(); ++i) {
      ASSERT_FALSE(b->column(1)->IsNull(i));
      EXPECT_TRUE(parent_ids.count(std::string(b->column(1)->FixedValue(i))));
    }
  // batch_rows = 4 bounds every batch.
  for (auto& [t, bs] : sink.batches)
    for (auto& b : bs) EXPECT_LE(b->num_rows(), 4);
}

TEST(TableSourceTest, UnselectedChildIsNotResolved) {
  TreeSource s(2);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent"}, false, {}}, sink).ok());
  EXPECT_EQ(sink.Rows("parent"), 10);
  EXPECT_EQ(sink.Rows("child"), 0);
  EXPECT_EQ(sink.done.count("child/c0"), 0u);
}

TEST(TableSourceTest, ChildErrorIsRecordedAndOtherRowsContinue) {
  TreeSource s(1, /*fail_child_of_2=*/true);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child"}, false, {}}, sink).ok());
  EXPECT_EQ(sink.Rows("parent"), 5);
  EXPECT_EQ(sink.Rows("child"), 12);  // 4 parents x 3
  EXPECT_TRUE(sink.done["parent/c0"].ok());
  EXPECT_FALSE(sink.done["child/c0"].ok());
  EXPECT_NE(sink.done["child/c0"].message().find("api said no"), std::string::npos);
}

TEST(TableSourceTest, ClientsOfEverySelectedTableArePlannedBeforeTheyRun) {
  TreeSource s(3);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child"}, false, {}}, sink).ok());
  EXPECT_EQ(sink.planned["parent"], (std::vector<std::string>{"c0", "c1", "c2"}));
  EXPECT_EQ(sink.planned["child"], (std::vector<std::string>{"c0", "c1", "c2"}));
}

// Issue #13: an exception out of a multiplexer no longer ends the process; the
// table and its relations fail and the sync goes on.
TEST(TableSourceTest, MultiplexerThatThrowsFailsItsTables) {
  TreeSource s(2, false, /*multiplexer_throws=*/true);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child"}, false, {}}, sink).ok());
  ASSERT_EQ(sink.done.count("parent/"), 1u);
  EXPECT_FALSE(sink.done["parent/"].ok());
  EXPECT_NE(sink.done["parent/"].message().find("no such account list"), std::string::npos);
  EXPECT_FALSE(sink.done["child/"].ok());
  EXPECT_EQ(sink.Rows("parent"), 0);
}

// Issue #13: a resolver that throws fails its table (Internal, naming it); the
// other rows and tables go on and the process does not terminate.
TEST(TableSourceTest, ResolverThatThrowsFailsItsTable) {
  for (int kind : {1, 2}) {
    SCOPED_TRACE(kind == 1 ? "std::exception" : "not a std::exception");
    TreeSource s(1, false, false, /*child_throws=*/kind);
    CollectingSink sink;
    ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child"}, false, {}}, sink).ok());
    EXPECT_EQ(sink.Rows("parent"), 5);
    EXPECT_EQ(sink.Rows("child"), 12);  // the 4 other parents x 3
    EXPECT_TRUE(sink.done["parent/c0"].ok());
    const Status& st = sink.done["child/c0"];
    EXPECT_EQ(st.code(), StatusCode::kInternal) << st.ToString();
    EXPECT_NE(st.message().find("table child"), std::string::npos) << st.message();
    if (kind == 1) {
      EXPECT_NE(st.message().find("json field missing"), std::string::npos) << st.message();
    }
  }
}

TEST(TableSourceTest, DeterministicIdsAreStableAcrossRuns) {
  auto ids = [] {
    TreeSource s(1);
    CollectingSink sink;
    EXPECT_TRUE(s.Sync(SyncRequest{{"parent"}, true, {}}, sink).ok());
    std::set<std::string> out;
    for (auto& b : sink.batches["parent"])
      for (int64_t i = 0; i < b->num_rows(); ++i) out.insert(uuid::ToString(b->column(0)->FixedValue(i)));
    return out;
  };
  auto a = ids(), b = ids();
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(a, b);
}

// A parent table of `parents` rows with a child (and grandchild) that each
// resolve one row per parent; the child resolver can wait until `meet` of its
// resolutions are in flight at once, and counts the most there ever were.
class SlowChildSource : public TableSource {
 public:
  struct Gauge {
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    int most = 0;
    void Enter() {
      std::lock_guard<std::mutex> l(mu);
      most = std::max(most, ++in_flight);
      cv.notify_all();
    }
    void Leave() {
      std::lock_guard<std::mutex> l(mu);
      --in_flight;
    }
    // Waits (at most 20 s) until `n` resolutions are in flight together.
    bool Meet(int n) {
      std::unique_lock<std::mutex> l(mu);
      return cv.wait_for(l, std::chrono::seconds(20), [&] { return most >= n; });
    }
  };

  SlowChildSource(int concurrency, int parents, int meet, bool checkpoint, std::shared_ptr<Gauge> gauge)
      : gauge_(std::move(gauge)) {
    TableDef parent;
    parent.schema.name = "parent";
    parent.schema.columns = {{.name = "id", .type = types::Int64(), .primary_key = true}};
    parent.resolve = [parents, checkpoint](const ResolveContext&, RowWriter& w) -> Status {
      for (int i = 0; i < parents; ++i) {
        FERRY_RETURN_NOT_OK(w.Write({Value::Int(i)}));
        if (checkpoint && i % 10 == 9) FERRY_RETURN_NOT_OK(w.Checkpoint(std::to_string(i)));
      }
      return Status::OK();
    };
    TableDef child;
    child.schema.name = "child";
    child.schema.columns = {{.name = "parent_id", .type = types::Int64(), .primary_key = true}};
    child.resolve = [g = gauge_, meet](const ResolveContext& ctx, RowWriter& w) -> Status {
      g->Enter();
      bool met = meet <= 1 || g->Meet(meet);
      if (meet <= 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      Status s = met ? w.Write({ctx.ParentValue("id")})
                     : Status::IOError("only " + std::to_string(g->most) + " child resolutions ever ran at once");
      g->Leave();
      return s;
    };
    TableDef grandchild;
    grandchild.schema.name = "grandchild";
    grandchild.schema.columns = {{.name = "parent_id", .type = types::Int64(), .primary_key = true}};
    grandchild.resolve = [](const ResolveContext& ctx, RowWriter& w) -> Status {
      return w.Write({ctx.ParentValue("parent_id")});
    };
    child.relations.push_back(std::move(grandchild));
    parent.relations.push_back(std::move(child));
    std::vector<TableDef> defs;
    defs.push_back(std::move(parent));
    SetTables(std::move(defs));
    SetSchedulerOptions({.concurrency = concurrency, .batch_rows = 7, .batch_bytes = 1 << 20});
  }
  Status Init(const Options&, const SourceInit&) override { return Status::OK(); }

 private:
  std::shared_ptr<Gauge> gauge_;
};

std::set<int64_t> Ints(CollectingSink& sink, const std::string& table, int column) {
  std::set<int64_t> out;
  for (auto& b : sink.batches[table])
    for (int64_t i = 0; i < b->num_rows(); ++i) out.insert(b->column(column)->Value<int64_t>(i));
  return out;
}

// Issue #20: one task's child tables resolve for several parent rows at once
// (IAM users' eight relations were 668 calls one after another).
TEST(TableSourceTest, RelationsOfDifferentParentRowsResolveAtOnce) {
  auto gauge = std::make_shared<SlowChildSource::Gauge>();
  SlowChildSource s(/*concurrency=*/16, /*parents=*/40, /*meet=*/4, false, gauge);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child", "grandchild"}, false, {}}, sink).ok());
  for (auto& [k, st] : sink.done) EXPECT_TRUE(st.ok()) << k << ": " << st.ToString();
  EXPECT_GE(gauge->most, 4);
  std::set<int64_t> all;
  for (int64_t i = 0; i < 40; ++i) all.insert(i);
  EXPECT_EQ(Ints(sink, "parent", 2), all);
  EXPECT_EQ(Ints(sink, "child", 2), all);
  EXPECT_EQ(Ints(sink, "grandchild", 2), all);
  EXPECT_EQ(sink.done_rows["grandchild"], 40);
}

// `concurrency` still bounds everything: never more child resolutions at once
// than threads, however many parent rows are waiting.
TEST(TableSourceTest, ConcurrencyBoundsRelationResolutions) {
  auto gauge = std::make_shared<SlowChildSource::Gauge>();
  SlowChildSource s(/*concurrency=*/3, /*parents=*/60, /*meet=*/1, false, gauge);
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child", "grandchild"}, false, {}}, sink).ok());
  EXPECT_LE(gauge->most, 3);
  EXPECT_GE(gauge->most, 1);
  EXPECT_EQ(sink.Rows("child"), 60);
  EXPECT_EQ(sink.Rows("grandchild"), 60);
}

// A checkpoint covers the relations of every row written before it: their
// rows reach the sink before the checkpoint does.
class OrderSink : public CollectingSink {
 public:
  Status Insert(BatchPtr batch) override {
    {
      std::lock_guard<std::mutex> l(order_mu);
      for (int64_t i = 0; i < batch->num_rows(); ++i)
        events.push_back(batch->schema()->name + ":" + std::to_string(batch->column(2)->Value<int64_t>(i)));
    }
    return CollectingSink::Insert(std::move(batch));
  }
  Status Checkpoint(const std::string& table, const std::string&, StateEntry entry) override {
    std::lock_guard<std::mutex> l(order_mu);
    events.push_back("checkpoint:" + entry.value);
    return Status::OK();
  }
  std::mutex order_mu;
  std::vector<std::string> events;
};

TEST(TableSourceTest, ACheckpointFollowsTheRelationsOfTheRowsItCovers) {
  auto gauge = std::make_shared<SlowChildSource::Gauge>();
  SlowChildSource s(/*concurrency=*/8, /*parents=*/50, /*meet=*/1, /*checkpoint=*/true, gauge);
  OrderSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child", "grandchild"}, false, {}}, sink).ok());
  std::set<std::string> seen;
  int checkpoints = 0;
  for (const auto& e : sink.events) {
    if (e.rfind("checkpoint:", 0) == 0) {
      ++checkpoints;
      int covered = std::stoi(e.substr(11));
      for (int i = 0; i <= covered; ++i)
        for (const char* t : {"parent", "child", "grandchild"})
          EXPECT_TRUE(seen.count(std::string(t) + ":" + std::to_string(i))) << e << " before " << t << " " << i;
    } else {
      seen.insert(e);
    }
  }
  EXPECT_EQ(checkpoints, 5);
  EXPECT_EQ(seen.size(), 150u);
}

// relations_inline: each row's relations resolve on the writing thread before
// Write returns, so a resolver may report what its relations found.
TEST(TableSourceTest, InlineRelationsResolveBeforeWriteReturns) {
  class InlineSource : public TableSource {
   public:
    InlineSource() {
      auto seen = std::make_shared<int>(0);  // no lock: one thread by contract
      TableDef parent;
      parent.schema.name = "parent";
      parent.schema.columns = {{.name = "id", .type = types::Int64(), .primary_key = true}};
      parent.resolve = [seen](const ResolveContext&, RowWriter& w) -> Status {
        for (int i = 0; i < 30; ++i) {
          FERRY_RETURN_NOT_OK(w.Write({Value::Int(i)}));
          if (*seen != i + 1) return Status::Invalid("after row " + std::to_string(i) + " the relation ran " +
                                                     std::to_string(*seen) + " times");
        }
        return Status::OK();
      };
      parent.relations_inline = true;
      TableDef child;
      child.schema.name = "child";
      child.schema.columns = {{.name = "parent_id", .type = types::Int64(), .primary_key = true}};
      child.resolve = [seen](const ResolveContext& ctx, RowWriter& w) -> Status {
        ++*seen;
        return w.Write({ctx.ParentValue("id")});
      };
      parent.relations.push_back(std::move(child));
      std::vector<TableDef> defs;
      defs.push_back(std::move(parent));
      SetTables(std::move(defs));
      SetSchedulerOptions({.concurrency = 8, .batch_rows = 7, .batch_bytes = 1 << 20});
    }
    Status Init(const Options&, const SourceInit&) override { return Status::OK(); }
  };
  InlineSource s;
  CollectingSink sink;
  ASSERT_TRUE(s.Sync(SyncRequest{{"parent", "child"}, false, {}}, sink).ok());
  ASSERT_EQ(sink.done.size(), 2u);
  for (auto& [k, st] : sink.done) EXPECT_TRUE(st.ok()) << k << ": " << st.ToString();
  EXPECT_EQ(sink.Rows("child"), 30);
}

// Builders are outside the memory budget: together they keep to half of it.
TEST(TableSourceTest, BuildersFlushAtTheirShareOfTheMemoryBudget) {
  EXPECT_EQ(BuilderBytes(4 << 20, 0, 8), 4 << 20);                  // budget unknown
  EXPECT_EQ(BuilderBytes(4 << 20, 256ll << 20, 1), 4 << 20);        // never above batch_bytes
  EXPECT_EQ(BuilderBytes(4 << 20, 64ll << 20, 64), 512 << 10);      // 64 MiB / 2 / 64 threads
  EXPECT_EQ(BuilderBytes(4 << 20, 16ll << 20, 64), kMinBuilderBytes);

  class Wide : public TableSource {
   public:
    Wide() {
      TableDef t;
      t.schema.name = "wide";
      t.schema.columns = {{.name = "text", .type = types::Utf8()}};
      t.resolve = [](const ResolveContext&, RowWriter& w) -> Status {
        const std::string kilobyte(1024, 'x');
        for (int i = 0; i < 4000; ++i) FERRY_RETURN_NOT_OK(w.Write({Value::String(kilobyte)}));
        return Status::OK();
      };
      std::vector<TableDef> defs;
      defs.push_back(std::move(t));
      SetTables(std::move(defs));
      SetSchedulerOptions({.concurrency = 2, .batch_rows = 1000000, .batch_bytes = 8 << 20});
    }
    Status Init(const Options&, const SourceInit&) override { return Status::OK(); }
  };
  for (int64_t budget : {int64_t{0}, int64_t{2} << 20}) {
    SCOPED_TRACE(budget);
    Wide s;
    CollectingSink sink;
    SyncRequest req{.tables = {"wide"}};
    req.memory_budget_bytes = budget;
    ASSERT_TRUE(s.Sync(req, sink).ok());
    EXPECT_EQ(sink.Rows("wide"), 4000);
    // One task, so one thread: 2 MiB / 2 = 1 MiB a builder (its size checked every 128 rows
    // of ~1 KiB, and the batch has the id columns too).
    const int64_t limit = budget == 0 ? 8 << 20 : (1 << 20) + 256 * 1100;
    size_t batches = sink.batches["wide"].size();
    for (const auto& b : sink.batches["wide"]) EXPECT_LE(b->ByteSize(), limit);
    if (budget == 0) EXPECT_EQ(batches, 1u);
    else EXPECT_GE(batches, 4u);
  }
}

TEST(CqIdTest, MatchesTheSdkFormula) {
  // UUIDv5(zero namespace, SHA-256("id" || "1")), as CloudQuery computes it.
  TableSchema own;
  own.columns = {{.name = "id", .type = types::Int64(), .primary_key = true}};
  CqIdPlan plan(own, true);
  std::string id = plan.Compute(own, {Value::Int(1)});
  // Expected value computed independently (Python hashlib + uuid).
  EXPECT_EQ(uuid::ToString(id), "e3643b27-3816-5ecc-bb02-e8bf5d616b62");
  EXPECT_EQ(plan.Compute(own, {Value::Int(1)}), id);
  EXPECT_NE(plan.Compute(own, {Value::Int(2)}), id);
  EXPECT_EQ(ScalarString(*types::Float64(), Value::Double(1.5)), "1.5");
  EXPECT_EQ(ScalarString(*types::Float64(), Value::Double(100)), "100");
  EXPECT_EQ(ScalarString(*types::Timestamp(), Value::Int(1700000000123456)), "2023-11-14T22:13:20Z");
  EXPECT_EQ(ScalarString(*types::Int64(), Value::Null()), "(null)");
  EXPECT_EQ(ScalarString(*types::Duration(TimeUnit::kMilli), Value::Int(1500)), "1500ms");
  EXPECT_EQ(ScalarString(*types::Decimal128(19, 10), Value::String(Decimal128Bytes(-123400000000))), "-12.3400000000");
  EXPECT_EQ(ScalarString(*types::IntervalMonthDayNano(), Value::String(IntervalMonthDayNanoBytes(1, 2, 3))),
            "1 month 2 days 3ns");
}

}  // namespace
}  // namespace ferry::sdk
