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

// ---- Text of time, duration, interval and decimal128 values ----

namespace ferry {
namespace {

std::string Text(const DataTypePtr& t, const Value& v) { return ArrowScalarText(*t, v); }

// Text form, and back to the same value.
void ExpectText(const DataTypePtr& t, const Value& v, const std::string& want) {
  EXPECT_EQ(Text(t, v), want) << t->ToString();
  auto back = ParseArrowScalarText(*t, want);
  ASSERT_TRUE(back.ok()) << want << ": " << back.status().ToString();
  EXPECT_TRUE(*back == v) << t->ToString() << " " << want;
}

__int128 Pow10(int n) {
  __int128 v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

TEST(ArrowTypesText, TimesOfDayWithTheUnitsDigits) {
  ExpectText(types::Time32(TimeUnit::kSecond), Value::Int(3 * 3600 + 4 * 60 + 5), "03:04:05");
  ExpectText(types::Time32(TimeUnit::kMilli), Value::Int(86399999), "23:59:59.999");
  ExpectText(types::Time64(TimeUnit::kMicro), Value::Int(1), "00:00:00.000001");
  ExpectText(types::Time64(TimeUnit::kNano), Value::Int(11045123456789), "03:04:05.123456789");
  ExpectText(types::Time64(TimeUnit::kNano), Value::Int(0), "00:00:00.000000000");
  // Outside one day: hours keep counting, a sign before.
  ExpectText(types::Time32(TimeUnit::kSecond), Value::Int(90000), "25:00:00");
  ExpectText(types::Time32(TimeUnit::kMilli), Value::Int(-1500), "-00:00:01.500");
  ExpectText(types::Time64(TimeUnit::kNano), Value::Int(INT64_MIN), "-2562047:47:16.854775808");
  ExpectText(types::Time64(TimeUnit::kNano), Value::Int(INT64_MAX), "2562047:47:16.854775807");
  // Fewer fraction digits read as written.
  auto v = ParseArrowScalarText(*types::Time64(TimeUnit::kNano), "03:04:05.12");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_int(), 11045120000000);
  for (const char* bad : {"3:04:05", "03:60:00", "03:04:5", "03:04:05.", "03:04:05.1234567891", "03:04:05Z", "",
                          "2562047:47:16.854775808"})
    EXPECT_FALSE(ParseArrowScalarText(*types::Time64(TimeUnit::kNano), bad).ok()) << bad;
  EXPECT_FALSE(ParseArrowScalarText(*types::Time32(TimeUnit::kSecond), "03:04:05.1").ok());
  EXPECT_FALSE(ParseArrowScalarText(*types::Time32(TimeUnit::kMilli), "597:00:00.000").ok());  // > int32
}

TEST(ArrowTypesText, DurationsAreACountAndTheirUnit) {
  ExpectText(types::Duration(TimeUnit::kSecond), Value::Int(12), "12s");
  ExpectText(types::Duration(TimeUnit::kMilli), Value::Int(-1500), "-1500ms");
  ExpectText(types::Duration(TimeUnit::kMicro), Value::Int(7), "7us");
  ExpectText(types::Duration(TimeUnit::kNano), Value::Int(INT64_MIN), "-9223372036854775808ns");
  ExpectText(types::Duration(TimeUnit::kNano), Value::Int(INT64_MAX), "9223372036854775807ns");
  for (const char* bad : {"12", "12ms", "12 ns", "ns", "9223372036854775808ns", "1.5ns"})
    EXPECT_FALSE(ParseArrowScalarText(*types::Duration(TimeUnit::kNano), bad).ok()) << bad;
}

TEST(ArrowTypesText, IntervalsNameEveryPart) {
  ExpectText(types::IntervalMonth(), Value::Int(1), "1 month");
  ExpectText(types::IntervalMonth(), Value::Int(14), "14 months");
  ExpectText(types::IntervalMonth(), Value::Int(-1), "-1 month");
  ExpectText(types::IntervalMonth(), Value::Int(0), "0 months");
  ExpectText(types::IntervalDayTime(), Value::String(IntervalDayTimeBytes(2, 300)), "2 days 300ms");
  ExpectText(types::IntervalDayTime(), Value::String(IntervalDayTimeBytes(1, -1)), "1 day -1ms");
  ExpectText(types::IntervalDayTime(), Value::String(IntervalDayTimeBytes(INT32_MIN, INT32_MAX)),
             "-2147483648 days 2147483647ms");
  ExpectText(types::IntervalMonthDayNano(), Value::String(IntervalMonthDayNanoBytes(1, 2, 3)), "1 month 2 days 3ns");
  ExpectText(types::IntervalMonthDayNano(), Value::String(IntervalMonthDayNanoBytes(0, 0, INT64_MIN)),
             "0 months 0 days -9223372036854775808ns");
  for (const char* bad : {"1", "1 month 2 days", "2 days", "1 months 2 days 3ns x", "2147483648 months 0 days 0ns"})
    EXPECT_FALSE(ParseArrowScalarText(*types::IntervalMonthDayNano(), bad).ok()) << bad;
  EXPECT_FALSE(ParseArrowScalarText(*types::IntervalDayTime(), "2 days 2147483648ms").ok());
  EXPECT_FALSE(ParseArrowScalarText(*types::IntervalMonth(), "1 month ").ok());
}

TEST(ArrowTypesText, DecimalsAreExactWithScaleFractionDigits) {
  const auto d = types::Decimal128(19, 10);
  ExpectText(d, Value::String(Decimal128Bytes(-123400000000)), "-12.3400000000");
  ExpectText(d, Value::String(Decimal128Bytes(5)), "0.0000000005");
  ExpectText(d, Value::String(Decimal128Bytes(-5)), "-0.0000000005");
  ExpectText(d, Value::String(Decimal128Bytes(0)), "0.0000000000");
  ExpectText(d, Value::String(Decimal128Bytes(Pow10(19) - 1)), "999999999.9999999999");
  ExpectText(types::Decimal128(5, 0), Value::String(Decimal128Bytes(-12)), "-12");
  ExpectText(types::Decimal128(5, -3), Value::String(Decimal128Bytes(42)), "42000");
  ExpectText(types::Decimal128(5, -3), Value::String(Decimal128Bytes(0)), "0");
  // The extremes of 38 digits, and of int128 itself (a value Arrow can hold
  // though it exceeds precision 38).
  ExpectText(types::Decimal128(38, 2), Value::String(Decimal128Bytes(-(Pow10(38) - 1))),
             "-999999999999999999999999999999999999.99");
  const __int128 min128 = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  EXPECT_EQ(Text(types::Decimal128(38, 0), Value::String(Decimal128Bytes(min128))),
            "-170141183460469231731687303715884105728");
  // Fewer fraction digits read as written; more digits than the precision do not fit.
  auto v = ParseArrowScalarText(*d, "1.5");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(*v == Value::String(Decimal128Bytes(15000000000)));
  for (const char* bad : {"1000000000.0", "1.00000000001", "1e3", "", "-", ".5", "1.", "+1", "1,5"})
    EXPECT_FALSE(ParseArrowScalarText(*d, bad).ok()) << bad;
  EXPECT_FALSE(ParseArrowScalarText(*types::Decimal128(5, -3), "42001").ok());
}

// arrow-go's ValueStr and JSON values, as arrow-go v18.7.0 prints them (a Go
// program over arrow/array builders printed ValueStr and json.Marshal of
// GetOneForMarshal for these values; the strings below are its output).
TEST(ArrowTypesText, ArrowGoTextAsArrowGoPrintsIt) {
  struct Case {
    DataTypePtr type;
    Value value;
    const char* value_str;
    const char* json;
  };
  auto dec = [](const char* digits) {
    __int128 v = 0;
    bool neg = *digits == '-';
    for (const char* p = digits + (neg ? 1 : 0); *p; ++p) v = v * 10 + (*p - '0');
    return Value::String(Decimal128Bytes(neg ? -v : v));
  };
  const std::vector<Case> cases = {
      {types::Decimal128(38, 10), dec("0"), "0", "\"0\""},
      {types::Decimal128(38, 10), dec("1"), "1e-10", "\"1e-10\""},
      {types::Decimal128(38, 10), dec("-1"), "-1e-10", "\"-1e-10\""},
      {types::Decimal128(38, 10), dec("1234"), "1.234e-07", "\"1.234e-07\""},
      {types::Decimal128(38, 10), dec("99999999999999999999999999999999999999"),
       "9999999999999999999999999999.9999999999", "\"9999999999999999999999999999.9999999999\""},
      {types::Decimal128(38, 10), dec("1000000000"), "0.1", "\"0.1\""},
      {types::Decimal128(38, 10), dec("-5000000000"), "-0.5", "\"-0.5\""},
      {types::Decimal128(19, 10), dec("123400000000"), "12.34", "\"12.34\""},
      {types::Decimal128(19, 10), dec("-10000000000"), "-1", "\"-1\""},
      {types::Decimal128(5, 0), dec("99999"), "99999", "\"99999\""},
      {types::Decimal128(5, 0), dec("100"), "100", "\"100\""},
      {types::Decimal128(5, 2), dec("10000"), "100", "\"100\""},
      {types::Decimal128(5, 2), dec("1"), "0.01", "\"0.01\""},
      {types::Decimal128(2, -3), dec("99"), "9.9e+04", "\"9.9e+04\""},
      {types::Decimal128(2, -3), dec("1"), "1e+03", "\"1e+03\""},
      {types::Decimal128(38, 0), dec("10000000000000000000000000000000000000"),
       "10000000000000000000000000000000000000", "\"10000000000000000000000000000000000000\""},
      {types::IntervalMonth(), Value::Int(14), "14", "{\"months\":14}"},
      {types::IntervalMonth(), Value::Int(-1), "-1", "{\"months\":-1}"},
      {types::IntervalDayTime(), Value::String(IntervalDayTimeBytes(2, 300)), "{\"days\":2,\"milliseconds\":300}",
       "{\"days\":2,\"milliseconds\":300}"},
      {types::IntervalMonthDayNano(), Value::String(IntervalMonthDayNanoBytes(1, 2, 3)),
       "{\"months\":1,\"days\":2,\"nanoseconds\":3}", "{\"months\":1,\"days\":2,\"nanoseconds\":3}"},
      {types::Duration(TimeUnit::kMilli), Value::Int(-1500), "-1500ms", "\"-1500ms\""},
      {types::Time32(TimeUnit::kMilli), Value::Int(11045123), "03:04:05.123", "\"03:04:05.123\""},
      {types::Time64(TimeUnit::kNano), Value::Int(11045123456789), "03:04:05.123456789", "\"03:04:05.123456789\""},
  };
  for (const auto& c : cases) {
    std::string raw;
    if (c.value.kind() == Value::Kind::kInt) {
      const int64_t v = c.value.as_int();
      raw.assign(reinterpret_cast<const char*>(&v), static_cast<size_t>(FixedWidthOf(*c.type)));
    } else {
      raw = c.value.as_string();
    }
    std::string value_str, json;
    AppendArrowGoText(*c.type, raw, /*json=*/false, &value_str);
    AppendArrowGoText(*c.type, raw, /*json=*/true, &json);
    EXPECT_EQ(value_str, c.value_str) << c.type->ToString();
    EXPECT_EQ(json, c.json) << c.type->ToString();
    for (const std::string& text : {value_str, json}) {
      auto back = ParseArrowGoText(*c.type, text);
      ASSERT_TRUE(back.ok()) << c.type->ToString() << " " << text << ": " << back.status().ToString();
      EXPECT_EQ(back->kind(), c.value.kind());
      if (c.value.kind() == Value::Kind::kInt) EXPECT_EQ(back->as_int(), c.value.as_int()) << text;
      else EXPECT_EQ(back->as_string(), c.value.as_string()) << text;
    }
  }
  // Values that do not fit the type, and Ferry's canonical text, which is read too.
  EXPECT_FALSE(ParseArrowGoText(*types::Decimal128(5, 2), "1e-3").ok()) << "a third fraction digit";
  EXPECT_FALSE(ParseArrowGoText(*types::Decimal128(5, 2), "1e+3").ok()) << "six digits";
  auto reordered = ParseArrowGoText(*types::IntervalDayTime(), "{\"milliseconds\":1,\"days\":2}");
  ASSERT_TRUE(reordered.ok()) << "JSON keys in any order (a reader that sorts them)";
  EXPECT_EQ(reordered->as_string(), IntervalDayTimeBytes(2, 1));
  EXPECT_FALSE(ParseArrowGoText(*types::IntervalDayTime(), "{\"days\":2}").ok());
  EXPECT_FALSE(ParseArrowGoText(*types::IntervalDayTime(), "{\"days\":2,\"days\":1}").ok());
  EXPECT_FALSE(ParseArrowGoText(*types::IntervalDayTime(), "{\"days\":2,\"millis\":1}").ok());
  EXPECT_FALSE(ParseArrowGoText(*types::IntervalMonth(), "{\"months\":3000000000}").ok());
  auto canonical = ParseArrowGoText(*types::IntervalMonth(), "14 months");
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(canonical->as_int(), 14);
}

}  // namespace
}  // namespace ferry
