// Helpers for end-to-end tests: run the real `ferry` binary on spec files in
// a fresh temporary directory and read back what landed in SQLite.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to `name` inside the directory and returns the full path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Runs `ferry <args>` (FERRY_BINARY) with `cwd` as working directory and
// `env` ("K=V" entries) added to the environment.
CommandResult RunFerry(const std::vector<std::string>& args, const std::string& cwd,
                       const std::vector<std::string>& env = {});

// Starts `ferry <args>` in the background (output discarded); returns its pid.
int StartFerry(const std::vector<std::string>& args, const std::string& cwd);
// The same, with stdout and stderr written to the files `out` and `err`.
int StartFerryTo(const std::vector<std::string>& args, const std::string& cwd, const std::string& out,
                 const std::string& err);
// Waits for a process started with StartFerry; returns its exit code, or
// 128 + signal.
int WaitFerry(int pid);

// Crash tests. `ferry sync <spec> --no-progress` in `cwd`: its result and
// wall time.
CommandResult TimedSync(const std::string& cwd, const std::string& spec, std::chrono::microseconds* wall);
// `ferry sync <spec>` started in `cwd` and killed with SIGKILL after `delay`.
void SyncKilledAfter(const std::string& cwd, const std::string& spec, std::chrono::microseconds delay);
// $FERRY_CRASH_RUNS (raise it for a longer soak), or `fallback`.
int CrashRuns(int fallback);

// Rows the sync summary printed for `table` (its ROWS column), or -1.
int64_t SummaryRows(const std::string& out, const std::string& table);

// Reads from an SQLite file with the sqlite3 C API.
int64_t SqliteCount(const std::string& db, const std::string& table, const std::string& where = "");
std::vector<std::string> SqliteTables(const std::string& db);
std::vector<std::string> SqliteColumns(const std::string& db, const std::string& table);
// Runs `sql` (several statements allowed) on the file, creating it if needed.
void SqliteExec(const std::string& db, const std::string& sql);
// First column of every row of `sql`, as text ("NULL" for null).
std::vector<std::string> SqliteQuery(const std::string& db, const std::string& sql);

}  // namespace ferry::testing
