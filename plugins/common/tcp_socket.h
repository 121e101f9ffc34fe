// A TCP connection, optionally TLS (OpenSSL), with deadlines: the byte
// stream under Ferry's own wire-protocol clients (Neo4j's Bolt, ClickHouse's
// native protocol). Written here because those clients need nothing more than
// a byte stream and no packaged library gives one with TLS and timeouts short
// of a whole framework.
//
// Errors: Transient when the connection failed or broke (refused, reset,
// timed out: the caller decides whether the request may have been done);
// Invalid for TLS configuration and certificate failures, with
// SocketOptions::tls_hint saying how to fix them in the caller's terms.
// Thread-safety: one thread at a time per socket.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/destination.h"
#include "ferry/status.h"

namespace ferry::plugins::net {

enum class TlsMode {
  kOff,
  kVerify,     // certificate chain (system store or ca_file) and host name checked
  kTrustAny,   // encrypted, certificate not checked (bolt+ssc, skip_verify)
};

struct SocketOptions {
  std::string host;
  int port = 0;
  TlsMode tls = TlsMode::kOff;
  std::string ca_file;        // PEM file; empty (and no ca_pem): the system's trust store
  std::string ca_pem;         // PEM text of trusted CAs (instead of ca_file)
  std::string client_cert;    // PEM (mutual TLS), optional
  std::string client_key;     // PEM, optional
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds io_timeout{300000};  // one read or write waiting longer fails
  // The sync's cancel flag (DestinationInit::cancel; may be null). Once it is
  // set, a read or write waits until CancelledCallDeadline (ferry/
  // destination.h: 10 s after the cancel, at least 1 s after the wait's
  // start), then fails with Status::Cancelled: a cancelled sync does not wait
  // out io_timeout on a server that stopped answering.
  const std::atomic<bool>* cancel = nullptr;
  // Appended to "the server's certificate is not trusted": which option to
  // set ("set tls_ca_file to the CA that signed it, ...").
  std::string tls_hint = "set the CA certificate that signed it";
};

class TcpSocket {
 public:

  ~TcpSocket();
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  // Resolves, connects (every address in turn) and does the TLS handshake.
  // Errors are Transient when retrying may help (refused, unreachable,
  // timed out) and Invalid for TLS certificate failures.
  static Result<std::unique_ptr<TcpSocket>> Connect(const SocketOptions& options);

  Status WriteAll(std::string_view data);
  // Reads exactly n bytes into out (replacing it).
  Status ReadExact(size_t n, std::string* out);
  Status ReadExact(size_t n, char* out);
  // Reads what is available, at least one byte (waiting up to io_timeout),
  // at most `max`; returns the count.
  Result<size_t> ReadSome(char* out, size_t max);
  // Changes the deadline of one read or write from now on.
  void set_io_timeout(std::chrono::milliseconds t) { io_timeout_ = t; }

  void Close();
  const std::string& peer() const { return peer_; }  // "host:port"

 private:
  TcpSocket() = default;
  Status Wait(bool for_write);
  Status IoError(const std::string& what) const;

  int fd_ = -1;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;      // SSL*
  std::string peer_;
  std::string tls_hint_;
  std::chrono::milliseconds io_timeout_{0};
  const std::atomic<bool>* cancel_ = nullptr;
  std::optional<std::chrono::steady_clock::time_point> cancel_seen_;   // when a wait first saw it
};

}  // namespace ferry::plugins::net
