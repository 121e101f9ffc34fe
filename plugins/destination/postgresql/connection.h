// Connection: RAII over one libpq connection, with PostgreSQL errors mapped to
// Status and the binary COPY protocol.
//
// A Connection owns one PGconn and closes it at destruction; PgResult owns one
// PGresult. Nothing here throws and nothing is thread-safe: the engine drives
// a destination from one writer thread.
//
// Error classification (PgStatus), the retry contract of the destination:
//   Transient (the engine retries the whole request after a reconnect):
//     the connection is gone (PQstatus bad, SQLSTATE class 08, 57P01..57P03
//     shutdown / crash / starting up), 40001 serialization failure,
//     40P01 deadlock, 55P03 lock not available, 53300 too many connections.
//   InvalidArgument: class 22 (data exception) and 23 (constraint violation):
//     the rows cannot be stored, retrying will not help.
//   OutOfMemory: 53200. IOError: everything else, e.g. 28xxx bad credentials,
//     42501 permission denied, 53100 disk full, 3D000 unknown database.
// Messages read "<context>: <server message> (SQLSTATE xxxxx)" plus the
// server's DETAIL when there is one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "ferry/destination.h"
#include "ferry/status.h"

namespace ferry::plugins::postgresql {

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// Status for a failed result `r` (may be null) of `conn`.
Status PgStatus(PGconn* conn, const PGresult* r, const std::string& context);
// True for SQLSTATEs that mean "retry the transaction" (see above).
bool IsTransientSqlState(std::string_view sqlstate);

// A query parameter: binary value of type `oid`, or SQL NULL.
struct Param {
  uint32_t oid = 0;
  std::string value;
  bool is_null = false;
};

// Ends a call blocked on PostgreSQL once the sync is cancelled
// (DestinationInit::cancel): a lock another session holds, a server that
// stopped answering. A call still running at CancelledCallDeadline
// (ferry/destination.h: 10 s after the cancel, at least 1 s after its own
// start) is cancelled with PQcancel,
// so the server rolls its statement back; if the call still has not
// returned kShutGrace later, the server does not answer at all: the
// connection's socket is shut down (the blocked read returns), and every
// later call fails at once (abandoned()). A call that returns an error after
// the watch fired reports Status::Cancelled. One thread, only while a cancel
// flag is given; it checks every 100 ms.
class CancelWatch {
 public:
  static constexpr std::chrono::seconds kShutGrace{5};

  explicit CancelWatch(const std::atomic<bool>* cancel);
  ~CancelWatch();
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  // The scope of one blocking call on a connection (socket `fd`; `cancel`
  // is the connection's PQgetCancel, shared so a PQcancel still running
  // outlives the connection). `watch` may be null: then nothing is watched.
  class Call {
   public:
    Call(CancelWatch* watch, int fd, std::shared_ptr<PGcancel> cancel);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    // Set when an earlier call was cut off: this one must not start.
    Status refusal() const { return refusal_; }
    // `st` of the call, or Cancelled (naming `context`) when the watch
    // cancelled it.
    Status Verdict(Status st, const std::string& context) const;

   private:
    CancelWatch* watch_;
    Status refusal_;
  };

  // True once a call had to be cut off: the server does not answer.
  bool abandoned() const { return abandoned_.load(); }

 private:
  void Loop();

  const std::atomic<bool>* cancel_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // The call in progress (one at a time: a destination is driven by one thread).
  bool busy_ = false;
  std::chrono::steady_clock::time_point busy_since_;
  int fd_ = -1;
  std::shared_ptr<PGcancel> pg_cancel_;
  bool fired_ = false, shut_ = false;
  std::chrono::steady_clock::time_point fired_at_;
  // When the watch first saw the cancel.
  std::optional<std::chrono::steady_clock::time_point> cancel_seen_;
  std::atomic<bool> abandoned_{false};
  std::thread thread_;
};

class Connection {
 public:
  // Connects with `conninfo` (URL or key=value; libpq's environment variables
  // apply). `connect_timeout_s` applies unless conninfo sets its own. A server
  // that refuses or is not up yet gives Transient, bad credentials IOError.
  static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo, int64_t connect_timeout_s);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Calls from now on are ended by `watch` (may be null; must outlive them)
  // once the sync is cancelled.
  void set_cancel_watch(CancelWatch* watch) { watch_ = watch; }

  PGconn* get() const { return conn_; }
  // False once the server or the network dropped the connection.
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  int server_version() const { return PQserverVersion(conn_); }

  // Runs SQL (one or more statements, no parameters); fails on any error.
  Status Exec(const std::string& sql, const std::string& context);
  // Runs a query and returns its result (text format).
  Result<PgResult> Query(const std::string& sql, const std::string& context);
  // One statement with binary parameters; `binary_result` selects the result format.
  Result<PgResult> QueryParams(const std::string& sql, const std::vector<Param>& params, bool binary_result,
                               const std::string& context);

  // COPY ... FROM STDIN: starts `copy_sql`, then Put() sends data, End()
  // finishes and returns the server's verdict (Abort() cancels with a reason).
  Status CopyBegin(const std::string& copy_sql, const std::string& context);
  Status CopyPut(const char* data, size_t size, const std::string& context);
  Status CopyEnd(const std::string& context);
  void CopyAbort(const std::string& reason);

  // Sends `sql` without waiting for the answer, and collects it; tests use the
  // gap between the two to inject faults (see Destination::SetFaultHook).
  Status Send(const std::string& sql, const std::string& context);
  Status Collect(const std::string& context);

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // Runs `fn` (one blocking libpq call; returns Status or Result) in the
  // watch's scope.
  template <typename Fn>
  auto Watched(const std::string& context, Fn&& fn) -> decltype(fn());
  std::shared_ptr<PGcancel> PgCancel();

  PGconn* conn_;
  CancelWatch* watch_ = nullptr;
  std::shared_ptr<PGcancel> pg_cancel_;   // made on the first watched call
};

// Quotes an SQL identifier: "a""b" for a"b. Callers pass names already
// shortened with PgName (identifiers longer than 63 bytes are truncated by
// PostgreSQL).
std::string QuoteIdent(std::string_view name);
// `name` cut to PostgreSQL's 63-byte identifier limit at a UTF-8 boundary,
// as the server itself does, so Ferry and the catalog agree on long names.
std::string PgName(std::string_view name);
// A derived object name (constraint, index, staging table): `base` + `suffix`,
// and when that exceeds 63 bytes, a prefix of `base` plus a hash of it, so
// distinct long tables get distinct names.
std::string DerivedName(std::string_view base, std::string_view suffix);
// A SQL string literal: 'it''s'.
std::string QuoteLiteral(std::string_view text);

}  // namespace ferry::plugins::postgresql
