// host_packages (dpkg's status file) and its relation host_package_files
// (the file lists dpkg keeps in <dpkg_dir>/info).
#include <cerrno>

#include "plugins/source/host/parse/dpkg.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

Status ResolvePackages(SpecPtr spec, const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  const std::string path = spec->dpkg_dir + "/status";
  std::string text;
  int err = ReadFile(path, &text, int64_t{1} << 30);
  if (err != 0) {
    // Not a Debian-based system (or a container without dpkg): no rows, one warning.
    ctx.Warning(kPackages, "no dpkg database: " + ErrnoMessage(path, err));
    return Status::OK();
  }
  int64_t bad = 0;
  for (auto& p : ParseDpkgStatus(text, &bad)) {
    std::string state = p.State();
    Row row{
        Value::String(p.name),
        Value::String(p.architecture),
        OptString(p.version),
        OptString(p.status),
        OptString(state),
        Value::Bool(state == "installed"),
        p.installed_size_kib ? Value::Int(*p.installed_size_kib * 1024) : Value::Null(),
        OptString(ToValidUtf8(p.maintainer)),
        OptString(p.section),
        OptString(p.priority),
        Value::String(p.source.empty() ? p.name : p.source),
        OptString(p.source_version.empty() ? p.version : p.source_version),
        OptString(ToValidUtf8(p.summary)),
        OptString(p.homepage),
        OptString(p.multi_arch),
        Value::Bool(p.essential),
        OptString(p.depends),
    };
    FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
  }
  if (bad > 0) ctx.Warning(kPackages, std::to_string(bad) + " paragraphs without a Package field skipped in " + path);
  return Status::OK();
}

Status ResolvePackageFiles(SpecPtr spec, const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  DpkgPackage p;
  const Value& name = ctx.ParentValue("name");
  const Value& arch = ctx.ParentValue("architecture");
  const Value& multi = ctx.ParentValue("multi_arch");
  if (name.is_null()) return Status::OK();
  p.name = name.as_string();
  p.architecture = arch.is_null() ? "" : arch.as_string();
  p.multi_arch = multi.is_null() ? "" : multi.as_string();
  std::string text;
  std::string path;
  int err = ENOENT;
  for (const auto& file : DpkgListFileNames(p)) {
    path = spec->dpkg_dir + "/info/" + file;
    err = ReadFile(path, &text, int64_t{1} << 30);
    if (err == 0 || !IsGone(err)) break;
  }
  if (IsGone(err)) return Status::OK();  // packages that are not unpacked have no file list
  if (err != 0) {
    ctx.Warning(kPackageFiles, "file list not readable: " + ErrnoMessage(path, err));
    return Status::OK();
  }
  for (std::string_view line : Split(text, '\n')) {
    if (line.empty() || line == "/." ) continue;
    FERRY_RETURN_NOT_OK(w.Write({name, arch, Value::String(ToValidUtf8(line))}));
  }
  return Status::OK();
}

sdk::TableDef PackageFilesTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kPackageFiles;
  t.schema.title = "Host package files";
  t.schema.description =
      "Files and directories each package installed, from dpkg's lists (<dpkg_dir>/info/<package>.list).";
  t.schema.columns = {
      Col("package", types::Utf8(), "Package name (host_packages.name)", true),
      Col("architecture", types::Utf8(), "Package architecture (host_packages.architecture)", true),
      Col("path", types::Utf8(), "Installed path", true),
  };
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) { return ResolvePackageFiles(spec, ctx, w); };
  return t;
}

}  // namespace

sdk::TableDef PackagesTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kPackages;
  t.schema.title = "Host packages";
  t.schema.description =
      "Packages in dpkg's database (<dpkg_dir>/status): installed ones and those removed with their "
      "configuration kept (state config-files). Empty, with one warning, on systems without dpkg.";
  t.schema.columns = {
      Col("name", types::Utf8(), "Package name", true),
      Col("architecture", types::Utf8(), "Architecture: amd64, arm64, all, ...", true),
      Col("version", types::Utf8(), "Installed version"),
      Col("status", types::Utf8(), "dpkg status: want, error flag and state, e.g. `install ok installed`"),
      Col("state", types::Utf8(), "Package state: installed, config-files, half-installed, unpacked, ..."),
      Col("installed", types::Bool(), "Fully installed (state installed)"),
      Col("installed_size_bytes", types::Int64(), "Disk space the package uses (Installed-Size)"),
      Col("maintainer", types::Utf8(), "Maintainer"),
      Col("section", types::Utf8(), "Archive section, e.g. libs, net, admin"),
      Col("priority", types::Utf8(), "Priority: required, important, standard, optional"),
      Col("source", types::Utf8(), "Source package it was built from"),
      Col("source_version", types::Utf8(), "Version of the source package"),
      Col("summary", types::Utf8(), "One-line description"),
      Col("homepage", types::Utf8(), "Upstream home page"),
      Col("multi_arch", types::Utf8(), "Multi-Arch: same, foreign, allowed"),
      Col("essential", types::Bool(), "Essential package (removal breaks the system)"),
      Col("depends", types::Utf8(), "Depends field, as dpkg records it"),
  };
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) { return ResolvePackages(spec, ctx, w); };
  t.relations.push_back(PackageFilesTable(spec));
  return t;
}

}  // namespace ferry::plugins::host
