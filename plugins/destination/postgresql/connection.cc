#include "plugins/destination/postgresql/connection.h"

#include <sys/socket.h>

#include <cstdio>
#include <cstring>

#include "ferry/redact.h"

namespace ferry::plugins::postgresql {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool Contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

// Connection-time failures carry no SQLSTATE: tell "not reachable (yet)" from
// "will never work" by libpq's message.
bool PermanentConnectError(const std::string& msg) {
  for (const char* p : {"password authentication failed", "no password supplied", "does not exist",
                        "pg_hba.conf", "permission denied", "certificate", "SSL", "invalid", "unsupported",
                        "requires a valid client", "authentication"})
    if (Contains(msg, p)) return true;
  return false;
}

}  // namespace

bool IsTransientSqlState(std::string_view s) {
  if (s.size() != 5) return false;
  return s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "40001" || s == "40P01" ||
         s == "55P03" || s == "53300";
}

Status PgStatus(PGconn* conn, const PGresult* r, const std::string& context) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg;
  if (r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) {
    msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) msg += std::string(" (") + detail + ")";
  } else if (r && *PQresultErrorMessage(r)) {
    msg = Trim(PQresultErrorMessage(r));
  } else {
    msg = Trim(conn ? PQerrorMessage(conn) : "no connection");
  }
  if (msg.empty()) msg = "unknown error";
  const std::string sqlstate = state ? state : "";
  std::string text = context + ": " + msg + (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")");
  text = Redact(text);
  const bool lost = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  if (lost || IsTransientSqlState(sqlstate)) {
    if (lost && sqlstate.empty()) text += " (connection lost)";
    return Status::Transient(text);
  }
  if (sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("23", 0) == 0) return Status::Invalid(text);
  if (sqlstate == "53200") return Status(StatusCode::kOutOfMemory, text);
  return Status::IOError(text);
}

CancelWatch::CancelWatch(const std::atomic<bool>* cancel) : cancel_(cancel) {
  if (cancel_) thread_ = std::thread([this] { Loop(); });
}

CancelWatch::~CancelWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CancelWatch::Loop() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (stop_) break;
    const auto now = Clock::now();
    if (!cancel_seen_ && cancel_->load(std::memory_order_relaxed)) cancel_seen_ = now;
    if (!busy_ || !cancel_seen_) continue;
    if (!fired_ && now >= CancelledCallDeadline(*cancel_seen_, busy_since_)) {
      fired_ = true;
      fired_at_ = now;
      // PQcancel connects to the server and waits for it to close that
      // connection: it can block as long as a hung server does, so it runs
      // on a thread of its own, which keeps the cancel object alive.
      if (pg_cancel_)
        std::thread([c = pg_cancel_] {
          char err[256];
          PQcancel(c.get(), err, sizeof err);
        }).detach();
    } else if (fired_ && !shut_ && now >= fired_at_ + kShutGrace) {
      // The server did not act on the cancel: unblock the call by shutting
      // its socket down (under mu_, so the call is still running and its
      // descriptor still open).
      shut_ = true;
      abandoned_ = true;
      if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
    }
  }
}

CancelWatch::Call::Call(CancelWatch* watch, int fd, std::shared_ptr<PGcancel> cancel) : watch_(watch) {
  if (!watch_) return;
  if (watch_->abandoned())
    refusal_ = Status::Cancelled(
        "the sync was cancelled and PostgreSQL stopped answering: nothing more is sent on this destination");
  std::lock_guard<std::mutex> lock(watch_->mu_);
  watch_->busy_ = true;
  watch_->busy_since_ = std::chrono::steady_clock::now();
  watch_->fd_ = fd;
  watch_->pg_cancel_ = std::move(cancel);
  watch_->fired_ = watch_->shut_ = false;
}

CancelWatch::Call::~Call() {
  if (!watch_) return;
  std::lock_guard<std::mutex> lock(watch_->mu_);
  watch_->busy_ = false;
  watch_->fd_ = -1;
  watch_->pg_cancel_.reset();
}

Status CancelWatch::Call::Verdict(Status st, const std::string& context) const {
  if (st.ok() || !watch_) return st;
  bool fired, shut;
  {
    std::lock_guard<std::mutex> lock(watch_->mu_);
    fired = watch_->fired_;
    shut = watch_->shut_;
  }
  if (!fired) return st;
  return Status::Cancelled(context + ": the sync was cancelled and PostgreSQL had not finished this in time (" +
                           std::to_string(kCancelGrace.count()) + " s after the cancel)" +
                           (shut ? "; it did not answer the cancel request either, so the connection was closed"
                                 : ": cancelled it (nothing of it was committed)"));
}

template <typename Fn>
auto Connection::Watched(const std::string& context, Fn&& fn) -> decltype(fn()) {
  CancelWatch::Call call(watch_, PQsocket(conn_), watch_ ? PgCancel() : nullptr);
  if (!call.refusal().ok()) return call.refusal().WithContext(context);
  auto r = fn();
  if constexpr (std::is_same_v<decltype(r), Status>) {
    return call.Verdict(std::move(r), context);
  } else {
    if (r.ok()) return r;
    return call.Verdict(r.status(), context);
  }
}

std::shared_ptr<PGcancel> Connection::PgCancel() {
  if (!pg_cancel_) {
    PGcancel* c = PQgetCancel(conn_);
    if (c) pg_cancel_ = std::shared_ptr<PGcancel>(c, PQfreeCancel);
  }
  return pg_cancel_;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo, int64_t connect_timeout_s) {
  // Later keywords override earlier ones, and the expanded dbname (the whole
  // connection string) overrides connect_timeout when it sets one.
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
  const char* values[] = {timeout.c_str(), conninfo.c_str(), "ferry", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return Status(StatusCode::kOutOfMemory, "postgresql: cannot allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Redact("connect to postgresql: " + Trim(PQerrorMessage(conn)));
    PQfinish(conn);
    if (PermanentConnectError(msg)) return Status::IOError(msg);
    return Status::Transient(msg);
  }
  auto c = std::unique_ptr<Connection>(new Connection(conn));
  // UTC for any timestamp text the server produces (COPY and our parameters are binary).
  FERRY_RETURN_NOT_OK(c->Exec("SET TimeZone = 'UTC'; SET client_min_messages = warning", "configure session"));
  return c;
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Exec(const std::string& sql, const std::string& context) {
  return Watched(context, [&]() -> Status {
    PgResult r(PQexec(conn_, sql.c_str()));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return Status::OK();
    return PgStatus(conn_, r.get(), context);
  });
}

Result<PgResult> Connection::Query(const std::string& sql, const std::string& context) {
  return Watched(context, [&]() -> Result<PgResult> {
    PgResult r(PQexec(conn_, sql.c_str()));
    if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK) return r;
    if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return r;
    return PgStatus(conn_, r.get(), context);
  });
}

Result<PgResult> Connection::QueryParams(const std::string& sql, const std::vector<Param>& params,
                                         bool binary_result, const std::string& context) {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    types.push_back(p.oid);
    values.push_back(p.is_null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(1);
  }
  return Watched(context, [&]() -> Result<PgResult> {
    PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                            lengths.data(), formats.data(), binary_result ? 1 : 0));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
    return PgStatus(conn_, r.get(), context);
  });
}

Status Connection::CopyBegin(const std::string& copy_sql, const std::string& context) {
  return Watched(context, [&]() -> Status {
    PgResult r(PQexec(conn_, copy_sql.c_str()));
    if (r && PQresultStatus(r.get()) == PGRES_COPY_IN) return Status::OK();
    return PgStatus(conn_, r.get(), context);
  });
}

Status Connection::CopyPut(const char* data, size_t size, const std::string& context) {
  return Watched(context, [&]() -> Status {
    if (PQputCopyData(conn_, data, static_cast<int>(size)) == 1) return Status::OK();
    return PgStatus(conn_, nullptr, context);
  });
}

Status Connection::CopyEnd(const std::string& context) {
  return Watched(context, [&]() -> Status {
    if (PQputCopyEnd(conn_, nullptr) != 1) return PgStatus(conn_, nullptr, context);
    Status out;
    // Drain every result so the connection is usable for the next command.
    while (PGresult* raw = PQgetResult(conn_)) {
      PgResult r(raw);
      if (PQresultStatus(raw) != PGRES_COMMAND_OK && out.ok()) out = PgStatus(conn_, raw, context);
    }
    return out;
  });
}

void Connection::CopyAbort(const std::string& reason) {
  Watched("abort COPY", [&]() -> Status {
    if (PQputCopyEnd(conn_, reason.c_str()) != 1) return Status::OK();
    while (PGresult* raw = PQgetResult(conn_)) PQclear(raw);
    return Status::OK();
  }).IgnoreError();   // the write's own error is the one to report
}

Status Connection::Send(const std::string& sql, const std::string& context) {
  return Watched(context, [&]() -> Status {
    if (PQsendQuery(conn_, sql.c_str()) != 1) return PgStatus(conn_, nullptr, context);
    return Status::OK();
  });
}

Status Connection::Collect(const std::string& context) {
  return Watched(context, [&]() -> Status {
    Status out;
    bool any = false;
    while (PGresult* raw = PQgetResult(conn_)) {
      any = true;
      PgResult r(raw);
      const auto st = PQresultStatus(raw);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && out.ok()) out = PgStatus(conn_, raw, context);
    }
    if (!any && out.ok()) return PgStatus(conn_, nullptr, context);
    return out;
  });
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string PgName(std::string_view name) {
  constexpr size_t kMax = 63;
  if (name.size() <= kMax) return std::string(name);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;  // not inside a character
  return std::string(name.substr(0, n));
}

std::string DerivedName(std::string_view base, std::string_view suffix) {
  constexpr size_t kMax = 63;
  if (base.size() + suffix.size() <= kMax) return std::string(base) + std::string(suffix);
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the full base name
  for (char c : base) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char tag[18];
  std::snprintf(tag, sizeof(tag), "_%08x", static_cast<unsigned>(h ^ (h >> 32)));
  const std::string prefix = PgName(base.substr(0, kMax - suffix.size() - std::strlen(tag)));
  return prefix + tag + std::string(suffix);
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace ferry::plugins::postgresql
