#include "plugins/source/host/parse/net.h"

#include <gtest/gtest.h>

namespace ferry::plugins::host {
namespace {

// The kernel prints the 32-bit words of an address in host byte order; these
// fixtures are what a little-endian machine prints.
bool LittleEndian() {
  const uint16_t one = 1;
  return *reinterpret_cast<const unsigned char*>(&one) == 1;
}

TEST(HostNetParse, TcpV4Lines) {
  if (!LittleEndian()) GTEST_SKIP() << "fixtures are little-endian kernel output";
  const char* text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 54321 1 "
      "0000000000000000 100 0 0 10 0\n"
      "   1: 0202000A:D431 0101A8C0:01BB 01 00000010:00000000 02:000AB4F1 00000000     0        0 7777 2 "
      "0000000000000000 20 4 30 10 -1\n"
      "   2: garbage\n";
  int64_t skipped = -1;
  auto s = ParseInetSockets(text, false, &skipped);
  EXPECT_EQ(skipped, 1);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].local_address, "127.0.0.1/32");
  EXPECT_EQ(s[0].local_port, 8080);
  EXPECT_EQ(s[0].remote_address, "0.0.0.0/32");
  EXPECT_EQ(s[0].remote_port, 0);
  EXPECT_EQ(s[0].state, 10);
  EXPECT_EQ(s[0].rx_queue, 3);
  EXPECT_EQ(s[0].uid, 1000);
  EXPECT_EQ(s[0].inode, 54321u);
  EXPECT_EQ(s[1].local_address, "10.0.2.2/32");
  EXPECT_EQ(s[1].local_port, 54321);
  EXPECT_EQ(s[1].remote_address, "192.168.1.1/32");
  EXPECT_EQ(s[1].remote_port, 443);
  EXPECT_EQ(s[1].tx_queue, 16);
  EXPECT_EQ(SocketStateName(s[0].state, true), "LISTEN");
  EXPECT_EQ(SocketStateName(s[1].state, true), "ESTABLISHED");
}

TEST(HostNetParse, V6Addresses) {
  if (!LittleEndian()) GTEST_SKIP() << "fixtures are little-endian kernel output";
  EXPECT_EQ(KernelHexToCidr("00000000000000000000000001000000", true), "::1/128");
  EXPECT_EQ(KernelHexToCidr("00000000000000000000000000000000", true), "::/128");
  EXPECT_EQ(KernelHexToCidr("0000000000000000FFFF00000100007F", true), "::ffff:127.0.0.1/128");
  EXPECT_EQ(KernelHexToCidr("B80D0120000000000000000001000000", true), "2001:db8::1/128");
  EXPECT_EQ(KernelHexToCidr("0100007F", true), "");
  EXPECT_EQ(KernelHexToCidr("XYZ0007F", false), "");
}

TEST(HostNetParse, UdpStatesAndMac) {
  EXPECT_EQ(SocketStateName(7, false), "UNCONN");
  EXPECT_EQ(SocketStateName(1, false), "ESTABLISHED");
  EXPECT_EQ(SocketStateName(6, true), "TIME_WAIT");
  EXPECT_EQ(SocketStateName(99, true), "UNKNOWN_99");
  EXPECT_EQ(ParseMac("02:00:5e:10:00:01\n"), std::string("\x02\x00\x5e\x10\x00\x01", 6));
  EXPECT_FALSE(ParseMac(""));
  EXPECT_FALSE(ParseMac("02:0g"));
  EXPECT_EQ(LinkTypeName(1), "ether");
  EXPECT_EQ(LinkTypeName(772), "loopback");
  EXPECT_EQ(LinkTypeName(12345), "12345");
}

}  // namespace
}  // namespace ferry::plugins::host
