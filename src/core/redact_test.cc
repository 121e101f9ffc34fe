#include "ferry/redact.h"

#include <string>
#include <thread>
#include <vector>

#include <chrono>

#include <gtest/gtest.h>

namespace ferry {
namespace {

// The registry is process-wide, so every test uses values no other test uses.

TEST(RedactTest, ReplacesEveryOccurrence) {
  RegisterSecret("hunter2-redact-a");
  EXPECT_EQ(Redact("pw=hunter2-redact-a and again hunter2-redact-a."), "pw=*** and again ***.");
}

TEST(RedactTest, LeavesOtherTextAlone) {
  RegisterSecret("s3cr3t-redact-b");
  EXPECT_EQ(Redact("nothing to see here"), "nothing to see here");
  EXPECT_EQ(Redact(""), "");
}

TEST(RedactTest, IgnoresShortValues) {
  std::size_t before = RegisteredSecretCount();
  RegisterSecret("abc");
  RegisterSecret("");
  EXPECT_EQ(RegisteredSecretCount(), before);
  EXPECT_EQ(Redact("abc"), "abc");
  RegisterSecret("wxyz");  // exactly the minimum length
  EXPECT_EQ(Redact("<wxyz>"), "<***>");
}

TEST(RedactTest, DuplicatesAreRegisteredOnce) {
  RegisterSecret("dup-secret-redact-c");
  std::size_t n = RegisteredSecretCount();
  RegisterSecret("dup-secret-redact-c");
  EXPECT_EQ(RegisteredSecretCount(), n);
}

TEST(RedactTest, LongerSecretWinsOverContainedOne) {
  RegisterSecret("inner-redact-d");
  RegisterSecret("outer-inner-redact-d-tail");
  // Replacing the inner one first would leave "outer-***-tail" visible.
  EXPECT_EQ(Redact("[outer-inner-redact-d-tail]"), "[***]");
  EXPECT_EQ(Redact("[inner-redact-d]"), "[***]");
}

TEST(RedactTest, RedactStatusKeepsCode) {
  RegisterSecret("status-secret-redact-e");
  Status st = Status::IOError("connect to postgres://u:status-secret-redact-e@h failed");
  Status r = RedactStatus(st);
  EXPECT_EQ(r.code(), StatusCode::kIOError);
  EXPECT_EQ(r.message(), "connect to postgres://u:***@h failed");
  EXPECT_TRUE(RedactStatus(Status::OK()).ok());
}

TEST(RedactTest, ConcurrentRegisterAndRedact) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        std::string s = "conc-redact-f-" + std::to_string(t) + "-" + std::to_string(i);
        RegisterSecret(s);
        EXPECT_EQ(Redact("x " + s + " y"), "x *** y");
      }
    });
  }
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace ferry

namespace ferry {
namespace {

// Issue #13 item 4: an error that quotes the start of a long secret (cut at
// 77 characters) shows none of it.
TEST(RedactFragments, PrefixesAndPiecesOfLongSecretsAreMasked) {
  std::string shadow;
  for (int i = 0; i < 20; ++i) shadow += "user" + std::to_string(i) + ":$6$saltsalt$hashhashhashhash" + std::to_string(i) + ":19000:0:99999:7:::\n";
  RegisterSecret(shadow);
  const std::string quoted = "must be one of \"wal\", \"delete\", got \"" + shadow.substr(0, 77) + "...\"";
  const std::string red = Redact(quoted);
  EXPECT_EQ(red, "must be one of \"wal\", \"delete\", got \"***...\"");
  // A piece from the middle too.
  EXPECT_EQ(Redact("x " + shadow.substr(100, 40) + " y"), "x *** y");
  // Short pieces (under kFragmentLength) of ordinary words stay.
  EXPECT_EQ(Redact("user0 and 19000"), "user0 and 19000");
}

// A secret longer than kMaxFragmentIndexedLength (a certificate bundle) is
// masked whole but not indexed by fragments: the index costs ~100 bytes per
// character and every registration rebuilds it.
TEST(RedactFragments, VeryLongSecretsAreMaskedWholeOnly) {
  std::string bundle;
  for (int i = 0; bundle.size() <= kMaxFragmentIndexedLength; ++i) bundle += "cert-line-" + std::to_string(i) + "-abcdefghijklmnop\n";
  const auto t0 = std::chrono::steady_clock::now();
  RegisterSecret(bundle);
  RegisterSecret("another-secret-registered-after-it");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  EXPECT_EQ(Redact("[" + bundle + "]"), "[***]");
  // Its pieces are not found (documented), a shorter secret's still are.
  EXPECT_EQ(Redact(bundle.substr(100, 40)), bundle.substr(100, 40));
  EXPECT_EQ(Redact("x another-secret-regist y"), "x *** y");
}

TEST(RedactTokens, SecretsInsideLongerWordsAreLeftAlone) {
  RegisterSecret("hunter22x");
  EXPECT_EQ(Redact("pw=hunter22x host=h"), "pw=*** host=h");
  EXPECT_EQ(Redact("hunter22xyz"), "hunter22xyz");
  EXPECT_EQ(Redact("postgres://u:hunter22x@h/db"), "postgres://u:***@h/db");
}

TEST(ConnectionStrings, PasswordIsCutOutOfUrlsAndKeyValues) {
  EXPECT_EQ(ConnectionStringPassword("postgres://u:p%zzass@h:5432/db?sslmode=disable"), "p%zzass");
  EXPECT_EQ(ConnectionStringPassword("postgresql://u:a@b@h/db"), "a@b");
  EXPECT_EQ(ConnectionStringPassword("postgres://u@h/db"), "");
  EXPECT_EQ(ConnectionStringPassword("host=h user=u password='it\\'s secret' dbname=d"), "it's secret");
  EXPECT_EQ(ConnectionStringPassword("host=h password = bare-pw dbname=d"), "bare-pw");
  EXPECT_EQ(ConnectionStringPassword("host=h user=u"), "");
  RegisterConnectionString("postgres://u:my%40pass-word@h/db");
  EXPECT_EQ(Redact("auth failed for my@pass-word and my%40pass-word"), "auth failed for *** and ***");
}

}  // namespace
}  // namespace ferry
