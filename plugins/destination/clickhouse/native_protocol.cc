#include "plugins/destination/clickhouse/native_protocol.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "ferry/version.h"
#include "plugins/destination/clickhouse/native_decoder.h"

namespace ferry::plugins::clickhouse::native {

namespace {

// Ferry's version as the protocol's major/minor/patch numbers.
uint64_t VersionPart(int index) {
  std::string_view v = kVersion;
  for (int i = 0; i < index; ++i) {
    const size_t dot = v.find('.');
    if (dot == std::string_view::npos) return 0;
    v = v.substr(dot + 1);
  }
  uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

std::string HostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

bool DecimalInteger(const std::string& v) {
  if (v.empty() || v.size() > 19) return false;
  for (char c : v)
    if (c < '0' || c > '9') return false;
  return true;
}

void WriteClientInfo(uint64_t revision, ByteBuffer* out) {
  out->Byte(1);               // query kind: initial query
  out->String("");            // initial user (the server fills in the session's)
  out->String("");            // initial query id
  out->String("0.0.0.0:0");   // initial address
  if (revision >= rev::kInitialQueryStartTime) out->Fixed<uint64_t>(0);
  out->Byte(1);  // interface: TCP
  const char* os_user = std::getenv("USER");
  out->String(os_user ? os_user : "");
  out->String(HostName());
  out->String("Ferry");
  out->Varint(VersionPart(0));
  out->Varint(VersionPart(1));
  out->Varint(kOfferedRevision);
  if (revision >= rev::kQuotaKeyInClientInfo) out->String("");
  if (revision >= rev::kDistributedDepth) out->Varint(0);
  if (revision >= rev::kVersionPatch) out->Varint(VersionPart(2));
  if (revision >= rev::kOpenTelemetry) out->Byte(0);  // no trace context
  if (revision >= rev::kParallelReplicas) {
    out->Varint(0);  // collaborate_with_initiator
    out->Varint(0);  // count_participating_replicas
    out->Varint(0);  // number_of_current_replica
  }
}

// Copies n bytes from `in` to `out` in pieces, so a lying size fails at the
// stream's end instead of allocating first.
Status Copy(WireReader& in, uint64_t n, ByteBuffer* out) {
  while (n > 0) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, 1 << 16));
    FERRY_RETURN_NOT_OK(in.Read(out->Grow(k), k));
    n -= k;
  }
  return Status::OK();
}

constexpr uint64_t kMaxRows = uint64_t{1} << 40;

Result<size_t> FixedWidth(const TypeNode& t) {
  static const std::pair<const char*, size_t> kWidths[] = {
      {"Int8", 1},     {"UInt8", 1},      {"Bool", 1},     {"Enum8", 1},      {"Nothing", 1},   {"Int16", 2},
      {"UInt16", 2},   {"Date", 2},       {"Enum16", 2},   {"Int32", 4},      {"UInt32", 4},    {"Float32", 4},
      {"Date32", 4},   {"DateTime", 4},   {"IPv4", 4},     {"Decimal32", 4},  {"Int64", 8},     {"UInt64", 8},
      {"Float64", 8},  {"DateTime64", 8}, {"Decimal64", 8}, {"Int128", 16},   {"UInt128", 16},  {"UUID", 16},
      {"IPv6", 16},    {"Decimal128", 16}, {"Int256", 32},  {"UInt256", 32},  {"Decimal256", 32}};
  for (const auto& [name, w] : kWidths)
    if (t.name == name) return w;
  auto number = [&](size_t i) -> uint64_t {
    uint64_t v = 0;
    if (i < t.literals.size()) std::from_chars(t.literals[i].data(), t.literals[i].data() + t.literals[i].size(), v);
    return v;
  };
  if (t.name == "Decimal") {
    const uint64_t p = number(0);
    return p <= 9 ? 4 : p <= 18 ? 8 : p <= 38 ? 16 : 32;
  }
  if (t.name == "FixedString") {
    const uint64_t w = number(0);
    if (w == 0 || w > (1u << 20)) return Status::Invalid("native protocol: FixedString without a valid width");
    return static_cast<size_t>(w);
  }
  return 0;
}

Status CopyColumn(const TypeNode& t, uint64_t n, WireReader& in, ByteBuffer* out, int depth) {
  if (depth > 32) return Status::Invalid("native protocol: a column type nests too deeply");
  if (t.name == "Nullable") {
    if (t.args.size() != 1) return Status::Invalid("native protocol: Nullable without one argument");
    FERRY_RETURN_NOT_OK(Copy(in, n, out));
    return CopyColumn(t.args[0], n, in, out, depth + 1);
  }
  if (t.name == "Array" || t.name == "Map") {
    if (t.args.size() != (t.name == "Map" ? 2u : 1u))
      return Status::Invalid("native protocol: bad " + t.name + " type");
    uint64_t prev = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t end;
      FERRY_RETURN_NOT_OK(ReadFixed(in, &end));
      if (end < prev || end > kMaxRows) return Status::Invalid("native protocol: bad array offsets");
      out->Fixed(end);
      prev = end;
    }
    for (const TypeNode& a : t.args) FERRY_RETURN_NOT_OK(CopyColumn(a, prev, in, out, depth + 1));
    return Status::OK();
  }
  if (t.name == "Tuple") {
    for (const TypeNode& a : t.args) FERRY_RETURN_NOT_OK(CopyColumn(a, n, in, out, depth + 1));
    return Status::OK();
  }
  if (t.name == "String") {
    std::string s;
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_RETURN_NOT_OK(ReadString(in, &s, size_t{1} << 30));
      out->String(s);
    }
    return Status::OK();
  }
  FERRY_ASSIGN_OR_RETURN(size_t w, FixedWidth(t));
  if (w == 0) return Status::Unsupported("native protocol: Ferry cannot read columns of type " + t.name);
  return Copy(in, n * w, out);
}

void AppendTsvString(const std::string& s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\0': *out += "\\0"; break;
      case '\'': *out += "\\'"; break;
      default: out->push_back(c);
    }
  }
}

Status AppendTsvValue(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull: *out += "\\N"; return Status::OK();
    case Value::Kind::kBool: *out += v.as_bool() ? "true" : "false"; return Status::OK();
    case Value::Kind::kInt: *out += std::to_string(v.as_int()); return Status::OK();
    case Value::Kind::kUInt: *out += std::to_string(v.as_uint()); return Status::OK();
    case Value::Kind::kDouble: {
      const double d = v.as_double();
      if (std::isnan(d)) { *out += "nan"; return Status::OK(); }
      if (std::isinf(d)) { *out += d > 0 ? "inf" : "-inf"; return Status::OK(); }
      char buf[32];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
      out->append(buf, p);
      return Status::OK();
    }
    case Value::Kind::kString: AppendTsvString(v.as_string(), out); return Status::OK();
    case Value::Kind::kList: break;
  }
  return Status::Unsupported("over the native protocol Ferry renders scalar results as TSV, not arrays or tuples");
}

}  // namespace

std::string ServerPacketName(uint64_t type) {
  static const char* kNames[] = {"Hello", "Data", "Exception", "Progress", "Pong", "EndOfStream",
                                 "ProfileInfo", "Totals", "Extremes", "TablesStatusResponse", "Log",
                                 "TableColumns", "PartUUIDs", "ReadTaskRequest", "ProfileEvents"};
  if (type < sizeof kNames / sizeof kNames[0]) return kNames[type];
  return "packet " + std::to_string(type);
}

void WriteHello(const std::string& database, const std::string& user, const std::string& password, ByteBuffer* out) {
  out->Varint(client_packet::kHello);
  out->String("Ferry");
  out->Varint(VersionPart(0));
  out->Varint(VersionPart(1));
  out->Varint(kOfferedRevision);
  out->String(database);
  out->String(user.empty() ? "default" : user);
  out->String(password);
}

Status ReadServerHello(WireReader& in, uint64_t offered, ServerHello* h) {
  FERRY_RETURN_NOT_OK(ReadString(in, &h->name, 4096));
  FERRY_RETURN_NOT_OK(ReadVarint(in, &h->major));
  FERRY_RETURN_NOT_OK(ReadVarint(in, &h->minor));
  FERRY_RETURN_NOT_OK(ReadVarint(in, &h->revision));
  const uint64_t r = std::min(offered, h->revision);
  if (r >= rev::kServerTimezone) FERRY_RETURN_NOT_OK(ReadString(in, &h->timezone, 4096));
  if (r >= rev::kDisplayName) FERRY_RETURN_NOT_OK(ReadString(in, &h->display_name, 4096));
  h->patch = h->revision;
  if (r >= rev::kVersionPatch) FERRY_RETURN_NOT_OK(ReadVarint(in, &h->patch));
  if (r >= rev::kPasswordRules) {
    uint64_t n;
    FERRY_RETURN_NOT_OK(ReadVarint(in, &n));
    if (n > 256)
      return Status::Invalid("native protocol: the server's Hello lists " + std::to_string(n) + " password rules");
    for (uint64_t i = 0; i < n; ++i) {
      std::pair<std::string, std::string> rule;
      FERRY_RETURN_NOT_OK(ReadString(in, &rule.first, 4096));
      FERRY_RETURN_NOT_OK(ReadString(in, &rule.second, 4096));
      h->password_rules.push_back(std::move(rule));
    }
  }
  if (r >= rev::kNonce) FERRY_RETURN_NOT_OK(ReadFixed(in, &h->nonce));
  return Status::OK();
}

void WriteAddendum(uint64_t revision, ByteBuffer* out) {
  if (revision >= rev::kAddendum) out->String("");  // quota key
}

void WriteQuery(const Query& q, uint64_t revision, ByteBuffer* out) {
  out->Varint(client_packet::kQuery);
  out->String(q.query_id);
  if (revision >= rev::kClientInfo) WriteClientInfo(revision, out);
  for (const auto& [k, v] : q.settings) {
    out->String(k);
    if (revision >= rev::kSettingsAsStrings) {
      out->Varint(1);  // flags: important, so an unknown setting is an error, as over HTTP
      out->String(v);
    } else if (DecimalInteger(v)) {
      out->Varint(std::strtoull(v.c_str(), nullptr, 10));
    } else if (v == "true" || v == "false") {
      out->Varint(v == "true" ? 1 : 0);
    } else {
      out->String(v);
    }
  }
  out->String("");  // end of settings
  if (revision >= rev::kInterserverSecret) out->String("");
  out->Varint(2);  // stage: Complete
  out->Varint(q.compress ? 1 : 0);
  out->String(q.sql);
  if (revision >= rev::kParameters) out->String("");  // no parameters
}

void WriteDataHead(ByteBuffer* out) {
  out->Varint(client_packet::kData);
  out->String("");
}

void WriteBlockInfo(ByteBuffer* out) {
  out->Varint(1);  // field 1: is_overflows
  out->Byte(0);
  out->Varint(2);  // field 2: bucket_num
  out->Fixed<int32_t>(-1);
  out->Varint(0);  // end of fields
}

void WriteEmptyBlock(ByteBuffer* out) {
  WriteBlockInfo(out);
  out->Varint(0);
  out->Varint(0);
}

Status AdaptBodyPiece(std::string_view piece, bool first, uint64_t revision, ByteBuffer* out) {
  if (first || revision < rev::kCustomSerialization) {
    out->Append(piece.data(), piece.size());
    return Status::OK();
  }
  // A column: name, type, then values; the byte goes after the type.
  StringReader r(piece);
  std::string name, type;
  FERRY_RETURN_NOT_OK(ReadString(r, &name));
  FERRY_RETURN_NOT_OK(ReadString(r, &type));
  out->Append(piece.data(), r.pos());
  out->Byte(0);  // default serialization
  out->Append(piece.data() + r.pos(), piece.size() - r.pos());
  return Status::OK();
}

Status ReadException(WireReader& in, Exception* e) {
  for (int depth = 0;; ++depth) {
    int32_t code;
    std::string name, message, stack;
    FERRY_RETURN_NOT_OK(ReadFixed(in, &code));
    FERRY_RETURN_NOT_OK(ReadString(in, &name));
    FERRY_RETURN_NOT_OK(ReadString(in, &message));
    FERRY_RETURN_NOT_OK(ReadString(in, &stack));  // the server's stack: not for users
    uint8_t nested;
    FERRY_RETURN_NOT_OK(ReadFixed(in, &nested));
    if (message.rfind(name + ": ", 0) == 0) message = message.substr(name.size() + 2);
    if (const size_t ver = message.rfind(" (version "); ver != std::string::npos && message.back() == ')')
      message = message.substr(0, ver);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (depth == 0) {
      e->code = code;
      e->name = name;
      e->message = message;
    } else if (depth < 8) {
      e->message += "; caused by: " + message;
    }
    if (!nested) return Status::OK();
    if (depth > 64) return Status::Invalid("native protocol: an exception nests too deeply");
  }
}

Status SkipProgress(WireReader& in, uint64_t revision) {
  int n = 3;  // read rows, read bytes, total rows
  if (revision >= rev::kTotalBytesInProgress) ++n;
  if (revision >= rev::kClientWriteInfo) n += 2;
  if (revision >= rev::kQueryTimeInProgress) ++n;
  uint64_t v;
  for (int i = 0; i < n; ++i) FERRY_RETURN_NOT_OK(ReadVarint(in, &v));
  return Status::OK();
}

Status SkipProfileInfo(WireReader& in, uint64_t) {
  uint64_t v;
  uint8_t b;
  for (int i = 0; i < 3; ++i) FERRY_RETURN_NOT_OK(ReadVarint(in, &v));  // rows, blocks, bytes
  FERRY_RETURN_NOT_OK(ReadFixed(in, &b));                                // applied_limit
  FERRY_RETURN_NOT_OK(ReadVarint(in, &v));                               // rows_before_limit
  return ReadFixed(in, &b);                                              // calculated_rows_before_limit
}

Status ReadBlock(WireReader& in, uint64_t revision, ByteBuffer* native, uint64_t* columns, uint64_t* rows) {
  for (;;) {  // block info
    uint64_t field;
    FERRY_RETURN_NOT_OK(ReadVarint(in, &field));
    if (field == 0) break;
    char skip[4];
    if (field == 1) {
      FERRY_RETURN_NOT_OK(in.Read(skip, 1));
    } else if (field == 2) {
      FERRY_RETURN_NOT_OK(in.Read(skip, 4));
    } else {
      return Status::Invalid("native protocol: unknown block info field " + std::to_string(field));
    }
  }
  FERRY_RETURN_NOT_OK(ReadVarint(in, columns));
  FERRY_RETURN_NOT_OK(ReadVarint(in, rows));
  if (*columns > 100000 || *rows > kMaxRows)
    return Status::Invalid("native protocol: a block of " + std::to_string(*columns) + " columns and " +
                           std::to_string(*rows) + " rows is not plausible");
  native->Varint(*columns);
  native->Varint(*rows);
  std::string name, type;
  for (uint64_t c = 0; c < *columns; ++c) {
    FERRY_RETURN_NOT_OK(ReadString(in, &name, 1 << 20));
    FERRY_RETURN_NOT_OK(ReadString(in, &type, 1 << 20));
    if (revision >= rev::kCustomSerialization) {
      uint8_t custom;
      FERRY_RETURN_NOT_OK(ReadFixed(in, &custom));
      if (custom)
        return Status::Unsupported("native protocol: column " + name + " uses a custom (sparse) serialization");
    }
    FERRY_ASSIGN_OR_RETURN(TypeNode t, ParseType(type));
    native->String(name);
    native->String(type);
    FERRY_RETURN_NOT_OK(CopyColumn(t, *rows, in, native, 0));
  }
  return Status::OK();
}

Status ReadServerPacket(WireReader& in, uint64_t revision, bool compressed, ServerPacket* p) {
  p->block.Clear();
  p->columns = p->rows = 0;
  FERRY_RETURN_NOT_OK(ReadVarint(in, &p->type));
  switch (p->type) {
    case server_packet::kData:
    case server_packet::kTotals:
    case server_packet::kExtremes:
    case server_packet::kLog:
    case server_packet::kProfileEvents: {
      std::string table;
      FERRY_RETURN_NOT_OK(ReadString(in, &table));
      const bool framed = compressed && p->type != server_packet::kLog && p->type != server_packet::kProfileEvents;
      if (!framed) return ReadBlock(in, revision, &p->block, &p->columns, &p->rows);
      FramedReader frames(in);
      FERRY_RETURN_NOT_OK(ReadBlock(frames, revision, &p->block, &p->columns, &p->rows));
      if (!frames.at_frame_end())
        return Status::Invalid("native protocol: a compressed block did not end at its frame's end");
      return Status::OK();
    }
    case server_packet::kException:
      return ReadException(in, &p->exception);
    case server_packet::kProgress:
      return SkipProgress(in, revision);
    case server_packet::kProfileInfo:
      return SkipProfileInfo(in, revision);
    case server_packet::kTableColumns: {
      std::string a, b;
      FERRY_RETURN_NOT_OK(ReadString(in, &a));
      return ReadString(in, &b);
    }
    case server_packet::kEndOfStream:
    case server_packet::kPong:
      return Status::OK();
    default:
      return Status::Invalid("native protocol: unexpected " + ServerPacketName(p->type) + " from the server");
  }
}

Result<std::string> NativeToTsv(std::string_view native) {
  FERRY_ASSIGN_OR_RETURN(auto cols, DecodeNative(native));
  std::string out;
  const size_t rows = cols.empty() ? 0 : cols[0].values.size();
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols.size(); ++c) {
      if (c) out.push_back('\t');
      if (r >= cols[c].values.size()) return Status::Invalid("native protocol: columns of different lengths");
      FERRY_RETURN_NOT_OK(AppendTsvValue(cols[c].values[r], &out));
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace ferry::plugins::clickhouse::native
