// Test-only: the PostgreSQL server the integration tests write to, started
// and shared as testing/test_servers.h describes.
//
// FreshDatabase(ns) creates database NamespaceDatabase(ns),
// ferry_test_<hash of ns>_<pid>_<random> (dropping leftovers of ended
// processes' runs of the same namespace) once per process, dropped at the end
// of a test program that passed (testing/test_servers.h), and returns a libpq
// connection string for it.
#pragma once

#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "ferry/status.h"
#include "testing/test_servers.h"

namespace ferry::plugins::postgresql::testing {

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

inline const PgServer& TestServer() {
  static const PgServer server = [] {
    const ferry::testing::TestServerInfo& info = ferry::testing::SharedTestServer("postgres");
    PgServer s;
    s.error = info.error;
    s.host = info.Get("FERRY_PG_HOST");
    s.port = info.Port("FERRY_PG_PORT");
    s.user = info.Get("FERRY_PG_USER");
    if (s.error.empty() && s.port == 0) s.error = "scripts/test-servers.sh start postgres printed no FERRY_PG_PORT";
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

inline std::string DatabaseName(const std::string& ns) { return ferry::testing::NamespaceDatabase(ns); }

// A connection string for the database of namespace `ns`, created on first use.
inline Result<std::string> FreshDatabase(const std::string& ns) {
  static std::mutex mu;
  static std::set<std::string> created;
  const PgServer& s = TestServer();
  if (!s.error.empty()) return Status::IOError(s.error);
  const std::string db = DatabaseName(ns);
  std::lock_guard<std::mutex> lock(mu);
  if (!created.count(db)) {
    // Leftovers of processes that ended (a failed or killed run, any
    // namespace). Names are [a-z0-9_] (NamespaceDatabase): safe unquoted.
    FERRY_ASSIGN_OR_RETURN(std::string names,
                           AdminQuery("postgres", "SELECT string_agg(datname, ' ') FROM pg_database WHERE "
                                                  "starts_with(datname, 'ferry_test_')"));
    std::istringstream in(names);
    for (std::string name; in >> name;) {
      if (ferry::testing::IsLeftoverDatabase(ns, name)) {
        FERRY_RETURN_NOT_OK(AdminExec("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"));
      }
    }
    FERRY_RETURN_NOT_OK(AdminExec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"));
    FERRY_RETURN_NOT_OK(AdminExec("postgres", "CREATE DATABASE " + db));
    ferry::testing::DropAtExit([db] { (void)AdminExec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); });
    created.insert(db);
  }
  return s.ConnString(db);
}

}  // namespace ferry::plugins::postgresql::testing
