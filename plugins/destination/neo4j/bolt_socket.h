// A TCP connection, optionally TLS (OpenSSL), with deadlines: the transport
// under the Bolt client. Written here because the Bolt client needs nothing
// more than a byte stream and no packaged library gives one with TLS and
// timeouts short of a whole framework.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry::plugins::neo4j::bolt {

enum class TlsMode {
  kOff,
  kVerify,     // certificate chain (system store or ca_file) and host name checked
  kTrustAny,   // encrypted, certificate not checked (bolt+ssc, neo4j+ssc)
};

struct SocketOptions {
  std::string host;
  int port = 7687;
  TlsMode tls = TlsMode::kOff;
  std::string ca_file;        // PEM; empty: the system's trust store
  std::string client_cert;    // PEM (mutual TLS), optional
  std::string client_key;     // PEM, optional
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds io_timeout{300000};  // one read or write waiting longer fails
};

class Socket {
 public:
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Resolves, connects (every address in turn) and does the TLS handshake.
  // Errors are Transient when retrying may help (refused, unreachable,
  // timed out) and Invalid for TLS certificate failures.
  static Result<std::unique_ptr<Socket>> Connect(const SocketOptions& options);

  Status WriteAll(std::string_view data);
  // Reads exactly n bytes into out (replacing it).
  Status ReadExact(size_t n, std::string* out);
  Status ReadExact(size_t n, char* out);

  void Close();
  const std::string& peer() const { return peer_; }  // "host:port"

 private:
  Socket() = default;
  Status Wait(bool for_write);
  Status IoError(const std::string& what) const;

  int fd_ = -1;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;      // SSL*
  std::string peer_;
  std::chrono::milliseconds io_timeout_{0};
};

}  // namespace ferry::plugins::neo4j::bolt
