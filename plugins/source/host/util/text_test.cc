#include "plugins/source/host/util/text.h"

#include <gtest/gtest.h>

namespace ferry::plugins::host {
namespace {

TEST(HostText, SplitKeepsEmptyFieldsAndFieldsDoesNot) {
  EXPECT_EQ(Split("a::b", ':'), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(Split("", ':'), (std::vector<std::string_view>{""}));
  EXPECT_EQ(Fields("  a \t b  c "), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_TRUE(Fields("   ").empty());
  EXPECT_EQ(Trim(" \t x y \r\n"), "x y");
}

TEST(HostText, IntegersAreStrict) {
  EXPECT_EQ(ParseInt("-42"), -42);
  EXPECT_FALSE(ParseInt("42x"));
  EXPECT_FALSE(ParseInt(""));
  EXPECT_FALSE(ParseInt("99999999999999999999"));
  EXPECT_EQ(ParseUInt("0A", 16), 10u);
  EXPECT_FALSE(ParseUInt("-1"));
}

TEST(HostText, InvalidUtf8IsReplaced) {
  EXPECT_EQ(ToValidUtf8("plain"), "plain");
  EXPECT_EQ(ToValidUtf8("w\xC3\xB6rld"), "w\xC3\xB6rld");                // valid 2-byte
  EXPECT_EQ(ToValidUtf8("\xF0\x9F\x9A\x80"), "\xF0\x9F\x9A\x80");          // valid 4-byte
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");                  // invalid byte
  EXPECT_EQ(ToValidUtf8("\xC3"), "\xEF\xBF\xBD");                            // cut sequence
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");           // overlong
}

TEST(HostText, FingerprintAndPrefixLength) {
  EXPECT_EQ(Fnv1aHex(""), "cbf29ce484222325");  // the FNV-1a 64 offset basis
  EXPECT_EQ(Fnv1aHex("a"), "af63dc4c8601ec8c");
  EXPECT_NE(Fnv1aHex("line 1"), Fnv1aHex("line 2"));
  const unsigned char m24[] = {255, 255, 255, 0};
  const unsigned char m0[] = {0, 0, 0, 0};
  const unsigned char bad[] = {255, 0, 255, 0};
  const unsigned char m20[] = {255, 255, 240, 0};
  EXPECT_EQ(PrefixLength(m24, 4), 24);
  EXPECT_EQ(PrefixLength(m0, 4), 0);
  EXPECT_EQ(PrefixLength(m20, 4), 20);
  EXPECT_EQ(PrefixLength(bad, 4), -1);
}

}  // namespace
}  // namespace ferry::plugins::host
