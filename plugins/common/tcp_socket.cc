#include "plugins/common/tcp_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace ferry::plugins::net {
namespace {

SSL_CTX* Ctx(void* p) { return static_cast<SSL_CTX*>(p); }
SSL* Ssl(void* p) { return static_cast<SSL*>(p); }

std::string OpenSslErrors() {
  std::string s;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!s.empty()) s += "; ";
    s += buf;
  }
  return s.empty() ? "unknown TLS error" : s;
}

// Trusts every certificate in the PEM text `pem`.
Status AddPemCertificates(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Status::IOError("TLS: " + OpenSslErrors());
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the read past the last certificate leaves an error behind
  if (added == 0) return Status::Invalid("TLS: the CA certificate text holds no PEM certificate");
  return Status::OK();
}

Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return Status::IOError(std::string("fcntl: ") + std::strerror(errno));
  return Status::OK();
}

}  // namespace

TcpSocket::~TcpSocket() { Close(); }

void TcpSocket::Close() {
  if (ssl_) {
    SSL_free(Ssl(ssl_));  // no close_notify: the peer sees the TCP close
    ssl_ = nullptr;
  }
  if (ssl_ctx_) {
    SSL_CTX_free(Ctx(ssl_ctx_));
    ssl_ctx_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Status TcpSocket::IoError(const std::string& what) const {
  return Status::Transient("connection to " + peer_ + ": " + what);
}

Status TcpSocket::Wait(bool for_write) {
  using Clock = std::chrono::steady_clock;
  pollfd p{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  const auto start = Clock::now();
  const auto deadline = start + io_timeout_;
  for (;;) {
    auto until = deadline;
    if (cancel_) {
      if (!cancel_seen_ && cancel_->load(std::memory_order_relaxed)) cancel_seen_ = Clock::now();
      if (cancel_seen_) until = std::min(until, CancelledCallDeadline(*cancel_seen_, start));
    }
    const auto now = Clock::now();
    if (now >= until) {
      if (until < deadline)
        return Status::Cancelled("connection to " + peer_ + ": the sync was cancelled and the server had not answered " +
                                 "in time (" + std::to_string(kCancelGrace.count()) + " s after the cancel)");
      return IoError("no answer within " + std::to_string(io_timeout_.count() / 1000) + " s (io_timeout)");
    }
    // Waits in steps of at most 200 ms while a cancel can still come.
    auto step = std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + std::chrono::milliseconds(1);
    if (cancel_) step = std::min(step, std::chrono::milliseconds(200));
    int r = ::poll(&p, 1, static_cast<int>(step.count()));
    if (r > 0) return Status::OK();
    if (r < 0 && errno != EINTR) return IoError(std::string("poll: ") + std::strerror(errno));
  }
}

Result<std::unique_ptr<TcpSocket>> TcpSocket::Connect(const SocketOptions& o) {
  std::unique_ptr<TcpSocket> s(new TcpSocket());
  s->peer_ = o.host + ":" + std::to_string(o.port);
  s->io_timeout_ = o.io_timeout;
  s->cancel_ = o.cancel;
  s->tls_hint_ = o.tls_hint;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(o.port);
  int gai = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) return Status::Transient("cannot resolve " + o.host + ": " + gai_strerror(gai));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    if (!SetNonBlocking(fd).ok()) {
      ::close(fd);
      continue;
    }
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int pr;
      do pr = ::poll(&p, 1, static_cast<int>(o.connect_timeout.count()));
      while (pr < 0 && errno == EINTR);
      if (pr == 0) {
        last = "timed out after " + std::to_string(o.connect_timeout.count()) + " ms";
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
      errno = err;
    }
    if (r < 0) {
      last = std::strerror(errno);
      ::close(fd);
      continue;
    }
    s->fd_ = fd;
    break;
  }
  ::freeaddrinfo(res);
  if (s->fd_ < 0) return Status::Transient("cannot connect to " + s->peer_ + ": " + last);
  int one = 1;
  ::setsockopt(s->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (o.tls == TlsMode::kOff) return s;

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Status::IOError("TLS: " + OpenSslErrors());
  s->ssl_ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (o.tls == TlsMode::kVerify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!o.ca_pem.empty()) {
      FERRY_RETURN_NOT_OK(AddPemCertificates(ctx, o.ca_pem));
    } else {
      int ok = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                 : SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr);
      if (ok != 1) return Status::Invalid("TLS: cannot load the CA certificates " + o.ca_file + ": " + OpenSslErrors());
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!o.client_cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o.client_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, (o.client_key.empty() ? o.client_cert : o.client_key).c_str(),
                                    SSL_FILETYPE_PEM) != 1)
      return Status::Invalid("TLS: cannot load the client certificate " + o.client_cert + ": " + OpenSslErrors());
  }
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return Status::IOError("TLS: " + OpenSslErrors());
  s->ssl_ = ssl;
  SSL_set_fd(ssl, s->fd_);
  SSL_set_tlsext_host_name(ssl, o.host.c_str());
  if (o.tls == TlsMode::kVerify) {
    // An IP address is checked against the certificate's IP entries, a name
    // against its DNS names.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, o.host.c_str()) != 1) SSL_set1_host(ssl, o.host.c_str());
  }
  for (;;) {
    int r = SSL_connect(ssl);
    if (r == 1) break;
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      FERRY_RETURN_NOT_OK(s->Wait(e == SSL_ERROR_WANT_WRITE));
      continue;
    }
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
      return Status::Invalid("TLS handshake with " + s->peer_ + ": the server's certificate is not trusted (" +
                             X509_verify_cert_error_string(verify) +
                             "); " + s->tls_hint_);
    return Status::Transient("TLS handshake with " + s->peer_ + " failed: " + OpenSslErrors() +
                             " (does the server accept TLS on this port?)");
  }
  return s;
}

Status TcpSocket::WriteAll(std::string_view data) {
  if (fd_ < 0) return IoError("closed");
  size_t done = 0;
  while (done < data.size()) {
    if (ssl_) {
      size_t n = 0;
      int r = SSL_write_ex(Ssl(ssl_), data.data() + done, data.size() - done, &n);
      if (r == 1) {
        done += n;
        continue;
      }
      int e = SSL_get_error(Ssl(ssl_), r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        FERRY_RETURN_NOT_OK(Wait(e == SSL_ERROR_WANT_WRITE));
        continue;
      }
      return IoError("TLS write failed: " + OpenSslErrors());
    }
    ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      FERRY_RETURN_NOT_OK(Wait(true));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return IoError(std::string("write failed: ") + std::strerror(errno));
    }
  }
  return Status::OK();
}

Result<size_t> TcpSocket::ReadSome(char* out, size_t max) {
  if (fd_ < 0) return IoError("closed");
  if (max == 0) return size_t{0};
  for (;;) {
    if (ssl_) {
      size_t got = 0;
      int r = SSL_read_ex(Ssl(ssl_), out, max, &got);
      if (r == 1) return got;
      int e = SSL_get_error(Ssl(ssl_), r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        FERRY_RETURN_NOT_OK(Wait(e == SSL_ERROR_WANT_WRITE));
        continue;
      }
      if (e == SSL_ERROR_ZERO_RETURN) return IoError("the server closed the connection");
      return IoError("TLS read failed: " + OpenSslErrors());
    }
    ssize_t r = ::recv(fd_, out, max, 0);
    if (r > 0) return static_cast<size_t>(r);
    if (r == 0) return IoError("the server closed the connection");
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      FERRY_RETURN_NOT_OK(Wait(false));
    } else if (errno != EINTR) {
      return IoError(std::string("read failed: ") + std::strerror(errno));
    }
  }
}

Status TcpSocket::ReadExact(size_t n, std::string* out) {
  out->resize(n);
  return ReadExact(n, out->data());
}

Status TcpSocket::ReadExact(size_t n, char* out) {
  if (fd_ < 0) return IoError("closed");
  size_t done = 0;
  while (done < n) {
    if (ssl_) {
      size_t got = 0;
      int r = SSL_read_ex(Ssl(ssl_), out + done, n - done, &got);
      if (r == 1) {
        done += got;
        continue;
      }
      int e = SSL_get_error(Ssl(ssl_), r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        FERRY_RETURN_NOT_OK(Wait(e == SSL_ERROR_WANT_WRITE));
        continue;
      }
      if (e == SSL_ERROR_ZERO_RETURN) return IoError("the server closed the connection");
      return IoError("TLS read failed: " + OpenSslErrors());
    }
    ssize_t r = ::recv(fd_, out + done, n - done, 0);
    if (r > 0) {
      done += static_cast<size_t>(r);
    } else if (r == 0) {
      return IoError("the server closed the connection");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      FERRY_RETURN_NOT_OK(Wait(false));
    } else if (errno != EINTR) {
      return IoError(std::string("read failed: ") + std::strerror(errno));
    }
  }
  return Status::OK();
}

}  // namespace ferry::plugins::net
