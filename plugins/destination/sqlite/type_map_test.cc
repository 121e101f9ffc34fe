#include "plugins/destination/sqlite/type_map.h"

#include <ctime>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "ferry/text_codec.h"

namespace ferry::plugins::sqlite {
namespace {

TEST(TypeMap, DeclaredTypes) {
  EXPECT_STREQ(DeclaredType(*types::Int8()), "INTEGER");
  EXPECT_STREQ(DeclaredType(*types::UInt64()), "INTEGER");
  EXPECT_STREQ(DeclaredType(*types::Float32()), "REAL");
  EXPECT_STREQ(DeclaredType(*types::Bool()), "BOOLEAN");
  EXPECT_STREQ(DeclaredType(*types::Utf8()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Binary()), "BLOB");
  EXPECT_STREQ(DeclaredType(*types::Mac()), "BLOB");
  EXPECT_STREQ(DeclaredType(*types::FixedSizeBinary(3)), "BLOB");
  EXPECT_STREQ(DeclaredType(*types::Timestamp()), "TIMESTAMP");
  EXPECT_STREQ(DeclaredType(*types::Date32()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Uuid()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Json()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Inet()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::List(types::Int64())), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Struct({{"a", types::Int64()}})), "TEXT");
  // As CloudQuery declares every type it has no rule for.
  EXPECT_STREQ(DeclaredType(*types::Time32(TimeUnit::kSecond)), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Time64(TimeUnit::kNano)), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Duration(TimeUnit::kMilli)), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::IntervalMonth()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::IntervalDayTime()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::IntervalMonthDayNano()), "TEXT");
  EXPECT_STREQ(DeclaredType(*types::Decimal128(19, 10)), "TEXT");
}

TEST(TypeMap, TimestampText) {
  EXPECT_EQ(TimestampText(0), "1970-01-01 00:00:00.000000");
  EXPECT_EQ(TimestampText(-1), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(TimestampText(1709210096789012), "2024-02-29 12:34:56.789012");
  EXPECT_EQ(TimestampText(253402300799999999), "9999-12-31 23:59:59.999999");
  EXPECT_EQ(TimestampText(253402300800000000), "10000-01-01 00:00:00.000000");
  EXPECT_EQ(TimestampText(-62135596800000000), "0001-01-01 00:00:00.000000");
  EXPECT_EQ(TimestampText(-62167219200000000 - 1), "-0001-12-31 23:59:59.999999");
  EXPECT_EQ(TimestampText(std::numeric_limits<int64_t>::max()), "294247-01-10 04:00:54.775807");
  EXPECT_EQ(TimestampText(std::numeric_limits<int64_t>::min()), "-290308-12-21 19:59:05.224192");
}

TEST(TypeMap, TimestampRoundTrip) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> values = {0, -1, 1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                                 86400000000LL, -86400000000LL, 951782400000000LL /* 2000-02-29 */};
  for (int i = 0; i < 20000; ++i) values.push_back(static_cast<int64_t>(rng()));
  for (int i = 0; i < 20000; ++i) values.push_back(static_cast<int64_t>(rng() % 400000000000000000ULL) - 200000000000000000LL);
  for (int64_t v : values) {
    auto back = ParseTimestamp(TimestampText(v));
    ASSERT_TRUE(back.ok()) << v << ": " << back.status().ToString();
    ASSERT_EQ(*back, v) << TimestampText(v);
  }
}

TEST(TypeMap, CivilDaysAgreeWithTimegm) {
  for (int64_t days = -800000; days <= 2932896; days += 17) {
    const CivilDate c = CivilFromDays(days);
    const int64_t y = c.year;
    const int m = c.month, d = c.day;
    ASSERT_EQ(DaysFromCivil(y, m, d), days);
    if (y < 1) continue;
    std::tm tm{};
    tm.tm_year = static_cast<int>(y - 1900);
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    ASSERT_EQ(static_cast<int64_t>(timegm(&tm)), days * 86400) << y << "-" << m << "-" << d;
  }
}

TEST(TypeMap, ParseTimestampVariants) {
  EXPECT_EQ(*ParseTimestamp("2024-01-02T03:04:05Z"), 1704164645000000);
  EXPECT_EQ(*ParseTimestamp("2024-01-02 03:04:05.5"), 1704164645500000);
  EXPECT_EQ(*ParseTimestamp("2024-01-02 03:04:05.123456789"), 1704164645123456);
  for (const char* bad : {"", "2024-01-02", "2024-02-30 00:00:00", "2024-13-01 00:00:00", "2024-01-02 24:00:00",
                          "24-01-02 00:00:00", "2024-01-02 00:00:00.", "2024-01-02 00:00:00 junk", "abc",
                          "2024-01-02 00:00:00.1234567890"})
    EXPECT_FALSE(ParseTimestamp(bad).ok()) << bad;
}

TEST(TypeMap, DateText) {
  EXPECT_EQ(DateText(0), "1970-01-01");
  EXPECT_EQ(DateText(-1), "1969-12-31");
  EXPECT_EQ(DateText(19782), "2024-02-29");
  for (int64_t d : {int64_t{0}, int64_t{-1}, int64_t{19782}, int64_t{std::numeric_limits<int32_t>::max()},
                    int64_t{std::numeric_limits<int32_t>::min()}}) {
    auto back = ParseDate(DateText(d));
    ASSERT_TRUE(back.ok()) << DateText(d);
    EXPECT_EQ(*back, d);
  }
  EXPECT_FALSE(ParseDate("2023-02-29").ok());
  EXPECT_FALSE(ParseDate("2023-02-28 00:00:00").ok());
}

TEST(TypeMap, Uuid) {
  std::string b;
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<char>(0xa0 + i));
  char out[36];
  FormatUuid(b, out);
  EXPECT_EQ(std::string(out, 36), "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
}

}  // namespace
}  // namespace ferry::plugins::sqlite
