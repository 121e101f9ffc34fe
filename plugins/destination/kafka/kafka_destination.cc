#include "plugins/destination/kafka/kafka_destination.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ferry/redact.h"
#include "ferry/text_codec.h"
#include "plugins/common/schema_diff.h"

namespace ferry::plugins::kafka {
namespace {

// Kafka's rule for topic names (kafka.common.internals.Topic).
Status CheckTopicName(const std::string& topic, const std::string& table) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..")
    return Status::Invalid("table " + table + ": \"" + topic + "\" cannot be a Kafka topic name (1 to 249 characters, not . or ..)");
  for (char c : topic)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return Status::Invalid("table " + table + ": topic name \"" + topic +
                             "\" has a character Kafka does not allow (only letters, digits, '.', '_' and '-')");
  return Status::OK();
}

// A cell of a meta column as header text; `buf` holds a formatted
// timestamp (at least kMaxTimeText bytes).
std::string_view MetaText(const ArrayData& a, int64_t row, char* buf) {
  if (a.IsNull(row)) return {};
  if (a.type->id == TypeId::kTimestamp)
    return {buf, FormatTimestamp(a.Value<int64_t>(row), buf, TimestampStyle::kRfc3339Nano)};
  return a.StringValue(row);
}

}  // namespace

std::string TopicName(const Spec& spec, const std::string& table) { return spec.topic_prefix + table; }

bool IsStateTable(const TableSchema& t) {
  if (t.FindColumn(meta::kSyncTime) >= 0 || t.FindColumn("key") < 0 || t.FindColumn("value") < 0) return false;
  for (const Column& c : t.columns)
    if (c.name != "key" && c.name != "value" && c.name != "version") return false;
  return true;
}

std::string StateMessage(const StateEntry& e) {
  nlohmann::json j = {{"key", e.key}, {"value", e.value}, {"version", e.version}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<StateEntry> ParseStateMessage(std::string_view value) {
  auto j = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string() || !j.contains("value") ||
      !j["value"].is_string())
    return Status::Invalid("not a cursor message: " + std::string(value.substr(0, 80)));
  StateEntry e;
  e.key = j["key"].get<std::string>();
  e.value = j["value"].get<std::string>();
  if (j.contains("version") && j["version"].is_number_unsigned()) e.version = j["version"].get<uint64_t>();
  return e;
}

Status KafkaDestination::Init(const Options& options, const DestinationInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  name_ = init.name;
  if (!spec_.sasl_password.empty()) RegisterSecret(spec_.sasl_password);
  FERRY_ASSIGN_OR_RETURN(producer_, Producer::Open(spec_));
  producer_->set_cancel(init.cancel);
  // Reach the cluster now: a wrong address or password is reported before
  // any table is planned.
  FERRY_ASSIGN_OR_RETURN(auto topics, producer_->Topics());
  (void)topics;
  return Status::OK();
}

Status KafkaDestination::CheckOpen() const {
  if (closed_ || !producer_) return Status::Invalid("destination \"" + name_ + "\" is closed");
  return Status::OK();
}

// Topics carry no schema: each message holds its own columns, so every
// schema change is safe for Kafka (consumers see the new layout from the
// next message on) and there is nothing to drop or recreate.
Status KafkaDestination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions&) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  for (const auto& t : tables) FERRY_RETURN_NOT_OK(CheckTopicName(TopicName(spec_, t->name), t->name));
  FERRY_ASSIGN_OR_RETURN(std::set<std::string> existing, producer_->Topics());
  std::vector<std::string> data_topics, state_topics, missing;
  for (const auto& t : tables) {
    const std::string topic = TopicName(spec_, t->name);
    if (existing.count(topic)) continue;
    missing.push_back(topic);
    (IsStateTable(*t) ? state_topics : data_topics).push_back(topic);
  }
  if (!missing.empty() && !spec_.create_topics) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Status::Invalid("destination \"" + name_ + "\": topic" + (missing.size() > 1 ? "s " : " ") + list +
                           (missing.size() > 1 ? " do" : " does") +
                           " not exist and create_topics is false; create them (one per table) or set "
                           "create_topics: true");
  }
  FERRY_RETURN_NOT_OK(producer_->CreateTopics(data_topics, static_cast<int>(spec_.num_partitions),
                                              static_cast<int>(spec_.replication_factor), {}));
  // Cursors: the latest message per key is the cursor, so compaction keeps
  // exactly what ReadState needs. One partition keeps a key's history in
  // order whatever the partitioner.
  FERRY_RETURN_NOT_OK(producer_->CreateTopics(state_topics, 1, static_cast<int>(spec_.replication_factor),
                                              {{"cleanup.policy", "compact"}}));
  for (const auto& t : tables) {
    Table entry;
    entry.schema = t;
    auto keys = t->PrimaryKeys();
    if (keys.empty()) keys = t->source_primary_key;
    entry.codec = std::make_unique<MessageCodec>(spec_, *t, keys);
    entry.source_name_col = t->FindColumn(meta::kSourceName);
    entry.sync_time_col = t->FindColumn(meta::kSyncTime);
    entry.group_col = t->FindColumn(meta::kSyncGroupId);
    tables_[t->name] = std::move(entry);
  }
  return Status::OK();
}

Status KafkaDestination::ProduceRows(const Table& t, const WriteRequest& request, Delivery* d) {
  FERRY_ASSIGN_OR_RETURN(rd_kafka_topic_s * topic, producer_->Topic(TopicName(spec_, t.schema->name)));
  std::string value, key;
  std::vector<Header> headers;
  // The sync time is the same on every row of a sync: formatted once.
  int64_t time_us = 0;
  size_t time_len = 0;
  char time_buf[kMaxTimeText], source_buf[kMaxTimeText], meta_buf[kMaxTimeText], group_buf[kMaxTimeText];
  for (const BatchPtr& batch : request.batches) {
    const ArrayData* source = t.source_name_col >= 0 ? batch->column(t.source_name_col).get() : nullptr;
    const ArrayData* sync_time = t.sync_time_col >= 0 ? batch->column(t.sync_time_col).get() : nullptr;
    const ArrayData* group = t.group_col >= 0 ? batch->column(t.group_col).get() : nullptr;
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      FERRY_RETURN_NOT_OK(t.codec->Value(*batch, r, &value));
      if (t.codec->keyed()) t.codec->Key(*batch, r, &key);
      headers.clear();
      if (spec_.headers) {
        headers.push_back({"cq_table", t.schema->name});
        if (source) headers.push_back({"cq_source_name", MetaText(*source, r, source_buf)});
        if (sync_time && sync_time->type->id != TypeId::kTimestamp) {
          headers.push_back({"cq_sync_time", MetaText(*sync_time, r, meta_buf)});
        } else if (sync_time) {
          std::string_view text;
          if (!sync_time->IsNull(r)) {
            const int64_t us = sync_time->Value<int64_t>(r);
            if (time_len == 0 || us != time_us) {
              time_us = us;
              time_len = FormatTimestamp(us, time_buf, TimestampStyle::kRfc3339Nano);
            }
            text = {time_buf, time_len};
          }
          headers.push_back({"cq_sync_time", text});
        }
        if (group) headers.push_back({"cq_sync_group_id", MetaText(*group, r, group_buf)});
      }
      FERRY_RETURN_NOT_OK(producer_->Produce(topic, t.codec->keyed() ? &key : nullptr, value, headers, d));
    }
  }
  return Status::OK();
}

Status KafkaDestination::ProduceState(const WriteRequest& request, Delivery* d) {
  if (request.state.empty()) return Status::OK();
  const std::string topic = TopicName(spec_, request.state_table->name);
  for (const StateEntry& e : request.state)
    FERRY_RETURN_NOT_OK(producer_->Produce(topic, &e.key, StateMessage(e), {}, d));
  return Status::OK();
}

Status KafkaDestination::WriteOnce(const WriteRequest& request) {
  const Table* t = nullptr;
  if (!request.batches.empty()) t = &tables_.at(request.table->name);
  auto d = std::make_unique<Delivery>();
  Status st = producer_->CheckNotAbandoned();
  if (!st.ok()) {
    // Not sent: the brokers stopped answering a cancelled sync.
  } else if (producer_->transactional()) {
    // Rows and cursors in one transaction: all visible, or none.
    st = producer_->Begin();
    if (st.ok() && t) st = ProduceRows(*t, request, d.get());
    if (st.ok()) st = ProduceState(request, d.get());
    if (st.ok()) st = producer_->Commit(d.get());
    else producer_->Abort();
  } else {
    // Rows first, then their cursors once every row is acknowledged: a
    // cursor never gets ahead of its rows (at-least-once across a crash).
    if (t) st = ProduceRows(*t, request, d.get());
    Status flushed = producer_->Flush(d.get());
    if (st.ok()) st = flushed;
    if (st.ok() && !request.state.empty()) {
      st = ProduceState(request, d.get());
      flushed = producer_->Flush(d.get());
      if (st.ok()) st = flushed;
    }
  }
  // librdkafka may still hold pointers to `d` (a timed-out flush): keep it.
  if (d->waiting() > 0) orphans_.push_back(std::move(d));
  if (!st.ok() && t) return st.WithContext("table " + t->schema->name + " (topic " + TopicName(spec_, t->schema->name) + ")");
  return st;
}

Status KafkaDestination::Write(const WriteRequest& request) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  if (!request.batches.empty()) {
    auto it = tables_.find(request.table->name);
    if (it == tables_.end())
      return Status::NotFound("table " + request.table->name + " was not migrated by destination \"" + name_ + "\"");
    const TableSchema& table = *it->second.schema;
    // Check every batch before the first message leaves: a request is
    // written whole or not at all.
    for (const BatchPtr& batch : request.batches) {
      FERRY_RETURN_NOT_OK(CheckBatchMatchesTable(table, *batch));
      for (size_t i = 0; i < table.columns.size(); ++i) {
        const Column& c = table.columns[i];
        if (!(c.not_null || c.primary_key)) continue;
        const ArrayData& a = *batch->column(i);
        for (int64_t r = 0; r < batch->num_rows(); ++r)
          if (a.IsNull(r))
            return Status::Invalid("table " + table.name + ": column " + c.name + " is NOT NULL, and row " +
                                   std::to_string(r) + " of a batch has null there; nothing of this batch was sent");
      }
    }
  }
  if (!request.state.empty() && !request.state_table) return Status::Invalid("cursors without a state table");
  return WriteOnce(request);
}

Status KafkaDestination::DeleteStale(const DeleteStaleRequest& request) {
  return Status::Unsupported("destination \"" + name_ + "\": Kafka topics are append-only; delete-stale of table " +
                             request.table->name + " is not supported (use write_mode: append)");
}

Status KafkaDestination::DeleteRecord(const ferry::DeleteRecord& request) {
  return Status::Unsupported("destination \"" + name_ + "\": Kafka topics are append-only; delete-record on table " +
                             request.table_name + " is not supported");
}

Result<std::vector<StateEntry>> KafkaDestination::ReadState(const TableSchemaPtr& state_table) {
  FERRY_RETURN_NOT_OK(CheckOpen());
  const std::string topic = TopicName(spec_, state_table->name);
  auto messages = ReadTopic(spec_, topic, 60000);
  if (!messages.ok() && messages.status().code() == StatusCode::kNotFound) return std::vector<StateEntry>{};
  FERRY_RETURN_NOT_OK(messages.status());
  std::map<std::string, StateEntry> latest;
  for (const ConsumedMessage& m : *messages) {
    if (!m.has_key) continue;
    if (!m.has_value) {   // a tombstone deletes the cursor
      latest.erase(m.key);
      continue;
    }
    auto e = ParseStateMessage(m.value);
    if (!e.ok())
      return Status::Invalid("state topic " + topic + ", partition " + std::to_string(m.partition) + " offset " +
                             std::to_string(m.offset) + ": " + e.status().message());
    latest[m.key] = std::move(*e);
  }
  std::vector<StateEntry> out;
  for (auto& [_, e] : latest) out.push_back(std::move(e));
  return out;
}

Status KafkaDestination::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  producer_.reset();   // flushes what is queued (nothing: every Write waited for its messages)
  orphans_.clear();
  return Status::OK();
}

DestinationPlugin KafkaPlugin() {
  DestinationPlugin p;
  p.name = "kafka";
  p.description = "Apache Kafka: a topic per table, a message per row (JSON or CSV, keyed by the primary key); "
                  "idempotent producer, optional transactions, exactly-once cursors as a state backend";
  p.options = SpecOptions();
  p.check = [](const Options& o) { return ParseSpec(o).status(); };
  p.batching = {.rows = 100000, .bytes = 32 << 20, .timeout = "5s", .unit = "sent"};
  p.capabilities.write_modes = {WriteMode::kAppend};
  p.capabilities.forced_migration = false;
  p.capabilities.delete_record = false;
  p.capabilities.state_backend = true;
  // As CloudQuery's messages: arrow-go's JSON values and ValueStr text (message_codec.h).
  p.capabilities.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval,
                                  TypeFamily::kDecimal};
  p.capabilities.state_backend_note = "same transaction as the rows with `transactional_id`; else right after them";
  p.create = [] { return std::make_unique<KafkaDestination>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddDestination(KafkaPlugin()); }

}  // namespace ferry::plugins::kafka
