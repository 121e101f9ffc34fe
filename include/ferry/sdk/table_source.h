// TableSource: the base for built-in sources that declare tables with
// resolvers, the way CloudQuery's SDK does.
//
// A source declares TableDefs (schema of its own columns, a resolver, an
// optional multiplexer that fans a table out over clients, child relations).
// TableSource adds _cq_id / _cq_parent_id, runs every selected (table, client)
// as a task on a pool of `concurrency` threads, resolves relations per parent
// row (as jobs on the same threads, several parents at once, at most
// kMaxDepth levels), builds batches that flush by rows and bytes, and reports
// TableDone per (table, client). A failing task records its error and the
// rest of the sync goes on.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/builder.h"
#include "ferry/source.h"

namespace ferry::sdk {

inline constexpr int kMaxDepth = 4;
// With relations selected, the pool has up to this many threads per task
// beyond the task's own (still at most `concurrency` in all), so one task's
// child tables resolve for several parent rows at once.
inline constexpr int kRelationJobsPerTask = 8;

// A client: one account/region/file/... a table is multiplexed over.
struct Client {
  std::string id;
  std::shared_ptr<const void> data;  // source-specific, may be null
};

struct ResolveContext {
  const Client& client;
  // Parent row (own columns of the parent table, in order) for relations.
  const Row* parent = nullptr;
  const TableSchema* parent_schema = nullptr;   // parent's own-column schema
  SyncSink& sink;
  std::atomic<bool>& cancelled;
  const StateSnapshot* state = nullptr;
  // This (table, client)'s API call counters: pass it as
  // http::Request::figures and the summary shows the calls per table.
  ApiCallFigures* figures = nullptr;

  // Value of a parent column by name; null Value when absent.
  const Value& ParentValue(const std::string& column) const;
  void Warning(const std::string& table, const std::string& message) const {
    sink.Warning(table, message);
  }
  // The committed cursor of (table, this client), or "" when there is none.
  std::string Cursor(const std::string& table) const;
  // The state key of (table, client): "<table>" or "<table>:<client id>".
  static std::string CursorKey(const std::string& table, const std::string& client_id);
};

// Receives the rows of one (table, client) task.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  // Appends a row of the table's own columns; its child relations are resolved
  // (on other threads, or on this one when the pool is busy) before the
  // task ends. Resolutions of a child table for different parent rows may run
  // at once: a resolver must not share unguarded state between its calls.
  virtual Status Write(Row row) = 0;
  // Fast path for tables without relations: append to own column i, then EndRow().
  virtual ArrayBuilder& Column(size_t own_index) = 0;
  virtual Status EndRow() = 0;
  // Declares that every row written so far (this table and its relations) is
  // covered by cursor `value`: flushes them into the pipeline, then emits the
  // checkpoint, which the engine commits only after those rows are written.
  virtual Status Checkpoint(const std::string& value) = 0;
};

using Resolver = std::function<Status(const ResolveContext&, RowWriter&)>;
using Multiplexer = std::function<std::vector<Client>()>;

struct TableDef {
  TableSchema schema;                 // own columns only; name, description, flags
  Resolver resolve;
  Multiplexer multiplex;              // null: one client with id ""/the source name
  std::vector<TableDef> relations;
  // The relations of each row resolve on the writing thread before Write
  // returns, in row order, instead of as jobs on other threads: for a
  // resolver that shares per-client state with its relations, or reports
  // what they found when it returns.
  bool relations_inline = false;
  // Relative cost of one (table, client) pair of this top-level table, for
  // splitting a sharded sync evenly (ferry/shard.h); 1 unless known heavier.
  double shard_weight = 1;
};

struct TableSourceOptions {
  int concurrency = 8;                // worker threads for (table, client) tasks
  int64_t batch_rows = 10000;         // source-side batch flush thresholds
  int64_t batch_bytes = 4 << 20;      // (at most: BuilderBytes)
};

// The bytes a (table, client) builder holds before it is flushed to the
// sink. Builders are outside the sync's memory budget (the sink takes bytes
// from it when a batch arrives), so all of them together are kept to half the
// budget: each flushes at budget / 2 / threads, at least kMinBuilderBytes,
// at most batch_bytes. An unknown budget (0) leaves batch_bytes.
inline constexpr int64_t kMinBuilderBytes = 256 << 10;
int64_t BuilderBytes(int64_t batch_bytes, int64_t memory_budget_bytes, int threads);

class TableSource : public Source {
 public:
  std::vector<TableSchemaPtr> Tables() const final;
  Status Sync(const SyncRequest& request, SyncSink& sink) final;

 protected:
  // Derived classes set their tables in Init (or the constructor).
  void SetTables(std::vector<TableDef> tables);
  void SetSchedulerOptions(TableSourceOptions o) { sched_ = o; }
  const std::string& source_name() const { return source_name_; }
  void set_source_name(std::string n) { source_name_ = std::move(n); }

 private:
  struct Node;
  std::vector<std::shared_ptr<Node>> roots_;
  std::vector<std::shared_ptr<Node>> flat_;
  TableSourceOptions sched_;
  std::string source_name_;
  friend class TaskRunner;
};

}  // namespace ferry::sdk
