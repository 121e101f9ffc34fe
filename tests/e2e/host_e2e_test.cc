// End-to-end: the `host` source through the real `ferry` binary into SQLite,
// checked against what the system reports: a process and a listening socket
// the test creates, the host name, a log file that grows, rotates and is
// truncated between incremental syncs, and the quickstart spec.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "testing/cli_runner.h"

extern char** environ;

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;

std::string HostSpec(const std::string& tables, const std::string& host_spec, const std::string& write_mode,
                     bool backend) {
  std::string text = R"(kind: source
spec:
  name: host
  path: ferry/host
  version: v1.0.0
  tables: )" + tables + R"(
  destinations: [sqlite]
)";
  if (backend)
    text += R"(  backend_options:
    table_name: cq_state_host
    connection: "@@plugins.sqlite.connection"
)";
  text += "  spec:\n" + host_spec + R"(---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
  version: v1.0.0
  write_mode: )" + write_mode + R"(
  spec:
    connection_string: ./host.sqlite
)";
  return text;
}

// A child process the test owns: `sleep <seconds>` with a distinctive argument.
class Sleeper {
 public:
  explicit Sleeper(std::string arg) : arg_(std::move(arg)) {
    std::string prog = "sleep";
    char* argv[] = {prog.data(), arg_.data(), nullptr};
    if (posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ) != 0) pid_ = -1;
  }
  ~Sleeper() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  std::string arg_;
  pid_t pid_ = -1;
};

TEST(HostE2E, ProcessSocketAndHostnameMatchTheSystem) {
  TempDir dir;
  const std::string arg = "97." + std::to_string(::getpid());  // a sleep nobody else runs
  Sleeper child(arg);
  ASSERT_GT(child.pid(), 0);

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  std::string spec = dir.Write(
      "spec.yml", HostSpec("[host_processes, host_sockets, host_system_info]", "    concurrency: 2\n",
                           "overwrite-delete-stale", false));
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string db = dir.File("host.sqlite");

  EXPECT_EQ(SqliteQuery(db, "SELECT cmdline || '|' || parent_pid || '|' || name FROM host_processes WHERE pid = " +
                                std::to_string(child.pid())),
            (std::vector<std::string>{"sleep " + arg + "|" + std::to_string(::getpid()) + "|sleep"}));
  EXPECT_EQ(SqliteQuery(db, "SELECT argv FROM host_processes WHERE pid = " + std::to_string(child.pid())),
            (std::vector<std::string>{"[\"sleep\",\"" + arg + "\"]"}));

  EXPECT_EQ(SqliteQuery(db, "SELECT local_address || '|' || state || '|' || listening || '|' || coalesce(pid, 'null') "
                            "FROM host_sockets WHERE protocol = 'tcp' AND local_port = " + std::to_string(port)),
            (std::vector<std::string>{"127.0.0.1/32|LISTEN|1|" + std::to_string(::getpid())}));

  char host[256] = {0};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(SqliteQuery(db, "SELECT hostname FROM host_system_info"), (std::vector<std::string>{host}));
}

class Log {
 public:
  explicit Log(std::string path) : path_(std::move(path)) {}
  void Append(const std::vector<std::string>& lines) {
    std::ofstream f(path_, std::ios::app);
    for (const auto& l : lines) f << l << "\n";
  }
  void Rotate() { fs::rename(path_, path_ + ".1"); }
  void Truncate() { std::ofstream(path_, std::ios::trunc); }

 private:
  std::string path_;
};

TEST(HostE2E, LogLinesArriveOnceAcrossAppendRotationAndTruncation) {
  TempDir dir;
  Log log(dir.File("app.log"));
  // append mode: a line read twice would be a second row.
  std::string spec = dir.Write("spec.yml", HostSpec("[host_log_lines]",
                                                    "    logs: [" + dir.File("app.log") + "]\n",
                                                    "append", true));
  const std::string db = dir.File("host.sqlite");
  std::vector<std::string> expected;
  auto sync = [&](int64_t want_new) {
    CommandResult r = RunFerry({"sync", spec}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(SummaryRows(r.out, "host_log_lines"), want_new) << r.out;
    auto lines = SqliteQuery(db, "SELECT line FROM host_log_lines ORDER BY _cq_sync_time, file_key, byte_offset");
    std::vector<std::string> got = lines, want = expected;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
  };
  auto add = [&](const std::vector<std::string>& lines) {
    log.Append(lines);
    expected.insert(expected.end(), lines.begin(), lines.end());
  };

  add({"boot 1", "boot 2", "boot 3"});
  sync(3);
  sync(0);  // nothing new
  add({"more 4", "more 5"});
  sync(2);

  add({"before rotation 6"});  // written to the old file after the last sync
  log.Rotate();
  add({"after rotation 7", "after rotation 8"});
  sync(3);
  EXPECT_EQ(SqliteQuery(db, "SELECT file FROM host_log_lines WHERE line = 'before rotation 6'"),
            (std::vector<std::string>{dir.File("app.log.1")}));
  sync(0);

  log.Truncate();
  add({"t9"});
  sync(1);
  add({"t10"});
  sync(1);

  CommandResult r = RunFerry({"state", "list", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("host_log_lines"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(dir.File("app.log")), std::string::npos) << r.out;  // the client: one cursor per file
}

TEST(HostE2E, QuickstartFillsEveryTableTheMachineProvides) {
  TempDir dir;
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/examples/quickstart.yml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(text.find("connection_string: ./quickstart.sqlite"), std::string::npos);
  std::string spec = dir.Write("quickstart.yml", text);
  CommandResult r = RunFerry({"sync", spec}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string db = dir.File("quickstart.sqlite");
  std::vector<std::string> tables = SqliteTables(db);
  for (const char* t : {"host_system_info", "host_processes", "host_process_open_files", "host_interfaces",
                        "host_interface_addresses", "host_sockets", "host_mounts", "host_block_devices", "host_users",
                        "host_groups", "host_packages", "host_package_files", "host_package_history",
                        "host_kernel_modules", "host_files", "host_log_lines"})
    EXPECT_NE(std::find(tables.begin(), tables.end(), t), tables.end()) << t;
  // Every Linux machine and container has these.
  for (const char* t : {"host_system_info", "host_processes", "host_process_open_files", "host_mounts", "host_users",
                        "host_groups", "host_files"})
    EXPECT_GT(SqliteCount(db, t), 0) << t;
  if (fs::exists("/sys/class/net/lo")) {
    EXPECT_GT(SqliteCount(db, "host_interfaces"), 0);
  }
  // Debian has dpkg: then packages, their files and history are there too.
  if (fs::exists("/var/lib/dpkg/status")) {
    EXPECT_GT(SqliteCount(db, "host_packages"), 0);
    EXPECT_GT(SqliteCount(db, "host_package_files"), 0);
  }
  // The README's queries (plugins/source/host/README.md) run on the result.
  for (const char* q : {
           "SELECT s.protocol, s.local_address, s.local_port, s.user_name, s.pid, p.cmdline FROM host_sockets s "
           "LEFT JOIN host_processes p USING (pid) WHERE s.listening ORDER BY s.local_port",
           "SELECT name, version, round(installed_size_bytes / 1048576.0, 1) AS size_mib FROM host_packages "
           "WHERE installed ORDER BY installed_size_bytes DESC LIMIT 10",
           "SELECT time, action, package, old_version, new_version FROM host_package_history "
           "WHERE action IN ('install', 'upgrade', 'remove', 'purge') ORDER BY time DESC, byte_offset DESC LIMIT 10",
       }) {
    EXPECT_NO_THROW(SqliteQuery(db, q)) << q;
  }
}

}  // namespace
}  // namespace ferry::testing
