// The scheduler behind sdk::TableSource.
//
// Every selected top-level table is multiplexed over its clients; each
// (table, client) pair is one task on a fixed pool of `concurrency` threads.
// A task owns one BatchBuilder per table of its subtree and resolves the
// table. Every row it writes queues one job per selected child table with
// that row as parent; the same threads run those jobs before they take new
// tasks (deepest work first keeps memory bounded), a thread waiting for its
// own children helps with deeper jobs, and when the queue is full the writer
// resolves the child itself. So a table with a slow relation per row (IAM
// users -> access keys, policies, ...) keeps up to `concurrency` calls in
// flight instead of one. A resolution ends only when its children's have.
// Batches flush by rows and bytes into the SyncSink (which applies
// back-pressure); TableDone is reported per (table, client) with the first
// error seen, and a failing task never stops the others. Parent rows keep
// the resolver's order; child rows of different parents may interleave.
#include "ferry/sdk/table_source.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ferry/uuid.h"
#include "sdk/cq_id.h"

namespace ferry::sdk {

struct TableSource::Node {
  TableDef def;
  TableSchemaPtr own;        // own columns only
  TableSchemaPtr full;       // _cq_id, _cq_parent_id, own columns
  Node* parent = nullptr;
  std::vector<std::shared_ptr<Node>> children;
  int depth = 0;
};

namespace {

const Value kNullValue;

TableSchemaPtr FullSchema(const TableSchema& own, const std::string& parent) {
  auto s = std::make_shared<TableSchema>(own);
  s->parent = parent;
  bool has_pk = !own.PrimaryKeys().empty();
  Column id{.name = meta::kId, .type = types::Uuid(), .description = "Internal CloudQuery ID"};
  id.not_null = true;
  id.unique = true;
  id.primary_key = !has_pk;
  Column parent_id{.name = meta::kParentId, .type = types::Uuid(), .description = "Internal CloudQuery ID of the parent row"};
  s->columns.clear();
  s->columns.push_back(id);
  s->columns.push_back(parent_id);
  for (const auto& c : own.columns) s->columns.push_back(c);
  return s;
}

// Outstanding child jobs of one resolution and, through `up`, of every
// resolution above it: a job counts in its spawner's scope and all its
// ancestors', so a resolution (or a checkpoint) can wait for its subtree.
struct PendingScope {
  PendingScope* up = nullptr;
  int64_t n = 0;  // guarded by JobQueue::mu
};

// The child-table jobs of one Sync, run by its worker threads.
class JobQueue {
 public:
  struct Job {
    int depth;                   // depth of the child table the job resolves
    PendingScope* scope;         // the spawning resolution's scope
    std::function<void()> run;
  };

  explicit JobQueue(size_t capacity) : capacity_(capacity) {}

  // Queues `job` and counts it in its scopes; false when the queue is full
  // (the caller then runs it itself).
  bool TryPush(Job&& job) {
    std::lock_guard<std::mutex> lock(mu);
    if (jobs_.size() >= capacity_) return false;
    for (PendingScope* p = job.scope; p; p = p->up) ++p->n;
    jobs_.push_back(std::move(job));
    cv.notify_all();  // a waiter may only take deeper jobs: wake every thread
    return true;
  }

  // Runs one queued job deeper than `min_depth`; false if there is none.
  // Caller holds `lock` (on mu); it is released while the job runs.
  bool RunOneLocked(std::unique_lock<std::mutex>& lock, int min_depth) {
    // Deepest first: finishing started subtrees bounds the rows held.
    auto best = jobs_.end();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (it->depth > min_depth && (best == jobs_.end() || it->depth > best->depth)) best = it;
    if (best == jobs_.end()) return false;
    Job job = std::move(*best);
    jobs_.erase(best);
    lock.unlock();
    job.run();
    lock.lock();
    for (PendingScope* p = job.scope; p; p = p->up) --p->n;
    cv.notify_all();
    return true;
  }

  // Waits until `scope` has no outstanding job, helping with deeper jobs
  // meanwhile (only deeper ones, so nesting is bounded by kMaxDepth).
  void Drain(PendingScope& scope, int depth) {
    std::unique_lock<std::mutex> lock(mu);
    while (scope.n > 0) {
      if (RunOneLocked(lock, depth)) continue;
      cv.wait(lock);
    }
  }

  bool HasJobsLocked() const { return !jobs_.empty(); }

  std::mutex mu;
  std::condition_variable cv;

 private:
  size_t capacity_;
  std::deque<Job> jobs_;
};

}  // namespace

const Value& ResolveContext::ParentValue(const std::string& column) const {
  if (!parent || !parent_schema) return kNullValue;
  int i = parent_schema->FindColumn(column);
  return i < 0 ? kNullValue : (*parent)[i];
}

std::string ResolveContext::CursorKey(const std::string& table, const std::string& client_id) {
  return client_id.empty() ? table : table + ":" + client_id;
}

std::string ResolveContext::Cursor(const std::string& table) const {
  if (!state) return "";
  auto it = state->find(CursorKey(table, client.id));
  return it == state->end() ? "" : it->second;
}

void TableSource::SetTables(std::vector<TableDef> tables) {
  roots_.clear();
  flat_.clear();
  std::function<std::shared_ptr<Node>(TableDef&, Node*, int)> build = [&](TableDef& def, Node* parent, int depth) {
    auto n = std::make_shared<Node>();
    n->own = std::make_shared<TableSchema>(def.schema);
    n->full = FullSchema(def.schema, parent ? parent->def.schema.name : "");
    n->parent = parent;
    n->depth = depth;
    std::vector<TableDef> rels = std::move(def.relations);
    n->def = std::move(def);
    flat_.push_back(n);
    for (auto& r : rels) n->children.push_back(build(r, n.get(), depth + 1));
    return n;
  };
  for (auto& t : tables) roots_.push_back(build(t, nullptr, 0));
}

std::vector<TableSchemaPtr> TableSource::Tables() const {
  std::vector<TableSchemaPtr> out;
  for (const auto& n : flat_) out.push_back(n->full);
  return out;
}

// Runs one (table, client) task and its subtree.
class TaskRunner {
 public:
  using Node = TableSource::Node;

  TaskRunner(const TableSourceOptions& opts, int64_t batch_bytes, const std::set<std::string>& selected,
             bool deterministic, SyncSink& sink, std::atomic<bool>& cancelled, const StateSnapshot* state,
             JobQueue& jobs)
      : opts_(opts), batch_bytes_(batch_bytes), selected_(selected), deterministic_(deterministic), sink_(sink),
        cancelled_(cancelled), state_(state), jobs_(jobs) {}

  void Run(Node& root, const Client& client) {
    client_id_ = &client.id;
    // Returns when the root's resolution and every child job it spawned end.
    Resolve(root, client, nullptr, nullptr, "", nullptr);
    // Flush and report every table of the subtree that was selected.
    std::lock_guard<std::mutex> lock(mu_);
    std::function<void(Node&)> finish = [&](Node& n) {
      if (!selected_.count(n.def.schema.name)) return;
      State& st = StateFor(n);
      Status flush = Flush(st);
      if (st.status.ok() && !flush.ok()) st.status = flush;
      if (!st.figures.empty()) sink_.TableFigures(n.def.schema.name, st.figures);
      sink_.TableDone(n.def.schema.name, client.id, st.status, st.rows);
      for (auto& c : n.children) finish(*c);
    };
    finish(root);
  }

 private:
  struct State {
    std::unique_ptr<BatchBuilder> builder;
    std::unique_ptr<CqIdPlan> plan;
    Status status;
    int64_t rows = 0;
    ApiCallFigures figures;
  };

  class Writer : public RowWriter {
   public:
    Writer(TaskRunner& r, Node& n, State& st, const Client& client, const std::string& parent_id,
           PendingScope& scope)
        : r_(r), n_(n), st_(st), client_(client), parent_id_(parent_id), scope_(scope) {}

    // Several resolutions of one table may write at once (one per parent
    // row): every append to the task's builders holds the task's mutex, from
    // a row's first Column() to its EndRow() on the fast path.
    Status Write(Row row) override {
      if (r_.cancelled_.load(std::memory_order_relaxed) || r_.sink_.Cancelled())
        return Status::Cancelled("sync cancelled");
      const TableSchema& own = *n_.own;
      if (row.size() != own.columns.size())
        return Status::Invalid("table " + own.name + ": resolver produced " + std::to_string(row.size()) +
                               " values for " + std::to_string(own.columns.size()) + " columns");
      for (size_t i = 0; i < row.size(); ++i) {
        if (own.columns[i].primary_key && row[i].is_null()) {
          // As CloudQuery: a row without its primary key is dropped with an error.
          RecordError(Status::Invalid("table " + own.name + ": missing primary key on column " +
                                      own.columns[i].name + "; row dropped"));
          return Status::OK();
        }
        Status st = CheckValue(*own.columns[i].type, row[i]);
        if (!st.ok()) {
          RecordError(st.WithContext("table " + own.name + ", column " + own.columns[i].name + "; row dropped"));
          return Status::OK();
        }
      }
      std::string id = ComputeId([&](int i) { return row[i]; });
      {
        std::lock_guard<std::mutex> lock(r_.mu_);
        BatchBuilder& b = *st_.builder;
        b.column(0).AppendBytes(id);
        if (parent_id_.empty()) b.column(1).AppendNull();
        else b.column(1).AppendBytes(parent_id_);
        for (size_t i = 0; i < row.size(); ++i) b.column(i + 2).AppendChecked(row[i]);
        FERRY_RETURN_NOT_OK(RowDone());
      }
      // Relations of this row: one job per selected child table.
      std::shared_ptr<const Row> parent;
      for (auto& child : n_.children) {
        if (!r_.selected_.count(child->def.schema.name)) continue;
        if (!parent) parent = std::make_shared<const Row>(std::move(row));
        if (n_.def.relations_inline) r_.Resolve(*child, client_, parent.get(), n_.own.get(), id, &scope_);
        else r_.Spawn(*child, client_, parent, n_.own.get(), id, scope_);
      }
      return Status::OK();
    }

    ArrayBuilder& Column(size_t own_index) override {
      if (!row_lock_.owns_lock()) row_lock_ = std::unique_lock<std::mutex>(r_.mu_);
      return st_.builder->column(own_index + 2);
    }

    Status EndRow() override {
      if (!row_lock_.owns_lock()) row_lock_ = std::unique_lock<std::mutex>(r_.mu_);
      std::unique_lock<std::mutex> lock = std::move(row_lock_);
      if (r_.cancelled_.load(std::memory_order_relaxed) || r_.sink_.Cancelled())
        return Status::Cancelled("sync cancelled");
      BatchBuilder& b = *st_.builder;
      if (st_.plan->random()) {  // the common case, without a string per row
        char id[16];
        uuid::NewV4(id);
        b.column(0).AppendBytes(std::string_view(id, sizeof id));
      } else {
        b.column(0).AppendBytes(ComputeId([&](int i) { return b.column(i + 2).PeekLast(); }));
      }
      if (parent_id_.empty()) b.column(1).AppendNull();
      else b.column(1).AppendBytes(parent_id_);
      return RowDone();
    }

    Status Checkpoint(const std::string& value) override {
      // The relations of the rows written so far first, then flush this table
      // and its relations so the rows precede the checkpoint.
      r_.jobs_.Drain(scope_, n_.depth);
      std::lock_guard<std::mutex> lock(r_.mu_);
      std::function<Status(Node&)> flush = [&](Node& n) -> Status {
        if (!r_.selected_.count(n.def.schema.name)) return Status::OK();
        FERRY_RETURN_NOT_OK(r_.Flush(r_.StateFor(n)));
        for (auto& c : n.children) FERRY_RETURN_NOT_OK(flush(*c));
        return Status::OK();
      };
      FERRY_RETURN_NOT_OK(flush(n_));
      const std::string& table = n_.def.schema.name;
      return r_.sink_.Checkpoint(table, client_.id,
                                 StateEntry{ResolveContext::CursorKey(table, client_.id), value, 0});
    }

   private:
    template <typename Get>
    std::string ComputeId(Get get) {
      const CqIdPlan& plan = *st_.plan;
      if (plan.random()) return uuid_random();
      std::vector<Value> vals;
      for (int i : plan.columns()) vals.push_back(get(i));
      return plan.Compute(*n_.own, vals);
    }
    static std::string uuid_random();

    Status RowDone() {
      BatchBuilder& b = *st_.builder;
      b.EndRow();
      ++st_.rows;
      if (b.num_rows() >= r_.opts_.batch_rows ||
          ((b.num_rows() & 127) == 0 && b.ByteSize() >= r_.batch_bytes_))
        return r_.Flush(st_);
      return Status::OK();
    }
    void RecordError(const Status& s) {
      std::lock_guard<std::mutex> lock(r_.mu_);
      if (st_.status.ok()) st_.status = s;
    }

    TaskRunner& r_;
    Node& n_;
    State& st_;
    const Client& client_;
    const std::string& parent_id_;
    PendingScope& scope_;
    std::unique_lock<std::mutex> row_lock_;  // held from a row's first Column() to its EndRow()
  };

  State& StateFor(Node& n) {
    auto& st = states_[&n];
    if (!st.builder) {
      st.builder = std::make_unique<BatchBuilder>(n.full);
      st.plan = std::make_unique<CqIdPlan>(*n.own, deterministic_);
    }
    return st;
  }

  Status Flush(State& st) {
    if (!st.builder || st.builder->num_rows() == 0) return Status::OK();
    return sink_.InsertFor(*client_id_, st.builder->Finish());
  }

  // Resolves table `n` for one parent row (none at the root), then waits
  // for the child jobs its rows spawned. `up` is the spawning resolution's
  // scope (null at the root).
  void Resolve(Node& n, const Client& client, const Row* parent, const TableSchema* parent_schema,
               const std::string& parent_id, PendingScope* up) {
    if (!selected_.count(n.def.schema.name)) return;
    State* stp;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stp = &StateFor(n);
      Status early;
      if (n.depth >= kMaxDepth) early = Status::Invalid("table " + n.def.schema.name + ": max depth exceeded");
      else if (!n.def.resolve) early = Status::Internal("table " + n.def.schema.name + " has no resolver");
      if (!early.ok()) {
        if (stp->status.ok()) stp->status = early;
        return;
      }
    }
    State& st = *stp;
    // This resolution's own call figures, added to the table's at the end:
    // resolutions of one table may run at once.
    ApiCallFigures figures;
    ResolveContext ctx{client, parent, parent_schema, sink_, cancelled_, state_, &figures};
    PendingScope scope{up};
    Status s;
    {
      Writer w(*this, n, st, client, parent_id, scope);
      try {
        s = n.def.resolve(ctx, w);
      } catch (const std::exception& e) {
        s = Status::Internal("table " + n.def.schema.name + ": resolver threw: " + e.what());
      } catch (...) {
        s = Status::Internal("table " + n.def.schema.name + ": resolver threw (not a std::exception)");
      }
    }
    jobs_.Drain(scope, n.depth);
    std::lock_guard<std::mutex> lock(mu_);
    st.figures += figures;
    if (!s.ok() && st.status.ok()) st.status = s;
  }

  // Resolves child table `n` for `parent`: queued for any free thread, or
  // run here when the queue is full.
  void Spawn(Node& n, const Client& client, std::shared_ptr<const Row> parent, const TableSchema* parent_schema,
             const std::string& parent_id, PendingScope& up) {
    auto run = [this, &n, &client, parent, parent_schema, parent_id, &up] {
      if (cancelled_.load(std::memory_order_relaxed)) return;
      Resolve(n, client, parent.get(), parent_schema, parent_id, &up);
    };
    if (!jobs_.TryPush(JobQueue::Job{n.depth, &up, run})) run();
  }

  const TableSourceOptions& opts_;
  const int64_t batch_bytes_;   // a builder's bytes before it is flushed (BuilderBytes)
  const std::set<std::string>& selected_;
  bool deterministic_;
  SyncSink& sink_;
  std::atomic<bool>& cancelled_;
  const StateSnapshot* state_;
  JobQueue& jobs_;
  const std::string* client_id_ = nullptr;
  std::mutex mu_;  // states_ and everything in them
  std::map<Node*, State> states_;
};

std::string TaskRunner::Writer::uuid_random() { return uuid::NewV4(); }

int64_t BuilderBytes(int64_t batch_bytes, int64_t memory_budget_bytes, int threads) {
  if (memory_budget_bytes <= 0 || threads <= 0) return batch_bytes;
  const int64_t share = memory_budget_bytes / 2 / threads;
  return std::min(batch_bytes, std::max(kMinBuilderBytes, share));
}

Status TableSource::Sync(const SyncRequest& request, SyncSink& sink) {
  std::set<std::string> selected(request.tables.begin(), request.tables.end());
  struct Task {
    Node* node;
    Client client;
  };
  std::deque<Task> tasks;  // guarded by the job queue's mutex once threads run
  struct Planned {
    Node* root;
    std::vector<Client> clients;
  };
  std::vector<Planned> planned;
  for (auto& root : roots_) {
    if (!selected.count(root->def.schema.name)) continue;
    std::vector<Client> clients;
    Status multiplexed;
    try {
      if (root->def.multiplex) clients = root->def.multiplex();
      else clients.push_back(Client{source_name_, nullptr});
    } catch (const std::exception& e) {
      multiplexed = Status::Internal("table " + root->def.schema.name + ": listing its clients threw: " + e.what());
    } catch (...) {
      multiplexed = Status::Internal("table " + root->def.schema.name + ": listing its clients threw");
    }
    if (!multiplexed.ok()) {
      // No client to run: the table and its relations fail (and keep their
      // stale rows); the other tables go on.
      std::function<void(const Node&)> fail = [&](const Node& n) {
        if (!selected.count(n.def.schema.name)) return;
        sink.TablePlanned(n.def.schema.name, {""});
        sink.TableDone(n.def.schema.name, "", multiplexed, 0);
        for (const auto& child : n.children) fail(*child);
      };
      fail(*root);
      continue;
    }
    planned.push_back(Planned{root.get(), std::move(clients)});
  }
  // A sharded sync keeps its own pairs (the same split in every shard).
  if (request.shard.sharded()) {
    std::vector<WorkPair> pairs;
    for (const auto& p : planned)
      for (const auto& c : p.clients) pairs.push_back(WorkPair{p.root->def.schema.name, c.id, p.root->def.shard_weight});
    const std::vector<int> shard_of = AssignShards(pairs, request.shard.total);
    size_t i = 0;
    for (auto& p : planned) {
      std::vector<Client> mine;
      for (auto& c : p.clients)
        if (shard_of[i++] == request.shard.num - 1) mine.push_back(std::move(c));
      p.clients = std::move(mine);
    }
  }
  for (auto& p : planned) {
    // Every selected table of the subtree reports once per client (none: this
    // shard has no pair of it).
    std::vector<std::string> ids;
    for (const auto& c : p.clients) ids.push_back(c.id);
    std::function<void(const Node&)> plan = [&](const Node& n) {
      if (!selected.count(n.def.schema.name)) return;
      sink.TablePlanned(n.def.schema.name, ids);
      for (const auto& child : n.children) plan(*child);
    };
    plan(*p.root);
    for (auto& c : p.clients) tasks.push_back(Task{p.root, std::move(c)});
  }

  // Whether any selected table has a selected relation: then threads beyond
  // one per task have child jobs to run.
  bool relations = false;
  std::function<void(const Node&)> any_relation = [&](const Node& n) {
    for (const auto& c : n.children)
      if (selected.count(c->def.schema.name)) relations = true;
    for (const auto& c : n.children) any_relation(*c);
  };
  for (const auto& p : planned) any_relation(*p.root);

  const int64_t per_task = relations ? 1 + kRelationJobsPerTask : 1;
  const int n = static_cast<int>(std::max<int64_t>(
      1, std::min<int64_t>(sched_.concurrency, static_cast<int64_t>(tasks.size()) * per_task)));
  const int64_t batch_bytes = BuilderBytes(sched_.batch_bytes, request.memory_budget_bytes, n);
  JobQueue jobs(static_cast<size_t>(4 * n));
  std::atomic<bool> cancelled{false};
  int running = 0;  // tasks being run; guarded by jobs.mu
  auto worker = [&]() {
    std::unique_lock<std::mutex> lock(jobs.mu);
    for (;;) {
      // Child jobs before new tasks: started subtrees finish first.
      if (jobs.RunOneLocked(lock, -1)) continue;
      if (!tasks.empty()) {
        Task t = std::move(tasks.front());
        tasks.pop_front();
        ++running;
        lock.unlock();
        if (sink.Cancelled()) cancelled = true;
        {
          TaskRunner runner(sched_, batch_bytes, selected, request.deterministic_cq_id, sink, cancelled,
                            request.has_state_backend ? &request.state : nullptr, jobs);
          runner.Run(*t.node, t.client);
        }
        lock.lock();
        --running;
        jobs.cv.notify_all();
        continue;
      }
      if (running == 0 && !jobs.HasJobsLocked()) return;
      jobs.cv.wait(lock);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& th : threads) th.join();
  return Status::OK();
}

}  // namespace ferry::sdk
