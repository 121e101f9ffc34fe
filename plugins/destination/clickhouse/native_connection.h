// The native TCP protocol's Wire (wire.h): one connection to one server,
// opened on first use and again after it broke, over the shared TCP/TLS
// socket (plugins/common/tcp_socket.h). Packets: native_protocol.h.
//
// A query: Query packet (query id, client info, settings, stage Complete,
// compression flag, SQL), the empty Data block that ends external tables;
// then the server's packets until EndOfStream or Exception. Data blocks are
// gathered (and rendered as TSV when the SQL asks for TSV or names no
// format); Progress, ProfileInfo, Totals, Extremes, Log, TableColumns and
// ProfileEvents are read and dropped.
//
// An insert (`INSERT INTO t (...) FORMAT Native` with a body): after the
// Query the server sends the table's sample block; Ferry then sends the
// body as ONE Data block (the NativeBody's pieces, compressed in frames when
// `compress` is on) and the empty block that ends the data, and reads the
// answer. The server inserts only after the empty block (the client sets
// min_insert_block_size_rows above the row count, client.h), so a
// connection lost before it leaves nothing behind: Transient. Lost after
// it: IOError, the outcome is unknown (the client asks system.query_log).
// A body that fails mid-block closes the connection (the server drops the
// partial block). A read deadline that passes sends Cancel, then closes.
//
// The password is sent in Hello only and never appears in an error.
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "plugins/common/tcp_socket.h"
#include "plugins/destination/clickhouse/compressed_frame.h"
#include "plugins/destination/clickhouse/connection_string.h"
#include "plugins/destination/clickhouse/native_protocol.h"
#include "plugins/destination/clickhouse/wire.h"

namespace ferry::plugins::clickhouse {

struct NativeOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t io_timeout_ms = 600000;  // one read or write waiting longer fails
  std::string ca_cert;             // PEM text or a file path; empty: the system store
  const std::atomic<bool>* cancel = nullptr;   // TransportOptions::cancel
};

class NativeConnection final : public Wire {
 public:
  NativeConnection(Endpoint endpoint, NativeOptions options);
  ~NativeConnection() override;

  Result<WireResponse> Execute(const WireRequest& request) override;
  bool native() const override { return true; }

  // Ping/Pong on the open connection (opening it first): Transient when the
  // server does not answer.
  Status Ping();
  // The server's Hello and the revision in use (after the first Execute/Ping).
  const native::ServerHello& server() const { return hello_; }
  uint64_t revision() const { return revision_; }
  void Close();

 private:
  class SocketReader;
  // Connects and says Hello; a server Exception (bad password) comes back as
  // a WireResponse with ok == false in `refused`.
  Status Open(WireResponse* refused);
  Status Send(const ByteBuffer& bytes);
  // Reads packets until EndOfStream/Exception into `out`; `until_data` stops
  // at the first Data packet instead (an INSERT's sample block).
  Status ReadAnswer(WireResponse* out, ByteBuffer* blocks, bool until_data, bool* got_data);
  Status SendInsertBody(BodySource& body);
  Status Broken(Status st);  // closes the connection, returns st

  Endpoint endpoint_;
  NativeOptions options_;
  Codec codec_ = Codec::kNone;
  std::unique_ptr<net::TcpSocket> socket_;
  std::unique_ptr<SocketReader> reader_;
  native::ServerHello hello_;
  uint64_t revision_ = 0;
  std::chrono::steady_clock::time_point last_used_{};
};

// A Wire for `endpoint`: NativeConnection for clickhouse:// and tcp://
// connection strings, HTTP (through `transport`) otherwise.
Result<std::unique_ptr<Wire>> NewWire(const Endpoint& endpoint, const TransportOptions& options,
                                      const TransportFactory& transports);

}  // namespace ferry::plugins::clickhouse
