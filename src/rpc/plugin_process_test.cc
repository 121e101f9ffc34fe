// Starting a plugin process: one that cannot start leaks no file descriptor;
// one that cannot serve on a unix socket is started again on TCP; its log
// lines are read in every SDK's shape.
#include "rpc/plugin_process.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <filesystem>

#include <gtest/gtest.h>

namespace ferry::rpc {
namespace {

size_t OpenFds() {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) (void)e, ++n;
  return n;
}

TEST(PluginProcessStart, ForkFailureClosesEveryPipe) {
  const size_t before = OpenFds();
  FailForkForTesting(true);
  auto p = PluginProcess::Start("/bin/true", "source \"x\"", "info", false);
  FailForkForTesting(false);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("fork"), std::string::npos) << p.status().message();
  EXPECT_EQ(OpenFds(), before);
}

TEST(PluginProcessStart, PipeFailureClosesThePipesAlreadyMade) {
  const size_t before = OpenFds();
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  // A limit that leaves exactly four free descriptors (two pipes): the third
  // pipe2 fails. Free slots below the limit are counted by opening /dev/null.
  auto free_slots = [] {
    std::vector<int> fds;
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds.push_back(fd);
    for (int fd : fds) close(fd);
    return fds.size();
  };
  struct rlimit low = old;
  low.rlim_cur = 1;
  for (; low.rlim_cur < 4096; ++low.rlim_cur) {
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    if (free_slots() >= 4) break;
  }
  ASSERT_EQ(free_slots(), 4u);
  auto p = PluginProcess::Start("/bin/true", "source \"x\"", "info", false);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("pipe"), std::string::npos) << p.status().message();
  EXPECT_EQ(OpenFds(), before);
}

// The Python SDK (cloudquery-plugin-sdk 0.1.57) accepts `--network unix` but
// hands the bare socket path to gRPC, which cannot bind it: the plugin exits
// at once with `RuntimeError: Failed to bind to address <path>` on stderr.
// Ferry starts it again on 127.0.0.1 over TCP.
TEST(PluginProcessStart, PluginThatCannotBindTheUnixSocketIsStartedOnTcp) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("ferry-pp-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string plugin = (dir / "python-like-plugin").string();
  {
    std::ofstream f(plugin);
    f << "#!/bin/sh\n"
         "# serve --network N --address A ...\n"
         "if [ \"$3\" = unix ]; then\n"
         "  echo \"RuntimeError: Failed to bind to address $5; set GRPC_VERBOSITY=debug\" >&2\n"
         "  exit 1\n"
         "fi\n"
         "echo '{\"event\": \"table resolver finished with error\", \"level\": \"critical\", "
         "\"table\": \"t1\", \"timestamp\": \"2026-01-01T00:00:00Z\"}'\n"
         "shift\n"
         "exec '" FERRY_BINARY "' plugin serve source test \"$@\"\n";
  }
  ASSERT_EQ(chmod(plugin.c_str(), 0755), 0);
  auto p = PluginProcess::Start(plugin, "source \"py\"", "info", false);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ((*p)->address().rfind("127.0.0.1:", 0), 0u) << (*p)->address();
  // structlog's JSON line: the message is `event`, `critical` is an error.
  std::vector<PluginLogLine> errors;
  for (int i = 0; i < 100 && errors.empty(); ++i) {
    errors = (*p)->TakeErrors();
    if (errors.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "table resolver finished with error table=t1");
  EXPECT_EQ(errors[0].table, "t1");
  (*p)->Stop();
  std::filesystem::remove_all(dir);
}

// A plugin that exits for another reason is not restarted: its own error.
TEST(PluginProcessStart, PluginFailingForAnotherReasonIsNotRestartedOnTcp) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("ferry-pp-test2-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string plugin = (dir / "broken-plugin").string();
  const std::string runs = (dir / "runs").string();
  {
    std::ofstream f(plugin);
    f << "#!/bin/sh\necho run >> '" << runs << "'\necho 'ModuleNotFoundError: No module named cloudquery' >&2\nexit 1\n";
  }
  ASSERT_EQ(chmod(plugin.c_str(), 0755), 0);
  auto p = PluginProcess::Start(plugin, "source \"py\"", "info", false);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("No module named cloudquery"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("exited with code 1 before serving on unix:"), std::string::npos)
      << p.status().message();
  std::ifstream in(runs);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "run\n");
  std::filesystem::remove_all(dir);
}

TEST(PluginLogLine, EverySdksJsonShape) {
  // zerolog (Go SDK)
  PluginLogLine l = ParsePluginLogLine(R"({"level":"error","module":"src","table":"a","time":"t","message":"boom"})");
  EXPECT_EQ(l.level, "error");
  EXPECT_EQ(l.message, "boom module=src table=a");
  EXPECT_EQ(l.table, "a");
  // winston (JavaScript SDK)
  l = ParsePluginLogLine(R"({"level":"warn","message":"slow","timestamp":"t"})");
  EXPECT_EQ(l.level, "warn");
  EXPECT_EQ(l.message, "slow");
  // structlog (Python SDK): `event` is the message; levels are Python's.
  l = ParsePluginLogLine(R"({"address": "127.0.0.1:1", "event": "Starting server", "level": "info", "timestamp": "t"})");
  EXPECT_EQ(l.level, "info");
  EXPECT_EQ(l.message, "Starting server address=127.0.0.1:1");
  l = ParsePluginLogLine(R"({"event": "failed to resolve resource", "level": "warning", "table": "b"})");
  EXPECT_EQ(l.level, "warning");
  EXPECT_EQ(l.message, "failed to resolve resource table=b");
  EXPECT_EQ(l.table, "b");
  // Not JSON: an info line as written.
  l = ParsePluginLogLine("plain text");
  EXPECT_EQ(l.level, "info");
  EXPECT_EQ(l.message, "plain text");
}

}  // namespace
}  // namespace ferry::rpc
