#include "plugins/source/host/parse/system.h"

#include <gtest/gtest.h>

namespace ferry::plugins::host {
namespace {

TEST(HostSystemParse, PasswdAndGroup) {
  int64_t bad = -1;
  auto users = ParsePasswd(
      "root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000:Alice A,,,:/home/alice:/bin/zsh\n"
      "broken:x:notanumber:0::/:/bin/sh\n+::::::\n\n",
      &bad);
  EXPECT_EQ(bad, 2);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1].name, "alice");
  EXPECT_EQ(users[1].uid, 1000);
  EXPECT_EQ(users[1].gecos, "Alice A,,,");
  EXPECT_EQ(users[1].home, "/home/alice");
  EXPECT_EQ(users[1].shell, "/bin/zsh");

  auto groups = ParseGroup("root:x:0:\nsudo:x:27:alice,bob\nbad:x:\n", &bad);
  EXPECT_EQ(bad, 1);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].members.empty());
  EXPECT_EQ(groups[1].gid, 27);
  EXPECT_EQ(groups[1].members, (std::vector<std::string>{"alice", "bob"}));
}

TEST(HostSystemParse, MountinfoWithOptionalFieldsAndEscapes) {
  const char* text =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "35 22 0:31 / /mnt/my\\040disk rw,nosuid master:2 shared:7 - fuse.sshfs host:/x rw,user_id=0\n"
      "40 22 0:40 /sub /srv ro - tmpfs tmpfs rw\n"
      "junk\n";
  int64_t bad = -1;
  auto m = ParseMountinfo(text, &bad);
  EXPECT_EQ(bad, 1);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].mount_id, 22);
  EXPECT_EQ(m[0].major, 8);
  EXPECT_EQ(m[0].minor, 1);
  EXPECT_EQ(m[0].fs_type, "ext4");
  EXPECT_EQ(m[0].source, "/dev/sda1");
  EXPECT_EQ(m[0].optional_fields, (std::vector<std::string>{"shared:1"}));
  EXPECT_EQ(m[1].mount_point, "/mnt/my disk");
  EXPECT_EQ(m[1].optional_fields.size(), 2u);
  EXPECT_EQ(m[1].fs_type, "fuse.sshfs");
  EXPECT_EQ(m[1].super_options, "rw,user_id=0");
  EXPECT_EQ(m[2].root, "/sub");
  EXPECT_EQ(m[2].mount_options, "ro");
  EXPECT_TRUE(m[2].optional_fields.empty());
  EXPECT_EQ(UnescapeOctal("a\\011b\\134c\\0"), "a\tb\\c\\0");
}

TEST(HostSystemParse, ProcModules) {
  int64_t bad = -1;
  auto m = ParseProcModules(
      "nf_tables 339968 14 nft_chain_nat,nft_compat, Live 0x0000000000000000\n"
      "crc32c_intel 24576 3 - Live 0xffffffffc0a00000 (E)\nbroken\n",
      &bad);
  EXPECT_EQ(bad, 1);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].name, "nf_tables");
  EXPECT_EQ(m[0].size, 339968);
  EXPECT_EQ(m[0].refcount, 14);
  EXPECT_EQ(m[0].used_by, (std::vector<std::string>{"nft_chain_nat", "nft_compat"}));
  EXPECT_EQ(m[0].state, "Live");
  EXPECT_TRUE(m[1].used_by.empty());
}

}  // namespace
}  // namespace ferry::plugins::host
