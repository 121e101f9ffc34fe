// The kafka destination's pieces that need no broker: its spec, the message
// encodings (against CloudQuery's filetypes golden output), keys, gzip and
// the cursor messages. Tests against a real broker are in
// tests/integration/kafka_*_test.cc.
#include "plugins/destination/kafka/kafka_destination.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "testing/batch_gen.h"
#include "testing/conformance_util.h"

namespace ferry::plugins::kafka {
namespace {

using ferry::testing::Col;
using ferry::testing::MakeBatch;
using ferry::testing::Micros;

Result<Spec> Parse(nlohmann::json j) {
  if (!j.contains("brokers")) j["brokers"] = {"127.0.0.1:9092"};
  if (!j.contains("format")) j["format"] = "json";
  return ParseSpec(Options(j));
}

TEST(KafkaSpec, CloudQuerySpecParses) {
  // CloudQuery's documented example, with every optional key.
  auto s = Parse({{"brokers", {"b1:9092", "b2:9092"}},
                  {"sasl_username", "u"},
                  {"sasl_password", "p"},
                  {"format", "csv"},
                  {"format_spec", {{"delimiter", ";"}, {"skip_header", true}}},
                  {"compression", "gzip"},
                  {"verbose", false},
                  {"enforce_tls_verification", true},
                  {"tls_details", {{"ca_file_path", "/ca.pem"}}},
                  {"topic_details", {{"num_partitions", 3}, {"replication_factor", 0}}}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->brokers.size(), 2u);
  EXPECT_EQ(s->format, Format::kCsv);
  EXPECT_EQ(s->csv_delimiter, ';');
  EXPECT_TRUE(s->csv_skip_header);
  EXPECT_TRUE(s->gzip);
  EXPECT_TRUE(s->tls());
  EXPECT_EQ(s->num_partitions, 3);
  EXPECT_EQ(s->replication_factor, 1) << "0 means the default, as in CloudQuery";
  // format_spec: null (only comments under it in CloudQuery's example).
  auto null_spec = Parse({{"format_spec", nullptr}});
  EXPECT_TRUE(null_spec.ok()) << null_spec.status().ToString();
}

TEST(KafkaSpec, BadValuesAreClearErrors) {
  auto parquet = Parse({{"format", "parquet"}});
  ASSERT_FALSE(parquet.ok());
  EXPECT_NE(parquet.status().message().find("parquet is not supported"), std::string::npos);
  auto missing = ParseSpec(Options(nlohmann::json{{"brokers", {"b:1"}}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("format"), std::string::npos) << missing.status().message();
  auto delim = Parse({{"format", "csv"}, {"format_spec", {{"delimiter", ";;"}}}});
  ASSERT_FALSE(delim.ok());
  EXPECT_NE(delim.status().message().find("single character"), std::string::npos);
  auto json_key = Parse({{"format_spec", {{"delimiter", ","}}}});
  ASSERT_FALSE(json_key.ok());
  EXPECT_NE(json_key.status().message().find("unknown key \"delimiter\" for format json"), std::string::npos)
      << json_key.status().message();
  auto topic = Parse({{"topic_details", {{"partitions", 3}}}});
  ASSERT_FALSE(topic.ok());
  EXPECT_NE(topic.status().message().find("num_partitions"), std::string::npos);
  auto tls = Parse({{"tls_details", {{"cert_file_path", "/c.pem"}}}});
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("key_file_path"), std::string::npos);
  auto port = Parse({{"brokers", {"localhost"}}});
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find("host:port"), std::string::npos);
  EXPECT_TRUE(Parse({{"brokers", {"a:1,b:2"}}}).ok()) << "a comma-separated list, as librdkafka takes it";
  auto codec = Parse({{"producer_compression", "brotli"}});
  ASSERT_FALSE(codec.ok());
  auto gz = Parse({{"compression", "zstd"}});
  EXPECT_FALSE(gz.ok());
}

// A row like the first one of filetypes' TestWriteRead golden files
// (cloudquery/filetypes json/testdata/TestWriteRead.jsonl and
// csv/testdata/TestWriteRead-with_headers.csv), for the types Ferry has.
TableSchemaPtr GoldenTable() {
  auto t = std::make_shared<TableSchema>();
  t->name = "golden";
  t->columns = {Col("id", types::Int64()),        Col("int8", types::Int8()),
                Col("uint64", types::UInt64()),   Col("float32", types::Float32()),
                Col("float64", types::Float64()), Col("binary", types::Binary()),
                Col("string", types::Utf8()),     Col("boolean", types::Bool()),
                Col("uuid", types::Uuid()),       Col("inet", types::Inet()),
                Col("mac", types::Mac()),         Col("json", types::Json()),
                Col("date32", types::Date32()),   Col("timestamp_us", types::Timestamp()),
                Col("int64_list", types::List(types::Int64()))};
  return t;
}

Row GoldenRow() {
  return {Value::Int(1),
          Value::Int(-26),
          Value::UInt(8717895732742165504ULL),
          Value::Double(274.514),
          Value::Double(274.514),
          Value::String(std::string("\x01\x94\xfd\xc2", 4)),
          Value::String("AString93274"),
          Value::Bool(false),
          Value::String(std::string("\x23\xf9\xcd\x26\xb4\x22\x5b\xd9\x98\x49\xf9\xb7\x69\x86\xc4\x76", 16)),
          Value::String("1.148.253.194/15"),
          Value::String(std::string("\x00\x94\xfd\xc2\xfa\x2f", 6)),
          Value::String(R"({"test":["a","b",93274]})"),
          Value::Int(19545),   // 2023-07-07
          Value::Int(Micros(2021, 1, 2)),
          Value::List({Value::Int(-8717895732742165504LL), Value::Null(), Value::Int(-2259404117704393216LL)})};
}

TEST(KafkaMessages, JsonIsCloudQuerysEncoding) {
  auto spec = Parse({});
  ASSERT_TRUE(spec.ok());
  auto t = GoldenTable();
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {GoldenRow()}));
  MessageCodec codec(*spec, *t, {});
  std::string v;
  FERRY_ASSERT_OK(codec.Value(*b, 0, &v));
  // The golden line's values, keys in name order, one trailing newline.
  EXPECT_EQ(v,
            R"({"binary":"AZT9wg==","boolean":false,"date32":"2023-07-07","float32":274.514,"float64":274.514,)"
            R"("id":1,"inet":"1.148.253.194/15","int64_list":[-8717895732742165504,null,-2259404117704393216],)"
            R"("int8":-26,"json":{"test":["a","b",93274]},"mac":"00:94:fd:c2:fa:2f","string":"AString93274",)"
            R"("timestamp_us":"2021-01-02T00:00:00Z","uint64":8717895732742165504,)"
            R"("uuid":"23f9cd26-b422-5bd9-9849-f9b76986c476"})"
            "\n");
  FERRY_ASSERT_OK_AND_ASSIGN(Row back, DecodeJsonRow(*t, v));
  Row want = GoldenRow();
  EXPECT_EQ(back.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (t->columns[i].name != "float32" && t->columns[i].name != "json") {
      EXPECT_EQ(back[i], want[i]) << t->columns[i].name;
    }
  }
}

TEST(KafkaMessages, CsvIsCloudQuerysEncoding) {
  auto spec = Parse({{"format", "csv"}});
  ASSERT_TRUE(spec.ok());
  auto t = GoldenTable();
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {GoldenRow()}));
  MessageCodec codec(*spec, *t, {});
  std::string v;
  FERRY_ASSERT_OK(codec.Value(*b, 0, &v));
  EXPECT_EQ(v,
            "id,int8,uint64,float32,float64,binary,string,boolean,uuid,inet,mac,json,date32,timestamp_us,int64_list\n"
            "1,-26,8717895732742165504,274.514,274.514,AZT9wg==,AString93274,false,"
            "23f9cd26-b422-5bd9-9849-f9b76986c476,1.148.253.194/15,00:94:fd:c2:fa:2f,"
            "\"{\"\"test\"\":[\"\"a\"\",\"\"b\"\",93274]}\",2023-07-07,2021-01-02T00:00:00Z,"
            "\"[-8717895732742165504,null,-2259404117704393216]\"\n");
  // skip_header and another delimiter; nulls are empty fields.
  auto semi = Parse({{"format", "csv"}, {"format_spec", {{"delimiter", ";"}, {"skip_header", true}}}});
  ASSERT_TRUE(semi.ok());
  auto small = std::make_shared<TableSchema>();
  small->name = "s";
  small->columns = {Col("a", types::Utf8()), Col("b", types::Int64()), Col("c", types::Utf8())};
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr sb, MakeBatch(small, {{Value::String("x;y"), Value::Null(), Value::String(" lead")}}));
  MessageCodec c2(*semi, *small, {});
  FERRY_ASSERT_OK(c2.Value(*sb, 0, &v));
  EXPECT_EQ(v, "\"x;y\";;\" lead\"\n");
}

TEST(KafkaMessages, FloatsAsGoFormatsThem) {
  auto g = [](double v, int bits = 64) {
    std::string s;
    AppendGoFloat(v, bits, &s);
    return s;
  };
  EXPECT_EQ(g(274.514), "274.514");
  EXPECT_EQ(g(0), "0");
  EXPECT_EQ(g(-0.0), "-0");
  EXPECT_EQ(g(100000), "100000");
  EXPECT_EQ(g(1e6), "1e+06");
  EXPECT_EQ(g(1234567), "1.234567e+06");
  EXPECT_EQ(g(0.0001), "0.0001");
  EXPECT_EQ(g(0.00001), "1e-05");
  EXPECT_EQ(g(1.5e300), "1.5e+300");
  EXPECT_EQ(g(0.1), "0.1");
  EXPECT_EQ(g(static_cast<float>(0.1), 32), "0.1");
  EXPECT_EQ(g(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(g(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(g(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(g(123456.5), "123456.5");
}

TEST(KafkaMessages, KeysAreThePrimaryKeyAsAJsonObject) {
  auto spec = Parse({});
  auto t = std::make_shared<TableSchema>();
  t->name = "k";
  t->columns = {Col("z_region", types::Utf8()), Col("id", types::Int64()), Col("payload", types::Utf8())};
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {{Value::String("eu"), Value::Int(7), Value::String("p")}}));
  MessageCodec keyed(*spec, *t, {"z_region", "id"});
  ASSERT_TRUE(keyed.keyed());
  std::string k;
  keyed.Key(*b, 0, &k);
  EXPECT_EQ(k, R"({"id":7,"z_region":"eu"})") << "columns in name order, whatever the declaration order";
  MessageCodec plain(*spec, *t, {});
  EXPECT_FALSE(plain.keyed());
}

TEST(KafkaMessages, GzipAsCloudQueryCompressesEachValue) {
  auto spec = Parse({{"compression", "gzip"}});
  auto t = GoldenTable();
  FERRY_ASSERT_OK_AND_ASSIGN(BatchPtr b, MakeBatch(t, {GoldenRow()}));
  MessageCodec codec(*spec, *t, {});
  std::string v;
  FERRY_ASSERT_OK(codec.Value(*b, 0, &v));
  ASSERT_GE(v.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(v[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(v[1]), 0x8b);
  FERRY_ASSERT_OK_AND_ASSIGN(std::string plain, Gunzip(v));
  EXPECT_EQ(plain.substr(0, 20), R"({"binary":"AZT9wg==")");
  EXPECT_FALSE(Gunzip("not gzip").ok());
  EXPECT_FALSE(Gunzip(v.substr(0, v.size() / 2)).ok());
}

TEST(KafkaState, CursorMessagesRoundTrip) {
  StateEntry e{"tbl:client \"q\" ü", "2024-01-01T00:00:00Z", UINT64_MAX};
  FERRY_ASSERT_OK_AND_ASSIGN(StateEntry back, ParseStateMessage(StateMessage(e)));
  EXPECT_EQ(back.key, e.key);
  EXPECT_EQ(back.value, e.value);
  EXPECT_EQ(back.version, e.version);
  EXPECT_FALSE(ParseStateMessage("{}").ok());
  EXPECT_FALSE(ParseStateMessage("not json").ok());
  EXPECT_TRUE(IsStateTable(*StateTableSchema("cq_state")));
  EXPECT_FALSE(IsStateTable(*GoldenTable()));
}

}  // namespace
}  // namespace ferry::plugins::kafka
