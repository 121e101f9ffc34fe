#include "testing/plugin_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

#include "rpc/net.h"
#include "testing/cli_runner.h"

namespace ferry::testing {

int FreePort() { return rpc::FreeLoopbackPort(); }
bool CanConnectTcp(int port) { return rpc::CanConnect("", port); }
bool CanConnectUnix(const std::string& path) { return rpc::CanConnect(path, 0); }

ServedFerry::ServedFerry(const std::string& kind, const std::string& name, const std::string& cwd) {
  port_ = FreePort();
  pid_ = StartFerry({"plugin", "serve", kind, name, "--address", address()}, cwd);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < end) {
    if (CanConnectTcp(port_)) {
      ok_ = true;
      return;
    }
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int ServedFerry::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < end) {
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

ServedFerry::~ServedFerry() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string WriteFerryPluginWrapper(const std::string& dir, const std::string& name, const std::string& kind,
                                    const std::string& plugin) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path);
  out << "#!/bin/sh\n"
      << "# Ferry's " << plugin << " " << kind << " as a CloudQuery-style plugin binary.\n"
      << "echo $$ > '" << path << ".pid'\n"
      << "[ \"$1\" = serve ] && shift\n"
      << "exec '" << FERRY_BINARY << "' plugin serve " << kind << " " << plugin << " \"$@\"\n";
  out.close();
  chmod(path.c_str(), 0755);
  return path;
}

bool WrapperRunning(const std::string& wrapper) {
  std::ifstream in(wrapper + ".pid");
  int pid = 0;
  if (!(in >> pid) || pid <= 0) return false;
  // A zombie is gone for our purposes: it is only waiting to be reaped.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_s, comm, state;
  if (!(stat >> pid_s >> comm >> state)) return false;
  return state != "Z";
}

ServedSdkPlugin::ServedSdkPlugin(const std::string& dir, const std::string& binary, const std::vector<std::string>& env,
                                 const std::string& log_name) {
  for (int attempt = 0; attempt < 3 && !ok_; ++attempt) Start(dir, binary, env, log_name);
}

ServedSdkPlugin::~ServedSdkPlugin() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ServedSdkPlugin::Log() const {
  std::ifstream in(log_, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void ServedSdkPlugin::Start(const std::string& dir, const std::string& binary, const std::vector<std::string>& env,
                            const std::string& log_name) {
  if (pid_ > 0) {  // an earlier attempt that never listened
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  port_ = FreePort();
  log_ = dir + "/" + log_name + "-" + std::to_string(port_) + ".log";
  // Everything the child needs is made before fork.
  std::vector<std::string> args = {"/usr/bin/env"};
  args.insert(args.end(), env.begin(), env.end());
  args.insert(args.end(), {binary, "serve", "--address", address(), "--log-format", "json"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fd);
  if (pid_ < 0) return;
  setpgid(pid_, pid_);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    if (CanConnectTcp(port_)) {
      ok_ = true;
      return;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace ferry::testing
