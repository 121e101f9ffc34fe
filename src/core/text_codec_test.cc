#include "ferry/text_codec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace ferry {
namespace {

TEST(TextCodec, CivilDatesAgreeWithTheCLibrary) {
  // timegm is an independent implementation for the dates it covers.
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    const int64_t days = static_cast<int64_t>(rng() % 2000000) - 1000000;  // about 1 BC .. 4700 AD
    const CivilDate c = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), days);
    std::tm tm{};
    tm.tm_year = static_cast<int>(c.year - 1900);
    tm.tm_mon = c.month - 1;
    tm.tm_mday = c.day;
    ASSERT_EQ(static_cast<int64_t>(timegm(&tm)), days * 86400) << c.year << "-" << c.month << "-" << c.day;
  }
  EXPECT_EQ(CivilFromDays(0), (CivilDate{1970, 1, 1}));
  EXPECT_EQ(CivilFromDays(-1), (CivilDate{1969, 12, 31}));
  EXPECT_EQ(DaysFromCivil(2000, 2, 29), 11016);
  EXPECT_EQ(CivilFromDays(DaysFromCivil(-4712, 1, 1)), (CivilDate{-4712, 1, 1}));
}

TEST(TextCodec, Base64KnownAnswersAndStrictDecoding) {
  // RFC 4648 section 10 test vectors.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    std::string out;
    AppendBase64(plain[i], &out);
    EXPECT_EQ(out, coded[i]);
    auto back = DecodeBase64(coded[i]);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, plain[i]);
  }
  std::string all, enc;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  AppendBase64(all, &enc);
  EXPECT_EQ(*DecodeBase64(enc), all);
  EXPECT_FALSE(DecodeBase64("Zg=").ok());
  EXPECT_FALSE(DecodeBase64("Z===").ok());
  EXPECT_FALSE(DecodeBase64("Zg=A").ok());
  EXPECT_FALSE(DecodeBase64("Zm9v!A==").ok());
}

TEST(TextCodec, JsonStringEscapesAndNulPolicy) {
  std::string out;
  AppendJsonString(std::string_view("a\"b\\c\n\t\x01\0z\xc3\xa9", 12), &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u0000z\xc3\xa9\"");
  out.clear();
  AppendJsonString(std::string_view("a\0b", 3), &out, JsonNul::kDrop);
  EXPECT_EQ(out, "\"ab\"");
}

// The escaper checks 8 bytes at a time: every byte at every position of
// strings around that width, against the one-byte-at-a-time rule.
TEST(TextCodec, JsonStringEscapesEveryByteAtEveryPosition) {
  auto reference = [](std::string_view s, JsonNul nul) {
    std::string r = "\"";
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      char buf[8];
      switch (c) {
        case '"': r += "\\\""; break;
        case '\\': r += "\\\\"; break;
        case '\n': r += "\\n"; break;
        case '\r': r += "\\r"; break;
        case '\t': r += "\\t"; break;
        case '\b': r += "\\b"; break;
        case '\f': r += "\\f"; break;
        default:
          if (c >= 0x20) r.push_back(ch);
          else if (c != 0 || nul == JsonNul::kEscape) {
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            r += buf;
          }
      }
    }
    return r + "\"";
  };
  for (size_t len : {1, 7, 8, 9, 15, 16, 17, 23}) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'x');
        s[pos] = static_cast<char>(b);
        if (pos + 1 < len) s[pos + 1] = static_cast<char>(0xff - b);   // high bytes next to a match
        for (JsonNul nul : {JsonNul::kEscape, JsonNul::kDrop}) {
          std::string out = "prefix";
          AppendJsonString(s, &out, nul);
          ASSERT_EQ(out, "prefix" + reference(s, nul)) << "len " << len << " pos " << pos << " byte " << b;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ferry

// Go's time.RFC3339Nano (CloudQuery's JSON and CSV files): no trailing zeros.
namespace ferry {
TEST(TextCodec, Rfc3339NanoTrimsTheFractionAsGoDoes) {
  using S = TimestampStyle;
  EXPECT_EQ(TimestampText(1609545600000000, S::kRfc3339Nano), "2021-01-02T00:00:00Z");
  EXPECT_EQ(TimestampText(1609545600120000, S::kRfc3339Nano), "2021-01-02T00:00:00.12Z");
  EXPECT_EQ(TimestampText(1609545600000001, S::kRfc3339Nano), "2021-01-02T00:00:00.000001Z");
  EXPECT_EQ(TimestampText(-1, S::kRfc3339Nano), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(TimestampText(1609545600120000, S::kIsoUtc), "2021-01-02T00:00:00.120000Z");
  EXPECT_EQ(TimestampText(1609545600120000, S::kSql), "2021-01-02 00:00:00.120000");
}

TEST(TextCodec, MacTextAsGoPrintsIt) {
  EXPECT_EQ(MacText(std::string("\x00\x94\xfd\xc2\xfa\x2f", 6)), "00:94:fd:c2:fa:2f");
  EXPECT_EQ(*ParseMacText("00:94:FD:c2:fa:2f"), std::string("\x00\x94\xfd\xc2\xfa\x2f", 6));
  EXPECT_EQ(*ParseMacText("00-94-fd-c2-fa-2f"), std::string("\x00\x94\xfd\xc2\xfa\x2f", 6));
  EXPECT_FALSE(ParseMacText("00:94:fd:c2:fa:2").ok());
  EXPECT_FALSE(ParseMacText("0094fdc2fa2f").ok());
  EXPECT_FALSE(ParseMacText("").ok());
}
}  // namespace ferry
