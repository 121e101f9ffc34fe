// HTTP POST to one ClickHouse server: the only place libcurl appears.
//
// HttpTransport is an interface so tests can wrap the real one and inject
// faults (a lost response, a refused connection). CurlTransport keeps one
// easy handle, so the TCP (and TLS) connection stays alive between requests;
// it asks for compressed responses and sends no `Expect: 100-continue`. A
// body is either bytes in the caller's memory (sent without copying) or a
// BodySource, streamed with chunked transfer encoding: the source produces
// the next piece while the server parses the previous one.
//
// Failure convention of Post, which the retry logic relies on:
//   - an HTTP response of any status is a success of the transport (the
//     caller reads ClickHouse's error from the body);
//   - Status::Transient: the request cannot have been processed (no
//     connection, or the body was not sent completely): safe to resend;
//   - the BodySource's own error (an encoding error found mid-stream): the
//     request was aborted before its end, so it was not processed;
//   - Status::IOError: the request may have been processed (the whole body
//     went out, then the connection broke or timed out): outcome unknown;
//   - Status::InvalidArgument: a configuration problem (bad URL, TLS
//     certificate rejected); resending cannot help.
//
// Thread-safety: one instance is used by one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/byte_buffer.h"
#include "plugins/destination/clickhouse/connection_string.h"

namespace ferry::plugins::clickhouse {

struct HttpResponse {
  long status = 0;
  std::string body;
};

// A request body produced piece by piece; Rewind starts it over (a resend).
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual void Rewind() = 0;
  // Appends the next piece to `out`; false when the body is complete.
  virtual Result<bool> Next(ByteBuffer* out) = 0;
};

struct HttpBody {
  std::string_view bytes;        // used when `source` is null
  BodySource* source = nullptr;  // streamed (chunked) when set
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `body` to "<base_url>/?<query_string>" with extra `headers`
  // ("Name: value").
  virtual Result<HttpResponse> Post(const std::string& query_string, const HttpBody& body,
                                    const std::vector<std::string>& headers) = 0;
};

struct TransportOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 600000;
  std::string ca_cert;  // PEM text or a file path; empty: the system store
  // The sync's cancel flag (DestinationInit::cancel; may be null): once set,
  // a request still running at CancelledCallDeadline (ferry/destination.h:
  // 10 s after the cancel, at least 1 s after its start) is abandoned with
  // Status::Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};


// The libcurl transport; fails only when libcurl cannot be initialised.
Result<std::unique_ptr<HttpTransport>> NewCurlTransport(const Endpoint& endpoint, const TransportOptions& options);

// Builds transports; the destination takes one so tests can wrap the real one.
using TransportFactory =
    std::function<Result<std::unique_ptr<HttpTransport>>(const Endpoint&, const TransportOptions&)>;

}  // namespace ferry::plugins::clickhouse
