// host_system_info: one row describing the machine.
#include <sys/utsname.h>
#include <unistd.h>

#include "plugins/source/host/parse/proc.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"

namespace ferry::plugins::host {

namespace {

std::string ReadOr(const std::string& path, Skips& skips) {
  std::string text;
  int err = ReadFile(path, &text);
  if (err != 0) {
    skips.Add("unreadable system files", ErrnoMessage(path, err));
    text.clear();
  }
  return text;
}

Status Resolve(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  Skips skips;
  char host[256] = {0};
  std::string hostname = ::gethostname(host, sizeof(host) - 1) == 0 ? host : "";
  struct utsname u {};
  const bool have_uname = ::uname(&u) == 0;

  std::string os_text;
  if (ReadFile("/etc/os-release", &os_text) != 0 && ReadFile("/usr/lib/os-release", &os_text) != 0) {
    skips.Add("unreadable system files", "/etc/os-release and /usr/lib/os-release");
    os_text.clear();
  }
  auto os = ParseOsRelease(os_text);
  auto get = [&](const char* k) { return os.count(k) ? os[k] : std::string(); };

  CpuInfo cpu = ParseCpuinfo(ReadOr("/proc/cpuinfo", skips));
  auto mem = ParseMeminfo(ReadOr("/proc/meminfo", skips));
  auto memv = [&](const char* k) { return mem.count(k) ? Value::Int(mem[k]) : Value::Null(); };
  auto boot = BootTimeMicros();
  auto uptime = ParseUptime(ReadOr("/proc/uptime", skips));
  auto load = ParseLoadavg(ReadOr("/proc/loadavg", skips));
  std::string machine_id = ReadAttr("/etc/machine-id");
  long online = ::sysconf(_SC_NPROCESSORS_ONLN);

  Row row{
      Value::String(hostname.empty() ? "localhost" : hostname),
      OptString(machine_id),
      OptString(get("PRETTY_NAME")),
      OptString(get("NAME")),
      OptString(get("ID")),
      OptString(get("VERSION_ID")),
      OptString(get("VERSION_CODENAME")),
      have_uname ? Value::String(u.sysname) : Value::Null(),
      have_uname ? Value::String(u.release) : Value::Null(),
      have_uname ? Value::String(u.version) : Value::Null(),
      have_uname ? Value::String(u.machine) : Value::Null(),
      boot ? Value::Int(*boot) : Value::Null(),
      uptime ? Value::Double(*uptime) : Value::Null(),
      OptString(cpu.model),
      OptString(cpu.vendor),
      cpu.logical > 0 ? Value::Int(cpu.logical) : (online > 0 ? Value::Int(online) : Value::Null()),
      cpu.physical_cores > 0 ? Value::Int(cpu.physical_cores) : Value::Null(),
      cpu.sockets > 0 ? Value::Int(cpu.sockets) : Value::Null(),
      cpu.mhz ? Value::Double(*cpu.mhz) : Value::Null(),
      memv("MemTotal"),
      memv("MemAvailable"),
      memv("MemFree"),
      memv("SwapTotal"),
      memv("SwapFree"),
      load ? Value::Double((*load)[0]) : Value::Null(),
      load ? Value::Double((*load)[1]) : Value::Null(),
      load ? Value::Double((*load)[2]) : Value::Null(),
  };
  FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
  skips.Report(ctx, kSystemInfo);
  return Status::OK();
}

}  // namespace

sdk::TableDef SystemInfoTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kSystemInfo;
  t.schema.title = "Host system information";
  t.schema.description =
      "One row about the machine Ferry runs on: host name, operating system (os-release), kernel (uname), "
      "boot time, CPU (/proc/cpuinfo), memory (/proc/meminfo) and load.";
  t.schema.columns = {
      Col("hostname", types::Utf8(), "Host name (gethostname)", true),
      Col("machine_id", types::Utf8(), "systemd machine ID from /etc/machine-id"),
      Col("os_pretty_name", types::Utf8(), "Operating system name and version (os-release PRETTY_NAME)"),
      Col("os_name", types::Utf8(), "Operating system name (os-release NAME)"),
      Col("os_id", types::Utf8(), "Operating system identifier, e.g. debian (os-release ID)"),
      Col("os_version_id", types::Utf8(), "Operating system version, e.g. 12 (os-release VERSION_ID)"),
      Col("os_version_codename", types::Utf8(), "Release code name, e.g. bookworm (os-release VERSION_CODENAME)"),
      Col("kernel_name", types::Utf8(), "Kernel name, e.g. Linux (uname sysname)"),
      Col("kernel_release", types::Utf8(), "Kernel release (uname release)"),
      Col("kernel_version", types::Utf8(), "Kernel build version (uname version)"),
      Col("architecture", types::Utf8(), "Hardware architecture, e.g. x86_64 (uname machine)"),
      Col("boot_time", types::Timestamp(), "When the system booted (/proc/stat btime)"),
      Col("uptime_seconds", types::Float64(), "Seconds since boot (/proc/uptime)"),
      Col("cpu_model", types::Utf8(), "CPU model name"),
      Col("cpu_vendor", types::Utf8(), "CPU vendor"),
      Col("cpu_logical_count", types::Int64(), "Logical CPUs (hardware threads)"),
      Col("cpu_physical_cores", types::Int64(), "Physical cores, when /proc/cpuinfo reports them"),
      Col("cpu_sockets", types::Int64(), "CPU packages (sockets), when /proc/cpuinfo reports them"),
      Col("cpu_mhz", types::Float64(), "Current clock of the first CPU in MHz"),
      Col("memory_total_bytes", types::Int64(), "Usable RAM (MemTotal)"),
      Col("memory_available_bytes", types::Int64(), "RAM available for new work without swapping (MemAvailable)"),
      Col("memory_free_bytes", types::Int64(), "Unused RAM (MemFree)"),
      Col("swap_total_bytes", types::Int64(), "Swap space (SwapTotal)"),
      Col("swap_free_bytes", types::Int64(), "Unused swap space (SwapFree)"),
      Col("load_average_1m", types::Float64(), "Load average over 1 minute"),
      Col("load_average_5m", types::Float64(), "Load average over 5 minutes"),
      Col("load_average_15m", types::Float64(), "Load average over 15 minutes"),
  };
  t.resolve = Resolve;
  return t;
}

}  // namespace ferry::plugins::host
