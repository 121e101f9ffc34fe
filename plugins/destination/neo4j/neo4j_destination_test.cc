// The neo4j destination: its spec and URI parsing, the cell codec, and the
// conformance suite against a real Neo4j 5.26 (scripts/test-servers.sh).
#include "plugins/destination/neo4j/neo4j_destination.h"

#include <gtest/gtest.h>

#include "ferry/builder.h"
#include "plugins/destination/neo4j/cell_codec.h"
#include "plugins/destination/neo4j/testing/neo4j_test_server.h"
#include "testing/batch_gen.h"
#include "testing/destination_conformance.h"
#include "testing/row_compare.h"

namespace ferry::plugins::neo4j {

ferry::testing::ConformanceTarget Neo4jTarget() {
  ferry::testing::ConformanceTarget t;
  t.name = "Neo4j";
  t.plugin = Neo4jPlugin();
  t.open = [](const std::string& ns) -> Result<std::unique_ptr<ferry::Destination>> {
    FERRY_ASSIGN_OR_RETURN(auto d, testing::OpenNeo4j(testing::ServerSpec(ns)));
    return std::unique_ptr<ferry::Destination>(std::move(d));
  };
  t.read = [](const std::string& ns, const TableSchema& table) -> Result<std::vector<Row>> {
    FERRY_ASSIGN_OR_RETURN(auto d, testing::OpenNeo4j(testing::ServerSpec(ns)));
    auto rows = d->ReadTable(table);
    FERRY_RETURN_NOT_OK(d->Close());
    return rows;
  };
  // Nodes keep no schema: every column change is accepted (the key is
  // checked; Neo4jMigrate below).
  t.schemaless = true;
  // One request is one transaction, and Neo4j holds a transaction's changes
  // in memory (dbms.memory.transaction.total.max; 100k nodes of this table
  // need ~540 MB, more than the test server's heap allows). The engine's
  // requests are batch_size rows (1000 by default).
  t.large_batch_rows = 20000;
  return t;
}

namespace {

TEST(Neo4jSpec, CloudQuerysKeysAndUriForms) {
  auto ok = ParseSpec(Options(nlohmann::json{
      {"connection_string", "neo4j+s://db.example.com?region=eu"}, {"username", "neo4j"}, {"password", "pw"}}));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->uri.host, "db.example.com");
  EXPECT_EQ(ok->uri.port, 7687);
  EXPECT_TRUE(ok->uri.routing);
  EXPECT_EQ(ok->uri.tls, bolt::TlsMode::kVerify);
  ASSERT_EQ(ok->uri.query.size(), 1u);
  EXPECT_EQ(ok->uri.query[0].second, "eu");

  auto v6 = ParseBoltUri("bolt+ssc://[::1]:7688");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7688);
  EXPECT_EQ(v6->tls, bolt::TlsMode::kTrustAny);
  EXPECT_FALSE(v6->routing);

  for (const char* bad : {"localhost:7687", "http://localhost:7474", "bolt://", "bolt://h:0", "bolt://h:x",
                          "bolt://h/db", "bolt://u:p@h", "bolt://h?x=1", "bolt+unix:///tmp/s"}) {
    auto r = ParseBoltUri(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
    }
  }
  auto missing = ParseSpec(Options(nlohmann::json{{"username", "neo4j"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("connection_string"), std::string::npos);
  auto pw_only = ParseSpec(Options(nlohmann::json{{"connection_string", "bolt://h"}, {"password", "pw"}}));
  EXPECT_FALSE(pw_only.ok());
  auto ca = ParseSpec(Options(nlohmann::json{{"connection_string", "bolt://h"}, {"tls_ca_file", "/ca.pem"}}));
  ASSERT_FALSE(ca.ok());
  EXPECT_NE(ca.status().message().find("bolt+s://"), std::string::npos);
  auto edges = ParseSpec(Options(nlohmann::json{
      {"connection_string", "bolt://h"},
      {"edges", {{{"from_table", "a"}, {"from_column", "vpc_id"}, {"to_table", "b"}, {"to_column", "id"}, {"type", "IN"}}}}}));
  ASSERT_TRUE(edges.ok()) << edges.status().ToString();
  ASSERT_EQ(edges->edges.size(), 1u);
  EXPECT_EQ(edges->edges[0].to_column, "id");
  auto bad_edge = ParseSpec(Options(nlohmann::json{{"connection_string", "bolt://h"},
                                                   {"edges", {{{"from_table", "a"}, {"from_colum", "x"}}}}}));
  ASSERT_FALSE(bad_edge.ok());
  EXPECT_NE(bad_edge.status().message().find("edges[0]"), std::string::npos);
}

TEST(Neo4jSpec, CloudQuerysDocumentedExampleValidates) {
  // CloudQuery's documented spec, after ${...} expansion.
  auto ok = ParseSpec(Options(nlohmann::json{
      {"connection_string", "bolt://localhost:7687"}, {"username", "neo4j"}, {"password", "secret"}}));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(Neo4jNames, LabelsAndPropertiesAreQuoted) {
  EXPECT_EQ(QuoteName("aws_ec2_instances"), "`aws_ec2_instances`");
  EXPECT_EQ(QuoteName("a`b) DETACH DELETE n //"), "`a``b) DETACH DELETE n //`");
}

// Every type through the codec and back, without a server: the values of
// AllTypesRows packed as properties, unpacked, decoded.
TEST(Neo4jCellCodec, EveryTypeRoundTripsThroughPackStream) {
  auto table = ferry::testing::AllTypesTable("codec");
  const auto rows = ferry::testing::AllTypesRows(1700000000123456, "src");
  auto batch = ferry::testing::MakeBatch(table, rows);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  for (int64_t r = 0; r < (*batch)->num_rows(); ++r) {
    for (size_t c = 0; c < table->columns.size(); ++c) {
      const ArrayData& a = *(*batch)->column(c);
      if (a.IsNull(r)) continue;
      std::string bytes;
      bolt::Packer p(&bytes);
      PackCell(a, r, true, p);
      size_t pos = 0;
      auto v = bolt::Unpack(bytes, &pos);
      ASSERT_TRUE(v.ok());
      auto back = DecodeCell(*table->columns[c].type, *v);
      ASSERT_TRUE(back.ok()) << table->columns[c].name << ": " << back.status().ToString();
      EXPECT_EQ(ferry::testing::DebugString(*back), ferry::testing::DebugString(GetValue(a, r)))
          << "row " << r << " column " << table->columns[c].name << " packed as " << v->ToString();
    }
  }
}

TEST(Neo4jCellCodec, NeoFormsOfTimestampsListsAndBigIntegers) {
  auto pack = [](const DataTypePtr& type, const Value& value) {
    ArrayBuilder b(type);
    EXPECT_TRUE(b.Append(value).ok());
    auto a = b.Finish();
    std::string bytes;
    bolt::Packer p(&bytes);
    PackCell(*a, 0, true, p);
    size_t pos = 0;
    return bolt::Unpack(bytes, &pos)->ToString();
  };
  // CloudQuery's Go driver sends UTC times as DateTimeZoneId "UTC".
  EXPECT_EQ(pack(types::Timestamp(), Value::Int(-1)), "DateTimeZoneId(-1, 999999000, \"UTC\")");
  EXPECT_EQ(pack(types::Date32(), Value::Int(18262)), "Date(18262)");
  EXPECT_EQ(pack(types::UInt64(), Value::UInt(18446744073709551615ULL)), "\"18446744073709551615\"");
  EXPECT_EQ(pack(types::List(types::Int64()), Value::List({Value::Int(1), Value::Int(2)})), "[1, 2]");
  // Neo4j lists cannot hold null: such a list is stored as its JSON text.
  EXPECT_EQ(pack(types::List(types::Int64()), Value::List({Value::Int(1), Value::Null()})), "\"[1,null]\"");
  // A DateTime beyond int64 microseconds is an error, not an overflow (found by fuzz/packstream_fuzz).
  auto huge = DecodeCell(*types::Timestamp(), bolt::PackValue::Struct(bolt::sig::kDateTimeZoneId,
                                                                        {bolt::PackValue::Int(3257854715881419),
                                                                         bolt::PackValue::Int(0),
                                                                         bolt::PackValue::String("UTC")}));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("outside"), std::string::npos);
  EXPECT_EQ(pack(types::Uuid(), Value::String(std::string("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x12\x34\x56\x78\x9a\xbc\xde\xf0", 16))),
            "\"12345678-9abc-def0-1234-56789abcdef0\"");
}

}  // namespace
}  // namespace ferry::plugins::neo4j

namespace ferry::testing {
namespace {
INSTANTIATE_TEST_SUITE_P(Neo4j, DestinationConformance, ::testing::Values(plugins::neo4j::Neo4jTarget()),
                         ConformanceTargetName);
}  // namespace
}  // namespace ferry::testing
