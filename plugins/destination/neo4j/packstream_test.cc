// PackStream and Bolt chunking: known answers from Neo4j's PackStream and
// Bolt documentation, the size boundaries of every marker, and decoding of
// damaged input.
#include "plugins/destination/neo4j/packstream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "plugins/destination/neo4j/bolt_connection.h"

namespace ferry::plugins::neo4j::bolt {
namespace {

std::string Hex(const std::string& s) {
  static const char* d = "0123456789ABCDEF";
  std::string h;
  for (unsigned char c : s) {
    if (!h.empty()) h += ' ';
    h += d[c >> 4];
    h += d[c & 15];
  }
  return h;
}

template <typename F>
std::string Packed(F f) {
  std::string out;
  Packer p(&out);
  f(p);
  return Hex(out);
}

PackValue RoundTrip(const std::string& bytes) {
  size_t pos = 0;
  auto v = Unpack(bytes, &pos);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(pos, bytes.size());
  return v.ok() ? *v : PackValue();
}

// The examples of the PackStream specification.
TEST(PackStream, DocumentedExamples) {
  EXPECT_EQ(Packed([](Packer& p) { p.Null(); }), "C0");
  EXPECT_EQ(Packed([](Packer& p) { p.Bool(true); }), "C3");
  EXPECT_EQ(Packed([](Packer& p) { p.Bool(false); }), "C2");
  EXPECT_EQ(Packed([](Packer& p) { p.Int(1); }), "01");
  EXPECT_EQ(Packed([](Packer& p) { p.Int(42); }), "2A");
  EXPECT_EQ(Packed([](Packer& p) { p.Int(1234); }), "C9 04 D2");
  EXPECT_EQ(Packed([](Packer& p) { p.Float(1.23); }), "C1 3F F3 AE 14 7A E1 47 AE");
  EXPECT_EQ(Packed([](Packer& p) { p.Float(-1.1); }), "C1 BF F1 99 99 99 99 99 9A");
  EXPECT_EQ(Packed([](Packer& p) { p.String(""); }), "80");
  EXPECT_EQ(Packed([](Packer& p) { p.String("A"); }), "81 41");
  EXPECT_EQ(Packed([](Packer& p) { p.String("Größenmaßstäbe"); }),
            "D0 12 47 72 C3 B6 C3 9F 65 6E 6D 61 C3 9F 73 74 C3 A4 62 65");
  EXPECT_EQ(Packed([](Packer& p) { p.Bytes(std::string("\x01\x02\x03", 3)); }), "CC 03 01 02 03");
  EXPECT_EQ(Packed([](Packer& p) { p.ListHeader(0); }), "90");
  EXPECT_EQ(Packed([](Packer& p) {
              p.ListHeader(3);
              p.Int(1);
              p.Int(2);
              p.Int(3);
            }),
            "93 01 02 03");
  EXPECT_EQ(Packed([](Packer& p) { p.MapHeader(0); }), "A0");
  EXPECT_EQ(Packed([](Packer& p) {
              p.MapHeader(1);
              p.String("one");
              p.String("eins");
            }),
            "A1 83 6F 6E 65 84 65 69 6E 73");
  // Date 2020-01-01 as a structure: B1 44, then the days.
  EXPECT_EQ(Packed([](Packer& p) {
              p.StructHeader(1, sig::kDate);
              p.Int(18262);
            }),
            "B1 44 C9 47 56");
}

TEST(PackStream, IntegerMarkersAtEveryBoundary) {
  struct Case {
    int64_t v;
    const char* hex;
  } cases[] = {
      {-16, "F0"},
      {127, "7F"},
      {-17, "C8 EF"},
      {-128, "C8 80"},
      {128, "C9 00 80"},
      {-129, "C9 FF 7F"},
      {32767, "C9 7F FF"},
      {-32768, "C9 80 00"},
      {32768, "CA 00 00 80 00"},
      {-32769, "CA FF FF 7F FF"},
      {2147483647, "CA 7F FF FF FF"},
      {2147483648LL, "CB 00 00 00 00 80 00 00 00"},
      {std::numeric_limits<int64_t>::min(), "CB 80 00 00 00 00 00 00 00"},
      {std::numeric_limits<int64_t>::max(), "CB 7F FF FF FF FF FF FF FF"},
  };
  for (const auto& c : cases) {
    std::string out;
    Packer(&out).Int(c.v);
    EXPECT_EQ(Hex(out), c.hex) << c.v;
    EXPECT_EQ(RoundTrip(out).as_int(), c.v);
  }
}

TEST(PackStream, SizeMarkersOfStringsListsMapsAndBytes) {
  auto header = [](const std::string& s, size_t n) { return Hex(s.substr(0, n)); };
  std::string out;
  Packer p(&out);
  p.String(std::string(15, 'x'));
  EXPECT_EQ(header(out, 1), "8F");
  out.clear();
  p.String(std::string(16, 'x'));
  EXPECT_EQ(header(out, 2), "D0 10");
  out.clear();
  p.String(std::string(256, 'x'));
  EXPECT_EQ(header(out, 3), "D1 01 00");
  out.clear();
  p.String(std::string(65536, 'x'));
  EXPECT_EQ(header(out, 5), "D2 00 01 00 00");
  EXPECT_EQ(RoundTrip(out).as_string().size(), 65536u);
  out.clear();
  p.ListHeader(16);
  EXPECT_EQ(Hex(out), "D4 10");
  out.clear();
  p.ListHeader(65536);
  EXPECT_EQ(Hex(out), "D6 00 01 00 00");
  out.clear();
  p.MapHeader(15);
  EXPECT_EQ(Hex(out), "AF");
  out.clear();
  p.MapHeader(300);
  EXPECT_EQ(Hex(out), "D9 01 2C");
  out.clear();
  p.Bytes(std::string(300, '\0'));
  EXPECT_EQ(header(out, 3), "CD 01 2C");
  out.clear();
  p.Bytes("");
  EXPECT_EQ(Hex(out), "CC 00");
}

TEST(PackStream, ValuesRoundTrip) {
  PackValue v = PackValue::MakeMap({
      {"n", PackValue()},
      {"b", PackValue::Bool(true)},
      {"f", PackValue::Float(std::numeric_limits<double>::infinity())},
      {"s", PackValue::String("ünïcödé")},
      {"x", PackValue::Bytes(std::string("\0\xff", 2))},
      {"l", PackValue::MakeList({PackValue::Int(-1), PackValue::Int(1LL << 40), PackValue::MakeList({})})},
      {"t", PackValue::Struct(sig::kDateTime, {PackValue::Int(1700000000), PackValue::Int(123456000), PackValue::Int(0)})},
  });
  std::string out;
  Packer p(&out);
  v.Pack(p);
  EXPECT_EQ(RoundTrip(out), v);
  EXPECT_EQ(RoundTrip(out).ToString(),
            "{n: null, b: true, f: inf, s: \"ünïcödé\", x: #00FF, l: [-1, 1099511627776, []], "
            "t: DateTime(1700000000, 123456000, 0)}");
  double nan = std::nan("");
  out.clear();
  p.Float(nan);
  EXPECT_TRUE(std::isnan(RoundTrip(out).as_float()));
}

TEST(PackStream, DamagedInputIsAnErrorNotACrash) {
  const char* bad[] = {"\xD0", "\xD0\x05" "abc", "\xC1\x00\x00", "\x93\x01", "\xA1\x01\x01", "\xC7", "\xB1"};
  for (const char* b : bad) {
    std::string s(b);
    if (s.empty()) continue;
    size_t pos = 0;
    EXPECT_FALSE(Unpack(s, &pos).ok()) << Hex(s);
  }
  // Nesting bomb: 1000 one-element lists.
  std::string deep(1000, '\x91');
  deep += '\x01';
  size_t pos = 0;
  auto r = Unpack(deep, &pos);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("deeper"), std::string::npos);
}

// Bolt's chunking: 2-byte sizes, at most 65535 per chunk, then 00 00.
TEST(BoltChunking, SmallAndLargeMessages) {
  std::string out;
  AppendChunked(std::string("\xB1\x70\xA0", 3), &out);  // SUCCESS {}
  EXPECT_EQ(Hex(out), "00 03 B1 70 A0 00 00");
  out.clear();
  std::string big(65535 + 10, 'x');
  AppendChunked(big, &out);
  ASSERT_EQ(out.size(), 2 + 65535 + 2 + 10 + 2);
  EXPECT_EQ(Hex(out.substr(0, 2)), "FF FF");
  EXPECT_EQ(Hex(out.substr(2 + 65535, 2)), "00 0A");
  EXPECT_EQ(Hex(out.substr(out.size() - 2)), "00 00");
}

TEST(BoltFailure, CodesAreClassified) {
  auto f = [](const std::string& code) {
    return FailureStatus(PackValue::MakeMap({{"code", PackValue::String(code)}, {"message", PackValue::String("m")}}));
  };
  EXPECT_EQ(f("Neo.TransientError.Transaction.DeadlockDetected").code(), StatusCode::kTransient);
  EXPECT_EQ(f("Neo.ClientError.Cluster.NotALeader").code(), StatusCode::kTransient);
  EXPECT_EQ(f("Neo.TransientError.Transaction.Terminated").code(), StatusCode::kIOError);
  EXPECT_EQ(f("Neo.ClientError.Statement.SyntaxError").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f("Neo.ClientError.Security.Unauthorized").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f("Neo.ClientError.Statement.SyntaxError").message(), "Neo4j Neo.ClientError.Statement.SyntaxError: m");
  // Bolt 5.7 names the code neo4j_code.
  auto s = FailureStatus(PackValue::MakeMap({{"neo4j_code", PackValue::String("Neo.TransientError.General.DatabaseUnavailable")},
                                             {"message", PackValue::String("down")}}));
  EXPECT_EQ(s.code(), StatusCode::kTransient);
}

}  // namespace
}  // namespace ferry::plugins::neo4j::bolt
