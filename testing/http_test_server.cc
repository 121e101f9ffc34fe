#include "testing/http_test_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <strings.h>

#include <cstring>
#include <stdexcept>

namespace ferry::testing {
namespace {

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string Gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);   // 31: gzip wrapper
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

HttpTestServer::HttpTestServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   // loopback only
  addr.sin_port = 0;                               // the OS picks a free port
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error(std::string("test server: bind/listen: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

HttpTestServer::~HttpTestServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void HttpTestServer::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++connections_;
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void HttpTestServer::Serve(int fd) {
  std::string buf;
  char chunk[16384];
  for (;;) {
    // Headers.
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    ServerRequest req;
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        req.headers[line.substr(0, colon)] = v;
      }
      pos = e + 2;
    }
    size_t length = 0;
    if (auto it = req.headers.find("Content-Length"); it != req.headers.end()) length = std::stoul(it->second);
    while (buf.size() < length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    req.body = buf.substr(0, length);
    buf.erase(0, length);
    ++requests_;

    ServerReply reply = handler_(req);
    if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
    if (reply.fault == ServerReply::Fault::kReset) {
      linger l{1, 0};   // RST, not FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fd);
      return;
    }
    std::string body = reply.gzip ? Gzip(reply.body) : reply.body;
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) + "\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    if (reply.gzip) out += "Content-Encoding: gzip\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (reply.fault == ServerReply::Fault::kTruncate) {
      SendAll(fd, out + body.substr(0, body.size() / 2));
      ::close(fd);
      return;
    }
    if (!SendAll(fd, out + body)) {
      ::close(fd);
      return;
    }
    if (auto it = req.headers.find("Connection"); it != req.headers.end() && it->second == "close") {
      ::close(fd);
      return;
    }
  }
}

// ---------------------------------------------------------------------------

HttpFaultProxy::HttpFaultProxy(std::string upstream)
    : upstream_(std::move(upstream)), server_([this](const ServerRequest& r) { return Handle(r); }) {}

void HttpFaultProxy::Inject(Fault fault, int count) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) script_.push_back(fault);
}

namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t AppendHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon == std::string::npos || line.rfind("HTTP/", 0) == 0) return size * n;
  std::string name = line.substr(0, colon), value = line.substr(colon + 1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  auto* h = static_cast<http::Headers*>(out);
  if (strcasecmp(name.c_str(), "Content-Length") != 0 && strcasecmp(name.c_str(), "Transfer-Encoding") != 0 &&
      strcasecmp(name.c_str(), "Connection") != 0)
    (*h)[name] = value;
  return size * n;
}

}  // namespace

ServerReply HttpFaultProxy::Handle(const ServerRequest& req) {
  std::optional<Fault> fault;
  {
    std::lock_guard lock(mu_);
    if (!script_.empty()) {
      fault = script_.front();
      script_.pop_front();
    }
  }
  ServerReply reply;
  if (fault) {
    ++faults_served_;
    switch (fault->kind) {
      case Fault::Kind::kStatus:
        reply.status = fault->status;
        if (fault->retry_after_seconds) reply.headers["Retry-After"] = std::to_string(*fault->retry_after_seconds);
        reply.body = "{\"error\":\"injected by the fault proxy\"}";
        return reply;
      case Fault::Kind::kReset:
        reply.fault = ServerReply::Fault::kReset;
        return reply;
      case Fault::Kind::kDelay:
        std::this_thread::sleep_for(fault->delay);
        break;
      case Fault::Kind::kTruncate:
        reply.fault = ServerReply::Fault::kTruncate;
        break;
    }
  }
  // Forward: absolute-form targets (forward-proxy use) go where they say.
  const std::string url = req.target.rfind("http://", 0) == 0 ? req.target : upstream_ + req.target;
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");   // never through the environment's proxy (this one)
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) {
    if (strcasecmp(k.c_str(), "Host") == 0 || strcasecmp(k.c_str(), "Content-Length") == 0 ||
        strcasecmp(k.c_str(), "Proxy-Connection") == 0)
      continue;
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply.headers);
  CURLcode rc = curl_easy_perform(h);
  long status = 502;
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) reply.body = std::string("upstream: ") + curl_easy_strerror(rc);
  reply.status = static_cast<int>(status);
  ++forwarded_;
  return reply;
}

}  // namespace ferry::testing
