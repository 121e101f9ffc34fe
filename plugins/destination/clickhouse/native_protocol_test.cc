// Packet encoding and decoding of the native protocol and the compressed
// frame format, without a server (tests/integration/clickhouse_native_test.cc
// runs them against one).
#include "plugins/destination/clickhouse/native_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "plugins/destination/clickhouse/cityhash.h"
#include "plugins/destination/clickhouse/compressed_frame.h"
#include "plugins/destination/clickhouse/native_decoder.h"

namespace ferry::plugins::clickhouse::native {
namespace {

std::string Str(const ByteBuffer& b) { return std::string(b.data()); }

std::string Pattern(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>("abcdefgh"[i % 8] + (i / 4096) % 3));
  return s;
}

TEST(ClickHouseNativeFrames, RoundTripEveryCodec) {
  for (Codec c : {Codec::kLz4, Codec::kZstd, Codec::kNone}) {
    const std::string data = Pattern(3 * kFrameInputBytes + 123);  // four frames
    ByteBuffer out;
    ASSERT_TRUE(CompressFrames(c, data, &out).ok());
    const std::string wire = Str(out);
    EXPECT_EQ(static_cast<uint8_t>(wire[16]), static_cast<uint8_t>(c));
    uint32_t csize, usize;
    std::memcpy(&csize, wire.data() + 17, 4);
    std::memcpy(&usize, wire.data() + 21, 4);
    EXPECT_EQ(usize, kFrameInputBytes);
    const Hash128 h = CityHash128(wire.data() + 16, csize);  // the checksum covers header and data
    uint64_t lo, hi;
    std::memcpy(&lo, wire.data(), 8);
    std::memcpy(&hi, wire.data() + 8, 8);
    EXPECT_EQ(h.low, lo);
    EXPECT_EQ(h.high, hi);
    if (c != Codec::kNone) {
      EXPECT_LT(wire.size(), data.size() / 4) << "compressed";
    }
    StringReader in(wire);
    FramedReader framed(in);
    std::string back(data.size(), '\0');
    ASSERT_TRUE(framed.Read(back.data(), back.size()).ok());
    EXPECT_TRUE(back == data);
    EXPECT_TRUE(in.done());
    EXPECT_TRUE(framed.at_frame_end());
  }
}

TEST(ClickHouseNativeFrames, CorruptionIsCaught) {
  ByteBuffer out;
  ASSERT_TRUE(CompressFrames(Codec::kLz4, Pattern(1000), &out).ok());
  std::string wire = Str(out);
  wire[40] ^= 1;  // one bit in the compressed data
  StringReader in(wire);
  std::string got;
  Status st = ReadFrame(in, &got);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.message();
  std::string unknown = Str(out);
  unknown[16] = 0x42;  // a method Ferry does not read; fix the checksum so only the method is wrong
  uint32_t csize;
  std::memcpy(&csize, unknown.data() + 17, 4);
  const Hash128 h = CityHash128(unknown.data() + 16, csize);
  std::memcpy(unknown.data(), &h.low, 8);
  std::memcpy(unknown.data() + 8, &h.high, 8);
  StringReader in2(unknown);
  st = ReadFrame(in2, &got);
  EXPECT_NE(st.message().find("unknown compression method 0x42"), std::string::npos) << st.message();
  const std::string whole = Str(out);
  StringReader cut(std::string_view(whole).substr(0, 30));
  EXPECT_FALSE(ReadFrame(cut, &got).ok());
}

// Reads the Query packet back field by field, as a server of `revision` would.
void CheckQuery(const std::string& wire, uint64_t revision, bool strings) {
  StringReader r(wire);
  uint64_t v;
  std::string s;
  uint8_t b;
  ASSERT_TRUE(ReadVarint(r, &v).ok());
  EXPECT_EQ(v, client_packet::kQuery);
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "qid-1");
  ASSERT_TRUE(ReadFixed(r, &b).ok());
  EXPECT_EQ(b, 1);  // initial query
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ReadString(r, &s).ok());
  }
  EXPECT_EQ(s, "0.0.0.0:0");
  if (revision >= rev::kInitialQueryStartTime) {
    ASSERT_TRUE(ReadFixed(r, &v).ok());
  }
  ASSERT_TRUE(ReadFixed(r, &b).ok());
  EXPECT_EQ(b, 1);  // TCP
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ReadString(r, &s).ok());
  }
  EXPECT_EQ(s, "Ferry");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ReadVarint(r, &v).ok());
  }
  EXPECT_EQ(v, kOfferedRevision);
  ASSERT_TRUE(ReadString(r, &s).ok());  // quota key
  if (revision >= rev::kDistributedDepth) {
    ASSERT_TRUE(ReadVarint(r, &v).ok());
  }
  ASSERT_TRUE(ReadVarint(r, &v).ok());  // patch
  if (revision >= rev::kOpenTelemetry) {
    ASSERT_TRUE(ReadFixed(r, &b).ok());
    EXPECT_EQ(b, 0);
  }
  if (revision >= rev::kParallelReplicas)
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(ReadVarint(r, &v).ok());
    }
  // settings
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "max_threads");
  if (strings) {
    ASSERT_TRUE(ReadVarint(r, &v).ok());
    EXPECT_EQ(v, 1u) << "important";
    ASSERT_TRUE(ReadString(r, &s).ok());
    EXPECT_EQ(s, "300");
  } else {
    ASSERT_TRUE(ReadVarint(r, &v).ok());
    EXPECT_EQ(v, 300u) << "an integer setting is a varint before 54429";
  }
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "load_balancing");
  if (strings) {
    ASSERT_TRUE(ReadVarint(r, &v).ok());
  }
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "random");
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "") << "end of settings";
  if (revision >= rev::kInterserverSecret) {
    ASSERT_TRUE(ReadString(r, &s).ok());
    EXPECT_EQ(s, "");
  }
  ASSERT_TRUE(ReadVarint(r, &v).ok());
  EXPECT_EQ(v, 2u) << "stage Complete";
  ASSERT_TRUE(ReadVarint(r, &v).ok());
  EXPECT_EQ(v, 1u) << "compression on";
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "SELECT 1");
  if (revision >= rev::kParameters) {
    ASSERT_TRUE(ReadString(r, &s).ok());
    EXPECT_EQ(s, "") << "no parameters";
  }
  EXPECT_TRUE(r.done()) << "revision " << revision;
}

TEST(ClickHouseNativeProtocol, QueryPacketPerRevision) {
  Query q;
  q.query_id = "qid-1";
  q.sql = "SELECT 1";
  q.settings = {{"max_threads", "300"}, {"load_balancing", "random"}};
  q.compress = true;
  for (uint64_t revision : {uint64_t{54412}, uint64_t{54429}, uint64_t{54450}, kOfferedRevision}) {
    ByteBuffer out;
    WriteQuery(q, revision, &out);
    CheckQuery(Str(out), revision, revision >= rev::kSettingsAsStrings);
  }
}

TEST(ClickHouseNativeProtocol, HelloCarriesThePasswordOnlyThere) {
  ByteBuffer out;
  WriteHello("db", "", "s3cret", &out);
  const std::string r_bytes = Str(out);
  StringReader r(r_bytes);
  uint64_t v;
  std::string s;
  ASSERT_TRUE(ReadVarint(r, &v).ok());
  EXPECT_EQ(v, client_packet::kHello);
  ASSERT_TRUE(ReadString(r, &s).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ReadVarint(r, &v).ok());
  }
  EXPECT_EQ(v, kOfferedRevision);
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "db");
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "default") << "no user: the server's default user";
  ASSERT_TRUE(ReadString(r, &s).ok());
  EXPECT_EQ(s, "s3cret");
  EXPECT_TRUE(r.done());
}

void ServerHelloBytes(uint64_t revision, ByteBuffer& b) {
  b.String("ClickHouse");
  b.Varint(24);
  b.Varint(8);
  b.Varint(revision);
  if (revision >= rev::kServerTimezone) b.String("UTC");
  if (revision >= rev::kDisplayName) b.String("ch-1");
  if (revision >= rev::kVersionPatch) b.Varint(5);
  if (revision >= rev::kPasswordRules) {
    b.Varint(1);
    b.String(".{12}");
    b.String("at least 12 characters");
  }
  if (revision >= rev::kNonce) b.Fixed<uint64_t>(0x1122334455667788ULL);
}

TEST(ClickHouseNativeProtocol, ServerHelloPerRevision) {
  {  // 18.16
    ByteBuffer b;
    ServerHelloBytes(54412, b);
    const std::string r_bytes = Str(b);
  StringReader r(r_bytes);
    ServerHello h;
    ASSERT_TRUE(ReadServerHello(r, kOfferedRevision, &h).ok());
    EXPECT_TRUE(r.done());
    EXPECT_EQ(h.revision, 54412u);
    EXPECT_EQ(h.timezone, "UTC");
    EXPECT_EQ(h.display_name, "ch-1");
    EXPECT_EQ(h.patch, 5u);
    EXPECT_TRUE(h.password_rules.empty());
  }
  {  // a current server answers with its own (higher) revision, but fields follow ours
    ByteBuffer b;
    ServerHelloBytes(kOfferedRevision, b);
    const std::string r_bytes = Str(b);
  StringReader r(r_bytes);
    ServerHello h;
    ASSERT_TRUE(ReadServerHello(r, kOfferedRevision, &h).ok());
    EXPECT_TRUE(r.done());
    ASSERT_EQ(h.password_rules.size(), 1u);
    EXPECT_EQ(h.password_rules[0].second, "at least 12 characters");
    EXPECT_EQ(h.nonce, 0x1122334455667788ULL);
  }
  {  // a server newer than Ferry: it sends what min(54462, its revision) has
    ByteBuffer c;
    c.String("ClickHouse");
    c.Varint(25);
    c.Varint(3);
    c.Varint(54492);
    c.String("UTC");
    c.String("ch-2");
    c.Varint(1);
    c.Varint(0);
    c.Fixed<uint64_t>(7);
    const std::string r_bytes = Str(c);
  StringReader r(r_bytes);
    ServerHello h;
    ASSERT_TRUE(ReadServerHello(r, kOfferedRevision, &h).ok());
    EXPECT_TRUE(r.done());
    EXPECT_EQ(h.nonce, 7u);
  }
  {
    ByteBuffer b;
    ServerHelloBytes(kOfferedRevision, b);
    const std::string cut = Str(b).substr(0, b.size() - 3);
    StringReader r(cut);
    ServerHello h;
    EXPECT_FALSE(ReadServerHello(r, kOfferedRevision, &h).ok());
  }
}

TEST(ClickHouseNativeProtocol, ExceptionWithNested) {
  ByteBuffer b;
  b.Fixed<int32_t>(60);
  b.String("DB::Exception");
  b.String("DB::Exception: Table db.t doesn't exist. (UNKNOWN_TABLE) (version 24.8.1.1)");
  b.String("stack frames");
  b.Byte(1);
  b.Fixed<int32_t>(1000);
  b.String("Poco::Exception");
  b.String("Poco::Exception: inner reason");
  b.String("");
  b.Byte(0);
  const std::string r_bytes = Str(b);
  StringReader r(r_bytes);
  Exception e;
  ASSERT_TRUE(ReadException(r, &e).ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(e.code, 60);
  EXPECT_EQ(e.message, "Table db.t doesn't exist. (UNKNOWN_TABLE); caused by: inner reason");
  EXPECT_EQ(e.message.find("stack"), std::string::npos);
}

TEST(ClickHouseNativeProtocol, ProgressFieldsPerRevision) {
  for (uint64_t revision : {uint64_t{54412}, uint64_t{54419}, kOfferedRevision}) {
    ByteBuffer b;
    int n = 3 + (revision >= rev::kClientWriteInfo ? 2 : 0) + (revision >= rev::kQueryTimeInProgress ? 1 : 0);
    for (int i = 0; i < n; ++i) b.Varint(1000 + i);
    b.Byte(0x55);
    const std::string r_bytes = Str(b);
  StringReader r(r_bytes);
    ASSERT_TRUE(SkipProgress(r, revision).ok());
    char next = 0;
    ASSERT_TRUE(r.Read(&next, 1).ok());
    EXPECT_EQ(next, 0x55) << "revision " << revision;
  }
}

// One block as the protocol carries it, and as FORMAT Native over HTTP.
void Block(uint64_t revision, ByteBuffer* proto, ByteBuffer* http) {
  struct Col {
    const char* name;
    const char* type;
    std::string data;
  };
  ByteBuffer d1, d2, d3, d4;
  d1.Fixed<uint64_t>(7);
  d1.Fixed<uint64_t>(8);
  d2.Byte(0);
  d2.Byte(1);
  d2.String("tab\there");
  d2.String("");
  d3.Fixed<uint64_t>(2);
  d3.Fixed<uint64_t>(3);
  d3.Fixed<int32_t>(-1);
  d3.Fixed<int32_t>(2);
  d3.Fixed<int32_t>(3);
  d4.Byte(1);
  d4.Byte(2);
  d4.Append("abcxyz", 6);
  const Col cols[] = {{"id", "UInt64", Str(d1)},
                      {"s", "Nullable(String)", Str(d2)},
                      {"a", "Array(Int32)", Str(d3)},
                      {"t", "Tuple(UInt8, FixedString(3))", Str(d4)}};
  WriteBlockInfo(proto);
  for (ByteBuffer* b : {proto, http}) {
    b->Varint(4);
    b->Varint(2);
  }
  for (const Col& c : cols) {
    for (ByteBuffer* b : {proto, http}) {
      b->String(c.name);
      b->String(c.type);
      if (b == proto && revision >= rev::kCustomSerialization) b->Byte(0);
      b->Append(c.data.data(), c.data.size());
    }
  }
}

TEST(ClickHouseNativeProtocol, ReadBlockGivesTheHttpLayout) {
  for (uint64_t revision : {uint64_t{54412}, kOfferedRevision}) {
    ByteBuffer proto, http;
    Block(revision, &proto, &http);
    const std::string r_bytes = Str(proto);
  StringReader r(r_bytes);
    ByteBuffer out;
    uint64_t cols = 0, rows = 0;
    ASSERT_TRUE(ReadBlock(r, revision, &out, &cols, &rows).ok());
    EXPECT_TRUE(r.done());
    EXPECT_EQ(cols, 4u);
    EXPECT_EQ(rows, 2u);
    EXPECT_EQ(Str(out), Str(http));
    auto decoded = DecodeNative(out.data());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ((*decoded)[1].values[0].as_string(), "tab\there");
    // Every cut is an error, never a crash or a short success.
    const std::string whole = Str(proto);
    for (size_t n = 0; n < whole.size(); ++n) {
      StringReader cut(std::string_view(whole).substr(0, n));
      ByteBuffer o;
      EXPECT_FALSE(ReadBlock(cut, revision, &o, &cols, &rows).ok()) << n;
    }
  }
}

TEST(ClickHouseNativeProtocol, ReadBlockRefusesWhatItCannotSize) {
  ByteBuffer b;
  WriteBlockInfo(&b);
  b.Varint(1);
  b.Varint(1);
  b.String("c");
  b.String("LowCardinality(String)");
  b.Byte(0);
  const std::string r_bytes = Str(b);
  StringReader r(r_bytes);
  ByteBuffer out;
  uint64_t cols, rows;
  Status st = ReadBlock(r, kOfferedRevision, &out, &cols, &rows);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
  ByteBuffer sparse;
  WriteBlockInfo(&sparse);
  sparse.Varint(1);
  sparse.Varint(1);
  sparse.String("c");
  sparse.String("UInt8");
  sparse.Byte(1);  // a custom serialization
  const std::string r2_bytes = Str(sparse);
  StringReader r2(r2_bytes);
  st = ReadBlock(r2, kOfferedRevision, &out, &cols, &rows);
  EXPECT_NE(st.message().find("sparse"), std::string::npos) << st.ToString();
}

TEST(ClickHouseNativeProtocol, BodyPiecesGetTheSerializationByte) {
  ByteBuffer col;
  col.String("id");
  col.String("UInt64");
  col.Fixed<uint64_t>(42);
  ByteBuffer old_rev, new_rev;
  ASSERT_TRUE(AdaptBodyPiece(col.data(), false, 54412, &old_rev).ok());
  ASSERT_TRUE(AdaptBodyPiece(col.data(), false, kOfferedRevision, &new_rev).ok());
  EXPECT_EQ(Str(old_rev), Str(col));
  std::string want = Str(col);
  want.insert(3 + 7, 1, '\0');  // after "\x02id" and "\x06UInt64"
  EXPECT_EQ(Str(new_rev), want);
  ByteBuffer head, out;
  head.Varint(1);
  head.Varint(1);
  ASSERT_TRUE(AdaptBodyPiece(head.data(), true, kOfferedRevision, &out).ok());
  EXPECT_EQ(Str(out), Str(head));
}

TEST(ClickHouseNativeProtocol, TsvAsClickHouseWritesIt) {
  ByteBuffer http, proto;
  Block(54412, &proto, &http);
  ByteBuffer scalars;
  scalars.Varint(2);
  scalars.Varint(2);
  scalars.String("n");
  scalars.String("Int64");
  scalars.Fixed<int64_t>(-5);
  scalars.Fixed<int64_t>(6);
  scalars.String("s");
  scalars.String("Nullable(String)");
  scalars.Byte(0);
  scalars.Byte(1);
  scalars.String("a\\b\tc\nd'e");
  scalars.String("");
  auto tsv = NativeToTsv(scalars.data());
  ASSERT_TRUE(tsv.ok()) << tsv.status().ToString();
  EXPECT_EQ(*tsv, "-5\ta\\\\b\\tc\\nd\\'e\n6\t\\N\n");
  EXPECT_EQ(NativeToTsv(http.data()).status().code(), StatusCode::kUnsupported) << "arrays are not rendered";
  auto empty = NativeToTsv("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace ferry::plugins::clickhouse::native

namespace ferry::plugins::clickhouse::native {
namespace {

// The fuzz seeds (fuzz/corpus/clickhouse_native) are the bytes 18.16.1 sent
// to clickhouse-client, recorded by a proxy (first byte: the fuzz target's
// flags, then the server's Hello and answer). Reading them as the
// connection does proves the decoder on real answers, and `select_lz4`
// proves CityHash128 and LZ4 on the server's own frames.
struct Answer {
  ServerHello hello;
  std::string native;  // the Data blocks
  std::vector<uint64_t> types;
  Exception exception;
};

Answer ReadSeed(const std::string& name) {
  Answer a;
  std::FILE* f = std::fopen((std::string(FERRY_SOURCE_DIR) + "/fuzz/corpus/clickhouse_native/" + name).c_str(), "rb");
  EXPECT_NE(f, nullptr) << name;
  if (!f) return a;
  std::string bytes;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  std::fclose(f);
  StringReader in(std::string_view(bytes).substr(1));
  EXPECT_TRUE(ReadServerHello(in, kOfferedRevision, &a.hello).ok());
  ServerPacket p;
  while (!in.done()) {
    Status st = ReadServerPacket(in, 54412, (bytes[0] & 2) != 0, &p);
    EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
    if (!st.ok()) break;
    a.types.push_back(p.type);
    if (p.type == server_packet::kData && p.rows > 0) a.native.append(p.block.data());
    if (p.type == server_packet::kException) a.exception = p.exception;
  }
  return a;
}

TEST(ClickHouseNativeCorpus, RealServerAnswers) {
  Answer sel = ReadSeed("select");
  EXPECT_EQ(sel.hello.revision, 54412u);
  EXPECT_EQ(sel.hello.major, 18u);
  EXPECT_EQ(sel.hello.minor, 16u);
  EXPECT_EQ(sel.types.back(), server_packet::kEndOfStream);
  auto cols = DecodeNative(sel.native);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 4u);
  EXPECT_EQ((*cols)[2].type, "Array(UInt64)");
  EXPECT_EQ((*cols)[3].type, "Nullable(UInt64)");
  ASSERT_EQ((*cols)[1].values.size(), 5u);
  EXPECT_EQ((*cols)[1].values[4].as_string(), "4");

  Answer lz4 = ReadSeed("select_lz4");
  auto tsv = NativeToTsv(lz4.native);
  ASSERT_TRUE(tsv.ok()) << tsv.status().ToString();
  EXPECT_EQ(std::count(tsv->begin(), tsv->end(), '\n'), 3000);
  EXPECT_EQ(tsv->substr(tsv->size() - 7), "2999\tx\n");

  Answer err = ReadSeed("exception");
  EXPECT_EQ(err.types.back(), server_packet::kException);
  EXPECT_EQ(err.exception.code, 60);
  EXPECT_NE(err.exception.message.find("no_such_table doesn't exist"), std::string::npos) << err.exception.message;
}

TEST(ClickHouseNativeCorpus, EverySeedIsReadOrFailsCleanly) {
  // Inputs the fuzz target found (crash_*) stay here as regressions: read
  // exactly as the target reads them, they must end in a Status.
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(FERRY_SOURCE_DIR) / "fuzz" / "corpus" / "clickhouse_native")) {
    std::FILE* f = std::fopen(e.path().c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::string bytes;
    char buf[4096];
    for (size_t k; (k = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, k);
    std::fclose(f);
    if (bytes.empty()) continue;
    ++n;
    StringReader in(std::string_view(bytes).substr(1));
    ServerHello hello;
    if (!ReadServerHello(in, kOfferedRevision, &hello).ok()) continue;
    ServerPacket p;
    for (int i = 0; i < 1000 && !in.done(); ++i) {
      if (!ReadServerPacket(in, (bytes[0] & 1) ? kOfferedRevision : 54412, (bytes[0] & 2) != 0, &p).ok()) break;
      if (p.block.size() > 0) {
        (void)DecodeNative(p.block.data()).ok();
        (void)NativeToTsv(p.block.data()).ok();
      }
    }
  }
  EXPECT_GE(n, 4);
}

}  // namespace
}  // namespace ferry::plugins::clickhouse::native
