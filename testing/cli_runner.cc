#include "testing/cli_runner.h"

#include <sqlite3.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ferry::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "ferry-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  std::string p = File(name);
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p) << content;
  return p;
}

static std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult RunFerry(const std::vector<std::string>& args, const std::string& cwd,
                       const std::vector<std::string>& env) {
  TempDir io;
  std::string out = io.File("stdout"), err = io.File("stderr");
  std::fflush(nullptr);  // or the child's freopen would flush the parent's buffered output
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(127);
    std::vector<char*> argv;
    std::string bin = FERRY_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

int64_t SummaryRows(const std::string& out, const std::string& table) {
  size_t p = out.find("\n" + table + " ");
  if (p == std::string::npos) return -1;
  return std::stoll(out.substr(p + table.size() + 2));
}

int StartFerry(const std::vector<std::string>& args, const std::string& cwd) {
  return StartFerryTo(args, cwd, "/dev/null", "/dev/null");
}

int StartFerryTo(const std::vector<std::string>& args, const std::string& cwd, const std::string& out,
                 const std::string& err) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(127);
    std::vector<char*> argv;
    std::string bin = FERRY_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int WaitFerry(int pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CommandResult TimedSync(const std::string& cwd, const std::string& spec, std::chrono::microseconds* wall) {
  const auto t0 = std::chrono::steady_clock::now();
  CommandResult r = RunFerry({"sync", spec, "--no-progress"}, cwd);
  *wall = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  return r;
}

void SyncKilledAfter(const std::string& cwd, const std::string& spec, std::chrono::microseconds delay) {
  const int pid = StartFerry({"sync", spec, "--no-progress"}, cwd);
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  WaitFerry(pid);
}

int CrashRuns(int fallback) {
  const char* env = std::getenv("FERRY_CRASH_RUNS");
  return env ? std::atoi(env) : fallback;
}

namespace {
struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path, int flags = SQLITE_OPEN_READONLY) {
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path);
  }
  ~Db() { sqlite3_close(db); }
  std::vector<std::string> Column0(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db) + " in: " + sql);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    sqlite3_finalize(st);
    return out;
  }
};
std::string Quote(const std::string& id) {
  std::string q = "\"";
  for (char c : id) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

int64_t SqliteCount(const std::string& db, const std::string& table, const std::string& where) {
  Db d(db);
  auto rows = d.Column0("SELECT count(*) FROM " + Quote(table) + (where.empty() ? "" : " WHERE " + where));
  return std::stoll(rows.at(0));
}

std::vector<std::string> SqliteTables(const std::string& db) {
  Db d(db);
  return d.Column0("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
}

std::vector<std::string> SqliteColumns(const std::string& db, const std::string& table) {
  Db d(db);
  return d.Column0("SELECT name FROM pragma_table_info(" + std::string("'") + table + "')");
}

void SqliteExec(const std::string& db, const std::string& sql) {
  Db d(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  char* err = nullptr;
  if (sqlite3_exec(d.db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg + " in: " + sql);
  }
}

std::vector<std::string> SqliteQuery(const std::string& db, const std::string& sql) {
  Db d(db);
  return d.Column0(sql);
}

}  // namespace ferry::testing
