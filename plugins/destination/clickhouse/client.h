// A ClickHouse client over a Wire (wire.h: the HTTP interface or the native
// TCP protocol, one code path above either): statements, inserts,
// mutations, with retries that never duplicate rows.
//
// Errors carry the server's message ("Code: 60 ... Table x doesn't exist")
// and are classified; the client makes one attempt per call and never
// retries itself (the engine owns retries, include/ferry/retry.h). Server
// codes that mean "try later" (too many parts, memory limit, timeouts,
// network, ZooKeeper), connections that never delivered the request, and
// idempotent statements whose answer was lost are Status::Transient;
// everything else is permanent (NotFound for unknown tables and databases,
// InvalidArgument for bad SQL, data or credentials, IOError otherwise).
//
// Insert never duplicates rows, however often the engine repeats it. One
// Insert attempt is one INSERT request carrying
// one Native block (NativeBody), which the server writes as one part only
// after the whole block parsed: the request applies whole or not at all (a
// body cut short fails to parse). It also runs with
// min_insert_block_size_rows above its row count, so a body of several
// blocks is gathered into one part as well. So a failure reported by the
// server, or a request that did not leave whole, is Transient: the engine
// sends it again (the body source starts over). When the outcome is
// unknown (the body went out, then the connection broke or timed out):
//   - with `dedup_token` (ClickHouse >= 22.2 and a table that deduplicates
//     inserts), the attempt is Transient: the next one carries the same
//     insert_deduplication_token (`request` names the logical insert) and
//     the server drops it if the first one landed;
//   - otherwise every attempt runs with its own query_id and log_queries=1;
//     Ferry waits until that query no longer runs (system.processes), then
//     runs a logged check query, flushes the query log and reads both from
//     system.query_log, again until the check query shows (resolve_timeout):
//     the server logs a query's end before it leaves system.processes and
//     writes its log in order, so only then is the INSERT's absence proof.
//     QueryFinish = written (OK); an exception, or no trace once the check
//     query shows = not written (Transient, to be resent). SYSTEM FLUSH LOGS
//     alone proves nothing: it writes only what the log thread already took
//     from its queue, and a concurrent flush (another connection's resolver)
//     can hold that thread back. When the log cannot tell (no query_log, a
//     start without an end, the check query not logged in time), the insert
//     fails permanently with a message saying the rows may or may not be
//     there: never a silent duplicate. Not covered: a request the server has
//     not yet begun to read when the check runs (held in its accept queue)
//     and begins later; the query log cannot see it.
//
// Thread-safety: one instance per thread (it owns the wire). Several clients
// (connections) of one destination share ClientOptions::request_namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/connection_string.h"
#include "plugins/destination/clickhouse/http_transport.h"
#include "plugins/destination/clickhouse/wire.h"

namespace ferry::plugins::clickhouse {

struct ClientOptions {
  int64_t request_timeout_ms = 600000;
  int64_t mutation_timeout_ms = 1800000;
  int64_t resolve_timeout_ms = 60000;  // longest wait for an unknown insert's verdict
  // Names the logical inserts (Insert's `request`) in their query ids and
  // deduplication tokens. Clients that share it may send attempts of the same
  // request (one connection each, a destination's concurrent writes) and
  // still name them alike. Empty: a random name of this client's own.
  std::string request_namespace;
};

// What the server said about a failed request.
struct ServerError {
  int code = 0;  // ClickHouse error code, 0 when none
  long http_status = 0;  // 0 over the native protocol
  std::string message;  // the server's message, trimmed
};
// Parses ClickHouse's error body (both the 18.x and the current format).
ServerError ParseServerError(long http_status, const std::string& body);
// Whether a server error means "nothing was done, try again later".
bool IsRetryableCode(int code);

class Client {
 public:
  Client(std::unique_ptr<Wire> wire, Endpoint endpoint, ClientOptions options);
  // Over the HTTP interface.
  Client(std::unique_ptr<HttpTransport> transport, Endpoint endpoint, ClientOptions options);

  // Runs `sql` (SELECT, DDL, ALTER) and returns the response body. When
  // `idempotent`, a lost answer is Transient too (running it again is safe).
  // `context` prefixes error messages ("table t: create").
  Result<std::string> Query(const std::string& sql, const std::string& context, bool idempotent = true);

  // One attempt of INSERT INTO `into` FORMAT Native of `rows` rows from
  // `body`; see the header comment. `gzip`: the body is gzip-compressed
  // (HTTP only).
  // `dedup_token`: the table deduplicates inserts by
  // insert_deduplication_token. `request` and `attempt` identify the logical
  // insert and its attempt (WriteRequest::request_id / attempt); request 0
  // is a fresh insert each call.
  Status Insert(const std::string& into, BodySource& body, int64_t rows, bool gzip, bool dedup_token,
                const std::string& context, uint64_t request = 0, int attempt = 0);

  // Waits until every mutation of `db`.`table` is done (or mutation_timeout).
  Status WaitForMutations(const std::string& db, const std::string& table, bool read_fail_reason,
                          const std::string& context);

  // Attempts made by the last Insert (for tests).
  int last_insert_attempts() const { return last_attempts_; }
  // Whether this client speaks the native protocol.
  bool native() const { return wire_->native(); }

 private:
  enum class Fate { kWritten, kNotWritten, kUnknown };
  Fate ResolveInsert(const std::string& query_id, std::string* why);
  Status Classify(const Result<WireResponse>& r, const std::string& context, bool* retry, bool* unknown) const;

  std::unique_ptr<Wire> wire_;
  Endpoint endpoint_;
  ClientOptions options_;
  std::string session_prefix_;  // random, names this client's query ids
  std::string request_prefix_;  // names logical inserts (request_namespace)
  uint64_t next_query_ = 0;
  int last_attempts_ = 0;
};

}  // namespace ferry::plugins::clickhouse
