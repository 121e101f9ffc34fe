// host_mounts (/proc/self/mountinfo and statvfs(3)) and host_block_devices
// (/sys/class/block).
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>

#include "plugins/source/host/parse/system.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

Status ResolveMounts(SpecPtr spec, const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  Skips skips;
  std::string text;
  int err = ReadFile("/proc/self/mountinfo", &text, int64_t{64} << 20);
  if (err != 0) {
    ctx.Warning(kMounts, "no mounts listed: " + ErrnoMessage("/proc/self/mountinfo", err));
    return Status::OK();
  }
  int64_t bad = 0;
  for (auto& m : ParseMountinfo(text, &bad)) {
    const bool skip_usage = std::find(spec->statfs_skip_types.begin(), spec->statfs_skip_types.end(), m.fs_type) !=
                            spec->statfs_skip_types.end();
    struct statvfs sv {};
    bool have = false;
    if (!skip_usage) {
      if (::statvfs(m.mount_point.c_str(), &sv) == 0) have = true;
      else if (!IsGone(errno)) skips.Add("mounts whose usage is not readable", ErrnoMessage(m.mount_point, errno));
    }
    const int64_t frsize = static_cast<int64_t>(sv.f_frsize ? sv.f_frsize : sv.f_bsize);
    auto bytes = [&](fsblkcnt_t blocks) { return have ? Value::Int(static_cast<int64_t>(blocks) * frsize) : Value::Null(); };
    auto count = [&](fsfilcnt_t n) { return have ? Value::Int(static_cast<int64_t>(n)) : Value::Null(); };
    std::vector<Value> options;
    for (std::string_view o : Split(m.mount_options, ',')) options.push_back(Value::String(std::string(o)));
    Row row{
        Value::Int(m.mount_id),
        Value::Int(m.parent_id),
        Value::String(ToValidUtf8(m.mount_point)),
        Value::String(ToValidUtf8(m.source)),
        Value::String(m.fs_type),
        Value::String(ToValidUtf8(m.root)),
        Value::String(std::to_string(m.major) + ":" + std::to_string(m.minor)),
        Value::List(std::move(options)),
        Value::String(m.super_options),
        Value::Bool(m.mount_options == "ro" || StartsWith(m.mount_options, "ro,")),
        bytes(sv.f_blocks),
        have ? Value::Int(static_cast<int64_t>(sv.f_blocks - sv.f_bfree) * frsize) : Value::Null(),
        bytes(sv.f_bfree),
        bytes(sv.f_bavail),
        count(sv.f_files),
        count(sv.f_ffree),
    };
    FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
  }
  for (int64_t i = 0; i < bad; ++i) skips.Add("malformed mountinfo lines skipped", "");
  skips.Report(ctx, kMounts);
  return Status::OK();
}

Value AttrInt(const std::string& path) { return OptInt(ParseInt(ReadAttr(path))); }

Status ResolveBlockDevices(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  Skips skips;
  std::vector<std::string> names;
  int err = ListDir("/sys/class/block", &names);
  if (err != 0) {
    ctx.Warning(kBlockDevices, "no block devices listed: " + ErrnoMessage("/sys/class/block", err));
    return Status::OK();
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const std::string dir = "/sys/class/block/" + name;
    std::string dev = ReadAttr(dir + "/dev");
    if (dev.empty()) {
      skips.Add("block devices skipped because they vanished while being read", name);
      continue;
    }
    const bool partition = !ReadAttr(dir + "/partition").empty();
    // A partition's sysfs directory sits inside its disk's: .../block/sda/sda1.
    std::string parent;
    if (partition) {
      std::string target;
      if (ReadLink(dir, &target) == 0) {
        std::vector<std::string_view> parts = Split(target, '/');
        if (parts.size() >= 2) parent = std::string(parts[parts.size() - 2]);
      }
    }
    // Disk attributes live on the disk; a partition shares its disk's.
    const std::string disk_dir = partition && !parent.empty() ? "/sys/class/block/" + parent : dir;
    auto size = ParseInt(ReadAttr(dir + "/size"));  // always 512-byte sectors
    std::string type = partition ? "partition" : "disk";
    if (StartsWith(name, "loop")) type = partition ? "partition" : "loop";
    else if (!ReadAttr(dir + "/dm/name").empty()) type = "dm";
    else if (StartsWith(name, "zram")) type = "zram";
    else if (StartsWith(name, "ram")) type = "ram";
    else if (StartsWith(name, "sr")) type = "rom";
    auto flag = [&](const std::string& path) {
      auto v = ParseInt(ReadAttr(path));
      return v ? Value::Bool(*v != 0) : Value::Null();
    };
    Row row{
        Value::String(name),
        Value::String("/dev/" + name),
        Value::String(dev),
        Value::String(type),
        size ? Value::Int(*size * 512) : Value::Null(),
        flag(dir + "/ro"),
        flag(disk_dir + "/removable"),
        flag(disk_dir + "/queue/rotational"),
        OptString(ReadAttr(disk_dir + "/device/vendor")),
        OptString(ReadAttr(disk_dir + "/device/model")),
        OptString(ReadAttr(disk_dir + "/serial").empty() ? ReadAttr(disk_dir + "/device/serial")
                                                         : ReadAttr(disk_dir + "/serial")),
        OptString(parent),
        partition ? AttrInt(dir + "/partition") : Value::Null(),
        OptString(ReadAttr(dir + "/loop/backing_file")),
        OptString(ReadAttr(dir + "/dm/name")),
    };
    FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
  }
  skips.Report(ctx, kBlockDevices);
  return Status::OK();
}

}  // namespace

sdk::TableDef MountsTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kMounts;
  t.schema.title = "Host mounts";
  t.schema.description =
      "Mounted filesystems as Ferry's mount namespace sees them (/proc/self/mountinfo) with their usage "
      "(statvfs). Usage is null for types in statfs_skip_types and where unreadable.";
  t.schema.columns = {
      Col("mount_id", types::Int64(), "Mount ID (unique while mounted)", true),
      Col("parent_id", types::Int64(), "Mount ID of the parent mount"),
      Col("mount_point", types::Utf8(), "Where it is mounted"),
      Col("source", types::Utf8(), "Mounted device or source, e.g. /dev/sda1, tmpfs, server:/export"),
      Col("fs_type", types::Utf8(), "Filesystem type, e.g. ext4, tmpfs, overlay"),
      Col("root", types::Utf8(), "Directory of the filesystem that is mounted (/ unless a bind mount)"),
      Col("device", types::Utf8(), "major:minor of the filesystem's device"),
      Col("options", types::List(types::Utf8()), "Per-mount options, e.g. rw, nosuid, relatime"),
      Col("super_options", types::Utf8(), "Per-filesystem (superblock) options"),
      Col("read_only", types::Bool(), "Mounted read-only"),
      Col("total_bytes", types::Int64(), "Size of the filesystem"),
      Col("used_bytes", types::Int64(), "Bytes in use (total - free)"),
      Col("free_bytes", types::Int64(), "Free bytes, including those reserved for root"),
      Col("available_bytes", types::Int64(), "Free bytes available to unprivileged users"),
      Col("total_inodes", types::Int64(), "Number of inodes"),
      Col("free_inodes", types::Int64(), "Free inodes"),
  };
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) { return ResolveMounts(spec, ctx, w); };
  return t;
}

sdk::TableDef BlockDevicesTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kBlockDevices;
  t.schema.title = "Host block devices";
  t.schema.description = "Disks, partitions, loop, device-mapper and RAM devices (/sys/class/block).";
  t.schema.columns = {
      Col("name", types::Utf8(), "Kernel name, e.g. sda, sda1, nvme0n1, loop0", true),
      Col("path", types::Utf8(), "Device node, /dev/<name>"),
      Col("device", types::Utf8(), "major:minor"),
      Col("type", types::Utf8(), "disk, partition, loop, dm, zram, ram or rom"),
      Col("size_bytes", types::Int64(), "Size"),
      Col("read_only", types::Bool(), "Read-only"),
      Col("removable", types::Bool(), "Removable media (of the disk, for partitions)"),
      Col("rotational", types::Bool(), "Spinning disk (of the disk, for partitions)"),
      Col("vendor", types::Utf8(), "Device vendor, where reported"),
      Col("model", types::Utf8(), "Device model, where reported"),
      Col("serial", types::Utf8(), "Serial number, where reported"),
      Col("parent", types::Utf8(), "Disk a partition belongs to"),
      Col("partition_number", types::Int64(), "Partition number"),
      Col("backing_file", types::Utf8(), "File behind a loop device"),
      Col("dm_name", types::Utf8(), "Device-mapper name, e.g. vg0-root"),
  };
  t.resolve = ResolveBlockDevices;
  return t;
}

}  // namespace ferry::plugins::host
