#include "plugins/destination/null/null_destination.h"

#include <map>
#include <mutex>

#include "plugins/common/delete_record.h"

namespace ferry::plugins::null {

namespace {

// Keeps nothing but holds the calls to the destination contract (a table is
// migrated before it is written, no call after Close), so a benchmark or dry
// run through `null` fails where a real destination would. The check is one
// set lookup per call.
class Destination : public ferry::Destination {
 public:
  Status Init(const Options&, const DestinationInit& init) override {
    name_ = init.name;
    return Status::OK();
  }
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions&) override {
    std::lock_guard<std::mutex> l(mu_);
    FERRY_RETURN_NOT_OK(CheckOpen());
    for (const auto& t : tables) migrated_[t->name] = t;
    return Status::OK();
  }
  Status Write(const WriteRequest& req) override {
    std::lock_guard<std::mutex> l(mu_);
    FERRY_RETURN_NOT_OK(CheckTable(req.table->name));
    for (const auto& b : req.batches) {
      rows_ += b->num_rows();
      bytes_ += b->ByteSize();
    }
    return Status::OK();
  }
  Status DeleteStale(const DeleteStaleRequest& req) override {
    std::lock_guard<std::mutex> l(mu_);
    return CheckTable(req.table->name);
  }
  Status DeleteRecord(const ferry::DeleteRecord& req) override {
    std::lock_guard<std::mutex> l(mu_);
    FERRY_RETURN_NOT_OK(CheckTable(req.table_name));
    // Columns and value types checked as an SQL destination checks them.
    DeleteSql sql;
    sql.quote_column = [](const std::string& c) { return c; };
    sql.placeholder = [](size_t) { return std::string("?"); };
    return BuildDeleteWhere(*migrated_.at(req.table_name), req, sql, "table " + req.table_name + ": delete record")
        .status();
  }
  Status Close() override {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    return Status::OK();
  }

 private:
  Status CheckOpen() const {
    if (closed_) return Status::Invalid("destination \"" + name_ + "\" is closed");
    return Status::OK();
  }
  Status CheckTable(const std::string& table) const {
    FERRY_RETURN_NOT_OK(CheckOpen());
    if (!migrated_.count(table))
      return Status::NotFound("table " + table + " was not migrated by destination \"" + name_ + "\"");
    return Status::OK();
  }

  std::mutex mu_;
  std::string name_;
  std::map<std::string, TableSchemaPtr> migrated_;
  bool closed_ = false;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace

DestinationPlugin NullPlugin() {
  DestinationPlugin p;
  p.name = "null";
  p.description = "Discards every row (engine benchmarks, dry runs)";
  p.batching = {.rows = 10000, .bytes = 10485760, .timeout = "20s", .unit = "passed on and discarded"};
  p.capabilities.write_modes = {WriteMode::kAppend, WriteMode::kOverwrite, WriteMode::kOverwriteDeleteStale};
  p.capabilities.forced_migration = true;
  p.capabilities.delete_record = true;
  // Stores nothing, so any type.
  p.capabilities.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval,
                                   TypeFamily::kDecimal};
  p.create = [] { return std::make_unique<Destination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(NullPlugin()); }

}  // namespace ferry::plugins::null
