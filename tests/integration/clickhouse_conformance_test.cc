// The destination conformance suite against a real ClickHouse server that
// scripts/test-servers.sh starts (plugins/destination/clickhouse/testing/
// ch_test_server.h), twice: over the HTTP interface (ClickHouse) and over
// the native protocol with LZ4-compressed blocks both ways
// (ClickHouseNative: writes and reads back through clickhouse://). Every
// case works in a database of its own. Tables with
// a primary key are read with FINAL, as readers of a ReplacingMergeTree
// table must.
#include <gtest/gtest.h>

#include "ferry/options.h"
#include "plugins/destination/clickhouse/clickhouse_destination.h"
#include "plugins/destination/clickhouse/table_reader.h"
#include "plugins/destination/clickhouse/testing/ch_test_server.h"
#include "testing/destination_conformance.h"

namespace ferry::plugins::clickhouse {
namespace {

constexpr const char* kNativeParams = "compress=lz4";

Result<std::unique_ptr<ferry::Destination>> Open(const std::string& ns, bool native) {
  FERRY_ASSIGN_OR_RETURN(std::string url, testing::FreshDatabase(ns));
  if (native) url = testing::TestServer().NativeUrl(testing::DatabaseName(ns), kNativeParams);
  nlohmann::json spec = {{"connection_string", url}};
  FERRY_ASSIGN_OR_RETURN(Options opts, ValidateOptions(SpecOptions(), spec, "destination \"clickhouse\"", nullptr));
  auto d = std::make_unique<Destination>();
  FERRY_RETURN_NOT_OK(d->Init(opts, DestinationInit{"my_clickhouse", "test-invocation"}));
  return std::unique_ptr<ferry::Destination>(std::move(d));
}

Result<std::vector<Row>> Read(const std::string& ns, const TableSchema& table, bool native) {
  FERRY_RETURN_NOT_OK(testing::FreshDatabase(ns).status());
  FERRY_ASSIGN_OR_RETURN(ServerVersion v, ParseVersion(testing::TestServer().version));
  FERRY_ASSIGN_OR_RETURN(ServerFeatures f, FeaturesOf(v));
  std::unique_ptr<Client> client;
  if (native) {
    FERRY_ASSIGN_OR_RETURN(client, testing::NewNativeClient(testing::DatabaseName(ns), kNativeParams));
  } else {
    client = testing::NewClient(testing::DatabaseName(ns));
  }
  auto schema = std::make_shared<TableSchema>(table);
  return ReadTable(*client, testing::DatabaseName(ns), LayoutOf(schema, f), !table.PrimaryKeys().empty());
}

ferry::testing::ConformanceTarget ClickHouseTarget(bool native) {
  ferry::testing::ConformanceTarget t;
  t.name = native ? "ClickHouseNative" : "ClickHouse";
  t.open = [native](const std::string& ns) { return Open(native ? "native_" + ns : ns, native); };
  t.plugin = ClickHousePlugin();
  t.read = [native](const std::string& ns, const TableSchema& table) {
    return Read(native ? "native_" + ns : ns, table, native);
  };
  t.nan = ferry::testing::ConformanceTarget::NanPolicy::kRoundTrip;  // Float64 keeps NaN bits
  t.keeps_negative_zero = true;
  return t;
}

}  // namespace
}  // namespace ferry::plugins::clickhouse

namespace ferry::testing {
INSTANTIATE_TEST_SUITE_P(ClickHouse, DestinationConformance, ::testing::Values(plugins::clickhouse::ClickHouseTarget(false), plugins::clickhouse::ClickHouseTarget(true)),
                         ConformanceTargetName);
}  // namespace ferry::testing
