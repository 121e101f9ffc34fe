// The one list of built-in integrations. Add a new integration here.
#include "ferry/registry.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/null/null_destination.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/sqlite/sqlite_destination.h"
#include "plugins/source/host/host_source.h"
#include "plugins/source/test/test_source.h"

namespace ferry {

Status RegisterBuiltins(Registry& registry) {
  FERRY_RETURN_NOT_OK(registry.AddSource(plugins::test::TestSourcePlugin()));
  FERRY_RETURN_NOT_OK(registry.AddSource(plugins::host::HostSourcePlugin()));
  FERRY_RETURN_NOT_OK(registry.AddDestination(plugins::sqlite::SqlitePlugin()));
  FERRY_RETURN_NOT_OK(registry.AddDestination(plugins::null_dest::NullPlugin()));
  FERRY_RETURN_NOT_OK(registry.AddDestination(plugins::clickhouse::ClickHousePlugin()));
  FERRY_RETURN_NOT_OK(registry.AddDestination(plugins::postgresql::PostgresqlPlugin()));
  return Status::OK();
}

}  // namespace ferry
