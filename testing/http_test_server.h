// Real HTTP/1.1 servers on 127.0.0.1 for tests of API integrations.
//
// HttpTestServer answers with a handler (keep-alive, Content-Length bodies,
// optional gzip) and can misbehave per reply: a delay, a reset connection (no
// answer), a truncated body (Content-Length larger than what is sent). It
// counts connections, so tests can prove connection reuse.
//
// HttpFaultProxy sits between a client and an upstream (an emulator, or an
// HttpTestServer) and injects scripted faults into the next requests: a delay,
// a burst of 429/503 answers with or without Retry-After, resets, truncated
// bodies; other requests are forwarded. It also works as a forward proxy
// (HTTP_PROXY): an absolute-form request target is forwarded to that URL.
// Both listen on 127.0.0.1 only, on a port the OS picks.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ferry/http/client.h"

namespace ferry::testing {

struct ServerRequest {
  std::string method;
  std::string target;   // "/path?query", or absolute-form when used as a proxy
  http::Headers headers;
  std::string body;
};

struct ServerReply {
  int status = 200;
  http::Headers headers;
  std::string body;
  enum class Fault { kNone, kReset, kTruncate } fault = Fault::kNone;
  std::chrono::milliseconds delay{0};
  bool gzip = false;   // gzip the body (Content-Encoding: gzip)
};

class HttpTestServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;
  explicit HttpTestServer(Handler handler);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
};

class HttpFaultProxy {
 public:
  struct Fault {
    enum class Kind { kDelay, kStatus, kReset, kTruncate } kind;
    int status = 503;                          // kStatus
    std::optional<int> retry_after_seconds;    // kStatus: sent as Retry-After
    std::chrono::milliseconds delay{0};        // kDelay: before forwarding
  };

  // `upstream`: "http://127.0.0.1:PORT" that origin-form requests go to.
  explicit HttpFaultProxy(std::string upstream);

  // The next `count` requests get `fault`.
  void Inject(Fault fault, int count = 1);
  std::string url() const { return server_.url(); }
  int forwarded() const { return forwarded_; }
  int faults_served() const { return faults_served_; }

 private:
  ServerReply Handle(const ServerRequest& req);

  std::string upstream_;
  std::mutex mu_;
  std::deque<Fault> script_;
  std::atomic<int> forwarded_{0};
  std::atomic<int> faults_served_{0};
  HttpTestServer server_;   // last: its threads use the members above
};

}  // namespace ferry::testing
