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

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

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

class Connection {
 public:
  // Connects with `conninfo` (URL or key=value; libpq's environment variables
  // apply). `connect_timeout_s` applies unless conninfo sets its own. A server
  // that refuses or is not up yet gives Transient, bad credentials IOError.
  static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo, int64_t connect_timeout_s);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

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
  PGconn* conn_;
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
