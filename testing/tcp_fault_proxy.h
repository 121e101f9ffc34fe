// A TCP proxy on 127.0.0.1 between a client and an upstream server that can
// lose the server's answer: once armed, the next bytes the client sends are
// forwarded, whatever the server answers is dropped, and both connections
// are closed once the server has answered and then been quiet for `grace`. The server
// has then done the request (a COMMIT, say) and the client never learns it:
// the "outcome unknown" case of include/ferry/destination.h. Freeze() makes
// it a server that answers nothing at all. Test-only.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ferry::testing {

class TcpFaultProxy {
 public:
  TcpFaultProxy(std::string upstream_host, int upstream_port);
  ~TcpFaultProxy();
  TcpFaultProxy(const TcpFaultProxy&) = delete;
  TcpFaultProxy& operator=(const TcpFaultProxy&) = delete;

  int port() const { return port_; }
  // Loses the answer to the next request (see above).
  void LoseNextAnswer(std::chrono::milliseconds grace = std::chrono::milliseconds(300)) {
    grace_ = grace;
    armed_ = true;
  }
  // Times an answer was lost.
  int lost() const { return lost_; }
  // From now on nothing passes, either way, on any connection (new ones are
  // accepted and then hang too), and nothing is closed: a server that
  // stopped answering, as a stopped process or a dead network path.
  void Freeze() { frozen_ = true; }

 private:
  void AcceptLoop();
  void Serve(int client);

  std::string host_;
  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> armed_{false};
  std::atomic<bool> frozen_{false};
  std::atomic<int> lost_{0};
  std::chrono::milliseconds grace_{500};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
};

}  // namespace ferry::testing
