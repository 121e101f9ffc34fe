// A local plugin process (`registry: local`), started as CloudQuery starts
// one (docs/protocol.md):
//
//   <path> serve --network unix --address <socket> --log-format json --log-level <level>
//
// in its own process group, with the environment inherited except unrelated
// CQ_* variables (the JavaScript SDK parses every CQ_* variable as a flag and
// exits on unknown ones: tests/peers/cq-plugins/README.md, quirk 2). Ready
// once the socket accepts connections. A plugin that exits at once
// complaining about `--network` (the JavaScript SDK accepts only tcp, quirk 1)
// is started again on 127.0.0.1 with a free port, and so is one that exits
// at once naming the socket path on stderr (the Python SDK accepts
// `--network unix` but hands the bare path to gRPC, which cannot bind it:
// tests/peers/python/README.md).
//
// Its stdout is read as JSON log lines (zerolog's and winston's shapes) and
// folded into Ferry's log under the plugin's name; error lines are kept for
// the sync summary (TakeErrors). Its stderr is logged at debug level and its
// tail kept for error messages (panics, usage errors).
//
// Stop() sends SIGINT to the process group, SIGKILL after 5 s, reaps the
// process and removes the socket and its directory. The child also gets
// SIGKILL if Ferry dies (PR_SET_PDEATHSIG), and KillAllPluginProcesses()
// (async-signal-safe) kills every live plugin group, for a hard exit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry/status.h"

namespace ferry::rpc {

struct PluginLogLine {
  std::string level;    // as the plugin wrote it, lower-case
  std::string message;  // message plus the line's other fields (k=v)
  std::string table;    // the line's `table` / `table_name` field, if any
};

class PluginProcess {
 public:
  // `who` names the plugin in messages (`source "aws"`).
  // With `defer_warnings`, warning lines are not logged when read: the
  // caller reports them (TakeWarnings) into the sync summary, which logs them.
  static Result<std::unique_ptr<PluginProcess>> Start(const std::string& path, const std::string& who,
                                                      const std::string& log_level, bool defer_warnings = false);
  ~PluginProcess();
  PluginProcess(const PluginProcess&) = delete;
  PluginProcess& operator=(const PluginProcess&) = delete;

  // gRPC address: "unix:/tmp/ferry-plugin-.../plugin.sock" or "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  int pid() const { return pid_; }
  // "" while running; else "exited with code N" or "was killed by signal N (SIGKILL)".
  std::string ExitReason();
  // The last few KiB the plugin wrote to stderr, trimmed.
  std::string StderrTail() const;
  // Error-level log lines written since the last call; the first 1,000 are
  // kept, `*dropped` (optional) gets how many more there were.
  std::vector<PluginLogLine> TakeErrors(int64_t* dropped = nullptr);
  // Warning lines written since the last call (same limits).
  std::vector<PluginLogLine> TakeWarnings(int64_t* dropped = nullptr);
  // Stops the process group (SIGINT, then SIGKILL after 5 s); idempotent.
  // Returns the exit reason.
  std::string Stop();

 private:
  PluginProcess() = default;
  Status Launch(bool unix_socket);
  Status WaitReady();
  void ReadStdout(int fd);
  void ReadStderr(int fd);
  void Reap(bool block);
  void JoinReaders();

  std::string path_, who_, log_level_;
  bool defer_warnings_ = false;
  std::string dir_, socket_path_, address_;
  int port_ = 0;
  int pid_ = -1;
  std::thread out_reader_, err_reader_;

  mutable std::mutex mu_;
  bool exited_ = false;              // guarded by mu_
  int wait_status_ = 0;              // guarded by mu_
  std::string stderr_tail_;          // guarded by mu_
  std::vector<PluginLogLine> errors_, warnings_;  // guarded by mu_
  int64_t errors_dropped_ = 0, warnings_dropped_ = 0;  // guarded by mu_
};

// One line of a plugin's stdout: JSON log lines of zerolog (Go SDK), winston
// (JavaScript SDK) and structlog (Python SDK) give their level and message,
// other fields appended as k=v; anything else is an info line as written.
PluginLogLine ParsePluginLogLine(const std::string& line);

// Kills (SIGKILL) the process group of every plugin still running. Safe to
// call from a signal handler.
void KillAllPluginProcesses();

// Tests only: makes the fork of the next plugin starts fail (EAGAIN).
void FailForkForTesting(bool fail);

}  // namespace ferry::rpc
