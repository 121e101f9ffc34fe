// The `test` source: CloudQuery's test plugin (same options, tables and rows)
// plus Ferry's benchmark table and error-injection options. See README.md.
//
// Source declares the tables on sdk::TableSource, which resolves them
// concurrently. TestSourcePlugin() is the registry entry; the instances it
// creates also send CloudQuery's delete_records message once the sync of the
// tables is over (a TableSource cannot add messages after its own Sync).
//
// Thread-safety: Init is called once, before Tables() and Sync(); after Init
// the spec is immutable and shared read-only by the resolver threads.
#pragma once

#include <optional>

#include "ferry/message.h"
#include "ferry/registry.h"
#include "ferry/sdk/table_source.h"
#include "plugins/source/test/test_spec.h"

namespace ferry::plugins::test {

class Source : public sdk::TableSource {
 public:
  // Declares the tables with the default spec, so Tables() works before Init.
  Source();

  // Reads the spec (ParseSpec), checks required_env unless init.no_connection
  // (CloudQuery skips all checks then too), and declares the tables with
  // num_sub_cols extra columns and the scheduler with `concurrency` threads.
  Status Init(const Options& options, const SourceInit& init) override;

  const Spec& spec() const { return *spec_; }

  // CloudQuery's delete message for delete_records: table test_some_table, one
  // OR group of `resource_id == v` predicates. nullopt when the list is empty.
  std::optional<DeleteRecord> DeleteRecordsMessage() const;

 private:
  void Declare();

  std::shared_ptr<const Spec> spec_;
};

// Registry entry: name "test", the option table, and a factory whose sources
// emit DeleteRecordsMessage() after Sync when test_some_table was selected and
// the sync was not cancelled.
SourcePlugin TestSourcePlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::test
