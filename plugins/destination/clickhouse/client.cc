#include "plugins/destination/clickhouse/client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "ferry/uuid.h"
#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse {

namespace {

using Clock = std::chrono::steady_clock;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\n')) ++b;
  return s.substr(b);
}

void Strip(std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
}

}  // namespace

ServerError ParseServerError(long http_status, const std::string& body) {
  ServerError e;
  e.http_status = http_status;
  std::string msg = Trim(body);
  const size_t at = msg.find("Code: ");
  if (at != std::string::npos) {
    size_t i = at + 6;
    while (i < msg.size() && std::isdigit(static_cast<unsigned char>(msg[i]))) e.code = e.code * 10 + (msg[i++] - '0');
    // 18.x: "Code: 60, e.displayText() = DB::Exception: ..., e.what() = DB::Exception"
    const size_t disp = msg.find("e.displayText() = ");
    if (disp != std::string::npos) {
      msg = msg.substr(disp + 18);
      const size_t what = msg.rfind(", e.what() = ");
      if (what != std::string::npos) msg = msg.substr(0, what);
    } else {  // current: "Code: 60. DB::Exception: ... (UNKNOWN_TABLE) (version 24.8.1.1)"
      msg = msg.substr(i);
      Strip(msg, ". ");
      Strip(msg, ", ");
      const size_t ver = msg.rfind(" (version ");
      if (ver != std::string::npos) msg = msg.substr(0, ver);
    }
    Strip(msg, "DB::Exception: ");
  }
  if (msg.size() > 2000) msg = msg.substr(0, 2000) + "...";
  if (msg.empty()) msg = "HTTP " + std::to_string(http_status) + " with an empty body";
  e.message = Trim(msg);
  return e;
}

bool IsRetryableCode(int code) {
  switch (code) {
    case 3:    // UNEXPECTED_END_OF_FILE: the body was cut short on the way
    case 32:   // ATTEMPT_TO_READ_AFTER_EOF
    case 159:  // TIMEOUT_EXCEEDED
    case 202:  // TOO_MANY_SIMULTANEOUS_QUERIES
    case 203:  // NO_FREE_CONNECTION
    case 209:  // SOCKET_TIMEOUT
    case 210:  // NETWORK_ERROR
    case 236:  // ABORTED
    case 241:  // MEMORY_LIMIT_EXCEEDED
    case 242:  // TABLE_IS_READ_ONLY (replica lost ZooKeeper)
    case 252:  // TOO_MANY_PARTS
    case 285:  // TOO_FEW_LIVE_REPLICAS
    case 394:  // QUERY_WAS_CANCELLED
    case 425:  // SYSTEM_ERROR
    case 999:  // KEEPER_EXCEPTION
      return true;
    default:
      return false;
  }
}

Client::Client(std::unique_ptr<Wire> wire, Endpoint endpoint, ClientOptions options)
    : wire_(std::move(wire)), endpoint_(std::move(endpoint)), options_(options) {
  session_prefix_ = "ferry-" + uuid::ToString(uuid::NewV4()).substr(0, 13);
  request_prefix_ = options_.request_namespace.empty() ? session_prefix_ : options_.request_namespace;
}

Client::Client(std::unique_ptr<HttpTransport> transport, Endpoint endpoint, ClientOptions options)
    : Client(NewHttpWire(std::move(transport), endpoint), endpoint, options) {}

Status Client::Classify(const Result<WireResponse>& r, const std::string& context, bool* retry, bool* unknown) const {
  *retry = false;
  *unknown = false;
  if (!r.ok()) {
    const Status& st = r.status();
    if (st.code() == StatusCode::kTransient) {
      *retry = true;
      return Status::Transient(context + ": " + st.message());
    }
    if (st.code() == StatusCode::kIOError) {
      *unknown = true;
      return Status::IOError(context + ": " + st.message());
    }
    return Status(st.code(), context + ": " + st.message());  // configuration, or the body's own error
  }
  if (r->ok) return Status::OK();
  const int code = r->code;
  const long http = r->http_status;  // 0 over the native protocol
  std::string where;
  if (code) where = "code " + std::to_string(code);
  if (http) where += (where.empty() ? "" : ", ") + std::string("HTTP ") + std::to_string(http);
  const std::string msg = context + ": " + r->message + (where.empty() ? "" : " (" + where + ")");
  if (code == 319 || (code == 0 && (http == 502 || http == 504))) {  // UNKNOWN_STATUS_OF_INSERT, proxies
    *unknown = true;
    return Status::IOError(msg);
  }
  if (IsRetryableCode(code) || (code == 0 && http == 503)) {
    *retry = true;
    return Status::Transient(msg);
  }
  if (code == 60 || code == 81) return Status::NotFound(msg);
  if (code == 192 || code == 193 || code == 194 || code == 516 || http == 401 || http == 403)
    return Status::Invalid(msg + "; check the user and password in connection_string");
  if (code == 497 || code == 164) return Status::Invalid(msg + "; the user lacks a privilege Ferry needs");
  if (http == 400 || code == 27 || code == 53 || code == 70 || code == 16 || code == 47 || code == 62)
    return Status::Invalid(msg);
  return Status::IOError(msg);
}

Result<std::string> Client::Query(const std::string& sql, const std::string& context, bool idempotent) {
  WireRequest req;
  req.sql = sql;
  auto r = wire_->Execute(req);
  bool retry = false, unknown = false;
  Status st = Classify(r, context, &retry, &unknown);
  if (st.ok()) return std::move(r->body);
  if (retry || (unknown && idempotent)) return Status::Transient(st.message());
  if (unknown) return Status::IOError(st.message() + " (the statement may have run)");
  return st;
}

Status Client::Insert(const std::string& into, BodySource& body, int64_t rows, bool gzip, bool dedup_token,
                      const std::string& context, uint64_t request, int attempt) {
  // The token names the logical insert: the same on every attempt of one
  // request, so a deduplicating table drops a repeat of a block that landed.
  const std::string token = request ? request_prefix_ + "-r" + std::to_string(request)
                                    : session_prefix_ + "-" + std::to_string(next_query_++);
  last_attempts_ = attempt + 1;
  {
    const std::string qid = token + "-" + std::to_string(attempt);
    WireRequest req;
    req.sql = "INSERT INTO " + into + " FORMAT Native";
    req.query_id = qid;
    req.insert = &body;
    req.gzip = gzip;
    // One part, written after the whole body arrived (see the header).
    req.settings = {{"min_insert_block_size_rows", std::to_string(rows + 1)}, {"min_insert_block_size_bytes", "0"}};
    if (dedup_token) {
      req.settings.push_back({"insert_deduplicate", "1"});
      req.settings.push_back({"insert_deduplication_token", token});
    } else {
      req.settings.push_back({"log_queries", "1"});
    }
    auto r = wire_->Execute(req);
    bool retry = false, unknown = false;
    Status st = Classify(r, context, &retry, &unknown);
    if (st.ok() || retry) return st;
    if (!unknown) return st;
    if (dedup_token)  // the next attempt carries the same token: the server drops a repeat
      return Status::Transient(st.message() + "; the retry carries the same insert_deduplication_token");
    std::string why;
    const Fate fate = ResolveInsert(qid, &why);
    if (fate == Fate::kWritten) return Status::OK();
    if (fate == Fate::kNotWritten)
      return Status::Transient(st.message() + "; system.query_log shows it was not written, so it is resent");
    return Status::IOError(context + ": the INSERT's outcome is unknown (" + st.message() + "): " + why +
                           "; it is not retried so that no row is written twice, and the rows of this batch may "
                           "or may not be in the table");
  }
}

Client::Fate Client::ResolveInsert(const std::string& qid, std::string* why) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.resolve_timeout_ms);
  const std::string id = QuoteString(qid);
  for (;;) {  // 1. the query must have stopped running
    auto r = Query("SELECT count() FROM system.processes WHERE query_id = " + id + " FORMAT TSV", "check insert");
    if (r.ok() && Trim(*r) == "0") break;
    if (Clock::now() > deadline) {
      *why = r.ok() ? "it is still running" : "the server does not answer (" + r.status().message() + ")";
      return Fate::kUnknown;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // 2. A barrier in the query log. The server queues a query's last log
  // entry (QueryFinish, or an exception) before the query leaves
  // system.processes, and writes its log queue to system.query_log in
  // order. So once a query started after step 1 (the barrier) shows in
  // system.query_log, every entry of the INSERT is there too. Without it,
  // an empty answer can only mean "not flushed yet": SYSTEM FLUSH LOGS
  // (18.x) writes only the entries the server's log thread already took
  // from its queue, and another flush (the other connection's resolver, the
  // periodic one) can hold that thread back; an INSERT that ran and whose
  // entries were still queued read as "never ran" and was resent.
  const std::string barrier = qid + "-logged-" + std::to_string(next_query_++);
  for (;;) {
    WireRequest probe;  // (18.16 ignores log_queries in a SETTINGS clause: it must be a request setting)
    probe.sql = "SELECT 1 FORMAT TSV";
    probe.query_id = barrier;
    probe.settings = {{"log_queries", "1"}};
    auto r = wire_->Execute(probe);
    bool retry = false, unknown = false;
    const Status st = Classify(r, "check query", &retry, &unknown);
    if (st.ok()) break;
    if ((!retry && !unknown) || Clock::now() > deadline) {
      *why = "the server does not answer a check query (" + st.message() + ")";
      return Fate::kUnknown;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // 3. Flush the log and read both; wait (bounded) until the barrier shows.
  const auto no_table_deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    const bool flushed = Query("SYSTEM FLUSH LOGS", "flush logs").ok();
    auto r = Query("SELECT query_id = " + id + ", toUInt8(type) FROM system.query_log WHERE event_date >= "
                   "yesterday() AND query_id IN (" + id + ", " + QuoteString(barrier) + ") FORMAT TSV",
                   "read query log");
    if (r.ok()) {
      bool started = false, barrier_logged = false;
      for (size_t at = 0; at < r->size();) {
        size_t nl = r->find('\n', at);
        if (nl == std::string::npos) nl = r->size();
        const std::string line = r->substr(at, nl - at);
        at = nl + 1;
        if (line.size() < 3) continue;
        if (line[0] == '0') {
          barrier_logged = true;
          continue;
        }
        const char type = line[2];
        if (type == '2') return Fate::kWritten;  // QueryFinish
        if (type == '3' || type == '4') return Fate::kNotWritten;  // ExceptionBeforeStart / WhileProcessing
        if (type == '1') started = true;
      }
      if (barrier_logged) {
        if (!started) return Fate::kNotWritten;  // it never started
        *why = "the query log shows that it started but not how it ended";
        return Fate::kUnknown;
      }
    } else {
      const bool no_table = r.status().message().find("doesn't exist") != std::string::npos;
      // A server creates system.query_log at its first flush that has
      // entries, so a missing table proves nothing for a few flushes; after
      // that the query log is off.
      if (no_table && Clock::now() > no_table_deadline) {
        *why = "system.query_log cannot tell (" + r.status().message() + "); enable query_log on the server";
        return Fate::kUnknown;
      }
      if (!no_table && !r.status().IsRetryable()) {
        *why = "system.query_log cannot tell (" + r.status().message() + ")";
        return Fate::kUnknown;
      }
    }
    if (Clock::now() > deadline) {
      *why = std::string("system.query_log did not show the check query ") + barrier + " within resolve_timeout" +
             (flushed ? "" : " (SYSTEM FLUSH LOGS is not allowed: the log is written every flush_interval)");
      return Fate::kUnknown;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Status Client::WaitForMutations(const std::string& db, const std::string& table, bool read_fail_reason,
                                const std::string& context) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.mutation_timeout_ms);
  const std::string sql = std::string("SELECT count()") + (read_fail_reason ? ", max(latest_fail_reason)" : "") +
                          " FROM system.mutations WHERE database = " + QuoteString(db) +
                          " AND table = " + QuoteString(table) + " AND is_done = 0 FORMAT TSV";
  int64_t sleep_ms = 5;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(std::string out, Query(sql, context + ": wait for the mutation"));
    out = Trim(out);
    const size_t tab = out.find('\t');
    if (out.substr(0, tab) == "0") return Status::OK();
    if (tab != std::string::npos && tab + 1 < out.size())
      return Status::IOError(context + ": the mutation fails: " + out.substr(tab + 1));
    if (Clock::now() > deadline)
      return Status::IOError(context +
                             ": the mutation did not finish within mutation_timeout; it goes on in the "
                             "server (system.mutations)");
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    sleep_ms = std::min<int64_t>(sleep_ms * 2, 500);
  }
}

}  // namespace ferry::plugins::clickhouse
