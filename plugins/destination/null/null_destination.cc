#include "plugins/destination/null/null_destination.h"

namespace ferry::plugins::null {

namespace {

class Destination : public ferry::Destination {
 public:
  Status Init(const Options&, const DestinationInit&) override { return Status::OK(); }
  Status Migrate(const std::vector<TableSchemaPtr>&, const MigrateOptions&) override { return Status::OK(); }
  Status Write(const WriteRequest& req) override {
    for (const auto& b : req.batches) {
      rows_ += b->num_rows();
      bytes_ += b->ByteSize();
    }
    return Status::OK();
  }
  Status DeleteStale(const DeleteStaleRequest&) override { return Status::OK(); }
  Status DeleteRecord(const ferry::DeleteRecord&) override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
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
  p.create = [] { return std::make_unique<Destination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(NullPlugin()); }

}  // namespace ferry::plugins::null
