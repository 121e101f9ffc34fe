// Test-only: the ClickHouse server the integration tests write to, started
// and shared as testing/test_servers.h describes.
//
// FreshDatabase(ns) creates database NamespaceDatabase(ns),
// ferry_test_<hash of ns>_<pid>_<random> (dropping leftovers of ended
// processes' runs of the same namespace) once per process, dropped at the end
// of a test program that passed (testing/test_servers.h), and returns a connection
// string for it (HTTP; NativeUrl() names the same database over the native
// protocol). Admin() is a client on database `default`.
#pragma once

#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ferry/status.h"
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/http_transport.h"
#include "plugins/destination/clickhouse/native_connection.h"
#include "plugins/destination/clickhouse/sql.h"
#include "testing/test_servers.h"

namespace ferry::plugins::clickhouse::testing {

struct ChServer {
  int http_port = 0;
  int tcp_port = 0;  // the native protocol's
  int tcp_secure_port = 0;  // the native protocol over TLS; 0 when the running server has none
  std::string ca_file;      // the PEM of the CA that signed its certificate
  std::string dir;  // the script's state dir for this server
  std::string version;
  std::string error;  // set when the server could not be started
  std::string Url(const std::string& db) const { return "http://127.0.0.1:" + std::to_string(http_port) + "/" + db; }
  // clickhouse-go's DSN form; `params` without the '?' ("compress=lz4").
  std::string NativeUrl(const std::string& db, const std::string& params = "") const {
    return "clickhouse://127.0.0.1:" + std::to_string(tcp_port) + "/" + db + (params.empty() ? "" : "?" + params);
  }
};

inline const ChServer& TestServer() {
  static const ChServer server = [] {
    const ferry::testing::TestServerInfo& info = ferry::testing::SharedTestServer("clickhouse");
    ChServer s;
    s.error = info.error;
    s.http_port = info.Port("FERRY_CH_HTTP_PORT");
    s.tcp_port = info.Port("FERRY_CH_TCP_PORT");
    s.tcp_secure_port = info.Port("FERRY_CH_TCP_SECURE_PORT");
    s.ca_file = info.Get("FERRY_CH_CA");
    s.dir = info.Get("FERRY_CH_DIR");
    s.version = info.Get("FERRY_CH_VERSION");
    if (s.error.empty() && s.http_port == 0) s.error = "scripts/test-servers.sh start clickhouse printed no FERRY_CH_HTTP_PORT";
    return s;
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

// A client over the native protocol; `params` as in NativeUrl.
inline Result<std::unique_ptr<Client>> NewNativeClient(const std::string& db, const std::string& params = "") {
  FERRY_ASSIGN_OR_RETURN(Endpoint ep, ParseConnectionString(TestServer().NativeUrl(db, params)));
  FERRY_ASSIGN_OR_RETURN(auto wire, NewWire(ep, TransportOptions{}, NewCurlTransport));
  return std::make_unique<Client>(std::move(wire), ep, ClientOptions{});
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

inline std::string DatabaseName(const std::string& ns) { return ferry::testing::NamespaceDatabase(ns); }

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
  // Leftovers of processes that ended (a failed or killed run, any
  // namespace), and a database of the same name (a reused pid).
  FERRY_ASSIGN_OR_RETURN(std::string names,
                         Admin("SELECT name FROM system.databases WHERE startsWith(name, 'ferry_test_') FORMAT TSV"));
  size_t pos = 0;
  while (pos < names.size()) {
    size_t end = names.find('\n', pos);
    if (end == std::string::npos) end = names.size();
    const std::string name = names.substr(pos, end - pos);
    pos = end + 1;
    if (ferry::testing::IsLeftoverDatabase(ns, name)) {
      FERRY_RETURN_NOT_OK(Admin("DROP DATABASE IF EXISTS " + QuoteIdent(name)).status());
    }
  }
  FERRY_RETURN_NOT_OK(Admin("DROP DATABASE IF EXISTS " + QuoteIdent(db)).status());
  FERRY_RETURN_NOT_OK(Admin("CREATE DATABASE " + QuoteIdent(db)).status());
  ferry::testing::DropAtExit([db] { (void)Admin("DROP DATABASE IF EXISTS " + QuoteIdent(db)); });
  return s.Url(db);
}

}  // namespace ferry::plugins::clickhouse::testing
