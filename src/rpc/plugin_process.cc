#include "rpc/plugin_process.h"

#include <atomic>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/log.h"
#include "rpc/net.h"

extern char** environ;

namespace ferry::rpc {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kStderrTail = 4096;
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kStopGrace = std::chrono::seconds(5);

// Live plugin process groups, for KillAllPluginProcesses (signal handlers).
constexpr int kMaxTracked = 256;
std::atomic<int> g_groups[kMaxTracked];

void Track(int pgid) {
  for (auto& g : g_groups) {
    int zero = 0;
    if (g.compare_exchange_strong(zero, pgid)) return;
  }
}
void Untrack(int pgid) {
  for (auto& g : g_groups) {
    int want = pgid;
    if (g.compare_exchange_strong(want, 0)) return;
  }
}

// CQ_* variables a plugin may legitimately read; others are not passed on
// (see the header).
bool KeepEnv(const char* kv) {
  if (std::strncmp(kv, "CQ_", 3) != 0) return true;
  return std::strncmp(kv, "CQ_TELEMETRY_LEVEL=", 19) == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == '\n' || s[i] == ' ')) ++i;
  return s.substr(i);
}

log::Level LevelOf(const std::string& level) {
  if (level == "trace" || level == "debug") return log::Level::kDebug;
  if (level == "warn" || level == "warning") return log::Level::kWarn;
  // critical: Python's logging level above error (the Python SDK's structlog).
  if (level == "error" || level == "fatal" || level == "panic" || level == "critical") return log::Level::kError;
  return log::Level::kInfo;
}

}  // namespace

// One stdout line of the plugin as a PluginLogLine. JSON lines (zerolog:
// level/message/time; winston: level/message/timestamp; structlog, the Python
// SDK's: level/event/timestamp) keep their other fields as k=v, each cut to
// 300 bytes (JS error lines can carry whole rows).
PluginLogLine ParsePluginLogLine(const std::string& line) {
  PluginLogLine out;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.level = "info";
    out.message = line;
    return out;
  }
  auto str = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  out.level = j.contains("level") ? str(j["level"]) : "info";
  for (auto& c : out.level) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string message_key;
  for (const char* k : {"message", "msg", "event"})
    if (j.contains(k)) {
      message_key = k;
      out.message = str(j[k]);
      break;
    }
  for (const char* k : {"table", "table_name"})
    if (j.contains(k) && j[k].is_string()) out.table = j[k].get<std::string>();
  for (auto& [k, v] : j.items()) {
    if (k == "level" || k == message_key || k == "time" || k == "timestamp" || k == "stack") continue;
    std::string val = str(v);
    if (val.size() > 300) val = val.substr(0, 300) + "...";
    out.message += " " + k + "=" + val;
  }
  return out;
}

namespace {

std::atomic<bool> g_fail_fork{false};

// fork(), or a failure (EAGAIN) when a test asked for one.
pid_t ForkForPlugin() {
  if (g_fail_fork.load()) {
    errno = EAGAIN;
    return -1;
  }
  return fork();
}

}  // namespace

void FailForkForTesting(bool fail) { g_fail_fork = fail; }

void KillAllPluginProcesses() {
  for (auto& g : g_groups) {
    int pgid = g.load();
    if (pgid > 0) kill(-pgid, SIGKILL);
  }
}

Result<std::unique_ptr<PluginProcess>> PluginProcess::Start(const std::string& path, const std::string& who,
                                                            const std::string& log_level, bool defer_warnings) {
  std::unique_ptr<PluginProcess> p(new PluginProcess());
  p->defer_warnings_ = defer_warnings;
  p->path_ = path;
  p->who_ = who;
  p->log_level_ = log_level;
  char tmpl[] = "/tmp/ferry-plugin-XXXXXX";
  if (!mkdtemp(tmpl)) return Status::IOError(who + ": cannot create a directory for the plugin's socket: " +
                                             std::strerror(errno));
  p->dir_ = tmpl;
  Status st = p->Launch(true);
  if (st.ok()) st = p->WaitReady();
  // A plugin that exited complaining about `--network` (the JavaScript SDK
  // refuses unix, quirk 1) or about the socket path itself (the Python SDK
  // passes the bare path to gRPC, which cannot bind it): serve on TCP.
  const std::string tail = st.ok() || p->ExitReason().empty() ? "" : p->StderrTail();
  if (!tail.empty() && (tail.find("network") != std::string::npos ||
                        (!p->socket_path_.empty() && tail.find(p->socket_path_) != std::string::npos))) {
    log::Info(who + ": plugin " + path + " could not serve on a unix socket (--network unix); starting it on " +
              "127.0.0.1 over TCP");
    p->JoinReaders();
    { std::lock_guard<std::mutex> lock(p->mu_); p->stderr_tail_.clear(); p->exited_ = false; }
    st = p->Launch(false);
    if (st.ok()) st = p->WaitReady();
  }
  if (!st.ok()) {
    p->Stop();
    return st;
  }
  return p;
}

Status PluginProcess::Launch(bool unix_socket) {
  std::vector<std::string> args = {path_, "serve", "--network", unix_socket ? "unix" : "tcp", "--address"};
  if (unix_socket) {
    socket_path_ = dir_ + "/plugin.sock";
    address_ = "unix:" + socket_path_;
    port_ = 0;
    args.push_back(socket_path_);
  } else {
    socket_path_.clear();
    port_ = FreeLoopbackPort();
    if (port_ <= 0) return Status::IOError(who_ + ": no free port on 127.0.0.1 for the plugin");
    address_ = "127.0.0.1:" + std::to_string(port_);
    args.push_back(address_);
  }
  for (const char* a : {"--log-format", "json", "--log-level"}) args.push_back(a);
  args.push_back(log_level_);

  // Everything the child needs is prepared before fork (no allocation after it).
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (KeepEnv(*e)) envp.push_back(*e);
  envp.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1}, exec_err[2] = {-1, -1};
  // Every descriptor made so far is closed on a failure before the fork's
  // hand-over: a plugin that cannot start leaks nothing.
  auto close_all = [&] {
    for (int* p : {out, err, exec_err})
      for (int i = 0; i < 2; ++i)
        if (p[i] >= 0) close(p[i]);
  };
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(exec_err, O_CLOEXEC) != 0) {
    const int e = errno;
    close_all();
    return Status::IOError(who_ + ": pipe: " + std::strerror(e));
  }
  const pid_t parent = getpid();
  const pid_t pid = ForkForPlugin();
  if (pid < 0) {
    const int e = errno;
    close_all();
    return Status::IOError(who_ + ": fork: " + std::strerror(e));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!write(exec_err[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before any kill
  pid_ = pid;
  Track(pid);
  close(out[1]);
  close(err[1]);
  close(exec_err[1]);
  int e = 0;
  ssize_t n;
  do n = read(exec_err[0], &e, sizeof e); while (n < 0 && errno == EINTR);
  close(exec_err[0]);
  out_reader_ = std::thread([this, fd = out[0]] { ReadStdout(fd); });
  err_reader_ = std::thread([this, fd = err[0]] { ReadStderr(fd); });
  if (n == static_cast<ssize_t>(sizeof e)) {
    Reap(true);
    return Status::Invalid(who_ + ": cannot run plugin " + path_ + ": " + std::strerror(e) +
                           " (`path` of a `registry: local` spec is the plugin's executable)");
  }
  return Status::OK();
}

Status PluginProcess::WaitReady() {
  const auto end = Clock::now() + kStartTimeout;
  while (Clock::now() < end) {
    if (CanConnect(socket_path_, port_)) return Status::OK();
    Reap(false);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (exited_) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string reason = ExitReason();
  if (!reason.empty()) {
    // Let the readers drain what the plugin wrote before it exited.
    JoinReaders();
    std::string tail = StderrTail();
    return Status::IOError(who_ + ": plugin " + path_ + " " + reason + " before serving on " + address_ +
                           (tail.empty() ? "" : "; its stderr: " + tail));
  }
  return Status::IOError(who_ + ": plugin " + path_ + " did not serve on " + address_ + " within " +
                         std::to_string(kStartTimeout.count()) + " s");
}

void PluginProcess::ReadStdout(int fd) {
  std::string buf;
  char chunk[8192];
  auto handle = [&](const std::string& line) {
    if (line.empty()) return;
    PluginLogLine l = ParsePluginLogLine(line);
    const log::Level level = LevelOf(l.level);
    if (!(defer_warnings_ && level == log::Level::kWarn)) log::Write(level, who_ + " (plugin): " + l.message);
    if (level == log::Level::kError || level == log::Level::kWarn) {
      std::lock_guard<std::mutex> lock(mu_);
      auto& lines = level == log::Level::kError ? errors_ : warnings_;
      if (lines.size() < 1000) lines.push_back(std::move(l));
      else ++(level == log::Level::kError ? errors_dropped_ : warnings_dropped_);
    }
  };
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    size_t pos;
    while ((pos = buf.find('\n')) != std::string::npos) {
      handle(Trim(buf.substr(0, pos)));
      buf.erase(0, pos + 1);
    }
  }
  handle(Trim(buf));
  close(fd);
}

void PluginProcess::ReadStderr(int fd) {
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string text(chunk, static_cast<size_t>(n));
    if (log::Enabled(log::Level::kDebug)) log::Debug(who_ + " (plugin stderr): " + Trim(text));
    std::lock_guard<std::mutex> lock(mu_);
    stderr_tail_ += text;
    if (stderr_tail_.size() > kStderrTail) stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
  }
  close(fd);
}

void PluginProcess::Reap(bool block) {
  std::lock_guard<std::mutex> lock(mu_);
  if (exited_ || pid_ <= 0) return;
  int st = 0;
  pid_t r;
  do r = waitpid(pid_, &st, block ? 0 : WNOHANG); while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    wait_status_ = st;
    Untrack(pid_);
  }
}

std::string PluginProcess::ExitReason() {
  Reap(false);
  std::lock_guard<std::mutex> lock(mu_);
  if (!exited_) return "";
  if (WIFEXITED(wait_status_)) {
    int code = WEXITSTATUS(wait_status_);
    return "exited with code " + std::to_string(code) + (code == 137 ? " (out of memory?)" : "");
  }
  if (WIFSIGNALED(wait_status_)) {
    int sig = WTERMSIG(wait_status_);
    const char* name = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "stopped";
}

std::string PluginProcess::StderrTail() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Trim(stderr_tail_);
}

std::vector<PluginLogLine> PluginProcess::TakeErrors(int64_t* dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dropped) *dropped = errors_dropped_;
  errors_dropped_ = 0;
  return std::exchange(errors_, {});
}

std::vector<PluginLogLine> PluginProcess::TakeWarnings(int64_t* dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dropped) *dropped = warnings_dropped_;
  warnings_dropped_ = 0;
  return std::exchange(warnings_, {});
}

void PluginProcess::JoinReaders() {
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

std::string PluginProcess::Stop() {
  if (pid_ > 0 && ExitReason().empty()) {
    kill(-pid_, SIGINT);
    const auto end = Clock::now() + kStopGrace;
    while (Clock::now() < end && ExitReason().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (ExitReason().empty()) {
      log::Warn(who_ + ": plugin " + path_ + " did not stop within 5 s of SIGINT; killing it");
      kill(-pid_, SIGKILL);
      Reap(true);
    }
  }
  // Children the plugin left in its group go too (they hold its pipes open).
  if (pid_ > 0) kill(-pid_, SIGKILL);
  JoinReaders();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  return ExitReason();
}

PluginProcess::~PluginProcess() { Stop(); }

}  // namespace ferry::rpc
