#include "plugins/destination/clickhouse/http_transport.h"

#include "ferry/destination.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>

namespace ferry::plugins::clickhouse {

namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

bool LooksLikePem(const std::string& s) { return s.find("-----BEGIN") != std::string::npos; }

// Feeds curl from a BodySource.
struct Reader {
  BodySource* source;
  ByteBuffer& piece;  // the transport's, reused: its pages stay mapped
  size_t pos = 0;
  bool done = false;  // the source said the body is complete
  Status error;       // the source failed: the request is aborted
};

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  while (r->pos == r->piece.size()) {
    if (r->done) return 0;
    r->piece.Clear();
    r->pos = 0;
    auto more = r->source->Next(&r->piece);
    if (!more.ok()) {
      r->error = more.status();
      return CURL_READFUNC_ABORT;
    }
    if (!*more) r->done = true;
  }
  const size_t k = std::min(size * n, r->piece.size() - r->pos);
  std::memcpy(buf, r->piece.data().data() + r->pos, k);
  r->pos += k;
  return k;
}

// Aborts a transfer at CancelledCallDeadline once the sync is cancelled.
struct CancelCheck {
  const std::atomic<bool>* cancel;
  std::chrono::steady_clock::time_point start;
  std::optional<std::chrono::steady_clock::time_point> seen;
  bool fired = false;
};

int CheckCancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* c = static_cast<CancelCheck*>(user);
  if (!c->cancel) return 0;
  const auto now = std::chrono::steady_clock::now();
  if (!c->seen && c->cancel->load(std::memory_order_relaxed)) c->seen = now;
  if (c->seen && now >= CancelledCallDeadline(*c->seen, c->start)) {
    c->fired = true;
    return 1;   // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport(CURL* curl, Endpoint endpoint, TransportOptions options)
      : curl_(curl), endpoint_(std::move(endpoint)), options_(std::move(options)) {}
  ~CurlTransport() override { curl_easy_cleanup(curl_); }

  Result<HttpResponse> Post(const std::string& query_string, const HttpBody& body,
                            const std::vector<std::string>& headers) override {
    HttpResponse resp;
    const std::string url = endpoint_.base_url + "/?" + query_string;
    curl_easy_reset(curl_);  // keeps the connection cache: the connection stays alive
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    piece_.Clear();
    Reader reader{body.source, piece_, 0, false, Status::OK()};
    if (body.source) {
      body.source->Rewind();
      curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &ReadBody);
      curl_easy_setopt(curl_, CURLOPT_READDATA, &reader);
    } else {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.bytes.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.bytes.size()));
    }
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
    if (!endpoint_.user.empty() || !endpoint_.password.empty()) {
      curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl_, CURLOPT_USERNAME, endpoint_.user.empty() ? "default" : endpoint_.user.c_str());
      curl_easy_setopt(curl_, CURLOPT_PASSWORD, endpoint_.password.c_str());
    }
    if (endpoint_.tls) {
      if (endpoint_.skip_verify) {
        curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
      }
      if (!options_.ca_cert.empty()) {
        if (LooksLikePem(options_.ca_cert)) {
          curl_blob blob{const_cast<char*>(options_.ca_cert.data()), options_.ca_cert.size(), CURL_BLOB_COPY};
          curl_easy_setopt(curl_, CURLOPT_CAINFO_BLOB, &blob);
        } else {
          curl_easy_setopt(curl_, CURLOPT_CAINFO, options_.ca_cert.c_str());
        }
      }
    }
    curl_slist* list = curl_slist_append(nullptr, "Expect:");
    list = curl_slist_append(list, "Content-Type: application/octet-stream");
    if (body.source) list = curl_slist_append(list, "Transfer-Encoding: chunked");
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);

    CancelCheck cancel{options_.cancel, std::chrono::steady_clock::now(), std::nullopt};
    if (options_.cancel) {
      curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &CheckCancel);
      curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &cancel);
      curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    }
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    if (cancel.fired)
      return Status::Cancelled("ClickHouse at " + endpoint_.base_url + ": the sync was cancelled and the request had "
                               "not finished in time (" + std::to_string(kCancelGrace.count()) +
                               " s after the cancel): abandoned it");
    if (rc == CURLE_OK) {
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &resp.status);
      return resp;
    }
    if (!reader.error.ok()) return reader.error;  // aborted mid-body: not processed
    curl_off_t uploaded = 0;
    curl_easy_getinfo(curl_, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    const bool complete = body.source ? reader.done && reader.pos == reader.piece.size()
                                      : uploaded >= static_cast<curl_off_t>(body.bytes.size());
    const std::string what = std::string(curl_easy_strerror(rc)) + " (" + endpoint_.base_url + ")";
    switch (rc) {
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_LOGIN_DENIED:
        return Status::Invalid(what);
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SSL_CONNECT_ERROR:
        return Status::Transient(what);
      default:
        break;
    }
    // The body did not go out whole: the server cannot have run the query
    // on it (a truncated Native block fails to parse).
    if (!complete) return Status::Transient(what + ", request not sent completely");
    return Status::IOError(what + ", after the request was sent");
  }

 private:
  CURL* curl_;
  Endpoint endpoint_;
  TransportOptions options_;
  ByteBuffer piece_;  // the piece of a streamed body being sent
};

}  // namespace

Result<std::unique_ptr<HttpTransport>> NewCurlTransport(const Endpoint& endpoint, const TransportOptions& options) {
  static std::once_flag once;
  static CURLcode global = CURLE_OK;
  std::call_once(once, [] { global = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global != CURLE_OK) return Status::Internal(std::string("libcurl init failed: ") + curl_easy_strerror(global));
  CURL* curl = curl_easy_init();
  if (!curl) return Status::Internal("libcurl: curl_easy_init failed");
  return std::unique_ptr<HttpTransport>(new CurlTransport(curl, endpoint, options));
}

}  // namespace ferry::plugins::clickhouse
