// Test-only: the ClickHouse server the integration tests write to.
//
// TestServer() starts one with `scripts/test-servers.sh start clickhouse`
// (path from the FERRY_SOURCE_DIR compile definition) on first use in a
// process, or reuses the one already running: ctest runs every case in its
// own process and the script shares one server between them (flock). A
// process that used the server holds a shared flock on
// <state dir>/clickhouse.users for its lifetime; at the end of the test
// program it stops the server when no other process holds that lock, unless
// FERRY_TEST_SERVERS_KEEP is set (scripts/test.sh then stops servers at the
// end). When clickhouse-server is not installed the error says how to
// install it and the tests FAIL (they never skip).
//
// FreshDatabase(ns) creates database ferry_test_<hash of ns> (dropping a
// leftover of an earlier run) once per process and returns a connection
// string for it. Admin() is a client on database `default`.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/http_transport.h"
#include "plugins/destination/clickhouse/sql.h"

namespace ferry::plugins::clickhouse::testing {

inline std::string ServersDir() {
  const char* d = std::getenv("FERRY_TEST_SERVERS_DIR");
  return d && *d ? d : "/tmp/ferry-test-servers";
}

inline std::string ScriptPath() { return std::string(FERRY_SOURCE_DIR) + "/scripts/test-servers.sh"; }

// Runs a shell command; returns its exit code and stdout.
inline int RunCommand(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  const int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

struct ChServer {
  int http_port = 0;
  std::string dir;  // the script's state dir for this server
  std::string version;
  std::string error;  // set when the server could not be started
  std::string Url(const std::string& db) const { return "http://127.0.0.1:" + std::to_string(http_port) + "/" + db; }
};

class ChServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (users_fd_ < 0) return;
    flock(users_fd_, LOCK_UN);
    const char* keep = std::getenv("FERRY_TEST_SERVERS_KEEP");
    if (!(keep && *keep) && flock(users_fd_, LOCK_EX | LOCK_NB) == 0) {
      std::string out;
      RunCommand("bash " + ScriptPath() + " stop clickhouse 2>&1", &out);
    }
    close(users_fd_);
    users_fd_ = -1;
  }
  int users_fd_ = -1;
};

inline ChServerEnvironment* Environment() {
  static ChServerEnvironment* env =
      static_cast<ChServerEnvironment*>(::testing::AddGlobalTestEnvironment(new ChServerEnvironment));
  return env;
}

inline ChServer StartServer() {
  ChServer s;
  std::string out;
  const int rc = RunCommand("bash " + ScriptPath() +
                                " start clickhouse 2>/tmp/ferry-ch-start.$$.log; rc=$?; "
                                "cat /tmp/ferry-ch-start.$$.log >&2; rm -f /tmp/ferry-ch-start.$$.log; exit $rc",
                            &out);
  if (rc != 0) {
    s.error = "scripts/test-servers.sh start clickhouse failed (exit " + std::to_string(rc) + ")" +
              (rc == 3 ? ": clickhouse-server is not installed; run scripts/install-test-servers.sh" : "");
    return s;
  }
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "FERRY_CH_HTTP_PORT")
      s.http_port = std::atoi(v.c_str());
    else if (k == "FERRY_CH_DIR")
      s.dir = v;
    else if (k == "FERRY_CH_VERSION")
      s.version = v;
  }
  if (s.http_port == 0) s.error = "scripts/test-servers.sh start clickhouse printed no port: " + out;
  return s;
}

inline const ChServer& TestServer() {
  static const ChServer server = [] {
    const std::string dir = ServersDir();
    std::string ignored;
    RunCommand("mkdir -p '" + dir + "'", &ignored);
    const int fd = open((dir + "/clickhouse.users").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0) flock(fd, LOCK_SH);  // held until the environment's TearDown
    Environment()->users_fd_ = fd;
    return StartServer();
  }();
  return server;
}

inline std::unique_ptr<Client> NewClient(const std::string& db) {
  const ChServer& s = TestServer();
  Endpoint ep;
  ep.base_url = "http://127.0.0.1:" + std::to_string(s.http_port);
  ep.database = db;
  auto transport = NewCurlTransport(ep, TransportOptions{});
  return std::make_unique<Client>(std::move(transport).value(), ep, ClientOptions{});
}

// Runs `sql` on the test server (database `default`); returns the body.
inline Result<std::string> Admin(const std::string& sql) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  const ChServer& s = TestServer();
  if (!s.error.empty()) return Status::IOError(s.error);
  static std::unique_ptr<Client> client = NewClient("default");
  return client->Query(sql, "admin");
}

inline std::string DatabaseName(const std::string& ns) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : ns) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "ferry_test_%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// A connection string for the database of namespace `ns`, created on first use.
inline Result<std::string> FreshDatabase(const std::string& ns) {
  static std::mutex mu;
  static std::set<std::string> created;
  const ChServer& s = TestServer();
  if (!s.error.empty()) return Status::IOError(s.error);
  const std::string db = DatabaseName(ns);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (created.count(db)) return s.Url(db);
    created.insert(db);
  }
  FERRY_RETURN_NOT_OK(Admin("DROP DATABASE IF EXISTS " + QuoteIdent(db)).status());
  FERRY_RETURN_NOT_OK(Admin("CREATE DATABASE " + QuoteIdent(db)).status());
  return s.Url(db);
}

}  // namespace ferry::plugins::clickhouse::testing
