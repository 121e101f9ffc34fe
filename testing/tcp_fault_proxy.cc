#include "testing/tcp_fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace ferry::testing {

TcpFaultProxy::TcpFaultProxy(std::string upstream_host, int upstream_port)
    : host_(std::move(upstream_host)), upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpFaultProxy::~TcpFaultProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : workers_) t.join();
  for (int fd : fds_) ::close(fd);
}

void TcpFaultProxy::AcceptLoop() {
  while (!stopping_) {
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::lock_guard<std::mutex> l(mu_);
    fds_.push_back(c);
    workers_.emplace_back([this, c] { Serve(c); });
  }
}

void TcpFaultProxy::Serve(int client) {
  int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(upstream_port_));
  ::inet_pton(AF_INET, host_.c_str(), &a.sin_addr);
  if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(up);
    ::shutdown(client, SHUT_RDWR);
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    fds_.push_back(up);
  }
  char buf[65536];
  bool losing = false;
  auto deadline = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (frozen_) {   // read nothing, send nothing, close nothing
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
    int r = ::poll(p, 2, 50);
    if (losing && std::chrono::steady_clock::now() >= deadline) break;
    if (r <= 0) continue;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (!losing && armed_.exchange(false)) {
        losing = true;
        ++lost_;
        // Until the server has answered (then it has done the request),
        // at most 30 s.
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      }
      if (::send(up, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(up, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (losing) {  // the answer is lost; close once the server has been quiet for `grace`
        deadline = std::chrono::steady_clock::now() + grace_;
        continue;
      }
      if (::send(client, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(up, SHUT_RDWR);
}

}  // namespace ferry::testing
