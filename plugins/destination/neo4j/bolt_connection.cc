#include "plugins/destination/neo4j/bolt_connection.h"

#include <algorithm>
#include <cstring>

namespace ferry::plugins::neo4j::bolt {
namespace {

// Request and response signatures (Bolt message structures).
constexpr uint8_t kHello = 0x01, kGoodbye = 0x02, kReset = 0x0F, kRun = 0x10, kBegin = 0x11, kCommit = 0x12,
                  kRollback = 0x13, kDiscard = 0x2F, kPull = 0x3F, kRoute = 0x66, kLogon = 0x6A;
constexpr uint8_t kSuccess = 0x70, kRecord = 0x71, kIgnored = 0x7E, kFailure = 0x7F;

// Handshake: the magic preamble, then four proposals [reserved, range, minor,
// major]: 5.8 down to 5.0, and 4.4.
constexpr unsigned char kHandshake[20] = {0x60, 0x60, 0xB0, 0x17, 0x00, 0x08, 0x08, 0x05, 0x00, 0x00,
                                          0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

const char* RequestName(uint8_t s) {
  switch (s) {
    case kHello: return "HELLO";
    case kLogon: return "LOGON";
    case kReset: return "RESET";
    case kRun: return "RUN";
    case kBegin: return "BEGIN";
    case kCommit: return "COMMIT";
    case kRollback: return "ROLLBACK";
    case kDiscard: return "DISCARD";
    case kPull: return "PULL";
    case kRoute: return "ROUTE";
    default: return "request";
  }
}

void PackAuth(Packer& p, const AuthToken& a) {
  p.String("scheme");
  p.String(a.scheme);
  if (a.scheme != "none") {
    p.String("principal");
    p.String(a.principal);
    p.String("credentials");
    p.String(a.credentials);
    if (!a.realm.empty()) {
      p.String("realm");
      p.String(a.realm);
    }
  }
}

// {n: N}: the extra of PULL and DISCARD.
std::string NExtra(int64_t n) {
  std::string body;
  Packer p(&body);
  p.MapHeader(1);
  p.String("n");
  p.Int(n);
  return body;
}

uint32_t AuthEntries(const AuthToken& a) { return a.scheme == "none" ? 1 : (a.realm.empty() ? 3 : 4); }

}  // namespace

void AppendChunked(std::string_view message, std::string* out) {
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(message.size() - pos, 0xFFFF);
    out->push_back(static_cast<char>(n >> 8));
    out->push_back(static_cast<char>(n & 0xFF));
    out->append(message.substr(pos, n));
    pos += n;
  } while (pos < message.size());
  out->append("\0\0", 2);
}

std::string FailureCode(const PackValue& m) {
  std::string code = m.GetString("neo4j_code");
  return code.empty() ? m.GetString("code") : code;
}

Status FailureStatus(const PackValue& m) {
  const std::string code = FailureCode(m);
  std::string message = m.GetString("message");
  if (message.empty()) message = m.GetString("description");
  const std::string text = "Neo4j " + (code.empty() ? std::string("error") : code) + ": " + message;
  if (code.rfind("Neo.ClientError.Security.Unauthorized", 0) == 0)
    return Status::Invalid(text + " (check username and password)");
  if (code == "Neo.TransientError.General.MemoryPoolOutOfMemoryError")
    return Status::IOError(text + " (one write request is one transaction: lower the destination's batch_size or "
                                  "batch_size_bytes, or raise the server's dbms.memory.transaction.total.max)");
  if (code == "Neo.TransientError.Transaction.Terminated" || code == "Neo.TransientError.Transaction.LockClientStopped")
    return Status::IOError(text);
  if (code.rfind("Neo.TransientError.", 0) == 0 || code == "Neo.ClientError.Cluster.NotALeader" ||
      code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase")
    return Status::Transient(text);
  if (code.rfind("Neo.DatabaseError.", 0) == 0) return Status::IOError(text);
  return Status::Invalid(text);
}

Connection::~Connection() { Close(); }

bool Connection::usable() const {
  if (broken_) return false;
  // Leave a margin: a request sent just before the server's deadline would
  // find the connection closed under it.
  return idle_limit_.count() == 0 ||
         std::chrono::steady_clock::now() - last_used_ < idle_limit_ - std::min(idle_limit_ / 4, std::chrono::seconds(15));
}

Status Connection::Broken(const Status& s) {
  broken_ = true;
  out_.clear();
  pending_.clear();
  if (socket_) socket_->Close();
  return s;
}

void Connection::QueueMessage(uint8_t signature, int fields, const std::string& body) {
  std::string msg;
  msg.reserve(body.size() + 2);
  Packer(&msg).StructHeader(static_cast<uint8_t>(fields), signature);
  msg += body;
  AppendChunked(msg, &out_);
  pending_.push_back(signature);
}

std::string Connection::TxExtra(const TxConfig& c) const {
  std::string extra;
  Packer p(&extra);
  uint32_t n = (c.database.empty() ? 0 : 1) + (c.bookmarks.empty() ? 0 : 1) + (c.timeout.count() > 0 ? 1 : 0) +
               (c.read_only ? 1 : 0);
  p.MapHeader(n);
  if (!c.database.empty()) {
    p.String("db");
    p.String(c.database);
  }
  if (!c.bookmarks.empty()) {
    p.String("bookmarks");
    p.ListHeader(static_cast<uint32_t>(c.bookmarks.size()));
    for (const auto& b : c.bookmarks) p.String(b);
  }
  if (c.timeout.count() > 0) {
    p.String("tx_timeout");
    p.Int(c.timeout.count());
  }
  if (c.read_only) {
    p.String("mode");
    p.String("r");
  }
  return extra;
}

void Connection::QueueBegin(const TxConfig& config) { QueueMessage(kBegin, 1, TxExtra(config)); }

void Connection::QueueRun(std::string_view cypher, std::string_view params, const TxConfig* auto_commit) {
  std::string body;
  Packer p(&body);
  p.String(cypher);
  if (params.empty()) {
    p.MapHeader(0);
  } else {
    body.append(params);
  }
  if (auto_commit) {
    body += TxExtra(*auto_commit);
  } else {
    p.MapHeader(0);
  }
  QueueMessage(kRun, 3, body);
}

void Connection::QueuePull(int64_t n) { QueueMessage(kPull, 1, NExtra(n)); }
void Connection::QueueDiscard(int64_t n) { QueueMessage(kDiscard, 1, NExtra(n)); }

void Connection::QueueCommit() { QueueMessage(kCommit, 0, ""); }
void Connection::QueueRollback() { QueueMessage(kRollback, 0, ""); }

Status Connection::ReadMessage(std::string* msg) {
  msg->clear();
  char hdr[2];
  for (;;) {
    Status s = socket_->ReadExact(2, hdr);
    if (!s.ok()) return Broken(s);
    const size_t n = (static_cast<uint8_t>(hdr[0]) << 8) | static_cast<uint8_t>(hdr[1]);
    if (n == 0) {
      if (msg->empty()) continue;  // NOOP chunk between messages (keep-alive)
      return Status::OK();
    }
    const size_t at = msg->size();
    msg->resize(at + n);
    s = socket_->ReadExact(n, msg->data() + at);
    if (!s.ok()) return Broken(s);
  }
}

Status Connection::Exchange(std::vector<Response>* out) {
  if (broken_) return Status::Transient("connection to " + peer() + " is broken");
  std::vector<uint8_t> pending;
  pending.swap(pending_);
  std::string data;
  data.swap(out_);
  Status s = socket_->WriteAll(data);
  if (!s.ok()) return Broken(s);
  last_used_ = std::chrono::steady_clock::now();
  data.clear();
  data.shrink_to_fit();

  Status failure;
  std::string msg;
  for (size_t i = 0; i < pending.size(); ++i) {
    Response r;
    for (;;) {
      FERRY_RETURN_NOT_OK(ReadMessage(&msg));
      size_t pos = 0;
      auto v = Unpack(msg, &pos);
      if (!v.ok() || v->kind() != PackValue::Kind::kStruct)
        return Broken(Status::IOError("Neo4j " + peer() + " sent a malformed message" +
                                      (v.ok() ? std::string() : ": " + v.status().message())));
      const uint8_t sig = v->signature();
      if (sig == kRecord) {
        if (v->as_list().size() != 1 || v->as_list()[0].kind() != PackValue::Kind::kList)
          return Broken(Status::IOError("Neo4j " + peer() + " sent a malformed RECORD"));
        r.records.push_back(std::move(v->as_list()[0]));
        continue;
      }
      if (sig == kSuccess || sig == kFailure) {
        r.kind = sig == kSuccess ? Response::Kind::kSuccess : Response::Kind::kFailure;
        if (!v->as_list().empty()) r.metadata = v->as_list()[0];
      } else if (sig == kIgnored) {
        r.kind = Response::Kind::kIgnored;
      } else {
        return Broken(Status::IOError("Neo4j " + peer() + " answered " + RequestName(pending[i]) +
                                      " with an unknown message " + v->ToString()));
      }
      break;
    }
    if (r.kind == Response::Kind::kFailure && failure.ok()) {
      failure = FailureStatus(r.metadata);
      if (pending[i] == kCommit) failure = failure.WithContext("COMMIT failed");
    }
    if (r.kind == Response::Kind::kSuccess && (pending[i] == kCommit || pending[i] == kPull)) {
      std::string b = r.metadata.GetString("bookmark");
      if (!b.empty()) bookmark_ = std::move(b);
    }
    if (out) out->push_back(std::move(r));
  }
  if (failure.ok()) return failure;
  // Back to READY: the server ignores everything until RESET.
  QueueMessage(kReset, 0, "");
  std::vector<uint8_t> reset;
  reset.swap(pending_);
  s = socket_->WriteAll(out_);
  out_.clear();
  if (!s.ok()) {
    Broken(s).IgnoreError();  // the failure is what the caller needs; the connection is marked unusable
    return failure;
  }
  for (;;) {
    Status rs = ReadMessage(&msg);
    if (!rs.ok()) return failure;
    size_t pos = 0;
    auto v = Unpack(msg, &pos);
    if (!v.ok() || v->kind() != PackValue::Kind::kStruct) {
      Broken(Status::IOError("malformed answer to RESET")).IgnoreError();  // the failure below says what went wrong
      return failure;
    }
    if (v->signature() == kSuccess) break;
    if (v->signature() == kFailure) {
      Broken(FailureStatus(v->as_list().empty() ? PackValue() : v->as_list()[0])).IgnoreError();  // unusable now
      break;
    }
  }
  return failure;
}

Result<std::vector<PackValue>> Connection::Query(std::string_view cypher, std::string_view params,
                                                 const TxConfig& config) {
  QueueRun(cypher, params, &config);
  QueuePull();
  std::vector<Response> rs;
  FERRY_RETURN_NOT_OK(Exchange(&rs));
  return std::move(rs.back().records);
}

Result<RoutingTable> Connection::Route(const std::string& database, const std::vector<std::string>& bookmarks) {
  std::string body;
  Packer p(&body);
  p.MapHeader(1);
  p.String("address");
  p.String(peer());
  p.ListHeader(static_cast<uint32_t>(bookmarks.size()));
  for (const auto& b : bookmarks) p.String(b);
  p.MapHeader(database.empty() ? 0 : 1);
  if (!database.empty()) {
    p.String("db");
    p.String(database);
  }
  QueueMessage(kRoute, 3, body);
  std::vector<Response> rs;
  FERRY_RETURN_NOT_OK(Exchange(&rs));
  const PackValue* rt = rs[0].metadata.Find("rt");
  if (!rt) return Status::IOError("Neo4j " + peer() + " answered ROUTE without a routing table");
  RoutingTable t;
  if (const PackValue* ttl = rt->Find("ttl"); ttl && ttl->kind() == PackValue::Kind::kInt) t.ttl_seconds = ttl->as_int();
  t.database = rt->GetString("db");
  if (const PackValue* servers = rt->Find("servers"); servers && servers->kind() == PackValue::Kind::kList) {
    for (const auto& srv : servers->as_list()) {
      const std::string role = srv.GetString("role");
      const PackValue* addrs = srv.Find("addresses");
      if (!addrs || addrs->kind() != PackValue::Kind::kList) continue;
      auto& dst = role == "WRITE" ? t.writers : role == "READ" ? t.readers : t.routers;
      for (const auto& a : addrs->as_list())
        if (a.kind() == PackValue::Kind::kString) dst.push_back(a.as_string());
    }
  }
  return t;
}

Status Connection::Handshake() {
  FERRY_RETURN_NOT_OK(socket_->WriteAll(std::string_view(reinterpret_cast<const char*>(kHandshake), sizeof kHandshake)));
  char v[4];
  FERRY_RETURN_NOT_OK(socket_->ReadExact(4, v));
  if (std::memcmp(v, "HTTP", 4) == 0)
    return Status::Invalid("Neo4j " + peer() + " answered with HTTP: this is the HTTP port (7474?), not Bolt (7687)");
  const int major = static_cast<uint8_t>(v[3]), minor = static_cast<uint8_t>(v[2]);
  if (major == 0 && minor == 0)
    return Status::Unsupported("Neo4j " + peer() + " supports none of Bolt 5.0-5.8 and 4.4 (Neo4j 4.4 or newer is needed)");
  if (!((major == 5 && minor <= 8) || (major == 4 && minor == 4)))
    return Status::IOError("Neo4j " + peer() + " chose Bolt " + std::to_string(major) + "." + std::to_string(minor) +
                           ", which was not offered");
  version_ = {major, minor};
  return Status::OK();
}

Status Connection::Hello(const ConnectionOptions& o) {
  const bool logon = version_.AtLeast(5, 1);
  std::string body;
  Packer p(&body);
  uint32_t n = 1 + (o.routing ? 1 : 0) + (version_.AtLeast(5, 3) ? 1 : 0) + (logon ? 0 : AuthEntries(o.auth)) +
               (version_.major == 4 ? 1 : 0);
  p.MapHeader(n);
  p.String("user_agent");
  p.String(o.user_agent);
  if (version_.AtLeast(5, 3)) {
    p.String("bolt_agent");
    p.MapHeader(1);
    p.String("product");
    p.String(o.user_agent);
  }
  if (o.routing) {
    p.String("routing");
    p.MapHeader(static_cast<uint32_t>(o.routing_context.size()));
    for (const auto& [k, v] : o.routing_context) {
      p.String(k);
      p.String(v);
    }
  }
  if (version_.major == 4) {
    p.String("patch_bolt");  // DateTime as UTC instants, as Bolt 5 does
    p.ListHeader(1);
    p.String("utc");
  }
  if (!logon) PackAuth(p, o.auth);
  QueueMessage(kHello, 1, body);
  if (logon) {
    std::string auth;
    Packer a(&auth);
    a.MapHeader(AuthEntries(o.auth));
    PackAuth(a, o.auth);
    QueueMessage(kLogon, 1, auth);
  }
  std::vector<Response> rs;
  Status s = Exchange(&rs);
  if (!s.ok()) {
    if (s.code() == StatusCode::kInvalidArgument && s.message().find("Security.Unauthorized") != std::string::npos)
      return Status::Invalid("Neo4j " + peer() + " refused the credentials of user \"" + o.auth.principal +
                             "\": check username and password (" + s.message() + ")");
    return s.WithContext("Neo4j " + peer() + ": HELLO");
  }
  server_agent_ = rs[0].metadata.GetString("server");
  if (const PackValue* hints = rs[0].metadata.Find("hints"))
    if (const PackValue* t = hints->Find("connection.recv_timeout_seconds"); t && t->kind() == PackValue::Kind::kInt &&
                                                                            t->as_int() > 0)
      idle_limit_ = std::chrono::seconds(t->as_int());
  connection_id_ = rs[0].metadata.GetString("connection_id");
  return Status::OK();
}

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectionOptions& o) {
  std::unique_ptr<Connection> c(new Connection());
  SocketOptions so = o.socket;
  so.tls_hint = "set tls_ca_file to the CA that signed it, or use bolt+ssc:// / neo4j+ssc:// to skip the check";
  FERRY_ASSIGN_OR_RETURN(c->socket_, Socket::Connect(so));
  FERRY_RETURN_NOT_OK(c->Handshake());
  FERRY_RETURN_NOT_OK(c->Hello(o));
  return c;
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (!broken_ && socket_) {
    out_.clear();
    pending_.clear();
    QueueMessage(kGoodbye, 0, "");
    socket_->WriteAll(out_).IgnoreError();  // best effort: the server closes the connection either way
    out_.clear();
    pending_.clear();
  }
  if (socket_) socket_->Close();
}

}  // namespace ferry::plugins::neo4j::bolt
