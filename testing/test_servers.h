// Test-only: the real database servers the integration tests use.
//
// SharedTestServer(kind) starts one with `scripts/test-servers.sh start <kind>`
// (kind: "postgres" or "clickhouse") on first use in a process, or reuses the
// one already running: ctest runs every case in its own process and the
// script shares one server between them (it holds an flock while starting).
// A process that used a server holds a shared flock on
// <state dir>/<kind>.users for its lifetime; at the end of the test program
// it stops the server when no other process holds that lock, unless
// FERRY_TEST_SERVERS_KEEP is set (scripts/test.sh sets it and stops the
// servers itself at the end). A kind that cannot serve two test processes
// at once (bigquery: see OneProcessAtATime in test_servers.cc) is also held
// exclusively, for the process's lifetime, so its processes take turns. When the server is not installed the error
// says how to install it, and the tests FAIL (they never skip).
#pragma once

#include <functional>
#include <map>
#include <string>

namespace ferry::testing {

// What `test-servers.sh start <kind>` printed (KEY=VALUE lines), or why it failed.
struct TestServerInfo {
  std::map<std::string, std::string> env;
  std::string error;  // set when the server could not be started

  std::string Get(const std::string& key) const;
  int Port(const std::string& key) const;  // 0 when absent
};

const TestServerInfo& SharedTestServer(const std::string& kind);

// $FERRY_TEST_SERVERS_DIR or /tmp/ferry-test-servers.
std::string TestServersDir();
// scripts/test-servers.sh of this source tree.
std::string TestServersScript();

// Runs a shell command; returns its exit code and appends its stdout to *out.
int RunShell(const std::string& cmd, std::string* out);

// ferry_test_<hash of ns>_<pid>_<random>: one database per test namespace
// and process, so test cases running in parallel processes never share
// tables, also two processes running the same test against one server.
// Lowercase letters, digits and '_' only (valid unquoted in PostgreSQL,
// ClickHouse, BigQuery), at most 46 characters. The same name for the same
// `ns` for the life of the process.
std::string NamespaceDatabase(const std::string& ns);

// "ferry_test_<hash of ns>_": the start every process's NamespaceDatabase(ns)
// shares.
std::string NamespaceDatabasePrefix(const std::string& ns);

// Whether `name` is the NamespaceDatabase of any namespace of a process that
// no longer runs (a failed or killed test program).
bool IsEndedProcessDatabase(const std::string& name);

// Whether `name` is a leftover that FreshDatabase(ns) drops: `ns`'s database
// of an earlier scheme without the process suffix, or any namespace's of an
// ended process (IsEndedProcessDatabase), so killed runs cannot pile up
// databases on a shared server. Never true for this process's own or
// another running process's database.
bool IsLeftoverDatabase(const std::string& ns, const std::string& name);

// Runs `drop` at the end of the test program (before the servers may be
// stopped), when every test passed; when one failed the databases
// stay for inspection until the next test program that makes a database on
// that server drops them (IsLeftoverDatabase). FERRY_TEST_KEEP_DATABASES=1 keeps them always.
void DropAtExit(std::function<void()> drop);

}  // namespace ferry::testing
