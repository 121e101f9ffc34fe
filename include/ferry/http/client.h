// The HTTP client API integrations share (AWS, GCP, BigQuery and later ones).
//
// One HttpClient per integration instance, used by all its worker threads.
// It owns, in one place, what every API source otherwise writes again:
//   - transport: libcurl, connections reused (a pool of easy handles, each
//     keeping its connections alive), HTTP/1.1 or HTTP/2 over TLS, gzip and
//     deflate bodies, connect and total timeouts, a custom CA, proxies from
//     the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY: libcurl's own rules),
//     and an `endpoint` that replaces the scheme://host:port of every URL
//     (emulators, VPC endpoints);
//   - retries: one attempt per try, retried with ferry/retry.h's schedule
//     (full jitter, deadline) when the answer is transient: transport
//     failures (refused, reset, timed out, truncated body), 408, 429, 500,
//     502, 503, 504, and API error codes the classifier knows (AWS
//     Throttling, RequestLimitExceeded, SlowDown...; Google rateLimitExceeded,
//     backendError...). Retry-After (seconds or an HTTP date) is a lower bound
//     on the delay;
//   - rate: a token bucket per host (requests per second and burst) that
//     slows down on throttling (the rate halves, not below a floor) and
//     recovers additively on successes;
//   - figures: requests, retries, throttled answers, bytes and time waited,
//     for the sync summary's per-table figures.
// Errors name the method and the URL without its query string (where
// signatures and tokens live) and pass through Redact().
// Written on libcurl directly: no packaged C++ HTTP client does retries,
// throttling and per-host rate limits the way sync engines need.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/api_call_figures.h"
#include "ferry/retry.h"
#include "ferry/status.h"

namespace ferry::http {

// Header names compare case-insensitively (RFC 9110).
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // Zero: the client's request_timeout.
  std::chrono::milliseconds timeout{0};
  // GET, HEAD, PUT, DELETE and OPTIONS are retried after any transient
  // failure. Others (POST, PATCH) only when the answer says the request was
  // not processed (429, 503, a refused connection), unless the caller knows
  // repeating it is harmless (an API whose POST only reads, such as AWS's
  // query APIs) and sets this.
  bool idempotent = false;
  // Where this request's attempts, retries, throttles and waits are counted
  // besides the client's totals: the resolving task's figures
  // (sdk::ResolveContext::figures), so the summary shows them per table.
  // ForEachPage copies the request, so every page counts there. May be null.
  ApiCallFigures* figures = nullptr;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  std::string Header(const std::string& name) const;
};

// What to make of an answer: kOk (return it), kTransient (retry),
// kThrottled (retry and slow down), kPermanent (return it; the caller turns
// the status into an error).
enum class Verdict { kOk, kTransient, kThrottled, kPermanent };

// Classifies status codes and the API error codes found in a JSON or XML
// error body: "Throttling", "ThrottlingException", "RequestLimitExceeded",
// "TooManyRequestsException", "SlowDown", "ProvisionedThroughputExceededException",
// "rateLimitExceeded", "userRateLimitExceeded" (throttled); "InternalError",
// "ServiceUnavailable", "backendError", "internalError" (transient).
Verdict DefaultClassifier(const Response& response);

// Parses Retry-After: delta-seconds or an HTTP-date (relative to `now`).
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    const std::string& value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

struct ClientOptions {
  // Replaces scheme://host[:port] of every request URL when set
  // ("http://127.0.0.1:4566" for an emulator).
  std::string endpoint;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};
  // PEM text or a file path of the certificate authorities to trust (empty:
  // the system's). 
  std::string ca_cert;
  bool http2 = true;
  std::string user_agent = "ferry";
  RetryPolicy retry;
  // Client-side rate limit per host: requests per second (0: none) and burst.
  double rate_per_second = 0;
  double burst = 10;
  // Throttling never slows a host below this rate (requests per second).
  double min_rate_per_second = 0.5;
  // Requests in flight at once over the whole client, all hosts and threads
  // (0: no bound): a source's `concurrency`, however many threads call Do.
  // A request waits for a slot before each attempt and holds it only while
  // the attempt is on the wire; the wait counts as rate wait in the figures.
  int64_t max_in_flight = 0;
  std::function<Verdict(const Response&)> classify = DefaultClassifier;
  // Checked between attempts and while waiting: a cancelled sync stops
  // retrying at once.
  const std::atomic<bool>* cancel = nullptr;
};

// Counters of one client (all hosts), read with Snapshot().
struct ClientStats {
  int64_t requests = 0;      // attempts sent
  int64_t retries = 0;       // attempts after the first of a request
  int64_t throttled = 0;     // answers classified kThrottled
  int64_t failures = 0;      // requests that ended in an error
  int64_t bytes_received = 0;
  std::chrono::milliseconds rate_wait{0};   // time spent waiting for the rate limiter
  std::chrono::milliseconds retry_wait{0};  // time spent in backoff
};

class HttpClient {
 public:
  // Fails only when libcurl cannot be initialised.
  static Result<std::unique_ptr<HttpClient>> Make(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`, retrying as described above. Returns the response of
  // the last attempt when it is kOk or kPermanent (a 404 is the caller's to
  // interpret), or an error when no attempt got an answer worth returning
  // (transport failures, or transient answers until the policy gave up): the
  // error names the method, the URL without query, the attempts made and
  // the last failure. Thread-safe.
  Result<Response> Do(const Request& request);

  ClientStats Snapshot() const;
  // The current rate limit of `host` (requests per second; 0: none).
  double CurrentRate(const std::string& host) const;

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The URL without its query string and fragment, for messages.
std::string UrlForMessages(const std::string& url);
// RFC 3986 percent-encoding: every byte but the unreserved ALPHA / DIGIT /
// "-" / "." / "_" / "~", for query values and form bodies.
std::string PercentEncode(std::string_view s);
// "host:port" of a URL (the rate limiter's key).
std::string HostOf(const std::string& url);

}  // namespace ferry::http
