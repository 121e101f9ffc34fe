#include "plugins/source/host/host_source.h"

#include <algorithm>

#include "plugins/source/host/tables/tables.h"

namespace ferry::plugins::host {

Source::Source() : spec_(std::make_shared<const Spec>()) { Declare(); }

Status Source::Init(const Options& options, const SourceInit& init) {
  FERRY_ASSIGN_OR_RETURN(Spec spec, ParseSpec(options));
  spec_ = std::make_shared<const Spec>(std::move(spec));
  set_source_name(init.name);
  sdk::TableSourceOptions sched;
  sched.concurrency = static_cast<int>(std::min<int64_t>(spec_->concurrency, 1024));
  SetSchedulerOptions(sched);
  Declare();
  return Status::OK();
}

void Source::Declare() {
  std::vector<sdk::TableDef> tables;
  // The big tables first, so they start early on the worker threads.
  tables.push_back(PackagesTable(spec_));
  tables.push_back(ProcessesTable(spec_));
  tables.push_back(FilesTable(spec_));
  tables.push_back(SocketsTable(spec_));
  tables.push_back(LogLinesTable(spec_));
  tables.push_back(PackageHistoryTable(spec_));
  tables.push_back(SystemInfoTable(spec_));
  tables.push_back(InterfacesTable(spec_));
  tables.push_back(MountsTable(spec_));
  tables.push_back(BlockDevicesTable(spec_));
  tables.push_back(UsersTable(spec_));
  tables.push_back(GroupsTable(spec_));
  tables.push_back(KernelModulesTable(spec_));
  SetTables(std::move(tables));
}

SourcePlugin HostSourcePlugin() {
  SourcePlugin p;
  p.name = "host";
  p.description =
      "The machine Ferry runs on: system info, processes and their open files, network interfaces and sockets, "
      "mounts, block devices, users and groups, dpkg packages and their files and history, kernel modules, "
      "files under configured paths, and log files followed incrementally";
  p.options = SpecOptions();
  p.create = []() -> std::unique_ptr<ferry::Source> { return std::make_unique<Source>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddSource(HostSourcePlugin()); }

}  // namespace ferry::plugins::host
