// The destination conformance suite against a real PostgreSQL server that
// scripts/test-servers.sh starts (see plugins/destination/postgresql/testing/
// pg_test_server.h): every case works in a database of its own.
#include <gtest/gtest.h>

#include "ferry/options.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/postgresql/table_reader.h"
#include "plugins/destination/postgresql/testing/pg_test_server.h"
#include "testing/destination_conformance.h"

namespace ferry::plugins::postgresql {
namespace {

Result<std::unique_ptr<ferry::Destination>> OpenIn(const std::string& ns) {
  FERRY_ASSIGN_OR_RETURN(std::string conninfo, testing::FreshDatabase(ns));
  nlohmann::json spec = {{"connection_string", conninfo}};
  FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), spec, "destination \"postgresql\"", nullptr));
  auto d = std::make_unique<Destination>();
  FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"my_postgresql", "test-invocation"}));
  return std::unique_ptr<ferry::Destination>(std::move(d));
}

ferry::testing::ConformanceTarget PostgresTarget() {
  ferry::testing::ConformanceTarget t;
  t.name = "Postgres";
  t.open = OpenIn;
  t.plugin = PostgresqlPlugin();
  t.read = [](const std::string& ns, const TableSchema& table) -> Result<std::vector<Row>> {
    FERRY_ASSIGN_OR_RETURN(std::string conninfo, testing::FreshDatabase(ns));
    FERRY_ASSIGN_OR_RETURN(auto conn, Connection::Open(conninfo, 10));
    return ReadTable(*conn, table);
  };
  t.nan = ferry::testing::ConformanceTarget::NanPolicy::kRoundTrip;  // binary float8 keeps NaN
  t.keeps_negative_zero = true;
  t.nul = ferry::testing::ConformanceTarget::NulPolicy::kStripped;  // text cannot hold U+0000
  t.json_normalized = true;                                        // jsonb re-formats documents
  t.time_units_kept_per_second = 1000000;                          // time: microseconds
  return t;
}

}  // namespace
}  // namespace ferry::plugins::postgresql

namespace ferry::testing {
INSTANTIATE_TEST_SUITE_P(Postgres, DestinationConformance, ::testing::Values(plugins::postgresql::PostgresTarget()),
                         ConformanceTargetName);
}  // namespace ferry::testing
