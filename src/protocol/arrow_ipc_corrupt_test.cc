// Decoding damaged streams: every truncation and random bit flips of valid
// streams must give an error or a valid batch, never a crash or an
// out-of-bounds read (run these under -DFERRY_SANITIZE=ON).
#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <random>

#include "protocol/arrow_ipc.h"
#include "protocol/ipc_test_util.h"

namespace ferry::protocol {
namespace {

using testutil::AllTypesSchema;
using testutil::MakeBatch;

TEST(ArrowIpcCorrupt, EveryTruncationOfARecordStream) {
  auto batch = MakeBatch(AllTypesSchema(), 5);
  auto bytes = EncodeRecordStream(*batch);
  ASSERT_TRUE(bytes.ok());
  int ok = 0;
  for (size_t n = 0; n < bytes->size(); ++n) {
    std::string cut = bytes->substr(0, n);  // a copy, so ASan sees reads past n
    auto r = DecodeRecordStream(cut);
    if (r.ok()) {
      ++ok;
      testutil::ExpectSameRows(*batch, **r);
    } else {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  EXPECT_EQ(ok, 1);  // only the stream without its end-of-stream marker is whole
}

TEST(ArrowIpcCorrupt, EveryTruncationOfASchemaStream) {
  auto bytes = EncodeSchemaStream(*AllTypesSchema());
  ASSERT_TRUE(bytes.ok());
  int ok = 0;
  for (size_t n = 0; n < bytes->size(); ++n) {
    std::string cut = bytes->substr(0, n);
    ok += DecodeSchemaStream(cut).ok();
  }
  EXPECT_EQ(ok, 1);
}

// Flips 1 to 4 random bits, or overwrites a random 4- or 8-byte word with an
// extreme value; with a fixed seed, so a failure reproduces.
std::string Damage(const std::string& in, std::mt19937_64& rng) {
  std::string s = in;
  const int kind = static_cast<int>(rng() % 3);
  if (kind < 2) {
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      const size_t bit = rng() % (s.size() * 8);
      s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
    }
  } else {
    static const uint64_t kWords[] = {0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF,
                                      0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x100000000};
    const uint64_t w = kWords[rng() % std::size(kWords)];
    const size_t width = rng() % 2 ? 4 : 8;
    const size_t at = rng() % (s.size() - width);
    std::memcpy(s.data() + at, &w, width);
  }
  return s;
}

TEST(ArrowIpcCorrupt, RandomDamageOfRecordStreams) {
  std::mt19937_64 rng(20240601);
  auto schema = AllTypesSchema();
  const std::string streams[] = {*EncodeRecordStream(*MakeBatch(schema, 6)),
                                 *EncodeRecordStream(*MakeBatch(schema, 17)->Slice(3, 9)),
                                 *EncodeRecordStream(*MakeBatch(schema, 0))};
  int ok = 0, failed = 0;
  for (int i = 0; i < 6000; ++i) {
    const std::string& base = streams[i % 3];
    std::string s = Damage(base, rng);
    auto r = DecodeRecordStream(s);
    if (r.ok()) {
      ++ok;
      testutil::TouchAll(**r);
    } else {
      ++failed;
    }
    auto r2 = DecodeRecordStream(s, schema);
    if (r2.ok()) testutil::TouchAll(**r2);
  }
  EXPECT_GT(failed, 0);
  EXPECT_GT(ok, 0);  // flips inside values decode fine
}

TEST(ArrowIpcCorrupt, RandomDamageOfSchemaStreams) {
  std::mt19937_64 rng(7);
  const std::string base = *EncodeSchemaStream(*AllTypesSchema());
  for (int i = 0; i < 4000; ++i) {
    auto r = DecodeSchemaStream(Damage(base, rng));
    if (r.ok()) {
      for (const Column& c : (*r)->columns) (void)c.type->ToString();
    }
  }
}

TEST(ArrowIpcCorrupt, GarbageAndLengthFields) {
  const std::string cases[] = {
      std::string(""),
      std::string("\xff\xff\xff", 3),
      std::string("\xff\xff\xff\xff", 4),
      std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8),  // metadata length 2^31-1
      std::string("\xff\xff\xff\xff\xf8\xff\xff\xff", 8),  // negative length
      std::string("\xff\xff\xff\xff\x10\x00\x00\x00", 8) + std::string(16, '\x41'),
      std::string("\xff\xff\xff\xff\x00\x00\x00\x00", 8),  // end-of-stream only
      std::string("\x08\x00\x00\x00", 4) + std::string(8, '\0'),
      std::string(1000, '\xff'),
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(DecodeRecordStream(c).ok());
    EXPECT_FALSE(DecodeSchemaStream(c).ok());
  }
}

}  // namespace
}  // namespace ferry::protocol
