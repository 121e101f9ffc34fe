// Test helper (header only, used by source unit tests): a SyncSink that
// records everything a source emits, plus a Sync runner and cell readers.
// Thread-safe like the real sink; `cancelled` may be set before a sync.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/builder.h"
#include "ferry/message.h"
#include "ferry/registry.h"
#include "ferry/source.h"

namespace ferry::plugins::test::testing {

struct Done {
  std::string table, client;
  Status status;
  int64_t rows;
};

class FakeSink : public SyncSink {
 public:
  Status Insert(BatchPtr batch) override {
    std::lock_guard<std::mutex> l(mu_);
    events.push_back("insert:" + batch->schema()->name);
    batches.push_back(std::move(batch));
    return Status::OK();
  }
  Status DeleteRecord(ferry::DeleteRecord msg) override {
    std::lock_guard<std::mutex> l(mu_);
    events.push_back("delete:" + msg.table_name);
    deletes.push_back(std::move(msg));
    return Status::OK();
  }
  void TableDone(const std::string& table, const std::string& client, const Status& status, int64_t rows) override {
    std::lock_guard<std::mutex> l(mu_);
    events.push_back("done:" + table);
    done.push_back(Done{table, client, status, rows});
  }
  void TableFigures(const std::string& table, const ApiCallFigures& f) override {
    std::lock_guard<std::mutex> l(mu_);
    figures[table] += f;
  }
  void Warning(const std::string& table, const std::string& message) override {
    std::lock_guard<std::mutex> l(mu_);
    warnings.push_back(table + ": " + message);
  }
  // Checkpoints as the engine's sink takes them: key -> value, the last one wins.
  Status Checkpoint(const std::string&, const std::string&, StateEntry e) override {
    std::lock_guard<std::mutex> l(mu_);
    cursors[e.key] = e.value;
    return Status::OK();
  }
  bool Cancelled() const override { return cancelled.load(); }

  // Rows of `table` over all batches.
  int64_t Rows(const std::string& table) const {
    int64_t n = 0;
    for (const auto& b : batches)
      if (b->schema()->name == table) n += b->num_rows();
    return n;
  }
  // Every row of `table` as name -> Value maps (all columns, meta included).
  std::vector<std::map<std::string, Value>> Table(const std::string& table) const {
    std::vector<std::map<std::string, Value>> out;
    for (const auto& b : batches) {
      if (b->schema()->name != table) continue;
      for (int64_t r = 0; r < b->num_rows(); ++r) {
        std::map<std::string, Value> row;
        for (size_t c = 0; c < b->columns().size(); ++c)
          row[b->schema()->columns[c].name] = GetValue(*b->column(c), r);
        out.push_back(std::move(row));
      }
    }
    return out;
  }
  std::vector<Done> DoneFor(const std::string& table) const {
    std::vector<Done> out;
    for (const auto& d : done)
      if (d.table == table) out.push_back(d);
    return out;
  }

  std::atomic<bool> cancelled{false};
  std::map<std::string, ApiCallFigures> figures;   // per table, summed over clients
  std::vector<BatchPtr> batches;
  std::vector<ferry::DeleteRecord> deletes;
  std::vector<Done> done;
  std::vector<std::string> warnings;
  std::vector<std::string> events;  // "insert:t", "delete:t", "done:t" in arrival order
  std::map<std::string, std::string> cursors;  // Checkpoint: key -> value

 private:
  mutable std::mutex mu_;
};

// Validates `spec` against the plugin's option table (as the engine does),
// creates and initialises a source. Check the Status before using it.
inline Result<std::unique_ptr<ferry::Source>> MakeSource(const SourcePlugin& plugin, const nlohmann::json& spec,
                                                  bool no_connection = false) {
  FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(plugin.options, spec, "source \"test\"", nullptr));
  std::unique_ptr<ferry::Source> src = plugin.create();
  SourceInit init;
  init.name = "test";
  init.no_connection = no_connection;
  FERRY_RETURN_NOT_OK(src->Init(opts, init));
  return src;
}

// Syncs `tables` (all of the source's tables when empty).
inline Status SyncAll(ferry::Source& src, FakeSink& sink, std::vector<std::string> tables = {},
                      bool deterministic = false) {
  SyncRequest req;
  if (tables.empty())
    for (const auto& t : src.Tables()) tables.push_back(t->name);
  req.tables = std::move(tables);
  req.deterministic_cq_id = deterministic;
  req.sync_time = SyncClock::now();
  return src.Sync(req, sink);
}

}  // namespace ferry::plugins::test::testing
