#include "plugins/source/host/parse/dpkg.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace ferry::plugins::host {
namespace {

const char* kStatus = R"(Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12988
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 More text.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: old-tool
Status: deinstall ok config-files
Architecture: all
Source: tools (1.0-1)
Version: 1.0-1+b2
Description: something removed

Architecture: amd64
Version: 1
)";

TEST(HostDpkgParse, StatusParagraphs) {
  int64_t bad = -1;
  auto p = ParseDpkgStatus(kStatus, &bad);
  EXPECT_EQ(bad, 1);  // the paragraph without Package
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "libc6");
  EXPECT_EQ(p[0].architecture, "amd64");
  EXPECT_EQ(p[0].version, "2.36-9+deb12u4");
  EXPECT_EQ(p[0].State(), "installed");
  EXPECT_EQ(p[0].installed_size_kib, 12988);
  EXPECT_EQ(p[0].source, "glibc");
  EXPECT_EQ(p[0].summary, "GNU C Library: Shared libraries");
  EXPECT_EQ(p[0].homepage, "https://www.gnu.org/software/libc/libc.html");
  EXPECT_EQ(p[0].multi_arch, "same");
  EXPECT_EQ(p[1].State(), "config-files");
  EXPECT_EQ(p[1].source, "tools");
  EXPECT_EQ(p[1].source_version, "1.0-1");
  EXPECT_FALSE(p[1].installed_size_kib);
  EXPECT_EQ(DpkgListFileNames(p[0]), (std::vector<std::string>{"libc6:amd64.list", "libc6.list"}));
  EXPECT_EQ(DpkgListFileNames(p[1]), (std::vector<std::string>{"old-tool.list"}));
}

TEST(HostDpkgParse, LogActions) {
  auto a = ParseDpkgLogAction("2024-01-15 10:23:45 upgrade libc6:amd64 2.36-9 2.36-9+deb12u4");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->time_text, "2024-01-15 10:23:45");
  EXPECT_EQ(a->action, "upgrade");
  EXPECT_EQ(a->package, "libc6");
  EXPECT_EQ(a->architecture, "amd64");
  EXPECT_EQ(a->old_version, "2.36-9");
  EXPECT_EQ(a->new_version, "2.36-9+deb12u4");
  auto i = ParseDpkgLogAction("2024-01-15 10:23:45 install jq:amd64 <none> 1.6-2.1");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->old_version, "");
  auto r = ParseDpkgLogAction("2024-01-15 10:23:46 remove jq:amd64 1.6-2.1 <none>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->new_version, "");
  EXPECT_FALSE(ParseDpkgLogAction("2024-01-15 10:23:45 status installed jq:amd64 1.6-2.1"));
  EXPECT_FALSE(ParseDpkgLogAction("2024-01-15 10:23:45 startup archives unpack"));
  EXPECT_FALSE(ParseDpkgLogAction("2024-01-15 10:23:45 conffile /etc/x keep"));
  EXPECT_FALSE(ParseDpkgLogAction(""));
}

TEST(HostDpkgParse, LocalTimeFollowsTheZone) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(LocalTimeToMicros("2024-01-15 10:23:45"), int64_t{1705314225} * 1000000);
  setenv("TZ", "CET-1", 1);  // POSIX form: UTC+1, no tz database needed
  tzset();
  EXPECT_EQ(LocalTimeToMicros("2024-01-15 10:23:45"), int64_t{1705314225 - 3600} * 1000000);
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
  EXPECT_FALSE(LocalTimeToMicros("2024-13-15 10:23:45"));
  EXPECT_FALSE(LocalTimeToMicros("yesterday"));
}

}  // namespace
}  // namespace ferry::plugins::host
