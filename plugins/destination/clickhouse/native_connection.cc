#include "plugins/destination/clickhouse/native_connection.h"

#include <algorithm>
#include <cctype>

namespace ferry::plugins::clickhouse {

namespace sp = native::server_packet;

// Buffered reads from the socket (the protocol reads byte-sized varints).
class NativeConnection::SocketReader final : public WireReader {
 public:
  explicit SocketReader(net::TcpSocket* s) : socket_(s), buf_(1 << 16) {}
  Status Read(char* out, size_t n) override {
    while (n > 0) {
      if (pos_ == end_) {
        if (n >= buf_.size()) return socket_->ReadExact(n, out);
        FERRY_ASSIGN_OR_RETURN(end_, socket_->ReadSome(buf_.data(), buf_.size()));
        pos_ = 0;
      }
      const size_t k = std::min(n, end_ - pos_);
      std::memcpy(out, buf_.data() + pos_, k);
      pos_ += k;
      out += k;
      n -= k;
    }
    return Status::OK();
  }

 private:
  net::TcpSocket* socket_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
};

namespace {

enum class Format { kTsv, kNative };

// The output format the SQL names at its end (TSV when none, as over HTTP).
Result<Format> OutputFormat(const std::string& sql) {
  std::string s = sql;
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == ';')) s.pop_back();
  const size_t sp = s.find_last_of(" \t\n");
  if (sp == std::string::npos || sp < 7) return Format::kTsv;
  std::string kw = s.substr(0, sp);
  while (!kw.empty() && std::isspace(static_cast<unsigned char>(kw.back()))) kw.pop_back();
  if (kw.size() < 6) return Format::kTsv;
  std::string last = kw.substr(kw.size() - 6);
  for (char& c : last) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (last != "FORMAT" || (kw.size() > 6 && !std::isspace(static_cast<unsigned char>(kw[kw.size() - 7]))))
    return Format::kTsv;
  const std::string name = s.substr(sp + 1);
  if (name == "Native") return Format::kNative;
  if (name == "TSV" || name == "TabSeparated") return Format::kTsv;
  return Status::Unsupported("over the native protocol Ferry reads answers in FORMAT TSV or Native, not " + name);
}

Codec CodecOf(const Endpoint& e) {
  switch (e.native_compress) {
    case Endpoint::NativeCompress::kLz4: return Codec::kLz4;
    case Endpoint::NativeCompress::kZstd: return Codec::kZstd;
    case Endpoint::NativeCompress::kNone: break;
  }
  return Codec::kNone;
}

}  // namespace

NativeConnection::NativeConnection(Endpoint endpoint, NativeOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), codec_(CodecOf(endpoint_)) {}

NativeConnection::~NativeConnection() { Close(); }

void NativeConnection::Close() {
  reader_.reset();
  socket_.reset();
}

Status NativeConnection::Broken(Status st) {
  Close();
  return st;
}

Status NativeConnection::Send(const ByteBuffer& bytes) { return socket_->WriteAll(bytes.data()); }

Status NativeConnection::Open(WireResponse* refused) {
  net::SocketOptions so;
  so.host = endpoint_.host;
  so.port = endpoint_.port;
  so.tls = !endpoint_.tls          ? net::TlsMode::kOff
           : endpoint_.skip_verify ? net::TlsMode::kTrustAny
                                   : net::TlsMode::kVerify;
  if (options_.ca_cert.find("-----BEGIN") != std::string::npos)
    so.ca_pem = options_.ca_cert;
  else
    so.ca_file = options_.ca_cert;
  so.connect_timeout = std::chrono::milliseconds(options_.connect_timeout_ms);
  so.io_timeout = std::chrono::milliseconds(options_.io_timeout_ms);
  so.cancel = options_.cancel;
  so.tls_hint = "set ca_cert to the CA that signed it, or skip_verify=true in connection_string to skip the check";
  FERRY_ASSIGN_OR_RETURN(socket_, net::TcpSocket::Connect(so));
  reader_ = std::make_unique<SocketReader>(socket_.get());
  ByteBuffer hello;
  native::WriteHello(endpoint_.database, endpoint_.user, endpoint_.password, &hello);
  if (Status st = Send(hello); !st.ok()) return Broken(st);
  uint64_t type;
  if (Status st = ReadVarint(*reader_, &type); !st.ok())
    return Broken(Status::Transient(st.message() + " (during Hello: is " + endpoint_.host + ":" +
                                    std::to_string(endpoint_.port) + " ClickHouse's native port" +
                                    (endpoint_.tls ? ", with TLS" : ", without TLS") + "?)"));
  if (type == sp::kException) {
    native::Exception e;
    Status st = native::ReadException(*reader_, &e);
    Close();
    FERRY_RETURN_NOT_OK(st);
    refused->ok = false;
    refused->code = e.code;
    refused->message = e.message;
    return Status::OK();
  }
  if (type != sp::kHello)
    return Broken(Status::Invalid("native protocol: the server at " + endpoint_.host + ":" +
                                  std::to_string(endpoint_.port) + " answered Hello with " +
                                  native::ServerPacketName(type) + " (is this ClickHouse's native port?)"));
  hello_ = {};
  if (Status st = native::ReadServerHello(*reader_, native::kOfferedRevision, &hello_); !st.ok()) return Broken(st);
  revision_ = std::min(native::kOfferedRevision, hello_.revision);
  if (revision_ < native::rev::kClientInfo)
    return Broken(Status::Invalid("the server's native protocol revision " + std::to_string(hello_.revision) +
                                  " is too old (Ferry needs ClickHouse 18.16 or newer)"));
  ByteBuffer addendum;
  native::WriteAddendum(revision_, &addendum);
  if (addendum.size() > 0) {
    if (Status st = Send(addendum); !st.ok()) return Broken(st);
  }
  return Status::OK();
}

Status NativeConnection::Ping() {
  if (!socket_) {
    WireResponse refused;
    FERRY_RETURN_NOT_OK(Open(&refused));
    if (!refused.ok) return Status::Invalid("the server refused the connection: " + refused.message);
  }
  ByteBuffer ping;
  ping.Varint(native::client_packet::kPing);
  if (Status st = Send(ping); !st.ok()) return Broken(st);
  last_used_ = std::chrono::steady_clock::now();
  for (;;) {
    uint64_t type;
    if (Status st = ReadVarint(*reader_, &type); !st.ok()) return Broken(st);
    if (type == sp::kPong) return Status::OK();
    if (type != sp::kProgress)
      return Broken(Status::Invalid("native protocol: Ping answered with " + native::ServerPacketName(type)));
    if (Status st = native::SkipProgress(*reader_, revision_); !st.ok()) return Broken(st);
  }
}

Status NativeConnection::ReadAnswer(WireResponse* out, ByteBuffer* blocks, bool until_data, bool* got_data) {
  *got_data = false;
  native::ServerPacket p;
  for (;;) {
    FERRY_RETURN_NOT_OK(native::ReadServerPacket(*reader_, revision_, codec_ != Codec::kNone, &p));
    switch (p.type) {
      case sp::kData:
        if (until_data) {  // an INSERT's sample block: the server waits for the rows
          *got_data = true;
          return Status::OK();
        }
        if (p.rows > 0) blocks->Append(p.block.data().data(), p.block.size());  // headers carry no rows
        break;
      case sp::kException:
        out->ok = false;
        out->code = p.exception.code;
        out->message = p.exception.message;
        return Status::OK();
      case sp::kEndOfStream:
        return Status::OK();
      default:  // progress, profile info and events, logs, totals, extremes, table columns
        break;
    }
  }
}

Status NativeConnection::SendInsertBody(BodySource& body) {
  body.Rewind();
  ByteBuffer piece, plain, wire;
  bool first = true;
  for (;;) {
    piece.Clear();
    FERRY_ASSIGN_OR_RETURN(bool more, body.Next(&piece));
    plain.Clear();
    wire.Clear();
    if (first) {
      native::WriteDataHead(&wire);
      native::WriteBlockInfo(&plain);
    }
    FERRY_RETURN_NOT_OK(native::AdaptBodyPiece(piece.data(), first, revision_, &plain));
    first = false;
    if (codec_ != Codec::kNone) {
      FERRY_RETURN_NOT_OK(CompressFrames(codec_, plain.data(), &wire));
    } else {
      wire.Append(plain.data().data(), plain.size());
    }
    FERRY_RETURN_NOT_OK(Send(wire));  // a socket error here is Transient: the block is not whole
    if (!more) break;
  }
  // The empty block that ends the data: the server inserts after it.
  plain.Clear();
  wire.Clear();
  native::WriteDataHead(&wire);
  native::WriteEmptyBlock(&plain);
  if (codec_ != Codec::kNone) {
    FERRY_RETURN_NOT_OK(CompressFrames(codec_, plain.data(), &wire));
  } else {
    wire.Append(plain.data().data(), plain.size());
  }
  return Send(wire);
}

Result<WireResponse> NativeConnection::Execute(const WireRequest& req) {
  if (req.gzip) return Status::Invalid("native protocol: gzip bodies are for the HTTP interface");
  FERRY_ASSIGN_OR_RETURN(Format format, req.insert ? Format::kTsv : OutputFormat(req.sql));
  WireResponse out;
  // A connection kept from an earlier request may have been closed by the
  // server meanwhile (idle_connection_timeout): after a pause, a Ping tells
  // before anything is sent, and a failed one reconnects.
  if (socket_ && std::chrono::steady_clock::now() - last_used_ > std::chrono::seconds(5) && !Ping().ok()) Close();
  if (!socket_) {
    FERRY_RETURN_NOT_OK(Open(&out));
    if (!out.ok) return out;
  }
  last_used_ = std::chrono::steady_clock::now();
  native::Query q;
  q.query_id = req.query_id;
  q.sql = req.sql;
  q.settings = endpoint_.settings;
  q.settings.insert(q.settings.end(), req.settings.begin(), req.settings.end());
  q.compress = codec_ != Codec::kNone;
  ByteBuffer packet;
  native::WriteQuery(q, revision_, &packet);
  {  // the empty block that ends external tables
    ByteBuffer plain;
    native::WriteDataHead(&packet);
    native::WriteEmptyBlock(&plain);
    if (q.compress) {
      FERRY_RETURN_NOT_OK(CompressFrames(codec_, plain.data(), &packet));
    } else {
      packet.Append(plain.data().data(), plain.size());
    }
  }
  if (Status st = Send(packet); !st.ok()) return Broken(st);  // Transient: the query is not whole
  ByteBuffer blocks;
  bool got_data = false;
  if (req.insert) {
    Status st = ReadAnswer(&out, &blocks, true, &got_data);
    // No data was sent: nothing inserted (a cancelled sync's wait stays Cancelled).
    if (!st.ok()) return Broken(st.code() == StatusCode::kCancelled ? st : Status::Transient(st.message()));
    if (!out.ok) {
      Close();  // see below
      return out;
    }
    if (!got_data)
      return Broken(Status::Transient("native protocol: the server ended the INSERT before asking for data"));
    Status body = SendInsertBody(*req.insert);
    if (!body.ok()) {
      Close();  // the server drops the partial block with the connection
      if (body.code() == StatusCode::kTransient || body.code() == StatusCode::kIOError)   // not Cancelled
        return Status::Transient("sending the rows: " + body.message());
      return body;  // the body source's own error
    }
  }
  Status st = ReadAnswer(&out, &blocks, false, &got_data);
  if (!st.ok()) {
    // The request went out whole: the server may have done it.
    ByteBuffer cancel;
    cancel.Varint(native::client_packet::kCancel);
    (void)Send(cancel);  // best effort: the server stops a query still running
    if (st.code() == StatusCode::kCancelled) return Broken(st);   // the sync is over: no resolving
    return Broken(Status::IOError(st.message()));
  }
  if (!out.ok) {
    // A server that fails a query early (18.16: a syntax error) may not have
    // read the rest of what was sent (the empty external-tables block), and
    // would take it for the next query's: start the next one afresh.
    Close();
    return out;
  }
  if (format == Format::kNative) {
    out.body.assign(blocks.data());
  } else {
    FERRY_ASSIGN_OR_RETURN(out.body, native::NativeToTsv(blocks.data()));
  }
  return out;
}

Result<std::unique_ptr<Wire>> NewWire(const Endpoint& endpoint, const TransportOptions& options,
                                      const TransportFactory& transports) {
  if (endpoint.native) {
    NativeOptions no;
    no.connect_timeout_ms = endpoint.dial_timeout_ms > 0 ? endpoint.dial_timeout_ms : options.connect_timeout_ms;
    no.io_timeout_ms = endpoint.read_timeout_ms > 0 ? endpoint.read_timeout_ms : options.request_timeout_ms;
    no.ca_cert = options.ca_cert;
    no.cancel = options.cancel;
    return std::unique_ptr<Wire>(std::make_unique<NativeConnection>(endpoint, no));
  }
  TransportOptions http = options;
  if (endpoint.dial_timeout_ms > 0) http.connect_timeout_ms = endpoint.dial_timeout_ms;
  FERRY_ASSIGN_OR_RETURN(auto transport, transports(endpoint, http));
  return NewHttpWire(std::move(transport), endpoint);
}

}  // namespace ferry::plugins::clickhouse
