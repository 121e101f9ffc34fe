// The tables of the `host` source, one factory per top-level table (child
// tables are relations of their parent). Each factory captures the shared,
// read-only Spec; resolvers read the live system on every sync, keep their
// state on their own stack, and turn unreadable entries into warnings
// (Skips) rather than errors. A table fails only when its resolver cannot
// run at all (for example a corrupt log cursor).
#pragma once

#include "ferry/sdk/table_source.h"
#include "plugins/source/host/tables/common.h"

namespace ferry::plugins::host {

sdk::TableDef SystemInfoTable(SpecPtr spec);     // host_system_info
sdk::TableDef ProcessesTable(SpecPtr spec);      // host_processes, host_process_open_files
sdk::TableDef InterfacesTable(SpecPtr spec);     // host_interfaces, host_interface_addresses
sdk::TableDef SocketsTable(SpecPtr spec);        // host_sockets
sdk::TableDef MountsTable(SpecPtr spec);         // host_mounts
sdk::TableDef BlockDevicesTable(SpecPtr spec);   // host_block_devices
sdk::TableDef UsersTable(SpecPtr spec);          // host_users
sdk::TableDef GroupsTable(SpecPtr spec);         // host_groups
sdk::TableDef PackagesTable(SpecPtr spec);       // host_packages, host_package_files
sdk::TableDef PackageHistoryTable(SpecPtr spec); // host_package_history (incremental)
sdk::TableDef KernelModulesTable(SpecPtr spec);  // host_kernel_modules
sdk::TableDef FilesTable(SpecPtr spec);          // host_files
sdk::TableDef LogLinesTable(SpecPtr spec);       // host_log_lines (incremental)

}  // namespace ferry::plugins::host
