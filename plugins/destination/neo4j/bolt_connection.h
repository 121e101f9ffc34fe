// One Bolt connection to a Neo4j server: version handshake (Bolt 5.0-5.8 and
// 4.4), HELLO/LOGON, chunked messages, pipelined requests, and FAILURE /
// IGNORED / RESET handling. Written for Ferry because no C++ Neo4j driver is
// packaged for Debian 12; the message signatures and fields are those of
// Neo4j's Bolt protocol documentation.
//
// Requests are queued (Queue*) and sent together by Exchange(), which reads
// one response per request: BEGIN, RUN, PULL and COMMIT of one transaction
// cost one round trip. After a FAILURE the server ignores what follows until
// RESET; Exchange sends the RESET itself, so the connection is ready again
// (any open transaction rolled back) and the failure is returned as a Status.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "plugins/common/tcp_socket.h"
#include "plugins/destination/neo4j/packstream.h"

namespace ferry::plugins::neo4j::bolt {

// The transport is the shared TCP/TLS socket (plugins/common/tcp_socket.h).
using Socket = net::TcpSocket;
using SocketOptions = net::SocketOptions;
using TlsMode = net::TlsMode;

struct BoltVersion {
  int major = 0;
  int minor = 0;
  bool AtLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
  std::string ToString() const { return std::to_string(major) + "." + std::to_string(minor); }
};

struct AuthToken {
  std::string scheme = "none";  // "basic", "bearer" or "none"
  std::string principal;
  std::string credentials;       // secret: never in an error or log
  std::string realm;
};

struct ConnectionOptions {
  SocketOptions socket;
  AuthToken auth;
  std::string user_agent;  // "ferry/<version>"
  // neo4j:// URIs: HELLO carries the routing context (address = host:port as
  // the user wrote it, plus the URI's query parameters).
  bool routing = false;
  std::map<std::string, std::string> routing_context;
};

// The server's answer to one request.
struct Response {
  enum class Kind { kSuccess, kFailure, kIgnored };
  Kind kind = Kind::kIgnored;
  PackValue metadata;                 // SUCCESS / FAILURE map
  std::vector<PackValue> records;     // RECORD lists before a PULL's SUCCESS
};

// What a routing table says (ROUTE).
struct RoutingTable {
  int64_t ttl_seconds = 0;
  std::string database;
  std::vector<std::string> writers, readers, routers;  // "host:port"
};

// Transaction and query extras of BEGIN and auto-commit RUN.
struct TxConfig {
  std::string database;                // "" = the server's default database
  std::vector<std::string> bookmarks;
  std::chrono::milliseconds timeout{0};  // 0 = the server's default
  bool read_only = false;
};

// A FAILURE as a Status: Transient for Neo.TransientError.* (but not the
// terminated-transaction ones) and for a cluster member that is no longer
// the leader; Invalid for authentication and client errors. The message is
// "Neo4j <code>: <server's message>".
Status FailureStatus(const PackValue& metadata);
// The Neo4j status code of a FAILURE (Bolt 5.7 calls it neo4j_code).
std::string FailureCode(const PackValue& metadata);

class Connection {
 public:
  // Connects, negotiates the version and authenticates. A wrong user name or
  // password is an Invalid error that says so (the password is not shown).
  static Result<std::unique_ptr<Connection>> Open(const ConnectionOptions& options);
  ~Connection();

  const BoltVersion& version() const { return version_; }
  const std::string& server_agent() const { return server_agent_; }
  const std::string& connection_id() const { return connection_id_; }
  const std::string& peer() const { return socket_->peer(); }
  // False once the transport failed, or when the connection sat idle for
  // nearly as long as the server waits before closing idle connections (its
  // connection.recv_timeout_seconds hint): open a new connection.
  bool usable() const;

  void QueueBegin(const TxConfig& config);
  // `params`: the PackStream bytes of a map (empty: no parameters).
  void QueueRun(std::string_view cypher, std::string_view params, const TxConfig* auto_commit = nullptr);
  void QueuePull(int64_t n = -1);
  void QueueDiscard(int64_t n = -1);
  void QueueCommit();
  void QueueRollback();

  // Sends what is queued and reads one response per request. On a FAILURE:
  // RESET, then the failure's Status (responses up to it are in *out).
  Status Exchange(std::vector<Response>* out = nullptr);

  // Runs one auto-commit query and returns its records.
  Result<std::vector<PackValue>> Query(std::string_view cypher, std::string_view params = {},
                                       const TxConfig& config = {});

  // ROUTE: the routing table of `database` ("" = default).
  Result<RoutingTable> Route(const std::string& database, const std::vector<std::string>& bookmarks);

  // The last bookmark a COMMIT (or auto-commit query) returned.
  const std::string& last_bookmark() const { return bookmark_; }

  // GOODBYE and close.
  void Close();

 private:
  Connection() = default;
  void QueueMessage(uint8_t signature, int fields, const std::string& body);
  Status Handshake();
  Status Hello(const ConnectionOptions& options);
  Status ReadMessage(std::string* msg);
  Status Broken(const Status& s);
  std::string TxExtra(const TxConfig& config) const;

  std::unique_ptr<Socket> socket_;
  BoltVersion version_;
  std::string server_agent_, connection_id_, bookmark_;
  std::string out_;       // chunked messages waiting for Exchange
  std::vector<uint8_t> pending_;  // signatures of the queued requests
  bool broken_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
  std::chrono::seconds idle_limit_{0};  // 0: the server sent no hint
};

// The chunked form of one message (2-byte big-endian chunk sizes of at most
// 65535, then the 00 00 end marker), appended to *out.
void AppendChunked(std::string_view message, std::string* out);

}  // namespace ferry::plugins::neo4j::bolt
