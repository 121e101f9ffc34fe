// The host source in-process, on the real machine and on fixture files.
#include "plugins/source/host/host_source.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "plugins/source/host/tables/common.h"
#include "plugins/source/host/util/files.h"
#include "testing/fake_sink.h"

namespace ferry::plugins::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::testing::FakeSink;
using Sink = FakeSink;


class HostSource : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-host-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    fs::create_directories(fs::path(dir_ + "/" + name).parent_path());
    std::ofstream(dir_ + "/" + name, std::ios::binary | std::ios::app) << content;
    return dir_ + "/" + name;
  }

  std::unique_ptr<ferry::Source> Make(const json& spec) {
    auto src = test::testing::MakeSource(HostSourcePlugin(), spec);
    EXPECT_TRUE(src.ok()) << src.status().ToString();
    return src.ok() ? src.MoveValue() : nullptr;
  }

  Status Sync(ferry::Source& src, Sink& sink, std::vector<std::string> tables, const StateSnapshot* state = nullptr) {
    SyncRequest req;
    req.tables = std::move(tables);
    req.sync_time = SyncClock::now();
    if (state) {
      req.state = *state;
      req.has_state_backend = true;
    }
    return src.Sync(req, sink);
  }

  std::string dir_;
};

TEST_F(HostSource, EveryTableIsDocumentedAndResolvesWithoutErrors) {
  Write("etc/a.conf", "x");
  std::string log = Write("app.log", "one\ntwo\n");
  auto src = Make({{"files", {{"paths", {dir_ + "/etc/*"}}}}, {"logs", {log}}});
  ASSERT_TRUE(src);
  std::vector<std::string> names;
  for (const auto& t : src->Tables()) {
    names.push_back(t->name);
    EXPECT_EQ(t->name.rfind("host_", 0), 0u) << t->name;
    EXPECT_FALSE(t->description.empty()) << t->name;
    for (const auto& c : t->columns) {
      EXPECT_FALSE(c.description.empty()) << t->name << "." << c.name;
    }
    const bool incremental = t->name == kLogLines || t->name == kPackageHistory;
    EXPECT_EQ(t->is_incremental, incremental) << t->name;
    if (incremental) {
      EXPECT_FALSE(t->IncrementalKeys().empty()) << t->name;
    }
  }
  EXPECT_EQ(names.size(), 16u);

  Sink sink;
  ASSERT_TRUE(Sync(*src, sink, names).ok());
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << ": " << d.status.ToString();
  // What every Linux machine (and container) has.
  for (const char* t : {kSystemInfo, kProcesses, kMounts, kUsers, kGroups, kFiles, kLogLines})
    EXPECT_GT(sink.Rows(t), 0) << t;
  if (fs::exists("/sys/class/net/lo")) {
    EXPECT_GT(sink.Rows(kInterfaces), 0);
  }
  EXPECT_EQ(sink.Rows(kSystemInfo), 1);
  EXPECT_EQ(sink.Rows(kFiles), 1);
  EXPECT_EQ(sink.Rows(kLogLines), 2);
}

TEST_F(HostSource, SystemInfoAndOwnProcessMatchTheSystem) {
  auto src = Make(json::object());
  ASSERT_TRUE(src);
  Sink sink;
  ASSERT_TRUE(Sync(*src, sink, {kSystemInfo, kProcesses}).ok());
  auto info = sink.Table(kSystemInfo);
  ASSERT_EQ(info.size(), 1u);
  char host[256] = {0};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(info[0]["hostname"].as_string(), host);
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(info[0]["kernel_release"].as_string(), u.release);
  EXPECT_GT(info[0]["memory_total_bytes"].as_int(), 0);

  std::string cmdline;
  ASSERT_EQ(ReadFile("/proc/self/cmdline", &cmdline), 0);
  std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  bool found = false;
  for (auto& p : sink.Table(kProcesses)) {
    if (p["pid"].as_int() != ::getpid()) continue;
    found = true;
    EXPECT_EQ(p["parent_pid"].as_int(), ::getppid());
    EXPECT_EQ(p["argv"].items().at(0).as_string(), argv0);
    EXPECT_EQ(p["cmdline"].as_string().rfind(argv0, 0), 0u);
    EXPECT_EQ(p["uid"].as_int(), static_cast<int64_t>(::getuid()));
    EXPECT_GT(p["rss_bytes"].as_int(), 0);
    EXPECT_FALSE(p["start_time"].is_null());
  }
  EXPECT_TRUE(found) << "pid " << ::getpid() << " not in host_processes";
}

TEST_F(HostSource, FilesWithMetadataAndSha256) {
  std::string a = Write("tree/a.txt", "hello\n");
  Write("tree/sub/b.txt", "bb");
  fs::create_symlink(a, dir_ + "/tree/link");
  ::chmod(a.c_str(), 0640);
  auto src = Make({{"files", {{"paths", {dir_ + "/tree/**"}}, {"hash", true}}}});
  ASSERT_TRUE(src);
  Sink sink;
  ASSERT_TRUE(Sync(*src, sink, {kFiles}).ok());
  std::map<std::string, std::map<std::string, Value>> by_path;
  for (auto& r : sink.Table(kFiles)) by_path[r["path"].as_string()] = r;
  ASSERT_EQ(by_path.size(), 5u);  // tree, a.txt, sub, sub/b.txt, link
  auto& f = by_path[a];
  EXPECT_EQ(f["type"].as_string(), "file");
  EXPECT_EQ(f["size_bytes"].as_int(), 6);
  EXPECT_EQ(f["mode"].as_string(), "0640");
  EXPECT_EQ(f["uid"].as_int(), static_cast<int64_t>(::getuid()));
  EXPECT_EQ(f["sha256"].as_string(), "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_EQ(by_path[dir_ + "/tree/link"]["type"].as_string(), "symlink");
  EXPECT_EQ(by_path[dir_ + "/tree/link"]["symlink_target"].as_string(), a);
  EXPECT_TRUE(by_path[dir_ + "/tree/sub"]["sha256"].is_null());

  // max_files bounds the table and says so.
  auto small = Make({{"files", {{"paths", {dir_ + "/tree/**"}}, {"max_files", 2}}}});
  Sink s2;
  ASSERT_TRUE(Sync(*small, s2, {kFiles}).ok());
  EXPECT_EQ(s2.Rows(kFiles), 2);
  EXPECT_EQ(s2.warnings.size(), 1u);
}

TEST_F(HostSource, LogCursorsArePerFileAndASecondSyncReadsOnlyNewLines) {
  std::string a = Write("a.log", "a1\na2\n");
  std::string b = Write("b.log", "b1\n");
  auto src = Make({{"logs", {dir_ + "/*.log"}}});
  ASSERT_TRUE(src);
  StateSnapshot none;
  Sink s1;
  ASSERT_TRUE(Sync(*src, s1, {kLogLines}, &none).ok());
  EXPECT_EQ(s1.Rows(kLogLines), 3);
  ASSERT_EQ(s1.cursors.size(), 2u);
  EXPECT_EQ(s1.cursors.count(std::string(kLogLines) + ":" + a), 1u);
  EXPECT_EQ(s1.cursors.count(std::string(kLogLines) + ":" + b), 1u);

  Write("a.log", "a3\n");
  StateSnapshot state(s1.cursors.begin(), s1.cursors.end());
  Sink s2;
  ASSERT_TRUE(Sync(*src, s2, {kLogLines}, &state).ok());
  auto rows = s2.Table(kLogLines);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["line"].as_string(), "a3");
  EXPECT_EQ(rows[0]["path"].as_string(), a);
  EXPECT_EQ(rows[0]["line_number"].as_int(), 3);

  // A glob matching nothing is one warning, not an error.
  auto none_src = Make({{"logs", {dir_ + "/nothing/*.log"}}});
  Sink s3;
  ASSERT_TRUE(Sync(*none_src, s3, {kLogLines}).ok());
  EXPECT_EQ(s3.Rows(kLogLines), 0);
  EXPECT_EQ(s3.warnings.size(), 1u);
  for (const auto& d : s3.done) EXPECT_TRUE(d.status.ok());

  // A corrupt cursor fails that file's table with the fix in the message.
  StateSnapshot bad{{std::string(kLogLines) + ":" + a, "garbage"}};
  auto one = Make({{"logs", {a}}});
  Sink s4;
  ASSERT_TRUE(Sync(*one, s4, {kLogLines}, &bad).ok());
  ASSERT_EQ(s4.done.size(), 1u);
  EXPECT_NE(s4.done[0].status.message().find("ferry state reset"), std::string::npos);
}

TEST_F(HostSource, PackagesFromADpkgDatabase) {
  Write("dpkg/status",
        "Package: jq\nStatus: install ok installed\nInstalled-Size: 102\nArchitecture: amd64\nVersion: 1.6-2.1\n"
        "Description: JSON processor\n\nPackage: gone\nStatus: deinstall ok config-files\nArchitecture: all\n"
        "Version: 1\n");
  Write("dpkg/info/jq.list", "/.\n/usr\n/usr/bin/jq\n");
  Write("dpkg.log",
        "2024-01-15 10:23:45 startup archives unpack\n2024-01-15 10:23:45 install jq:amd64 <none> 1.6-2.1\n"
        "2024-01-15 10:23:46 status installed jq:amd64 1.6-2.1\n");
  auto src = Make({{"dpkg_dir", dir_ + "/dpkg"}, {"dpkg_log", dir_ + "/dpkg.log"}});
  ASSERT_TRUE(src);
  Sink sink;
  ASSERT_TRUE(Sync(*src, sink, {kPackages, kPackageFiles, kPackageHistory}).ok());
  auto pkgs = sink.Table(kPackages);
  ASSERT_EQ(pkgs.size(), 2u);
  EXPECT_EQ(pkgs[0]["name"].as_string(), "jq");
  EXPECT_EQ(pkgs[0]["installed_size_bytes"].as_int(), 102 * 1024);
  EXPECT_TRUE(pkgs[0]["installed"].as_bool());
  EXPECT_EQ(pkgs[1]["state"].as_string(), "config-files");
  auto files = sink.Table(kPackageFiles);
  ASSERT_EQ(files.size(), 2u);  // "/." is dpkg's root marker
  EXPECT_EQ(files[1]["path"].as_string(), "/usr/bin/jq");
  EXPECT_EQ(files[1]["package"].as_string(), "jq");
  auto history = sink.Table(kPackageHistory);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]["action"].as_string(), "install");
  EXPECT_TRUE(history[0]["old_version"].is_null());
  EXPECT_EQ(history[0]["new_version"].as_string(), "1.6-2.1");
  EXPECT_TRUE(sink.warnings.empty());

  // No dpkg (another distribution): no rows, one warning per table, no error.
  auto other = Make({{"dpkg_dir", dir_ + "/none"}, {"dpkg_log", dir_ + "/none.log"}});
  Sink s2;
  ASSERT_TRUE(Sync(*other, s2, {kPackages, kPackageFiles, kPackageHistory}).ok());
  EXPECT_EQ(s2.Rows(kPackages), 0);
  EXPECT_EQ(s2.warnings.size(), 2u);
  for (const auto& d : s2.done) EXPECT_TRUE(d.status.ok()) << d.table;
}

}  // namespace
}  // namespace ferry::plugins::host
