#include "testing/test_servers.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::testing {
namespace {

// Releases the shared "users" locks at the end of the test program and stops
// each server this process was the last user of.
class ServersEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::vector<std::function<void()>> cleanups;
    {
      std::lock_guard<std::mutex> lock(mu);
      cleanups.swap(drops);
    }
    const char* keep_dbs = std::getenv("FERRY_TEST_KEEP_DATABASES");
    if (!(keep_dbs && *keep_dbs) && ::testing::UnitTest::GetInstance()->Passed()) {
      for (auto& drop : cleanups) drop();
    }
    std::lock_guard<std::mutex> lock(mu);
    const char* keep = std::getenv("FERRY_TEST_SERVERS_KEEP");
    for (auto& [kind, fd] : users) {
      if (fd < 0) continue;
      flock(fd, LOCK_UN);
      if (!(keep && *keep) && flock(fd, LOCK_EX | LOCK_NB) == 0) {
        std::string out;
        RunShell("bash '" + TestServersScript() + "' stop " + kind + " 2>&1", &out);
      }
      close(fd);
      fd = -1;
    }
  }

  std::mutex mu;
  std::map<std::string, int> users;
  std::map<std::string, TestServerInfo> started;
  std::vector<std::function<void()>> drops;  // DropAtExit
};

ServersEnvironment* Env() {
  static ServersEnvironment* env =
      static_cast<ServersEnvironment*>(::testing::AddGlobalTestEnvironment(new ServersEnvironment));
  return env;
}

// Servers one test process may use at a time. bqemulator deadlocks when a
// REST request and a Storage Write (gRPC) append reach it at once: one
// DuckDB connection serves both, the REST handler waits for it holding
// Python's GIL while the gRPC handler, holding it, needs the GIL to drop
// the Arrow view of its append (EMULATOR.md has the stacks). moto: the aws
// source's tests reset it (POST /moto-api/reset) and seed it, which would
// wipe another process's accounts. Processes of other kinds keep running in
// parallel.
bool OneProcessAtATime(const std::string& kind) { return kind == "bigquery" || kind == "moto"; }

TestServerInfo Start(const std::string& kind) {
  TestServerInfo s;
  std::string out;
  const std::string log = TestServersDir() + "/start-" + kind + "." + std::to_string(getpid()) + ".log";
  const int rc = RunShell("bash '" + TestServersScript() + "' start " + kind + " 2>'" + log + "'; rc=$?; cat '" + log +
                              "' >&2; rm -f '" + log + "'; exit $rc",
                          &out);
  if (rc != 0) {
    s.error = "scripts/test-servers.sh start " + kind + " failed (exit " + std::to_string(rc) + ")" +
              (rc == 3 ? ": the server is not installed; run scripts/install-test-servers.sh" : "");
    return s;
  }
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = line.find('=');
    if (eq != std::string::npos) s.env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (s.env.empty()) s.error = "scripts/test-servers.sh start " + kind + " printed no settings: " + out;
  return s;
}

}  // namespace

std::string TestServerInfo::Get(const std::string& key) const {
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

int TestServerInfo::Port(const std::string& key) const { return std::atoi(Get(key).c_str()); }

std::string TestServersDir() {
  const char* d = std::getenv("FERRY_TEST_SERVERS_DIR");
  return d && *d ? d : "/tmp/ferry-test-servers";
}

std::string TestServersScript() { return std::string(FERRY_SOURCE_DIR) + "/scripts/test-servers.sh"; }

int RunShell(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  const int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const TestServerInfo& SharedTestServer(const std::string& kind) {
  ServersEnvironment* env = Env();
  std::lock_guard<std::mutex> lock(env->mu);
  auto it = env->started.find(kind);
  if (it != env->started.end()) return it->second;
  const std::string dir = TestServersDir();
  std::string ignored;
  RunShell("mkdir -p '" + dir + "'", &ignored);
  const int fd = open((dir + "/" + kind + ".users").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd >= 0) flock(fd, LOCK_SH);  // held until the environment's TearDown
  env->users[kind] = fd;
  if (OneProcessAtATime(kind)) {
    // Held until the process exits (closed with it; never unlocked early).
    const int ex = open((dir + "/" + kind + ".exclusive").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (ex >= 0) flock(ex, LOCK_EX);
  }
  return env->started.emplace(kind, Start(kind)).first->second;
}

std::string NamespaceDatabasePrefix(const std::string& ns) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : ns) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "ferry_test_%016llx_", static_cast<unsigned long long>(h));
  return buf;
}

std::string NamespaceDatabase(const std::string& ns) {
  // <pid>_<random>: the pid tells a later run whether the process still
  // runs (IsLeftoverDatabase); the random part keeps two processes apart
  // that see the same pid (other pid namespaces sharing a server).
  static const std::string suffix = [] {
    std::random_device rd;
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%d_%08x", static_cast<int>(::getpid()), static_cast<unsigned>(rd()));
    return std::string(buf);
  }();
  return NamespaceDatabasePrefix(ns) + suffix;
}

bool IsEndedProcessDatabase(const std::string& name) {
  // ferry_test_<16 hex>_<pid>_<8 hex> (NamespaceDatabase), of any namespace.
  static const std::string kStart = "ferry_test_";
  if (name.compare(0, kStart.size(), kStart) != 0) return false;
  const std::string rest = name.substr(kStart.size());
  if (rest.size() < 16 + 1 + 1 + 1 + 8 || rest[16] != '_') return false;
  for (size_t i = 0; i < 16; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(rest[i]))) return false;
  const std::string tail = rest.substr(17);  // <pid>_<8 hex>
  const size_t us = tail.find('_');
  if (us == 0 || us == std::string::npos || us > 9 || tail.size() != us + 1 + 8) return false;
  for (size_t i = 0; i < us; ++i)
    if (tail[i] < '0' || tail[i] > '9') return false;
  const pid_t pid = static_cast<pid_t>(std::atol(tail.substr(0, us).c_str()));
  return pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
}

bool IsLeftoverDatabase(const std::string& ns, const std::string& name) {
  const std::string prefix = NamespaceDatabasePrefix(ns);
  if (name == prefix.substr(0, prefix.size() - 1)) return true;  // before the process suffix
  if (name == NamespaceDatabase(ns)) return false;
  return IsEndedProcessDatabase(name);
}

void DropAtExit(std::function<void()> drop) {
  ServersEnvironment* env = Env();
  std::lock_guard<std::mutex> lock(env->mu);
  env->drops.push_back(std::move(drop));
}

}  // namespace ferry::testing
