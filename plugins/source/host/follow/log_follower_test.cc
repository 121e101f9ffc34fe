#include "plugins/source/host/follow/log_follower.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ferry::plugins::host {
namespace {

namespace fs = std::filesystem;

struct Got {
  std::string text, file, key;
  int64_t offset, line_number;
  bool truncated;
};

// Follows one file across "syncs", keeping the last checkpoint as the cursor
// the way the engine keeps it in the state backend.
class Tail {
 public:
  explicit Tail(std::string path, FollowOptions o = {}) : path_(std::move(path)), opts_(o) {}

  std::vector<Got> Sync() {
    got.clear();
    warnings.clear();
    checkpoints.clear();
    FollowEvents ev;
    ev.line = [&](const LogLine& l) {
      got.push_back(Got{std::string(l.text), std::string(l.file), std::string(l.file_key), l.offset, l.line_number,
                        l.truncated});
      return Status::OK();
    };
    ev.checkpoint = [&](const LogCursor& c) {
      checkpoints.push_back(c);
      return Status::OK();
    };
    ev.warning = [&](const std::string& w) { warnings.push_back(w); };
    Status st = FollowLog(path_, cursor, opts_, ev);
    EXPECT_TRUE(st.ok()) << st.ToString();
    if (!checkpoints.empty()) cursor = checkpoints.back();
    return got;
  }
  std::vector<std::string> Texts() const {
    std::vector<std::string> t;
    for (const auto& g : got) t.push_back(g.text);
    return t;
  }

  std::optional<LogCursor> cursor;
  std::vector<Got> got;
  std::vector<LogCursor> checkpoints;
  std::vector<std::string> warnings;

 private:
  std::string path_;
  FollowOptions opts_;
};

class HostLogFollower : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-follow-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/app.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Append(const std::string& s, const std::string& path = "") {
    std::ofstream(path.empty() ? path_ : path, std::ios::app | std::ios::binary) << s;
  }
  void Truncate(const std::string& s) { std::ofstream(path_, std::ios::trunc | std::ios::binary) << s; }
  void Rotate() { fs::rename(path_, path_ + ".1"); }

  using V = std::vector<std::string>;
  std::string dir_, path_;
};

TEST_F(HostLogFollower, ReadsCompleteLinesThenOnlyNewOnes) {
  Append("a\nbb\nc");
  Tail t(path_);
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"a", "bb"}));  // "c" waits for its newline
  EXPECT_EQ(t.got[1].offset, 2);
  EXPECT_EQ(t.got[1].line_number, 2);
  EXPECT_EQ(t.cursor->offset, 5);
  EXPECT_TRUE(t.warnings.empty());

  t.Sync();
  EXPECT_TRUE(t.got.empty());
  EXPECT_TRUE(t.checkpoints.empty()) << "an unchanged cursor is not checkpointed again";

  Append("c\nd\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"cc", "d"}));
  EXPECT_EQ(t.got[0].offset, 5);
  EXPECT_EQ(t.got[0].line_number, 3);
  EXPECT_EQ(t.got[0].key, t.cursor->key);
}

TEST_F(HostLogFollower, RotationReadsTheRestOfTheOldFileThenTheNewOne) {
  Append("a\nb\n");
  Tail t(path_);
  t.Sync();
  const std::string old_key = t.got[0].key;
  Append("c\npartial");  // written after the sync, before the rotation
  Rotate();
  Append("d\ne\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"c", "partial", "d", "e"})) << "a rotated file's last line is final";
  EXPECT_EQ(t.got[0].file, path_ + ".1");
  EXPECT_EQ(t.got[0].key, old_key);
  EXPECT_EQ(t.got[0].offset, 4);
  EXPECT_EQ(t.got[2].file, path_);
  EXPECT_NE(t.got[2].key, old_key);
  EXPECT_EQ(t.got[2].offset, 0);
  EXPECT_TRUE(t.warnings.empty());

  t.Sync();
  EXPECT_TRUE(t.got.empty());
  Append("f\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"f"}));

  // Rotated twice between syncs: path.1 -> path.2 is still found by inode.
  Append("g\n");
  fs::rename(path_ + ".1", path_ + ".2");
  Rotate();
  Append("h\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"g", "h"}));
}

TEST_F(HostLogFollower, RotatedFileGoneIsAWarningAndTheNewFileIsRead) {
  Append("a\n");
  Tail t(path_);
  t.Sync();
  Append("lost\n");
  Rotate();
  fs::remove(path_ + ".1");  // e.g. compressed at once
  Append("x\n");  // the new file may even get the old file's inode: the fingerprint tells them apart
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"x"}));
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_NE(t.warnings[0].find("may be missing"), std::string::npos) << t.warnings[0];
}

TEST_F(HostLogFollower, RotationWithoutANewFileYet) {
  Append("a\n");
  Tail t(path_);
  t.Sync();
  Append("b\n");
  Rotate();
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"b"}));
  EXPECT_EQ(t.cursor->inode, 0u) << "next: the new file from its start";
  Append("c\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"c"}));
  EXPECT_TRUE(t.warnings.empty());
}

TEST_F(HostLogFollower, TruncationStartsOverWithANewKey) {
  Append("first line\nsecond line\n");
  Tail t(path_);
  t.Sync();
  const std::string old_key = t.got[0].key;
  Truncate("z\n");  // shorter than the cursor's offset
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"z"}));
  EXPECT_EQ(t.got[0].offset, 0);
  EXPECT_NE(t.got[0].key, old_key) << "rows of the new content must not overwrite the old ones";
  // Rewritten in place and already longer than the old offset: the fingerprint tells.
  Truncate("another first line\nand more and more text\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"another first line", "and more and more text"}));
}

TEST_F(HostLogFollower, CopyTruncateReadsTheTailFromTheCopy) {
  Append("a\nb\n");
  Tail t(path_);
  t.Sync();
  const std::string old_key = t.got[0].key;
  Append("c\n");
  fs::copy_file(path_, path_ + ".1");
  Truncate("");
  Append("d\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"c", "d"}));
  EXPECT_EQ(t.got[0].key, old_key);
  EXPECT_EQ(t.got[0].file, path_ + ".1");
  EXPECT_TRUE(t.warnings.empty());
}

TEST_F(HostLogFollower, LongLinesAreCutAndFlagged) {
  FollowOptions o;
  o.max_line_size = 4;
  Append("abcdefgh\nxy\n");
  Tail t(path_, o);
  t.Sync();
  ASSERT_EQ(t.got.size(), 2u);
  EXPECT_EQ(t.got[0].text, "abcd");
  EXPECT_TRUE(t.got[0].truncated);
  EXPECT_EQ(t.got[1].text, "xy");
  EXPECT_FALSE(t.got[1].truncated);
  EXPECT_EQ(t.got[1].offset, 9);
}

TEST_F(HostLogFollower, ReadLimitSpreadsAFileOverSyncs) {
  FollowOptions o;
  o.read_limit = 25;
  for (int i = 0; i < 7; ++i) Append("line " + std::to_string(i) + "...\n");  // 10 bytes each
  Tail t(path_, o);
  t.Sync();
  EXPECT_EQ(t.got.size(), 3u);
  EXPECT_EQ(t.warnings.size(), 1u);
  t.Sync();
  EXPECT_EQ(t.got.size(), 3u);
  t.Sync();
  ASSERT_EQ(t.got.size(), 1u);
  EXPECT_EQ(t.got[0].text, "line 6...");
}

TEST_F(HostLogFollower, CheckpointsEveryNLinesAndAtTheEnd) {
  FollowOptions o;
  o.checkpoint_every = 2;
  Append("1\n2\n3\n4\n5\n");
  Tail t(path_, o);
  t.Sync();
  ASSERT_EQ(t.checkpoints.size(), 3u);
  EXPECT_EQ(t.checkpoints[0].line, 2);
  EXPECT_EQ(t.checkpoints[0].offset, 4);
  EXPECT_EQ(t.checkpoints[2].line, 5);
}

TEST_F(HostLogFollower, MissingFileWarnsAndWaits) {
  Tail t(path_);
  t.Sync();
  EXPECT_TRUE(t.got.empty());
  EXPECT_TRUE(t.checkpoints.empty());
  ASSERT_EQ(t.warnings.size(), 1u);
  Append("now\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"now"}));
}

TEST_F(HostLogFollower, ARecycledInodeWithOtherContentIsNotTheOldFile) {
  Append("a\n");
  Tail t(path_);
  t.Sync();
  // Pretend the cursor's file was rotated to path.1 but its content differs
  // (the inode was reused by an unrelated file): not a match.
  Rotate();
  LogCursor c = *t.cursor;
  c.head = "0000000000000000";
  t.cursor = c;
  Append("new\n");
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"new"}));
  EXPECT_EQ(t.warnings.size(), 1u);
}

TEST_F(HostLogFollower, AnEmptyFirstLineStillFingerprintsTheFile) {
  Append("\nfirst entry\n");
  Tail t(path_);
  t.Sync();
  ASSERT_EQ(t.got.size(), 2u);
  EXPECT_EQ(t.got[0].text, "");
  EXPECT_EQ(t.cursor->head_len, 13);
  // Deleted and recreated (maybe with the same inode), also starting with an empty line.
  fs::remove(path_);
  Append("\nother entry, longer than before\n");
  const std::string old_key = t.got[0].key;
  t.Sync();
  EXPECT_EQ(t.Texts(), (V{"", "other entry, longer than before"}));
  EXPECT_NE(t.got[0].key, old_key) << "rows of the new file must not overwrite the old ones";
}

TEST(HostLogCursor, RoundTripAndBadValues) {
  LogCursor c{123, 456, 7, 456, "abcdef0123456789", "123-abcdef0123456789"};
  auto d = LogCursor::Decode(c.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, c);
  EXPECT_FALSE(LogCursor::Decode("42").ok());
  EXPECT_FALSE(LogCursor::Decode("{\"inode\":1}").ok());
  EXPECT_FALSE(LogCursor::Decode("{\"inode\":1,\"offset\":-1,\"line\":0}").ok());
  EXPECT_FALSE(LogCursor::Decode("not json").ok());
  EXPECT_FALSE(LogCursor::Decode("{\"inode\":1,\"offset\":1,\"line\":0,\"head_len\":2}").ok());
}

}  // namespace
}  // namespace ferry::plugins::host
