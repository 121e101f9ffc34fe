// `kafka` destination: one topic per table, one message per row
// (message_codec.h), delivered by an idempotent librdkafka producer; with a
// transactional_id every Write is one Kafka transaction, and as a state
// backend the cursors of a Write ride in the same transaction (a compacted
// state topic), so read_committed consumers see each row exactly once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/destination/kafka/kafka_client.h"
#include "plugins/destination/kafka/kafka_spec.h"
#include "plugins/destination/kafka/message_codec.h"

namespace ferry::plugins::kafka {

class KafkaDestination final : public ferry::Destination {
 public:
  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;
  Result<std::vector<StateEntry>> ReadState(const TableSchemaPtr& state_table) override;

 private:
  struct Table {
    TableSchemaPtr schema;
    std::unique_ptr<MessageCodec> codec;
    int source_name_col = -1, sync_time_col = -1, group_col = -1;
  };
  Status CheckOpen() const;
  Status ProduceRows(const Table& t, const WriteRequest& request, Delivery* d);
  Status ProduceState(const WriteRequest& request, Delivery* d);
  Status WriteOnce(const WriteRequest& request);

  Spec spec_;
  std::string name_;
  bool closed_ = false;
  std::unique_ptr<Producer> producer_;
  std::map<std::string, Table> tables_;
  // Delivery counters librdkafka may still report into (a Write that gave
  // up waiting); kept until Close.
  std::vector<std::unique_ptr<Delivery>> orphans_;
};

// The topic of `table`.
std::string TopicName(const Spec& spec, const std::string& table);
// True for the layout of StateTableSchema (key, value[, version]; no meta
// columns): such a table is kept in a compacted topic.
bool IsStateTable(const TableSchema& t);
// A cursor as its state-topic message value, and back.
std::string StateMessage(const StateEntry& e);
Result<StateEntry> ParseStateMessage(std::string_view value);

DestinationPlugin KafkaPlugin();
Status Register(Registry& registry);

}  // namespace ferry::plugins::kafka
