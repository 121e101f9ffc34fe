#include "ferry/http/client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "ferry/redact.h"

namespace ferry::http {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string Response::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string PercentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string UrlForMessages(const std::string& url) {
  const size_t cut = url.find_first_of("?#");
  return Redact(cut == std::string::npos ? url : url.substr(0, cut));
}

std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const size_t at = authority.rfind('@');   // userinfo is not part of the host
  if (at != std::string::npos) authority = authority.substr(at + 1);
  return authority;
}

namespace {

// An API error code in an error body: a JSON string value ("Throttling",
// AWS JSON's "__type": "...#ThrottlingException", Google's "reason":
// "rateLimitExceeded") or an XML element text (<Code>SlowDown</Code>).
bool BodyHasCode(const std::string& body, const std::string& code) {
  return body.find("\"" + code + "\"") != std::string::npos || body.find(">" + code + "<") != std::string::npos ||
         body.find("#" + code + "\"") != std::string::npos;
}

}  // namespace

Verdict DefaultClassifier(const Response& r) {
  if (r.status >= 200 && r.status < 400) return Verdict::kOk;
  static const char* kThrottling[] = {"Throttling",          "ThrottlingException",   "ThrottledException",
                                      "RequestLimitExceeded", "TooManyRequestsException", "SlowDown",
                                      "RequestThrottled",     "ProvisionedThroughputExceededException",
                                      "rateLimitExceeded",    "userRateLimitExceeded", "RESOURCE_EXHAUSTED"};
  static const char* kTransient[] = {"InternalError", "InternalFailure", "ServiceUnavailable",
                                     "RequestTimeout", "backendError", "internalError", "UNAVAILABLE"};
  if (r.status == 429) return Verdict::kThrottled;
  for (const char* c : kThrottling)
    if (BodyHasCode(r.body, c)) return Verdict::kThrottled;
  if (r.status == 408 || r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504)
    return Verdict::kTransient;
  for (const char* c : kTransient)
    if (BodyHasCode(r.body, c)) return Verdict::kTransient;
  return Verdict::kPermanent;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value,
                                                         std::chrono::system_clock::time_point now) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::chrono::milliseconds(int64_t{999999999} * 1000);
    int64_t s = 0;
    for (char c : v) s = s * 10 + (c - '0');
    return std::chrono::milliseconds(s * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

// ---------------------------------------------------------------------------

namespace {

// Requests per second for one host: a token bucket that slows down when the
// host throttles and recovers additively.
class Bucket {
 public:
  Bucket(double rate, double burst, double floor) : configured_(rate), rate_(rate), burst_(burst), floor_(floor) {
    tokens_ = burst;
  }

  // How long the caller must wait before sending (the token is taken now:
  // concurrent callers queue behind each other).
  std::chrono::milliseconds Reserve() {
    std::lock_guard lock(mu_);
    if (rate_ <= 0) return std::chrono::milliseconds(0);
    Refill();
    tokens_ -= 1;
    if (tokens_ >= 0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(-tokens_ / rate_ * 1000)));
  }

  void Throttled() {
    std::lock_guard lock(mu_);
    Refill();
    // A host without a configured limit starts limiting at its first throttle.
    if (rate_ <= 0) rate_ = kUnlimitedStart;
    rate_ = std::max(floor_, rate_ * 0.5);
    tokens_ = std::min(tokens_, 0.0);
  }

  void Succeeded() {
    std::lock_guard lock(mu_);
    if (rate_ <= 0) return;
    const double target = configured_ > 0 ? configured_ : kUnlimitedStart * 4;
    if (rate_ < target) rate_ = std::min(target, rate_ + std::max(0.1, target * 0.02));
  }

  double rate() const {
    std::lock_guard lock(mu_);
    return rate_;
  }

 private:
  static constexpr double kUnlimitedStart = 10;

  void Refill() {
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    if (rate_ > 0) tokens_ = std::min(burst_, tokens_ + secs * rate_);
  }

  mutable std::mutex mu_;
  const double configured_;
  double rate_;
  const double burst_;
  const double floor_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

size_t WriteBody(char* data, size_t size, size_t n, void* out) {
  auto* r = static_cast<Response*>(out);
  if (r->body.empty()) {
    // The body's size when the server said it: the string is made that big
    // once, not doubled as the body arrives (a 3 MB answer held up to 4 MB
    // and was copied ~20 times). Capped: a header is no reason to allocate
    // more. Here, not in WriteHeader: a HEAD answer states a size and has no
    // body.
    const std::string len_text = r->Header("content-length");
    char* end = nullptr;
    const unsigned long long len = std::strtoull(len_text.c_str(), &end, 10);
    if (end != len_text.c_str() && *end == '\0' && len > size * n)
      r->body.reserve(std::min<unsigned long long>(len, 64ull << 20));
  }
  r->body.append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* out) {
  auto* r = static_cast<Response*>(out);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();   // a new response (after 100 Continue or a redirect)
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon), value = line.substr(colon + 1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  r->headers[name] = value;
  return size * n;
}

bool IsIdempotentMethod(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

// Whether a transport failure left the request unsent (safe to retry any
// method), sent-but-unanswered (safe only for idempotent requests), or is
// permanent (a bad URL, a certificate that does not verify).
enum class TransportKind { kNotSent, kUnanswered, kPermanent };

TransportKind Classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportKind::kNotSent;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:
      return TransportKind::kUnanswered;
    default:
      return TransportKind::kPermanent;
  }
}

// The URL with scheme://authority replaced by `endpoint` (when set).
std::string ApplyEndpoint(const std::string& url, const std::string& endpoint) {
  if (endpoint.empty()) return url;
  size_t start = url.find("://");
  if (start == std::string::npos) return url;
  size_t path = url.find_first_of("/?#", start + 3);
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (path == std::string::npos ? "/" : url.substr(path));
}

struct Attempt {
  CURLcode code = CURLE_OK;
  std::string error;
  Response response;
};

}  // namespace

struct HttpClient::Impl {
  ClientOptions options;
  bool ca_is_pem = false;

  std::mutex pool_mu;
  std::vector<CURL*> pool;   // idle easy handles; each keeps its connections

  mutable std::mutex buckets_mu;
  std::unordered_map<std::string, std::unique_ptr<Bucket>> buckets;

  std::atomic<int64_t> requests{0}, retries{0}, throttled{0}, failures{0}, bytes{0}, rate_wait_ms{0},
      retry_wait_ms{0};

  // options.max_in_flight's slots.
  std::mutex slots_mu;
  std::condition_variable slots_cv;
  int64_t in_flight = 0;

  // Takes a slot (false: cancelled while waiting).
  bool TakeSlot() {
    if (options.max_in_flight <= 0) return true;
    std::unique_lock lock(slots_mu);
    while (in_flight >= options.max_in_flight) {
      if (options.cancel && options.cancel->load()) return false;
      slots_cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    ++in_flight;
    return true;
  }
  void GiveSlot() {
    if (options.max_in_flight <= 0) return;
    {
      std::lock_guard lock(slots_mu);
      --in_flight;
    }
    slots_cv.notify_one();
  }

  ~Impl() {
    for (CURL* h : pool) curl_easy_cleanup(h);
  }

  CURL* Take() {
    {
      std::lock_guard lock(pool_mu);
      if (!pool.empty()) {
        CURL* h = pool.back();
        pool.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    curl_easy_reset(h);   // keeps the handle's live connections and caches
    std::lock_guard lock(pool_mu);
    pool.push_back(h);
  }

  Bucket& BucketOf(const std::string& host) {
    std::lock_guard lock(buckets_mu);
    auto& b = buckets[host];
    if (!b) b = std::make_unique<Bucket>(options.rate_per_second, options.burst, options.min_rate_per_second);
    return *b;
  }

  Attempt Once(const Request& req, const std::string& url) {
    Attempt a;
    CURL* h = Take();
    if (h == nullptr) {
      a.code = CURLE_FAILED_INIT;
      a.error = "libcurl could not create a handle";
      return a;
    }
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");   // every encoding libcurl decodes (gzip, deflate)
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                     options.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    const auto timeout = req.timeout.count() > 0 ? req.timeout : options.request_timeout;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
    if (!options.ca_cert.empty()) {
      if (ca_is_pem) {
        curl_blob blob{const_cast<char*>(options.ca_cert.data()), options.ca_cert.size(), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
      } else {
        curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_cert.c_str());
      }
    }
    if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method != "GET" || !req.body.empty()) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    // libcurl adds "Expect: 100-continue" to large bodies: one round trip lost.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a.response);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &a.response);

    a.code = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    a.response.status = static_cast<int>(status);
    if (a.code != CURLE_OK) a.error = errbuf[0] ? errbuf : curl_easy_strerror(a.code);
    curl_slist_free_all(headers);
    bytes += static_cast<int64_t>(a.response.body.size());
    Give(h);
    return a;
  }
};

Result<std::unique_ptr<HttpClient>> HttpClient::Make(ClientOptions options) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);   // once, thread-safe since C++11
  if (init != CURLE_OK) return Status::Internal(std::string("libcurl: ") + curl_easy_strerror(init));
  auto impl = std::make_unique<Impl>();
  impl->ca_is_pem = options.ca_cert.find("-----BEGIN") != std::string::npos;
  if (!options.classify) options.classify = DefaultClassifier;
  impl->options = std::move(options);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<Response> HttpClient::Do(const Request& request) {
  Impl& s = *impl_;
  const std::string url = ApplyEndpoint(request.url, s.options.endpoint);
  const std::string where = request.method + " " + UrlForMessages(url);
  Bucket& bucket = s.BucketOf(HostOf(url));
  const bool idempotent = request.idempotent || IsIdempotentMethod(request.method);
  RetrySchedule schedule(s.options.retry);
  std::string last;
  // Every counter goes to the client's totals and to the caller's figures.
  ApiCallFigures* figures = request.figures;
  auto count = [&](std::atomic<int64_t>& total, int64_t ApiCallFigures::*field, int64_t n = 1) {
    total += n;
    if (figures) figures->*field += n;
  };
  for (int attempt = 0;; ++attempt) {
    if (s.options.cancel && s.options.cancel->load()) return Status::Cancelled(where + ": cancelled");
    if (auto wait = bucket.Reserve(); wait.count() > 0) {
      count(s.rate_wait_ms, &ApiCallFigures::rate_wait_ms, wait.count());
      if (!SleepUnlessCancelled(wait, s.options.cancel)) return Status::Cancelled(where + ": cancelled");
    }
    const auto slot_wait_start = std::chrono::steady_clock::now();
    if (!s.TakeSlot()) return Status::Cancelled(where + ": cancelled");
    if (s.options.max_in_flight > 0) {
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                  slot_wait_start);
      if (waited.count() > 0) count(s.rate_wait_ms, &ApiCallFigures::rate_wait_ms, waited.count());
    }
    count(s.requests, &ApiCallFigures::requests);
    if (attempt > 0) count(s.retries, &ApiCallFigures::retries);
    Attempt a = s.Once(request, url);
    s.GiveSlot();
    if (figures) figures->bytes_received += static_cast<int64_t>(a.response.body.size());
    std::optional<std::chrono::milliseconds> hint;
    bool retry = false;
    if (a.code != CURLE_OK) {
      const TransportKind kind = Classify(a.code);
      last = Redact(a.error);
      if (kind == TransportKind::kPermanent) {
        count(s.failures, &ApiCallFigures::failures);
        return Status::IOError(where + ": " + last);
      }
      retry = kind == TransportKind::kNotSent || idempotent;
      if (!retry) {
        count(s.failures, &ApiCallFigures::failures);
        return Status::IOError(where + ": " + last +
                               " (the request may have been processed; it is not repeated because " +
                               request.method + " is not idempotent)");
      }
    } else {
      const Verdict v = s.options.classify(a.response);
      if (v == Verdict::kOk || v == Verdict::kPermanent) {
        if (v == Verdict::kOk) bucket.Succeeded();
        return std::move(a.response);
      }
      if (v == Verdict::kThrottled) {
        count(s.throttled, &ApiCallFigures::throttled);
        bucket.Throttled();
      }
      hint = ParseRetryAfter(a.response.Header("Retry-After"));
      last = "HTTP " + std::to_string(a.response.status) + (v == Verdict::kThrottled ? " (throttled)" : "");
      // 429 and 503 say the request was not processed; other answers of a
      // non-idempotent request are repeated only when the caller allows it.
      retry = idempotent || a.response.status == 429 || a.response.status == 503 || v == Verdict::kThrottled;
      if (!retry) {
        count(s.failures, &ApiCallFigures::failures);
        return std::move(a.response);
      }
    }
    auto delay = schedule.Next(hint);
    if (!delay) {
      count(s.failures, &ApiCallFigures::failures);
      return Status::Transient(where + ": gave up after " + std::to_string(attempt + 1) + " attempts over " +
                               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  RetrySchedule::Clock::now() - schedule.start())
                                                  .count()) +
                               " ms (" + s.options.retry.ToString() + "); last: " + last);
    }
    count(s.retry_wait_ms, &ApiCallFigures::retry_wait_ms, delay->count());
    if (!SleepUnlessCancelled(*delay, s.options.cancel)) return Status::Cancelled(where + ": cancelled");
  }
}

ClientStats HttpClient::Snapshot() const {
  ClientStats st;
  st.requests = impl_->requests;
  st.retries = impl_->retries;
  st.throttled = impl_->throttled;
  st.failures = impl_->failures;
  st.bytes_received = impl_->bytes;
  st.rate_wait = std::chrono::milliseconds(impl_->rate_wait_ms.load());
  st.retry_wait = std::chrono::milliseconds(impl_->retry_wait_ms.load());
  return st;
}

double HttpClient::CurrentRate(const std::string& host) const {
  std::lock_guard lock(impl_->buckets_mu);
  auto it = impl_->buckets.find(host);
  return it == impl_->buckets.end() ? impl_->options.rate_per_second : it->second->rate();
}

}  // namespace ferry::http
