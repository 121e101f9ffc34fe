// host_sockets: TCP and UDP sockets of /proc/net/{tcp,tcp6,udp,udp6}, joined
// to their owning process through the socket inodes of /proc/<pid>/fd.
#include <algorithm>
#include <unordered_map>

#include "plugins/source/host/parse/net.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

struct Owner {
  int64_t pid;
  std::string name;
};

// Socket inode -> the lowest pid holding it (sockets can be shared after
// fork). Processes whose fds are not readable are skipped quietly: their
// sockets keep a null pid.
std::unordered_map<uint64_t, Owner> SocketOwners() {
  std::unordered_map<uint64_t, Owner> owners;
  std::vector<std::string> procs, fds;
  if (ListDir("/proc", &procs) != 0) return owners;
  std::vector<int64_t> pids;
  for (const auto& p : procs)
    if (auto pid = ParseInt(p); pid && *pid > 0) pids.push_back(*pid);
  std::sort(pids.begin(), pids.end());
  std::string target;
  for (int64_t pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid);
    if (ListDir(dir + "/fd", &fds) != 0) continue;
    std::string comm;
    for (const auto& fd : fds) {
      if (ReadLink(dir + "/fd/" + fd, &target) != 0 || !StartsWith(target, "socket:[")) continue;
      auto inode = ParseUInt(std::string_view(target).substr(8, target.size() - 9));
      if (!inode || owners.count(*inode)) continue;
      if (comm.empty()) comm = ReadAttr(dir + "/comm");
      owners.emplace(*inode, Owner{pid, ToValidUtf8(comm)});
    }
  }
  return owners;
}

Status ResolveSockets(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  Skips skips;
  Accounts accounts = Accounts::Load();
  auto owners = SocketOwners();
  struct Source {
    const char* file;
    const char* protocol;
    bool v6;
  };
  const Source sources[] = {{"/proc/net/tcp", "tcp", false},
                            {"/proc/net/tcp6", "tcp", true},
                            {"/proc/net/udp", "udp", false},
                            {"/proc/net/udp6", "udp", true}};
  for (const auto& src : sources) {
    std::string text;
    int err = ReadFile(src.file, &text, int64_t{256} << 20);
    if (err != 0) {
      // No IPv6 in the kernel, or /proc/net hidden: a table the machine cannot provide.
      skips.Add("socket tables not readable", ErrnoMessage(src.file, err));
      continue;
    }
    int64_t bad = 0;
    const bool tcp = src.protocol[0] == 't';
    for (auto& s : ParseInetSockets(text, src.v6, &bad)) {
      const Owner* owner = nullptr;
      if (s.inode != 0) {
        auto it = owners.find(s.inode);
        if (it != owners.end()) owner = &it->second;
      }
      const bool listening = tcp ? s.state == 10 : (s.state == 7 && s.remote_port == 0);
      Row row{
          Value::String(src.protocol),
          Value::String(src.v6 ? "ipv6" : "ipv4"),
          Value::String(s.local_address),
          Value::Int(s.local_port),
          Value::String(s.remote_address),
          Value::Int(s.remote_port),
          Value::Int(static_cast<int64_t>(s.inode)),
          Value::String(SocketStateName(s.state, tcp)),
          Value::Bool(listening),
          Value::Int(s.uid),
          OptString(accounts.User(s.uid)),
          owner ? Value::Int(owner->pid) : Value::Null(),
          owner ? Value::String(owner->name) : Value::Null(),
          Value::Int(s.tx_queue),
          Value::Int(s.rx_queue),
      };
      FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
    }
    for (int64_t i = 0; i < bad; ++i) skips.Add("malformed socket table lines skipped", src.file);
  }
  skips.Report(ctx, kSockets);
  return Status::OK();
}

}  // namespace

sdk::TableDef SocketsTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kSockets;
  t.schema.title = "Host network sockets";
  t.schema.description =
      "TCP and UDP sockets over IPv4 and IPv6 in the network namespace Ferry runs in (/proc/net/tcp, tcp6, udp, "
      "udp6): listening, established and closing. pid and process_name name the owning process where its "
      "/proc/<pid>/fd is readable (root sees all).";
  t.schema.columns = {
      Col("protocol", types::Utf8(), "tcp or udp", true),
      Col("family", types::Utf8(), "ipv4 or ipv6"),
      Col("local_address", types::Inet(), "Local address, e.g. 127.0.0.1/32 (0.0.0.0/32 or ::/128: all addresses)",
          true),
      Col("local_port", types::Int64(), "Local port", true),
      Col("remote_address", types::Inet(), "Remote address (0.0.0.0/32 or ::/128 when not connected)", true),
      Col("remote_port", types::Int64(), "Remote port (0 when not connected)", true),
      Col("inode", types::Int64(), "Socket inode (0 for sockets without a file, e.g. TIME_WAIT); "
                                   "host_process_open_files.inode", true),
      Col("state", types::Utf8(), "LISTEN, ESTABLISHED, TIME_WAIT, ... for TCP; UNCONN or ESTABLISHED for UDP"),
      Col("listening", types::Bool(), "A TCP socket in LISTEN, or an unconnected bound UDP socket"),
      Col("uid", types::Int64(), "User ID that owns the socket"),
      Col("user_name", types::Utf8(), "Name of that user, from /etc/passwd"),
      Col("pid", types::Int64(), "Process holding the socket (the lowest pid when shared), where readable"),
      Col("process_name", types::Utf8(), "Name of that process"),
      Col("tx_queue", types::Int64(), "Bytes in the send queue"),
      Col("rx_queue", types::Int64(), "Bytes in the receive queue (for LISTEN: pending connections)"),
  };
  t.resolve = ResolveSockets;
  return t;
}

}  // namespace ferry::plugins::host
