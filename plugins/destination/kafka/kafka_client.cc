#include "plugins/destination/kafka/kafka_client.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>

#include "ferry/redact.h"

namespace ferry::plugins::kafka {

// librdkafka's log and error callbacks land here: with `verbose` on stderr,
// and the last error-level lines are kept for error messages (the reason a
// broker cannot be reached is only ever logged).
struct LogSink {
  bool verbose = false;
  mutable std::mutex mu;
  std::deque<std::string> recent;   // guarded by mu
  bool auth_failed = false;         // guarded by mu
  bool tls_untrusted = false;       // guarded by mu

  void Add(std::string line, bool keep) {
    if (verbose) std::fprintf(stderr, "kafka: %s\n", Redact(line).c_str());
    if (!keep) return;
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& r : recent)
      if (r == line) return;
    recent.push_back(std::move(line));
    if (recent.size() > 3) recent.pop_front();
  }
  std::string Recent() const {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& r : recent) out += (out.empty() ? "" : "; ") + r;
    return Redact(out);
  }
};

namespace {

using Clock = std::chrono::steady_clock;

void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* sink = static_cast<LogSink*>(rd_kafka_opaque(rk));
  if (!sink) return;
  // Error callbacks wait for rd_kafka_poll; log lines arrive at once, so an
  // authentication failure is recognised here.
  if (std::strstr(buf, "SASL authentication error") || std::strstr(buf, "Authentication failed")) {
    std::lock_guard<std::mutex> lock(sink->mu);
    sink->auth_failed = true;
  }
  if (std::strstr(buf, "certificate verify failed")) {
    std::lock_guard<std::mutex> lock(sink->mu);
    sink->tls_untrusted = true;
  }
  sink->Add(std::string(fac) + ": " + buf, level <= 3);
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* sink = static_cast<LogSink*>(opaque);
  if (!sink) return;
  if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    std::lock_guard<std::mutex> lock(sink->mu);
    sink->auth_failed = true;
  }
  sink->Add(reason, true);
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivery*>(m->_private);
  if (!d) return;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    d->acked.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (d->failed.fetch_add(1) == 0) {
    std::lock_guard<std::mutex> lock(d->mu);
    d->first_error = rd_kafka_err2str(m->err);
    d->error_topic = rd_kafka_topic_name(m->rkt);
  }
}

Status SetAll(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& kv) {
  char err[512];
  for (const auto& [k, v] : kv) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return Status::Invalid("kafka client setting " + k + ": " + err);
  }
  return Status::OK();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

Status Unreachable(const Spec& spec, const LogSink& log, const std::string& what, const char* err) {
  std::string msg = what + ": " + err + " (brokers " + Join(spec.brokers) + ")";
  const std::string recent = log.Recent();
  if (!recent.empty()) msg += ": " + recent;
  bool auth, untrusted;
  {
    std::lock_guard<std::mutex> lock(log.mu);
    auth = log.auth_failed;
    untrusted = log.tls_untrusted;
  }
  if (auth) return Status::Invalid(msg + ". Check sasl_username and sasl_password");
  if (untrusted)
    return Status::Invalid(msg + ". The broker's certificate is not trusted: set tls_details.ca_file_path to the CA "
                                 "that signed it");
  return Status::Transient(msg);
}

}  // namespace

std::map<std::string, std::string> ClientConfig(const Spec& spec) {
  std::map<std::string, std::string> c;
  c["bootstrap.servers"] = Join(spec.brokers);
  c["client.id"] = spec.client_id;
  const bool sasl = !spec.sasl_username.empty();
  c["security.protocol"] = spec.tls() ? (sasl ? "SASL_SSL" : "SSL") : (sasl ? "SASL_PLAINTEXT" : "PLAINTEXT");
  if (sasl) {
    c["sasl.mechanisms"] = "PLAIN";
    c["sasl.username"] = spec.sasl_username;
    c["sasl.password"] = spec.sasl_password;
  }
  if (spec.tls()) {
    if (!spec.tls_ca_file.empty()) c["ssl.ca.location"] = spec.tls_ca_file;
    if (!spec.tls_cert_file.empty()) c["ssl.certificate.location"] = spec.tls_cert_file;
    if (!spec.tls_key_file.empty()) c["ssl.key.location"] = spec.tls_key_file;
    // CloudQuery's default (enforce_tls_verification: false) accepts any
    // certificate; the README says to turn it on.
    c["enable.ssl.certificate.verification"] = spec.enforce_tls_verification ? "true" : "false";
    c["ssl.endpoint.identification.algorithm"] = spec.enforce_tls_verification ? "https" : "none";
  }
  if (spec.verbose) c["debug"] = "broker,topic,msg,eos";
  return c;
}

namespace {

// A librdkafka handle of `type` configured with `kv`; its log and error
// callbacks report to `log` (which must outlive it).
Result<rd_kafka_t*> NewHandle(rd_kafka_type_t type, const std::map<std::string, std::string>& kv, LogSink* log,
                              bool delivery_reports) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status st = SetAll(conf, kv);
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  rd_kafka_conf_set_opaque(conf, log);
  rd_kafka_conf_set_log_cb(conf, OnLog);
  rd_kafka_conf_set_error_cb(conf, OnError);
  if (delivery_reports) rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status::Invalid(std::string(type == RD_KAFKA_PRODUCER ? "kafka producer: " : "kafka consumer: ") + err);
  }
  return rk;
}

}  // namespace

Result<std::unique_ptr<Producer>> Producer::Open(const Spec& spec) {
  std::unique_ptr<Producer> p(new Producer());
  p->log_ = std::make_shared<LogSink>();
  p->log_->verbose = spec.verbose;
  p->spec_ = spec;
  p->timeout_ms_ = spec.message_timeout_ms;
  p->transactional_ = !spec.transactional_id.empty();
  auto kv = ClientConfig(spec);
  kv["enable.idempotence"] = "true";
  kv["acks"] = "all";
  kv["message.timeout.ms"] = std::to_string(spec.message_timeout_ms);
  kv["compression.codec"] = spec.producer_compression;
  // The Java client's partitioner: keyed rows land where Java producers put
  // the same key.
  kv["partitioner"] = "murmur2_random";
  kv["linger.ms"] = "5";
  // A Write waits for all its messages, so the queue holds one Write: bound
  // it (librdkafka's default is 1 GiB); a full queue makes Produce wait.
  kv["queue.buffering.max.kbytes"] = "65536";
  if (p->transactional_) {
    kv["transactional.id"] = spec.transactional_id;
    kv["transaction.timeout.ms"] = std::to_string(std::max<int64_t>(spec.message_timeout_ms, 60000));
  }
  FERRY_ASSIGN_OR_RETURN(p->rk_, NewHandle(RD_KAFKA_PRODUCER, kv, p->log_.get(), true));
  if (p->transactional_) {
    rd_kafka_error_t* e = rd_kafka_init_transactions(p->rk_, std::min<int64_t>(spec.message_timeout_ms, 30000));
    if (e) {
      std::string what = std::string("initialising transactions (transactional_id \"") + spec.transactional_id + "\")";
      const bool retriable = rd_kafka_error_is_retriable(e) || rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__TIMED_OUT;
      std::string msg = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      if (retriable) return Unreachable(spec, *p->log_, what, msg.c_str());
      return Status::Invalid(what + ": " + msg);
    }
  }
  return p;
}

Producer::~Producer() {
  if (!rk_) return;
  if (in_txn_) Abort();
  for (auto& [_, t] : topics_) rd_kafka_topic_destroy(t);
  rd_kafka_flush(rk_, 5000);
  rd_kafka_destroy(rk_);
}

std::string Producer::RecentErrors() const { return log_->Recent(); }

Status Producer::FatalError() const {
  char buf[512];
  const rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk_, buf, sizeof buf);
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
  const bool fenced = code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                      code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
  return Status::Invalid(std::string("the kafka producer failed for good: ") + buf +
                         (fenced ? " (another producer with the same transactional_id \"" + spec_.transactional_id +
                                       "\" fenced this one: two syncs must not share a transactional_id)"
                                 : ""));
}

Result<std::set<std::string>> Producer::Topics() {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  // Up to 10 s in steps of one, so a refused password ends the wait at once.
  for (int i = 0; i < 10; ++i) {
    err = rd_kafka_metadata(rk_, 1, nullptr, &md, 1000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    std::lock_guard<std::mutex> lock(log_->mu);
    if (log_->auth_failed || log_->tls_untrusted) break;
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Unreachable(spec_, *log_, "listing topics", rd_kafka_err2str(err));
  std::set<std::string> out;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) out.insert(md->topics[i].topic);
  rd_kafka_metadata_destroy(md);
  return out;
}

Status Producer::CreateTopics(const std::vector<std::string>& names, int partitions, int replication_factor,
                              const std::map<std::string, std::string>& config) {
  if (names.empty()) return Status::OK();
  char err[512];
  std::vector<rd_kafka_NewTopic_t*> topics;
  auto cleanup = [&] {
    for (auto* t : topics) rd_kafka_NewTopic_destroy(t);
  };
  for (const auto& n : names) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(n.c_str(), partitions, replication_factor, err, sizeof err);
    if (!t) {
      cleanup();
      return Status::Invalid("topic " + n + ": " + err);
    }
    for (const auto& [k, v] : config) rd_kafka_NewTopic_set_config(t, k.c_str(), v.c_str());
    topics.push_back(t);
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, 30000, err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(opts, 30000, err, sizeof err);
  rd_kafka_CreateTopics(rk_, topics.data(), topics.size(), opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
  Status st;
  if (!ev) {
    st = Status::Transient("creating topics: no answer in 60 s" +
                           (RecentErrors().empty() ? std::string() : ": " + RecentErrors()));
  } else if (rd_kafka_event_error(ev)) {
    const auto code = rd_kafka_event_error(ev);
    std::string msg = std::string("creating topics: ") + rd_kafka_event_error_string(ev);
    st = code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT ? Status::Transient(msg)
                                                                                        : Status::Invalid(msg);
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n && st.ok(); ++i) {
      const auto code = rd_kafka_topic_result_error(results[i]);
      if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      std::string msg = std::string("creating topic ") + rd_kafka_topic_result_name(results[i]) + ": " +
                        (why ? why : rd_kafka_err2str(code));
      if (code == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR)
        msg += " (topic_details.replication_factor is " + std::to_string(replication_factor) +
               "; it cannot exceed the number of brokers)";
      if (code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
        msg += " (create the topic beforehand and set create_topics: false, or grant CREATE)";
      st = code == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || code == RD_KAFKA_RESP_ERR_NOT_CONTROLLER
               ? Status::Transient(msg)
               : Status::Invalid(msg);
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  cleanup();
  return st;
}

Result<rd_kafka_topic_s*> Producer::Topic(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  if (!t) return Status::Invalid("topic " + topic + ": " + rd_kafka_err2str(rd_kafka_last_error()));
  topics_[topic] = t;
  return t;
}

Status Producer::Begin() {
  if (!transactional_) return Status::OK();
  FERRY_RETURN_NOT_OK(FatalError());
  rd_kafka_error_t* e = rd_kafka_begin_transaction(rk_);
  if (e) {
    std::string msg = std::string("beginning a transaction: ") + rd_kafka_error_string(e);
    const bool fatal = rd_kafka_error_is_fatal(e);
    rd_kafka_error_destroy(e);
    return fatal ? Status::Invalid(msg) : Status::Transient(msg);
  }
  in_txn_ = true;
  return Status::OK();
}

Status Producer::Produce(const std::string& topic, const std::string* key, std::string_view value,
                         const std::vector<Header>& headers, Delivery* d) {
  FERRY_ASSIGN_OR_RETURN(rd_kafka_topic_t * rkt, Topic(topic));
  return Produce(rkt, key, value, headers, d);
}

Status Producer::Produce(rd_kafka_topic_s* rkt, const std::string* key, std::string_view value,
                         const std::vector<Header>& headers, Delivery* d) {
  std::optional<Clock::time_point> deadline;   // read the clock only when the queue is full
  for (;;) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const Header& h : headers) rd_kafka_header_add(hdrs, h.name, -1, h.value.data(), h.value.size());
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_KEY(key ? key->data() : nullptr, key ? key->size() : 0), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      d->produced.fetch_add(1, std::memory_order_relaxed);
      if ((++produced_ & 1023) == 0) rd_kafka_poll(rk_, 0);   // serve delivery reports as we go
      return Status::OK();
    }
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (!deadline) deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
      if (Clock::now() < WaitUntil(*deadline)) {
        rd_kafka_poll(rk_, 50);   // back-pressure: wait for the broker to take some
        continue;
      }
      if (GraceOver()) return CancelledWhileWaiting(*d, true);
    }
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
      return Status::Invalid(std::string("topic ") + rd_kafka_topic_name(rkt) + ": a message of " + std::to_string(value.size()) +
                             " bytes is larger than the producer's message.max.bytes (1000000)");
    if (err == RD_KAFKA_RESP_ERR__FATAL) return FatalError();
    return Status::Invalid(std::string("topic ") + rd_kafka_topic_name(rkt) + ": " + rd_kafka_err2str(err));
  }
}

Status Producer::Flush(Delivery* d) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_ + 10000);
  // rd_kafka_flush (unlike rd_kafka_poll) sends the messages still waiting
  // out linger.ms at once: the write ends as soon as the broker answers.
  if (!AwaitDeliveries(d, deadline) && GraceOver()) return CancelledWhileWaiting(*d);
  const int64_t produced = d->produced.load(), failed = d->failed.load(),
                pending = produced - d->acked.load() - failed;
  if (failed == 0 && pending == 0) return Status::OK();
  std::lock_guard<std::mutex> lock(d->mu);
  std::string msg = std::to_string(failed + pending) + " of " + std::to_string(produced) +
                    " messages were not acknowledged by Kafka";
  if (failed) msg += " (topic " + d->error_topic + ": " + d->first_error + ")";
  if (pending) msg += " (no delivery report in time)";
  if (!RecentErrors().empty()) msg += ": " + RecentErrors();
  msg += "; the others may be in the topic";
  return Status::Invalid(msg);
}

bool Producer::AwaitDeliveries(Delivery* d, Clock::time_point deadline) {
  while (d->waiting() > 0 && Clock::now() < WaitUntil(deadline)) rd_kafka_flush(rk_, 100);
  return d->waiting() == 0;
}

Clock::time_point Producer::WaitUntil(Clock::time_point deadline) {
  if (!cancel_seen_ && cancel_ && cancel_->load(std::memory_order_relaxed)) {
    cancel_seen_ = true;
    grace_end_ = Clock::now() + kCancelGrace;
  }
  return cancel_seen_ ? std::min(deadline, grace_end_) : deadline;
}

Status Producer::CheckNotAbandoned() const {
  if (!GraceOver()) return Status::OK();
  return Status::Cancelled("the sync was cancelled and the brokers stopped answering (an earlier write waited " +
                           std::to_string(kCancelGrace.count()) + " s for them): not sent");
}

Status Producer::CancelledWhileWaiting(const Delivery& d, bool queue_full) const {
  const int64_t produced = d.produced.load(), waiting = d.waiting();
  std::string msg = "the sync was cancelled while ";
  if (queue_full) {
    msg += "librdkafka's queue was full (the brokers do not take messages): the write's other rows were not sent";
    if (produced > 0) msg += ", and " + std::to_string(waiting) + " of the " + std::to_string(produced) + " it queued were not acknowledged";
  } else {
    msg += std::to_string(waiting) + " of " + std::to_string(produced) + " messages awaited the broker's acknowledgement";
  }
  if (transactional_) msg += "; the transaction is aborted, none of its messages is visible to read_committed consumers";
  else if (waiting > 0) msg += "; those may still reach the topic";
  if (!RecentErrors().empty()) msg += " (" + RecentErrors() + ")";
  return Status::Cancelled(msg);
}

Status Producer::Commit(Delivery* d) {
  // The commit flushes the transaction's messages first; wait for them here,
  // where a cancelled sync can stop waiting (rd_kafka_commit_transaction
  // itself blocks for its whole timeout).
  if (!AwaitDeliveries(d, Clock::now() + std::chrono::milliseconds(timeout_ms_)) && GraceOver()) {
    Status st = CancelledWhileWaiting(*d);
    Abort();
    return st;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  for (;;) {
    // In steps of at most a second, so a cancel is seen between them.
    rd_kafka_error_t* e = rd_kafka_commit_transaction(rk_, static_cast<int>(std::min<int64_t>(timeout_ms_, 1000)));
    if (!e) {
      in_txn_ = false;
      if (d->failed.load() == 0) return Status::OK();
      return Status::Internal("a transaction committed with failed deliveries");
    }
    std::string msg = rd_kafka_error_string(e);
    if (rd_kafka_error_is_retriable(e) && Clock::now() < WaitUntil(deadline)) {
      rd_kafka_error_destroy(e);
      continue;   // the commit's outcome is not known yet: ask again
    }
    if (rd_kafka_error_is_retriable(e) && GraceOver()) {
      rd_kafka_error_destroy(e);
      Abort();
      return Status::Cancelled("the sync was cancelled while the broker had not answered the commit of a transaction (" +
                               msg + "); it is aborted, or committed if the broker got the commit first");
    }
    const bool abort = rd_kafka_error_txn_requires_abort(e);
    rd_kafka_error_destroy(e);
    if (abort) {
      Abort();
      std::string why = msg;
      {
        std::lock_guard<std::mutex> lock(d->mu);
        if (!d->first_error.empty()) why += " (topic " + d->error_topic + ": " + d->first_error + ")";
      }
      return Status::Transient("the transaction was aborted, nothing of it is visible: " + why);
    }
    Status fatal = FatalError();
    if (!fatal.ok()) return fatal;
    return Status::Invalid("committing the transaction: " + msg + "; its rows may or may not be committed");
  }
}

void Producer::Abort() {
  if (!transactional_ || !in_txn_) return;
  // A cancelled sync does not wait long: a transaction left open is aborted
  // by the broker after transaction.timeout.ms, or at once by the next
  // producer with the same transactional_id (init_transactions fences).
  const int64_t wait = cancel_seen_ ? std::min<int64_t>(timeout_ms_, 5000) : timeout_ms_;
  rd_kafka_error_t* e = rd_kafka_abort_transaction(rk_, static_cast<int>(wait));
  if (e) rd_kafka_error_destroy(e);   // fatal errors show on the next Begin
  in_txn_ = false;
}

Result<std::vector<ConsumedMessage>> ReadTopic(const Spec& spec, const std::string& topic, int64_t timeout_ms) {
  auto log = std::make_shared<LogSink>();
  log->verbose = spec.verbose;
  auto kv = ClientConfig(spec);
  kv["group.id"] = "ferry-reader";
  kv["enable.auto.commit"] = "false";
  kv["enable.auto.offset.store"] = "false";
  kv["enable.partition.eof"] = "true";
  kv["isolation.level"] = "read_committed";
  kv["auto.offset.reset"] = "earliest";
  FERRY_ASSIGN_OR_RETURN(rd_kafka_t* rk, NewHandle(RD_KAFKA_CONSUMER, kv, log.get(), false));
  struct Closer {
    rd_kafka_t* rk;
    ~Closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } closer{rk};

  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t merr = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(std::min<int64_t>(timeout_ms, 30000)));
  rd_kafka_topic_destroy(rkt);
  if (merr != RD_KAFKA_RESP_ERR_NO_ERROR) return Unreachable(spec, *log, "reading topic " + topic, rd_kafka_err2str(merr));
  std::vector<int32_t> partitions;
  rd_kafka_resp_err_t terr = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (terr == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) partitions.push_back(md->topics[0].partitions[i].id);
  rd_kafka_metadata_destroy(md);
  if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return Status::NotFound("no topic " + topic);
  if (terr != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Invalid("reading topic " + topic + ": " + rd_kafka_err2str(terr));

  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t p : partitions) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  merr = rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (merr) return Status::Invalid("reading topic " + topic + ": " + rd_kafka_err2str(merr));

  std::vector<ConsumedMessage> out;
  std::set<int32_t> open(partitions.begin(), partitions.end());
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!open.empty()) {
    if (Clock::now() > deadline)
      return Status::Transient("reading topic " + topic + ": not at its end after " + std::to_string(timeout_ms / 1000) +
                               " s" + (log->Recent().empty() ? "" : ": " + log->Recent()));
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      open.erase(m->partition);
    } else if (m->err) {
      std::string msg = rd_kafka_message_errstr(m);
      rd_kafka_message_destroy(m);
      return Status::Transient("reading topic " + topic + ": " + msg);
    } else {
      ConsumedMessage c;
      c.partition = m->partition;
      c.offset = m->offset;
      c.has_key = m->key != nullptr;
      if (m->key) c.key.assign(static_cast<const char*>(m->key), m->key_len);
      c.has_value = m->payload != nullptr;
      if (m->payload) c.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* val;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
          c.headers[name] = val ? std::string(static_cast<const char*>(val), size) : std::string();
      }
      out.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  }
  return out;
}

}  // namespace ferry::plugins::kafka
