#include "plugins/source/test/test_source.h"

#include <algorithm>

#include "plugins/source/test/tables/common.h"
#include "plugins/source/test/tables/incremental_table.h"
#include "plugins/source/test/tables/some_table.h"
#include "plugins/source/test/tables/synthetic_table.h"
#include "plugins/source/test/tables/testdata_table.h"
#include "plugins/source/test/tables/wide_table.h"

namespace ferry::plugins::test {

Source::Source() : spec_(std::make_shared<const Spec>()) { Declare(); }

Status Source::Init(const Options& options, const SourceInit& init) {
  FERRY_ASSIGN_OR_RETURN(Spec spec, ParseSpec(options));
  if (!init.no_connection) FERRY_RETURN_NOT_OK(CheckRequiredEnv(spec));
  spec_ = std::make_shared<const Spec>(std::move(spec));
  set_source_name(init.name);
  sdk::TableSourceOptions sched;
  sched.concurrency = static_cast<int>(std::min<int64_t>(spec_->concurrency, 1 << 16));
  SetSchedulerOptions(sched);
  Declare();
  return Status::OK();
}

void Source::Declare() {
  // CloudQuery's order (test_some_table, test_testdata_table, test_paid_table),
  // then Ferry's tables.
  std::vector<sdk::TableDef> tables;
  tables.push_back(SomeTable(spec_));
  tables.push_back(TestdataTable(spec_));
  tables.push_back(PaidTable(spec_));
  tables.push_back(SyntheticTable(spec_));
  tables.push_back(IncrementalTable(spec_));
  tables.push_back(WideTable(spec_));
  SetTables(std::move(tables));
}

std::optional<DeleteRecord> Source::DeleteRecordsMessage() const {
  if (spec_->delete_records.empty()) return std::nullopt;
  DeletePredicateGroup group;
  group.grouping = DeletePredicateGroup::Grouping::kOr;
  for (int64_t id : spec_->delete_records) group.predicates.push_back(DeletePredicate{"resource_id", Value::Int(id)});
  DeleteRecord msg;
  msg.table_name = kSomeTable;
  msg.where.push_back(std::move(group));
  return msg;
}

namespace {

// What the registry creates: the Source, plus the delete_records message sent
// after its Sync, as CloudQuery's plugin sends it after the scheduler's sync.
class SourceWithDeletes final : public ferry::Source {
 public:
  Status Init(const Options& options, const SourceInit& init) override { return source_.Init(options, init); }
  std::vector<TableSchemaPtr> Tables() const override { return source_.Tables(); }

  Status Sync(const SyncRequest& request, SyncSink& sink) override {
    FERRY_RETURN_NOT_OK(source_.Sync(request, sink));
    // Only when the table was synced: a delete for a table the destination
    // never migrated would fail there. (CloudQuery sends it regardless.)
    const bool selected =
        std::find(request.tables.begin(), request.tables.end(), kSomeTable) != request.tables.end();
    auto msg = source_.DeleteRecordsMessage();
    if (!selected || !msg || sink.Cancelled()) return Status::OK();
    return sink.DeleteRecord(std::move(*msg));
  }

 private:
  test::Source source_;  // qualified: the base class name Source is injected here
};

}  // namespace

SourcePlugin TestSourcePlugin() {
  SourcePlugin p;
  p.name = "test";
  p.description =
      "Generates test data: CloudQuery's test plugin tables (test_some_table, test_sub_table, "
      "test_testdata_table, test_paid_table) and Ferry's high-volume test_synthetic_table and test_wide_table";
  p.options = SpecOptions();
  p.create = []() -> std::unique_ptr<ferry::Source> { return std::make_unique<SourceWithDeletes>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddSource(TestSourcePlugin()); }

}  // namespace ferry::plugins::test
