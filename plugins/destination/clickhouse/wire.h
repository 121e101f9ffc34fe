// How a Client reaches the server: one statement (or one INSERT with its
// Native body) per Execute, over ClickHouse's HTTP interface (HttpWire, on
// an HttpTransport) or its native TCP protocol (NativeConnection,
// native_connection.h). Both give the same answers, so everything above
// (client.h: retries, the lost-insert resolver, mutations; migrations; the
// destination) is one code path:
//   - the body of a query's answer is in the FORMAT its SQL names (TSV when
//     none; the native protocol renders TSV and Native from its blocks);
//   - a server-side error is a WireResponse with ok == false and the
//     server's code and message;
//   - the failure convention of HttpTransport::Post (http_transport.h):
//     Transient = not processed, the body source's own error = aborted
//     before its end, IOError = may have been processed (outcome unknown),
//     InvalidArgument = configuration.
// Thread-safety: one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/http_transport.h"

namespace ferry::plugins::clickhouse {

struct ServerError;  // client.h

struct WireRequest {
  std::string sql;  // for an insert: "INSERT INTO t (...) FORMAT Native"
  std::vector<std::pair<std::string, std::string>> settings;  // this request's, after the endpoint's
  std::string query_id;                                       // empty: the server names it
  BodySource* insert = nullptr;  // the rows of an insert: ONE Native block (native_encoder.h)
  bool gzip = false;             // HTTP only: `insert` yields gzip bytes
};

struct WireResponse {
  bool ok = true;
  std::string body;   // the answer (ok)
  int code = 0;       // the server's error code (!ok), 0 when none
  long http_status = 0;  // HTTP only
  std::string message;   // the server's message (!ok), trimmed
};

class Wire {
 public:
  virtual ~Wire() = default;
  virtual Result<WireResponse> Execute(const WireRequest& request) = 0;
  // Whether this wire speaks the native protocol (gzip bodies are HTTP's).
  virtual bool native() const = 0;
};

// The HTTP interface: the request's SQL and settings become the URL's query
// string (an insert's SQL too, its rows the body), the endpoint's settings
// and database first.
std::unique_ptr<Wire> NewHttpWire(std::unique_ptr<HttpTransport> transport, const Endpoint& endpoint);

}  // namespace ferry::plugins::clickhouse
