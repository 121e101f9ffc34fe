// ClickHouse's native TCP protocol, the packets Ferry sends and reads,
// as pure functions over bytes (native_connection.h does the I/O). Written
// for Ferry from the protocol's facts; no C++ ClickHouse client is packaged.
//
// Revisions. Ferry offers kOfferedRevision (54462, ClickHouse 22.x-era) and
// both sides then use min(offered, server's): Debian 12's 18.16.1 answers
// 54412. Everything each revision up to 54462 adds is implemented:
//   54058 server time zone, 54372 display name, 54401 version patch (Hello);
//   54032/54060/54401/54442/54448/54449/54453 ClientInfo fields in Query;
//   54410 TableColumns before an INSERT's sample block;
//   54420 written rows/bytes, 54460 elapsed time in Progress;
//   54429 settings as strings with flags (older: the typed binary format);
//   54441 inter-server secret (empty), 54459 query parameters (none);
//   54454 a custom-serialization byte per column in blocks (Ferry sends 0
//         and refuses a server's sparse columns);
//   54456 ProfileEvents during INSERT (read and skipped);
//   54458 the addendum after Hello (an empty quota key);
//   54461 password complexity rules, 54462 nonce (Hello; read and kept).
// Not offered, so never sent by a server: 54463 total bytes in Progress,
// 54464 time zone updates, 54465 sparse columns, 54470 chunked packets.
//
// Blocks. Over the protocol a block is "block info" (is_overflows,
// bucket_num) followed by the Native layout that FORMAT Native uses over
// HTTP (native_encoder.h), plus the custom-serialization byte from 54454.
// ReadBlock turns a received block into the HTTP Native layout, so
// native_decoder.h reads both paths' answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/byte_buffer.h"
#include "plugins/destination/clickhouse/compressed_frame.h"
#include "plugins/destination/clickhouse/wire_reader.h"

namespace ferry::plugins::clickhouse::native {

constexpr uint64_t kOfferedRevision = 54462;

// Revisions that change what is on the wire.
namespace rev {
constexpr uint64_t kClientInfo = 54032, kServerTimezone = 54058, kQuotaKeyInClientInfo = 54060,
                   kDisplayName = 54372, kVersionPatch = 54401, kColumnDefaults = 54410, kClientWriteInfo = 54420,
                   kSettingsAsStrings = 54429, kInterserverSecret = 54441, kOpenTelemetry = 54442,
                   kDistributedDepth = 54448, kInitialQueryStartTime = 54449, kParallelReplicas = 54453,
                   kCustomSerialization = 54454, kAddendum = 54458, kParameters = 54459, kQueryTimeInProgress = 54460,
                   kPasswordRules = 54461, kNonce = 54462, kTotalBytesInProgress = 54463;
}  // namespace rev

namespace client_packet {
constexpr uint64_t kHello = 0, kQuery = 1, kData = 2, kCancel = 3, kPing = 4;
}
namespace server_packet {
constexpr uint64_t kHello = 0, kData = 1, kException = 2, kProgress = 3, kPong = 4, kEndOfStream = 5,
                   kProfileInfo = 6, kTotals = 7, kExtremes = 8, kTablesStatus = 9, kLog = 10, kTableColumns = 11,
                   kPartUuids = 12, kReadTaskRequest = 13, kProfileEvents = 14, kTimezoneUpdate = 17;
}
// "Data", "Exception", ...: for error messages.
std::string ServerPacketName(uint64_t type);

struct ServerHello {
  std::string name;  // "ClickHouse"
  uint64_t major = 0, minor = 0, patch = 0, revision = 0;
  std::string timezone, display_name;
  std::vector<std::pair<std::string, std::string>> password_rules;  // (pattern, message)
  uint64_t nonce = 0;
};

// The client's Hello (packet type included). The password goes only here.
void WriteHello(const std::string& database, const std::string& user, const std::string& password, ByteBuffer* out);
// The server's Hello after its packet type; `offered` is the revision Ferry
// offered (the fields follow min(offered, server's)).
Status ReadServerHello(WireReader& in, uint64_t offered, ServerHello* hello);
// What follows Hello from kAddendum on: the quota key (empty).
void WriteAddendum(uint64_t revision, ByteBuffer* out);

struct Query {
  std::string query_id;
  std::string sql;
  std::vector<std::pair<std::string, std::string>> settings;
  bool compress = false;  // Data blocks both ways travel in compressed frames
};
// The Query packet for `revision`. Before kSettingsAsStrings settings are
// typed binary: a value that is a decimal integer (or true/false) goes as an
// integer, anything else as text, which is what 18.x reads for its integer,
// boolean, time, float and text settings.
void WriteQuery(const Query& q, uint64_t revision, ByteBuffer* out);

// A Data packet's head (type and the table name "") and the block info that
// starts every block; the block's columns follow.
void WriteDataHead(ByteBuffer* out);
void WriteBlockInfo(ByteBuffer* out);
// A whole empty block (info, 0 columns, 0 rows): ends external tables and inserts.
void WriteEmptyBlock(ByteBuffer* out);

// Rewrites one piece of a NativeBody (the block header, or one column:
// name, type, values) into the protocol's layout for `revision`: from
// kCustomSerialization a 0 byte follows each column's type. `first` is the
// block header piece. Appends to out.
Status AdaptBodyPiece(std::string_view piece, bool first, uint64_t revision, ByteBuffer* out);

// The server's Exception packet (after its type), nested exceptions joined.
struct Exception {
  int32_t code = 0;
  std::string name;     // "DB::Exception"
  std::string message;  // without the "DB::Exception: " prefix; nested ones appended
};
Status ReadException(WireReader& in, Exception* e);
Status SkipProgress(WireReader& in, uint64_t revision);
Status SkipProfileInfo(WireReader& in, uint64_t revision);

// Reads one block (block info, columns) and appends it to `native` in the
// HTTP Native layout; sets its column and row counts. Types Ferry cannot
// size (LowCardinality, Object, Dynamic, ...) are Unsupported.
Status ReadBlock(WireReader& in, uint64_t revision, ByteBuffer* native, uint64_t* columns, uint64_t* rows);

// One packet of a query's answer, read whole: what the connection's answer
// loop and the fuzz target (fuzz/clickhouse_native_fuzz.cc) both call.
struct ServerPacket {
  uint64_t type = 0;
  ByteBuffer block;  // Data, Totals, Extremes, Log, ProfileEvents: HTTP Native layout
  uint64_t columns = 0, rows = 0;
  Exception exception;  // Exception
};
// Reads the packet type and its body. `compressed`: Data, Totals and
// Extremes blocks travel in compressed frames (Log and ProfileEvents never
// do), and must end at a frame's end. Hello, TablesStatus and the packets of
// parallel replicas are not expected in an answer: Invalid.
Status ReadServerPacket(WireReader& in, uint64_t revision, bool compressed, ServerPacket* p);

// Native blocks (HTTP layout) -> TabSeparated text as ClickHouse writes it
// for the types Ferry reads back (integers, floats, strings, nulls).
Result<std::string> NativeToTsv(std::string_view native);

}  // namespace ferry::plugins::clickhouse::native
