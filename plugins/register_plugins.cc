// The one list of built-in integrations. Add a new integration here.
#include "ferry/registry.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/null/null_destination.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/sqlite/sqlite_destination.h"
#include "plugins/source/host/host_source.h"
#include "plugins/source/test/test_source.h"

namespace ferry {

void RegisterBuiltins(Registry& registry) {
  registry.AddSource(plugins::test::TestSourcePlugin());
  registry.AddSource(plugins::host::HostSourcePlugin());
  registry.AddDestination(plugins::sqlite::SqlitePlugin());
  registry.AddDestination(plugins::null_dest::NullPlugin());
  registry.AddDestination(plugins::clickhouse::ClickHousePlugin());
  registry.AddDestination(plugins::postgresql::PostgresqlPlugin());
}

}  // namespace ferry
