#include "plugins/source/host/parse/proc.h"

#include <gtest/gtest.h>

namespace ferry::plugins::host {
namespace {

// Fields 1..52 of proc(5) with a comm holding spaces and parentheses.
const char* kStat =
    "4242 (my (odd) proc) S 1 4242 4242 34816 4242 4194560 1024 0 3 0 150 27 0 0 20 0 3 0 987654 "
    "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

TEST(HostProcParse, StatKeepsOddNamesAndReadsTheRightFields) {
  auto s = ParseProcStat(kStat);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->comm, "my (odd) proc");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->ppid, 1);
  EXPECT_EQ(s->pgrp, 4242);
  EXPECT_EQ(s->session, 4242);
  EXPECT_EQ(s->tty_nr, 34816);
  EXPECT_EQ(s->utime_ticks, 150u);
  EXPECT_EQ(s->stime_ticks, 27u);
  EXPECT_EQ(s->priority, 20);
  EXPECT_EQ(s->nice, 0);
  EXPECT_EQ(s->num_threads, 3);
  EXPECT_EQ(s->start_ticks, 987654u);
  EXPECT_EQ(s->vsize_bytes, 123456789u);
  EXPECT_EQ(s->rss_pages, 2048);
  EXPECT_STREQ(ProcStateName(s->state), "sleeping");
}

TEST(HostProcParse, StatRejectsGarbage) {
  EXPECT_FALSE(ParseProcStat(""));
  EXPECT_FALSE(ParseProcStat("12 (x) S 1 2"));
  EXPECT_FALSE(ParseProcStat("12 x) S"));
}

TEST(HostProcParse, StatusIdsAndCmdline) {
  ProcStatus st = ParseProcStatus("Name:\tsleep\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t100\t101\t101\t101\n");
  EXPECT_EQ(st.name, "sleep");
  EXPECT_EQ(st.uid, 1000);
  EXPECT_EQ(st.euid, 0);
  EXPECT_EQ(st.gid, 100);
  EXPECT_EQ(st.egid, 101);
  EXPECT_EQ(ParseCmdline(std::string("sleep\0" "30\0", 9)), (std::vector<std::string>{"sleep", "30"}));
  EXPECT_EQ(ParseCmdline(std::string("a b\0\0c\0", 7)), (std::vector<std::string>{"a b", "", "c"}));
  EXPECT_TRUE(ParseCmdline("").empty());
}

TEST(HostProcParse, MeminfoInBytes) {
  auto m = ParseMeminfo("MemTotal:       16318412 kB\nMemAvailable:    9000000 kB\nHugePages_Total:       0\n");
  EXPECT_EQ(m["MemTotal"], 16318412LL * 1024);
  EXPECT_EQ(m["MemAvailable"], 9000000LL * 1024);
  EXPECT_EQ(m["HugePages_Total"], 0);
}

TEST(HostProcParse, CpuinfoCountsThreadsCoresAndSockets) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    text += "processor\t: " + std::to_string(i) + "\nvendor_id\t: GenuineIntel\nmodel name\t: Intel Xeon\n"
            "cpu MHz\t\t: 2400.000\nphysical id\t: 0\ncore id\t\t: " + std::to_string(i / 2) + "\n\n";
  }
  CpuInfo c = ParseCpuinfo(text);
  EXPECT_EQ(c.logical, 4);
  EXPECT_EQ(c.physical_cores, 2);
  EXPECT_EQ(c.sockets, 1);
  EXPECT_EQ(c.model, "Intel Xeon");
  EXPECT_EQ(c.vendor, "GenuineIntel");
  ASSERT_TRUE(c.mhz);
  EXPECT_DOUBLE_EQ(*c.mhz, 2400.0);
  // ARM: no model name per processor, no topology.
  CpuInfo arm = ParseCpuinfo("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\n");
  EXPECT_EQ(arm.logical, 2);
  EXPECT_EQ(arm.physical_cores, 0);
  EXPECT_EQ(arm.vendor, "0x41");
}

TEST(HostProcParse, BootTimeLoadavgUptime) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n"));
  auto l = ParseLoadavg("0.52 0.58 0.59 1/467 12345\n");
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ((*l)[2], 0.59);
  EXPECT_DOUBLE_EQ(*ParseUptime("5345.75 10000.10\n"), 5345.75);
}

TEST(HostProcParse, OsReleaseQuotesAndComments) {
  auto os = ParseOsRelease(
      "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\n"
      "NAME=\"Say \\\"hi\\\"\"\n\nBAD LINE\n");
  EXPECT_EQ(os["PRETTY_NAME"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(os["ID"], "debian");
  EXPECT_EQ(os["VERSION_ID"], "12");
  EXPECT_EQ(os["NAME"], "Say \"hi\"");
  EXPECT_EQ(os.count("BAD LINE"), 0u);
}

}  // namespace
}  // namespace ferry::plugins::host
