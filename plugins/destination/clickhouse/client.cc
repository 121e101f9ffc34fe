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
  // 2. its entries must be in system.query_log
  bool flushed = Query("SYSTEM FLUSH LOGS", "flush logs").ok();
  bool probed_log = false;
  for (;;) {
    auto r = Query("SELECT toUInt8(type) FROM system.query_log WHERE event_date >= yesterday() AND query_id = " + id +
                       " FORMAT TSV",
                   "read query log");
    // A server creates system.query_log at the first flush that has entries:
    // on a fresh server the lost INSERT may be the only query ever logged, so
    // a missing table proves nothing yet. Log one query and flush; if the
    // table then exists, the query log is on and can answer.
    if (!r.ok() && r.status().message().find("doesn't exist") != std::string::npos && !probed_log) {
      probed_log = true;
      // (18.16 ignores log_queries in a SETTINGS clause: it must be a request setting.)
      WireRequest probe;
      probe.sql = "SELECT 1 FORMAT TSV";
      probe.settings = {{"log_queries", "1"}};
      (void)wire_->Execute(probe);
      flushed = Query("SYSTEM FLUSH LOGS", "flush logs").ok();
      continue;
    }
    if (!r.ok() && r.status().IsRetryable() && Clock::now() < deadline) {  // the server is still restarting
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (!r.ok()) {
      *why = "system.query_log cannot tell (" + r.status().message() + "); enable query_log on the server";
      return Fate::kUnknown;
    }
    const std::string& t = *r;
    if (t.find('2') != std::string::npos) return Fate::kWritten;               // QueryFinish
    if (t.find('3') != std::string::npos || t.find('4') != std::string::npos)  // exceptions
      return Fate::kNotWritten;
    if (flushed) {
      if (t.find('1') == std::string::npos) return Fate::kNotWritten;  // it never started
      *why = "the query log shows that it started but not how it ended";
      return Fate::kUnknown;
    }
    if (Clock::now() > deadline) {
      *why = "its entry did not reach system.query_log (SYSTEM FLUSH LOGS is not allowed)";
      return Fate::kUnknown;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
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
