// Ferry's use of librdkafka (Debian's librdkafka-dev, the C API): one
// producer per destination (idempotent; transactional with a
// transactional_id), the admin calls Migrate needs, and a read_committed
// reader of whole topics (the state topic, tests).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/destination.h"
#include "ferry/status.h"
#include "plugins/destination/kafka/kafka_spec.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;

namespace ferry::plugins::kafka {

// What became of the messages of one Write (delivery reports).
struct Delivery {
  std::atomic<int64_t> produced{0};
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  // Messages produced with no delivery report yet.
  int64_t waiting() const { return produced.load() - acked.load() - failed.load(); }
  std::mutex mu;
  std::string first_error;   // guarded by mu
  std::string error_topic;   // guarded by mu
};

struct Header {
  const char* name;
  std::string_view value;   // copied by Produce
};

// How long a cancelled sync still waits for the broker, in all: the grace
// every destination gives (ferry/destination.h).
using ferry::kCancelGrace;

class Producer {
 public:
  // Connects (and, with a transactional_id, initialises transactions, which
  // fences an earlier producer with the same id and aborts its open
  // transaction).
  static Result<std::unique_ptr<Producer>> Open(const Spec& spec);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  bool transactional() const { return transactional_; }
  // The sync's cancel flag (DestinationInit::cancel; may be null). Once it is
  // set, waits on the broker (acknowledgements, a full queue, a commit) get
  // kCancelGrace in all: a broker that answers still takes the rows fetched
  // before the cancel; one that does not ends the sync in seconds with
  // Status::Cancelled, not after message_timeout.
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  // Cancelled when the sync was cancelled and an earlier wait ran out of its
  // grace (the brokers stopped answering): later writes are not sent.
  Status CheckNotAbandoned() const;

  // The topics the cluster has (metadata request).
  Result<std::set<std::string>> Topics();
  // Creates `names`; topics that already exist are fine.
  Status CreateTopics(const std::vector<std::string>& names, int partitions, int replication_factor,
                      const std::map<std::string, std::string>& config);

  Status Begin();
  // The handle of `topic`, to produce many messages into (owned by the
  // producer, valid while it lives).
  Result<rd_kafka_topic_s*> Topic(const std::string& topic);
  // Queues one message (librdkafka copies key, value and headers); the
  // delivery report lands in `d`.
  Status Produce(rd_kafka_topic_s* topic, const std::string* key, std::string_view value,
                 const std::vector<Header>& headers, Delivery* d);
  Status Produce(const std::string& topic, const std::string* key, std::string_view value,
                 const std::vector<Header>& headers, Delivery* d);
  // Waits until every message produced into `d` is acknowledged or failed;
  // an error when any failed, or when the sync was cancelled first.
  Status Flush(Delivery* d);
  // Commits the open transaction (flushing it first). Transient when the
  // transaction was aborted (nothing of it is visible to read_committed
  // consumers: the engine may retry the Write); permanent when the producer
  // is fenced or failed fatally.
  Status Commit(Delivery* d);
  // Aborts the open transaction, if any (after a failure inside a Write).
  void Abort();

  // librdkafka's recent error-level log lines (why a broker is unreachable).
  std::string RecentErrors() const;

 private:
  Producer() = default;
  Status FatalError() const;
  // `deadline`, or earlier once the sync is cancelled: kCancelGrace after the
  // first wait that saw the cancel.
  std::chrono::steady_clock::time_point WaitUntil(std::chrono::steady_clock::time_point deadline);
  // True when the sync was cancelled and its grace is over.
  // Serves delivery reports (sending what lingers) until none of `d`'s is
  // missing or WaitUntil(deadline) passes; true when none is missing.
  bool AwaitDeliveries(Delivery* d, std::chrono::steady_clock::time_point deadline);
  bool GraceOver() const { return cancel_seen_ && std::chrono::steady_clock::now() >= grace_end_; }
  // Status::Cancelled saying how many of `d`'s messages were not acknowledged
  // (`queue_full`: and that the rest of the write was not queued).
  Status CancelledWhileWaiting(const Delivery& d, bool queue_full = false) const;

  Spec spec_;
  rd_kafka_s* rk_ = nullptr;
  bool transactional_ = false;
  bool in_txn_ = false;
  uint64_t produced_ = 0;   // messages since Open (delivery reports are served every 1024)
  int64_t timeout_ms_ = 300000;
  const std::atomic<bool>* cancel_ = nullptr;
  bool cancel_seen_ = false;
  std::chrono::steady_clock::time_point grace_end_;
  std::map<std::string, rd_kafka_topic_s*> topics_;
  std::shared_ptr<struct LogSink> log_;
};

struct ConsumedMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  bool has_key = false;
  std::string key;
  bool has_value = false;   // false: a tombstone
  std::string value;
  std::map<std::string, std::string> headers;
};

// Every committed message of `topic`, from the beginning to the end as of
// the call (isolation.level=read_committed: aborted transactions are
// skipped), in offset order per partition. NotFound when there is no such
// topic.
Result<std::vector<ConsumedMessage>> ReadTopic(const Spec& spec, const std::string& topic, int64_t timeout_ms);

// librdkafka's configuration for `spec` (brokers, security, client id),
// shared by the producer and readers. For tests that build their own
// clients.
std::map<std::string, std::string> ClientConfig(const Spec& spec);

}  // namespace ferry::plugins::kafka
