// The scheduler behind sdk::TableSource.
//
// Every selected top-level table is multiplexed over its clients; each
// (table, client) pair is one task on a fixed pool of `concurrency` threads.
// A task owns one BatchBuilder per table of its subtree, resolves the table,
// and for every row resolves the selected child tables depth-first with that
// row as parent. Batches flush by rows and bytes into the SyncSink (which
// applies back-pressure); TableDone is reported per (table, client) with the
// first error seen, and a failing task never stops the others.
#include "ferry/sdk/table_source.h"

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

  TaskRunner(const TableSourceOptions& opts, const std::set<std::string>& selected, bool deterministic,
             SyncSink& sink, std::atomic<bool>& cancelled, const StateSnapshot* state)
      : opts_(opts), selected_(selected), deterministic_(deterministic), sink_(sink), cancelled_(cancelled),
        state_(state) {}

  void Run(Node& root, const Client& client) {
    client_id_ = &client.id;
    Resolve(root, client, nullptr, nullptr, "");
    // Flush and report every table of the subtree that was selected.
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
    Writer(TaskRunner& r, Node& n, State& st, const Client& client, const std::string& parent_id)
        : r_(r), n_(n), st_(st), client_(client), parent_id_(parent_id) {}

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
      BatchBuilder& b = *st_.builder;
      b.column(0).AppendBytes(id);
      if (parent_id_.empty()) b.column(1).AppendNull();
      else b.column(1).AppendBytes(parent_id_);
      for (size_t i = 0; i < row.size(); ++i) b.column(i + 2).AppendChecked(row[i]);
      FERRY_RETURN_NOT_OK(RowDone());
      // Relations of this row, depth-first.
      for (auto& child : n_.children)
        r_.Resolve(*child, client_, &row, n_.own.get(), id);
      return Status::OK();
    }

    ArrayBuilder& Column(size_t own_index) override { return st_.builder->column(own_index + 2); }

    Status EndRow() override {
      if (r_.cancelled_.load(std::memory_order_relaxed) || r_.sink_.Cancelled())
        return Status::Cancelled("sync cancelled");
      BatchBuilder& b = *st_.builder;
      std::string id = ComputeId([&](int i) { return b.column(i + 2).PeekLast(); });
      b.column(0).AppendBytes(id);
      if (parent_id_.empty()) b.column(1).AppendNull();
      else b.column(1).AppendBytes(parent_id_);
      return RowDone();
    }

    Status Checkpoint(const std::string& value) override {
      // Flush this table and its relations so the rows precede the checkpoint.
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
          ((b.num_rows() & 127) == 0 && b.ByteSize() >= r_.opts_.batch_bytes))
        return r_.Flush(st_);
      return Status::OK();
    }
    void RecordError(const Status& s) {
      if (st_.status.ok()) st_.status = s;
    }

    TaskRunner& r_;
    Node& n_;
    State& st_;
    const Client& client_;
    const std::string& parent_id_;
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

  void Resolve(Node& n, const Client& client, const Row* parent, const TableSchema* parent_schema,
               const std::string& parent_id) {
    if (!selected_.count(n.def.schema.name)) return;
    State& st = StateFor(n);
    if (n.depth >= kMaxDepth) {
      if (st.status.ok()) st.status = Status::Invalid("table " + n.def.schema.name + ": max depth exceeded");
      return;
    }
    if (!n.def.resolve) {
      if (st.status.ok()) st.status = Status::Internal("table " + n.def.schema.name + " has no resolver");
      return;
    }
    ResolveContext ctx{client, parent, parent_schema, sink_, cancelled_, state_, &st.figures};
    Writer w(*this, n, st, client, parent_id);
    Status s;
    try {
      s = n.def.resolve(ctx, w);
    } catch (const std::exception& e) {
      s = Status::Internal("table " + n.def.schema.name + ": resolver threw: " + e.what());
    } catch (...) {
      s = Status::Internal("table " + n.def.schema.name + ": resolver threw (not a std::exception)");
    }
    if (!s.ok() && st.status.ok()) st.status = s;
  }

  const TableSourceOptions& opts_;
  const std::set<std::string>& selected_;
  bool deterministic_;
  SyncSink& sink_;
  std::atomic<bool>& cancelled_;
  const StateSnapshot* state_;
  const std::string* client_id_ = nullptr;
  std::map<Node*, State> states_;
};

std::string TaskRunner::Writer::uuid_random() { return uuid::NewV4(); }

Status TableSource::Sync(const SyncRequest& request, SyncSink& sink) {
  std::set<std::string> selected(request.tables.begin(), request.tables.end());
  struct Task {
    Node* node;
    Client client;
  };
  std::deque<Task> tasks;
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

  std::mutex mu;
  std::atomic<bool> cancelled{false};
  auto worker = [&]() {
    for (;;) {
      Task t;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (tasks.empty()) return;
        t = std::move(tasks.front());
        tasks.pop_front();
      }
      if (sink.Cancelled()) cancelled = true;
      TaskRunner runner(sched_, selected, request.deterministic_cq_id, sink, cancelled,
                        request.has_state_backend ? &request.state : nullptr);
      runner.Run(*t.node, t.client);
    }
  };
  int n = std::max(1, std::min<int>(sched_.concurrency, static_cast<int>(tasks.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& th : threads) th.join();
  return Status::OK();
}

}  // namespace ferry::sdk
