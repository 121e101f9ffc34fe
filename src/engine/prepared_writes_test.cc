// Prepared writes (Destination::Prepare / CommitPrepared) through
// SyncSource, with a recording destination that holds rows until their token
// is committed and a real SQLite state backend: the token is stored with its
// cursor, committed after it, and a token a sync could not commit (a crash
// between the two, here a failing CommitPrepared) is committed by the next
// sync before anything else; rows are never visible twice.
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "engine/sync.h"
#include "plugins/destination/sqlite/sqlite_destination.h"
#include "plugins/source/test/test_source.h"
#include "testing/cli_runner.h"

namespace ferry::engine {
namespace {

// What the destination keeps across instances (one per sync).
struct Store {
  std::mutex mu;
  bool prepare_incremental_seen = false;
  bool fail_commits = false;
  int next_token = 0;
  std::map<std::pair<std::string, std::string>, int64_t> held;   // (table, client) -> rows not prepared
  std::map<std::string, int64_t> prepared;                        // token -> rows, not visible
  std::set<std::string> committed;
  int64_t visible = 0;
  int commit_calls = 0;
};

DestinationPlugin Holding(Store* store) {
  class Dest : public Destination {
   public:
    explicit Dest(Store* s) : s_(s) {}
    Status Init(const Options&, const DestinationInit& init) override {
      std::lock_guard<std::mutex> lock(s_->mu);
      prepare_ = init.prepare_incremental;
      s_->prepare_incremental_seen = s_->prepare_incremental_seen || prepare_;
      return Status::OK();
    }
    Status Migrate(const std::vector<TableSchemaPtr>&, const MigrateOptions&) override { return Status::OK(); }
    Status Write(const WriteRequest& r) override {
      int64_t rows = 0;
      for (const auto& b : r.batches) rows += b->num_rows();
      std::lock_guard<std::mutex> lock(s_->mu);
      if (prepare_ && r.table->is_incremental) s_->held[{r.table->name, r.client}] += rows;
      else s_->visible += rows;
      return Status::OK();
    }
    Result<std::string> Prepare(const std::string& table, const std::string& client) override {
      std::lock_guard<std::mutex> lock(s_->mu);
      auto it = s_->held.find({table, client});
      if (it == s_->held.end() || it->second == 0) return std::string();
      const std::string token = "token-" + std::to_string(++s_->next_token);
      s_->prepared[token] = it->second;
      it->second = 0;
      return token;
    }
    Status CommitPrepared(const std::string& token) override {
      std::lock_guard<std::mutex> lock(s_->mu);
      ++s_->commit_calls;
      if (s_->fail_commits) return Status::IOError("commit refused (test)");
      if (s_->committed.count(token)) return Status::OK();   // again: harmless
      auto it = s_->prepared.find(token);
      if (it == s_->prepared.end()) return Status::NotFound("no token " + token);
      s_->visible += it->second;
      s_->committed.insert(token);
      return Status::OK();
    }
    Status DeleteStale(const DeleteStaleRequest&) override { return Status::OK(); }
    Status DeleteRecord(const ferry::DeleteRecord&) override { return Status::OK(); }
    // Rows still held are dropped: no cursor covers them.
    Status Close() override { return Status::OK(); }

   private:
    Store* s_;
    bool prepare_ = false;
  };
  DestinationPlugin p;
  p.name = "holding";
  p.description = "test double with prepared writes";
  p.capabilities.write_modes = {WriteMode::kAppend};
  p.capabilities.prepared_writes = true;
  p.create = [store] { return std::make_unique<Dest>(store); };
  return p;
}

std::string Spec(const std::string& dir) {
  return R"(kind: source
spec:
  name: events
  path: cloudquery/test
  version: v1.0.0
  tables: [test_incremental_table]
  destinations: [d]
  backend_options:
    table_name: cq_state_events
    connection: "@@plugins.sqlite.connection"
  spec: {num_clients: 2, incremental_rows: 5000, checkpoint_every: 997}
---
kind: destination
spec:
  name: d
  path: holding
  version: v1.0.0
  write_mode: append
---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  spec:
    connection_string: )" + dir + R"(/state.sqlite
)";
}

Result<SyncSummary> Sync(Store* store, const std::string& spec) {
  Registry reg;
  FERRY_RETURN_NOT_OK(reg.AddSource(plugins::test::TestSourcePlugin()));
  FERRY_RETURN_NOT_OK(reg.AddDestination(plugins::sqlite::SqlitePlugin()));
  FERRY_RETURN_NOT_OK(reg.AddDestination(Holding(store)));
  FERRY_ASSIGN_OR_RETURN(auto cfg, config::LoadConfigFromString(spec, "spec.yml"));
  return SyncSource(reg, cfg, cfg.sources[0], SyncOptions{});
}

TEST(PreparedWrites, TokensCommitAfterTheirCursorAndRowsAreVisibleOnce) {
  ferry::testing::TempDir dir;
  Store store;
  auto r = Sync(&store, Spec(dir.path()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok()) << (r->errors.empty() ? "" : r->errors[0]);
  EXPECT_TRUE(store.prepare_incremental_seen) << "a sync with cursors asks for prepared writes";
  EXPECT_EQ(store.visible, 10000);
  // One token per cursor with rows: ceil(5000 / 997) = 6 per client.
  EXPECT_EQ(store.committed.size(), 12u);
  auto again = Sync(&store, Spec(dir.path()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(store.visible, 10000) << "the second sync fetches nothing new";
  auto left = ferry::testing::SqliteQuery(dir.File("state.sqlite"),
                                          "SELECT count(*) FROM cq_state_events WHERE key LIKE '_ferry_prepared:%' "
                                          "AND value <> ''");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "0") << "committed tokens are cleared in the backend";
}

TEST(PreparedWrites, ATokenLeftUncommittedIsCommittedByTheNextSyncFirst) {
  ferry::testing::TempDir dir;
  Store store;
  store.fail_commits = true;   // as if the sync stopped right after storing its cursors
  auto r = Sync(&store, Spec(dir.path()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->ok()) << "the commit failures reach the summary";
  ASSERT_FALSE(r->errors.empty());
  EXPECT_NE(r->errors[0].find("could not be made visible yet"), std::string::npos) << r->errors[0];
  EXPECT_EQ(store.visible, 0);
  auto left = ferry::testing::SqliteQuery(dir.File("state.sqlite"),
                                          "SELECT count(*) FROM cq_state_events WHERE key LIKE '_ferry_prepared:%' "
                                          "AND value <> ''");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "2") << "each client's tokens stay in the backend, with its cursor";

  // The next sync commits every token the first one stored (a token that
  // failed is carried into the next entry of its key, never overwritten)
  // before the source starts; the cursors are at the end, so nothing new.
  store.fail_commits = false;
  auto next = Sync(&store, Spec(dir.path()));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_TRUE(next->ok()) << (next->errors.empty() ? "" : next->errors[0]);
  EXPECT_EQ(store.visible, 10000);
  EXPECT_EQ(store.committed.size(), 12u);
  bool noted = false;
  for (const auto& n : next->notes) noted = noted || n.find("making visible the rows an earlier sync") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace ferry::engine
