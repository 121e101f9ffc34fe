// Test-only: the PostgreSQL server the integration tests write to.
//
// TestServer() starts one with scripts/test-servers.sh (path from the
// FERRY_SOURCE_DIR compile definition) on first use in a process, or reuses
// the one already running (ctest runs every case in its own process; the
// script shares one server between them). A process that used the server
// holds a shared flock on <state dir>/postgres.users for its lifetime; at the
// end of the test program it stops the server when no other process holds
// that lock, unless FERRY_TEST_SERVERS_KEEP is set (scripts/test.sh sets it and
// stops the server itself at the end). When PostgreSQL is not installed the
// error says how to install it, and tests FAIL (they never skip).
//
// FreshDatabase(ns) creates database ferry_test_<hash of ns> (dropping a
// leftover of an earlier run) once per process and returns a libpq
// connection string for it.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "ferry/status.h"

namespace ferry::plugins::postgresql::testing {

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

struct PgServer {
  std::string host;
  int port = 0;
  std::string user;
  std::string error;   // set when the server could not be started

  // key=value connection string for database `db`.
  std::string ConnString(const std::string& db) const {
    return "host=" + host + " port=" + std::to_string(port) + " user=" + user + " dbname=" + db;
  }
};

// Releases the shared "users" lock at the end of the test program and stops
// the server when this was the last process using it.
class PgServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (users_fd_ < 0) return;
    flock(users_fd_, LOCK_UN);
    const char* keep = std::getenv("FERRY_TEST_SERVERS_KEEP");
    if (!(keep && *keep) && flock(users_fd_, LOCK_EX | LOCK_NB) == 0) {
      std::string out;
      RunCommand("bash " + ScriptPath() + " stop postgres 2>&1", &out);
    }
    close(users_fd_);
    users_fd_ = -1;
  }
  int users_fd_ = -1;
};

inline PgServerEnvironment* Environment() {
  static PgServerEnvironment* env =
      static_cast<PgServerEnvironment*>(::testing::AddGlobalTestEnvironment(new PgServerEnvironment));
  return env;
}

inline const PgServer& TestServer() {
  static const PgServer server = [] {
    PgServer s;
    const std::string dir = ServersDir();
    std::string ignored;
    RunCommand("mkdir -p '" + dir + "'", &ignored);
    const int fd = open((dir + "/postgres.users").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0) flock(fd, LOCK_SH);  // held until the environment's TearDown
    Environment()->users_fd_ = fd;
    std::string out;
    const int rc = RunCommand("bash " + ScriptPath() + " start postgres 2>/tmp/ferry-pg-start.$$.log; rc=$?; "
                              "cat /tmp/ferry-pg-start.$$.log >&2; rm -f /tmp/ferry-pg-start.$$.log; exit $rc",
                              &out);
    if (rc != 0) {
      s.error = "scripts/test-servers.sh start postgres failed (exit " + std::to_string(rc) + ")" +
                (rc == 3 ? ": PostgreSQL is not installed; run scripts/install-test-servers.sh" : "");
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
      if (k == "FERRY_PG_HOST") s.host = v;
      else if (k == "FERRY_PG_PORT") s.port = std::atoi(v.c_str());
      else if (k == "FERRY_PG_USER") s.user = v;
    }
    if (s.port == 0) s.error = "scripts/test-servers.sh start postgres printed no port: " + out;
    return s;
  }();
  return server;
}

// Runs `sql` on database `db` of the test server as the superuser.
inline Status AdminExec(const std::string& db, const std::string& sql) {
  const PgServer& s = TestServer();
  if (!s.error.empty()) return Status::IOError(s.error);
  PGconn* c = PQconnectdb(s.ConnString(db).c_str());
  Status st;
  if (PQstatus(c) != CONNECTION_OK) {
    st = Status::IOError(std::string("admin connect: ") + PQerrorMessage(c));
  } else {
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
    PGresult* r = PQexec(c, sql.c_str());
    const auto rs = PQresultStatus(r);
    if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) st = Status::IOError(sql + ": " + PQerrorMessage(c));
    PQclear(r);
  }
  PQfinish(c);
  return st;
}

// First column of the first row of `sql` on `db` as text ("" when no row).
inline Result<std::string> AdminQuery(const std::string& db, const std::string& sql) {
  const PgServer& s = TestServer();
  if (!s.error.empty()) return Status::IOError(s.error);
  PGconn* c = PQconnectdb(s.ConnString(db).c_str());
  Result<std::string> out = std::string();
  if (PQstatus(c) != CONNECTION_OK) {
    out = Status::IOError(std::string("admin connect: ") + PQerrorMessage(c));
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) out = Status::IOError(sql + ": " + PQerrorMessage(c));
    else if (PQntuples(r) > 0) out = std::string(PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  PQfinish(c);
  return out;
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
  const PgServer& s = TestServer();
  if (!s.error.empty()) return Status::IOError(s.error);
  const std::string db = DatabaseName(ns);
  std::lock_guard<std::mutex> lock(mu);
  if (!created.count(db)) {
    FERRY_RETURN_NOT_OK(AdminExec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"));
    FERRY_RETURN_NOT_OK(AdminExec("postgres", "CREATE DATABASE " + db));
    created.insert(db);
  }
  return s.ConnString(db);
}

}  // namespace ferry::plugins::postgresql::testing
