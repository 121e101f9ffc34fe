// host_processes and its relation host_process_open_files, from /proc/<pid>.
#include <algorithm>

#include "plugins/source/host/parse/proc.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

constexpr const char* kExited = "processes skipped because they exited while being read";

// Per-sync state of the process table's one client, shared by its resolver
// and the open-files relation (both run on the same task thread, in turn:
// the table's relations_inline).
struct ProcessScan {
  Accounts accounts = Accounts::Load();
  std::optional<int64_t> boot_us = BootTimeMicros();
  Skips open_file_skips;  // filled by the relation, reported by the parent
};

ProcessScan& ScanOf(const sdk::ResolveContext& ctx) {
  // The multiplexer made the data; it is mutable per-sync state owned by this task.
  return *const_cast<ProcessScan*>(static_cast<const ProcessScan*>(ctx.client.data.get()));
}

std::vector<int64_t> ListPids(Skips& skips) {
  std::vector<std::string> names;
  std::vector<int64_t> pids;
  int err = ListDir("/proc", &names);
  if (err != 0) skips.Add("/proc is not readable", ErrnoMessage("/proc", err));
  for (const auto& n : names)
    if (auto pid = ParseInt(n); pid && *pid > 0) pids.push_back(*pid);
  std::sort(pids.begin(), pids.end());
  return pids;
}

// Reads one process into a row; nullopt (and a tally) when it vanished or is unreadable.
std::optional<Row> ReadProcess(int64_t pid, const ProcessScan& scan, Skips& skips) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::string stat_text, status_text, cmdline_text;
  int err = ReadFile(dir + "/stat", &stat_text);
  if (err == 0) err = ReadFile(dir + "/status", &status_text);
  if (err == 0) err = ReadFile(dir + "/cmdline", &cmdline_text, 1 << 20);
  if (err != 0) {
    if (IsGone(err)) skips.Add(kExited, "pid " + std::to_string(pid));
    else skips.Add("processes skipped because /proc/<pid> was not readable", ErrnoMessage(dir, err));
    return std::nullopt;
  }
  auto st = ParseProcStat(stat_text);
  if (!st) {
    skips.Add("processes skipped because /proc/<pid>/stat could not be parsed", "pid " + std::to_string(pid));
    return std::nullopt;
  }
  ProcStatus status = ParseProcStatus(status_text);
  std::vector<std::string> argv = ParseCmdline(cmdline_text);
  std::string cmdline;
  std::vector<Value> argv_values;
  for (const auto& a : argv) {
    std::string s = ToValidUtf8(a);
    cmdline += (cmdline.empty() ? "" : " ") + s;
    argv_values.push_back(Value::String(std::move(s)));
  }
  // exe and cwd need ptrace access to the process: null when denied, quietly.
  std::string exe, cwd;
  if (ReadLink(dir + "/exe", &exe) != 0) exe.clear();
  if (ReadLink(dir + "/cwd", &cwd) != 0) cwd.clear();
  const int64_t ticks = ClockTicks();
  Value start = scan.boot_us ? Value::Int(*scan.boot_us + static_cast<int64_t>(st->start_ticks) * 1000000 / ticks)
                             : Value::Null();
  std::string user = status.euid ? scan.accounts.User(*status.euid) : "";
  return Row{
      Value::Int(pid),
      Value::Int(st->ppid),
      Value::String(ToValidUtf8(status.name.empty() ? st->comm : status.name)),
      Value::String(std::move(cmdline)),
      Value::List(std::move(argv_values)),
      OptString(ToValidUtf8(exe)),
      OptString(ToValidUtf8(cwd)),
      Value::String(std::string(1, st->state)),
      Value::String(ProcStateName(st->state)),
      OptInt(status.uid),
      OptInt(status.euid),
      OptInt(status.gid),
      OptInt(status.egid),
      OptString(user),
      Value::Int(st->num_threads),
      Value::Int(st->nice),
      Value::Int(st->priority),
      Value::Int(st->rss_pages * PageSize()),
      Value::Int(static_cast<int64_t>(st->vsize_bytes)),
      Value::Int(static_cast<int64_t>(st->utime_ticks * 1000 / ticks)),
      Value::Int(static_cast<int64_t>(st->stime_ticks * 1000 / ticks)),
      std::move(start),
      Value::Int(st->pgrp),
      Value::Int(st->session),
      Value::Int(st->tty_nr),
  };
}

Status ResolveProcesses(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  ProcessScan& scan = ScanOf(ctx);
  Skips skips;
  for (int64_t pid : ListPids(skips)) {
    std::optional<Row> row = ReadProcess(pid, scan, skips);
    if (row) FERRY_RETURN_NOT_OK(w.Write(std::move(*row)));
  }
  skips.Report(ctx, kProcesses);
  scan.open_file_skips.Report(ctx, kProcessOpenFiles);
  return Status::OK();
}

// One open file descriptor: its kind and what it points at.
Row OpenFileRow(int64_t pid, int64_t fd, const std::string& target) {
  std::string type = "other", path;
  std::optional<int64_t> inode;
  bool deleted = false;
  auto bracketed = [&](const char* prefix) -> bool {
    if (!StartsWith(target, prefix) || target.back() != ']') return false;
    size_t open = target.find('[');
    inode = ParseInt(std::string_view(target).substr(open + 1, target.size() - open - 2));
    return true;
  };
  if (!target.empty() && target[0] == '/') {
    type = "file";
    path = target;
    const std::string suffix = " (deleted)";
    if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      deleted = true;
      path.resize(path.size() - suffix.size());
    }
  } else if (bracketed("socket:[")) {
    type = "socket";
  } else if (bracketed("pipe:[")) {
    type = "pipe";
  } else if (StartsWith(target, "anon_inode:")) {
    type = "anon_inode";
  }
  return {Value::Int(pid),        Value::Int(fd),           Value::String(type), OptString(ToValidUtf8(path)),
          Value::String(ToValidUtf8(target)), OptInt(inode), Value::Bool(deleted)};
}

Status ResolveOpenFiles(int64_t max_files, const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  ProcessScan& scan = ScanOf(ctx);
  const Value& pid_value = ctx.ParentValue("pid");
  if (pid_value.is_null() || max_files == 0) return Status::OK();
  const int64_t pid = pid_value.as_int();
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::vector<std::string> names;
  int err = ListDir(dir, &names);
  if (IsDenied(err)) {
    scan.open_file_skips.Add("processes whose open files are not readable (permission denied)",
                             "pid " + std::to_string(pid));
    return Status::OK();
  }
  if (err != 0) return Status::OK();  // exited since its row was read
  std::vector<int64_t> fds;
  for (const auto& n : names)
    if (auto fd = ParseInt(n)) fds.push_back(*fd);
  std::sort(fds.begin(), fds.end());
  const bool over = static_cast<int64_t>(fds.size()) > max_files;
  if (over) fds.resize(static_cast<size_t>(max_files));
  for (int64_t fd : fds) {
    std::string target;
    err = ReadLink(dir + "/" + std::to_string(fd), &target);
    if (IsDenied(err)) {  // listing fd/ may be allowed while reading the links is not
      scan.open_file_skips.Add("processes whose open files are not readable (permission denied)",
                               "pid " + std::to_string(pid));
      return Status::OK();
    }
    if (err != 0) continue;  // closed meanwhile
    FERRY_RETURN_NOT_OK(w.Write(OpenFileRow(pid, fd, target)));
  }
  if (over)
    scan.open_file_skips.Add("processes with more open files than max_open_files_per_process (the rest not listed)",
                             "pid " + std::to_string(pid));
  return Status::OK();
}

sdk::TableDef OpenFilesTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kProcessOpenFiles;
  t.schema.title = "Host process open files";
  t.schema.description =
      "Open file descriptors of each process (/proc/<pid>/fd), where readable: files, sockets, pipes. Join "
      "sockets to host_sockets on inode. Other users' processes need root (with ptrace rights) to be listed; "
      "at most max_open_files_per_process rows per process.";
  t.schema.columns = {
      Col("pid", types::Int64(), "Process ID (host_processes.pid)", true),
      Col("fd", types::Int64(), "File descriptor number", true),
      Col("type", types::Utf8(), "file, socket, pipe, anon_inode or other"),
      Col("path", types::Utf8(), "Path of an open file (type file)"),
      Col("target", types::Utf8(), "The descriptor's link target as the kernel shows it, e.g. socket:[12345]"),
      Col("inode", types::Int64(), "Inode of a socket or pipe (host_sockets.inode for sockets)"),
      Col("deleted", types::Bool(), "The open file has been deleted from the filesystem"),
  };
  const int64_t max_files = spec->max_open_files_per_process;
  t.resolve = [max_files](const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
    return ResolveOpenFiles(max_files, ctx, w);
  };
  return t;
}

}  // namespace

sdk::TableDef ProcessesTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kProcesses;
  t.schema.title = "Host processes";
  t.schema.description =
      "Running processes (/proc/<pid>/stat, status, cmdline): identity, owner, state, memory, CPU time and start "
      "time. exe and cwd are null where the process is not readable (other users' processes without root).";
  t.schema.columns = {
      Col("pid", types::Int64(), "Process ID", true),
      Col("parent_pid", types::Int64(), "Parent process ID"),
      Col("name", types::Utf8(), "Process name (the kernel's comm, at most 15 characters)"),
      Col("cmdline", types::Utf8(), "Command line, arguments joined by spaces (empty for kernel threads)"),
      Col("argv", types::List(types::Utf8()), "Command line arguments"),
      Col("exe", types::Utf8(), "Path of the executable, where readable"),
      Col("cwd", types::Utf8(), "Current working directory, where readable"),
      Col("state_code", types::Utf8(), "State letter as in ps(1): R, S, D, Z, T, I, ..."),
      Col("state", types::Utf8(), "State: running, sleeping, disk-sleep, zombie, stopped, idle, ..."),
      Col("uid", types::Int64(), "Real user ID"),
      Col("euid", types::Int64(), "Effective user ID"),
      Col("gid", types::Int64(), "Real group ID"),
      Col("egid", types::Int64(), "Effective group ID"),
      Col("user_name", types::Utf8(), "Name of the effective user, from /etc/passwd"),
      Col("threads", types::Int64(), "Number of threads"),
      Col("nice", types::Int64(), "Nice value (-20..19)"),
      Col("priority", types::Int64(), "Kernel scheduling priority"),
      Col("rss_bytes", types::Int64(), "Resident memory"),
      Col("virtual_bytes", types::Int64(), "Virtual memory size"),
      Col("user_time_ms", types::Int64(), "CPU time spent in user mode, milliseconds"),
      Col("system_time_ms", types::Int64(), "CPU time spent in kernel mode, milliseconds"),
      Col("start_time", types::Timestamp(), "When the process started"),
      Col("process_group", types::Int64(), "Process group ID"),
      Col("session", types::Int64(), "Session ID"),
      Col("tty_nr", types::Int64(), "Controlling terminal device number (0: none)"),
  };
  t.multiplex = []() {
    return std::vector<sdk::Client>{sdk::Client{"local", std::make_shared<ProcessScan>()}};
  };
  t.resolve = ResolveProcesses;
  t.relations.push_back(OpenFilesTable(spec));
  // The relation fills the scan's open-file skips, which the parent reports
  // when it returns: one row's open files at a time, on the parent's thread.
  t.relations_inline = true;
  return t;
}

}  // namespace ferry::plugins::host
