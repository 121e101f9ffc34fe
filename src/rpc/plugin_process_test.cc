// Starting a plugin process that cannot start leaks no file descriptor.
#include "rpc/plugin_process.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

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

}  // namespace
}  // namespace ferry::rpc
