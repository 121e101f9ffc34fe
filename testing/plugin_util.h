// Helpers for protocol v3 tests: free ports, readiness checks, and a
// `ferry plugin serve` process stopped at scope exit.
#pragma once

#include <string>
#include <vector>

namespace ferry::testing {

// A free TCP port on 127.0.0.1 (bound and released), or -1.
int FreePort();
bool CanConnectTcp(int port);
bool CanConnectUnix(const std::string& path);

// `ferry plugin serve <kind> <name> --address 127.0.0.1:<free port>` in the
// background, ready when constructed (ok() false if it never listened);
// SIGKILLed at destruction.
class ServedFerry {
 public:
  ServedFerry(const std::string& kind, const std::string& name, const std::string& cwd);
  ~ServedFerry();
  ServedFerry(const ServedFerry&) = delete;
  ServedFerry& operator=(const ServedFerry&) = delete;
  bool ok() const { return ok_; }
  int pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Sends `sig` and waits up to 10 s; returns the exit code (128 + signal), -1 on timeout.
  int Stop(int sig);

 private:
  int pid_ = -1;
  int port_ = -1;
  bool ok_ = false;
};

// A plugin built with one of CloudQuery's SDKs, served by the SDK's own command
// line: `/usr/bin/env <env...> <binary> serve --address 127.0.0.1:<free port>
// --log-format json`, its output in `dir/<log_name>-<port>.log`, in its own
// process group, ready when constructed (ok() false if it never listened; a
// port taken between FreePort and the bind is retried), SIGKILLed at
// destruction.
class ServedSdkPlugin {
 public:
  ServedSdkPlugin(const std::string& dir, const std::string& binary, const std::vector<std::string>& env,
                  const std::string& log_name);
  ~ServedSdkPlugin();
  ServedSdkPlugin(const ServedSdkPlugin&) = delete;
  ServedSdkPlugin& operator=(const ServedSdkPlugin&) = delete;
  bool ok() const { return ok_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // What it logged so far.
  std::string Log() const;

 private:
  void Start(const std::string& dir, const std::string& binary, const std::vector<std::string>& env,
             const std::string& log_name);

  int pid_ = -1;
  int port_ = -1;
  bool ok_ = false;
  std::string log_;
};

// Writes an executable wrapper `dir/name` that CloudQuery-style starts
// (`<path> serve --network unix --address ... --log-format json ...`) turn
// into `ferry plugin serve <kind> <plugin> --network unix ...`: Ferry's own
// integrations as `registry: local` plugins. Returns its path.
std::string WriteFerryPluginWrapper(const std::string& dir, const std::string& name, const std::string& kind,
                                    const std::string& plugin);

// True while the process started through `wrapper` (WriteFerryPluginWrapper
// records its pid in <wrapper>.pid) is alive.
bool WrapperRunning(const std::string& wrapper);

}  // namespace ferry::testing
