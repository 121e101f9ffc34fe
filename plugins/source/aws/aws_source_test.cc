// The aws source: its catalog (against CloudQuery's table docs), the
// generic client's decoding of each protocol's answers, its spec, and syncs
// against moto, a real AWS emulator (scripts/test-servers.sh start moto),
// seeded through AWS's API by boto3 (testing/seed_moto.py).
#include "plugins/source/aws/aws_source.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "testing/fake_sink.h"

namespace ferry::plugins::aws {
namespace {

using json = nlohmann::json;
using ferry::plugins::test::testing::FakeSink;
using ferry::plugins::test::testing::MakeSource;

void Walk(const std::vector<std::shared_ptr<CatalogTable>>& tables,
          const std::function<void(const CatalogTable&)>& fn) {
  for (const auto& t : tables) {
    fn(*t);
    Walk(t->relations, fn);
  }
}

TEST(AwsCatalog, HasTheTablesOfTheIssueWithKeysAndServices) {
  const Catalog& cat = BuiltinCatalog();
  std::set<std::string> names, services;
  Walk(cat.tables, [&](const CatalogTable& t) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name << " twice";
    services.insert(t.service->name);
    EXPECT_FALSE(t.columns.empty()) << t.name;
  });
  EXPECT_GE(names.size(), 80u);
  EXPECT_GE(services.size(), 20u);
  for (const char* n : {"aws_ec2_instances", "aws_iam_users", "aws_iam_user_access_keys", "aws_s3_buckets",
                        "aws_lambda_functions", "aws_rds_instances", "aws_dynamodb_tables", "aws_sqs_queues",
                        "aws_sns_topics", "aws_kms_keys", "aws_cloudtrail_trails", "aws_cloudwatch_alarms",
                        "aws_ecs_clusters", "aws_eks_clusters", "aws_elbv2_load_balancers", "aws_route53_hosted_zones",
                        "aws_secretsmanager_secrets", "aws_ssm_parameters", "aws_ecr_repositories",
                        "aws_cloudformation_stacks", "aws_organizations_accounts", "aws_regions"})
    EXPECT_TRUE(names.count(n)) << n;
  for (const char* c : {"caller_identity", "regions", "org_accounts", "org_accounts_for_parent", "org_units_for_parent"})
    EXPECT_TRUE(cat.calls.count(c)) << c;
}

// CloudQuery's column names, types and keys for the tables both have
// (testing/cq_aws_tables.json, parsed from CloudQuery's generated table docs
// of the last commit that had them all). Ferry reads newer service models,
// so extra columns are expected; every one of CloudQuery's must be there with
// its type, except the differences listed here with their reason (also in
// the README).
TEST(AwsCatalog, ColumnsTypesAndKeysMatchCloudQuerys) {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/plugins/source/aws/testing/cq_aws_tables.json");
  ASSERT_TRUE(in) << "testing/cq_aws_tables.json";
  json cq = json::parse(in)["tables"];
  const std::map<std::string, std::string> known = {
#include "plugins/source/aws/testing/cq_aws_differences.inc"
  };
  auto cq_type = [](const DataTypePtr& t) {
    std::string s = t->ToString();
    return s;
  };
  int compared = 0;
  std::vector<std::string> problems;
  Walk(BuiltinCatalog().tables, [&](const CatalogTable& table) {
    if (!cq.contains(table.name)) return;
    ++compared;
    std::map<std::string, std::string> mine;
    std::set<std::string> my_pk;
    for (const auto& c : table.columns) {
      mine[c.name] = cq_type(TypeOf(c.kind));
      if (c.primary_key) my_pk.insert(c.name);
    }
    const json& t = cq[table.name];
    std::set<std::string> cq_pk;
    for (const auto& k : t["primary_key"]) cq_pk.insert(k.get<std::string>());
    if (my_pk != cq_pk && !known.count(table.name + ".primary_key"))
      problems.push_back(table.name + ": primary key differs from CloudQuery's");
    if (known.count(table.name + ".*")) return;
    for (const auto& col : t["columns"]) {
      const std::string name = col[0];
      const std::string type = col[1];
      if (known.count(table.name + "." + name)) continue;
      auto m = mine.find(name);
      if (m == mine.end()) {
        problems.push_back(table.name + "." + name + ": CloudQuery's column (" + type + ") is missing");
        continue;
      }
      // Ferry's type names: utf8, int64, bool, float64, json, binary,
      // timestamp[us, tz=UTC], list<item: utf8, nullable>.
      if (m->second.substr(0, 6) != type.substr(0, 6))
        problems.push_back(table.name + "." + name + ": " + m->second + " vs CloudQuery's " + type);
    }
  });
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_GE(compared, 80);
}

// ---- decoding each protocol's answers into member-named JSON

const NamedCall& Call(const std::string& name) { return BuiltinCatalog().Named(name); }

const CatalogTable& Table(const std::string& name) {
  const CatalogTable* found = nullptr;
  Walk(BuiltinCatalog().tables, [&](const CatalogTable& t) {
    if (t.name == name) found = &t;
  });
  EXPECT_NE(found, nullptr) << name;
  return *found;
}

http::Response Answer(std::string body) {
  http::Response r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

TEST(AwsDecode, Ec2AnswersUseLocationNamesAndItemLists) {
  const CatalogTable& t = Table("aws_ec2_instances");
  auto doc = DecodeAnswer(*t.service, t.call, Answer(R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r-1</requestId>
  <reservationSet>
    <item><reservationId>r-0a</reservationId>
      <instancesSet>
        <item><instanceId>i-1</instanceId><amiLaunchIndex>0</amiLaunchIndex>
          <launchTime>2024-01-02T03:04:05.000Z</launchTime><ebsOptimized>true</ebsOptimized>
          <tagSet><item><key>Name</key><value>web</value></item></tagSet>
          <groupSet><item><groupId>sg-1</groupId></item></groupSet></item>
        <item><instanceId>i-2</instanceId></item>
      </instancesSet></item>
  </reservationSet>
  <nextToken>tok-2</nextToken>
</DescribeInstancesResponse>)"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["NextToken"], "tok-2");
  std::vector<json> items;
  ForEachItem(*doc, t.call.items, 0, [&](const json& x) { items.push_back(x); });
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["InstanceId"], "i-1");
  EXPECT_EQ(items[0]["AmiLaunchIndex"], 0);
  EXPECT_EQ(items[0]["EbsOptimized"], true);
  EXPECT_EQ(items[0]["LaunchTime"], "2024-01-02T03:04:05Z");
  EXPECT_EQ(items[0]["Tags"], json::parse(R"([{"Key":"Name","Value":"web"}])"));
  EXPECT_EQ(items[0]["SecurityGroups"][0]["GroupId"], "sg-1");
  Target target{.account_id = "123456789012", .region = "eu-west-1"};
  std::vector<std::string> warnings;
  Row row = ItemToRow(t, items[0], items[0], target, nullptr, &warnings);
  std::map<std::string, Value> by;
  for (size_t i = 0; i < t.columns.size(); ++i) by[t.columns[i].name] = row[i];
  EXPECT_EQ(by["arn"].as_string(), "arn:aws:ec2:eu-west-1:123456789012:instance/i-1");
  EXPECT_EQ(by["account_id"].as_string(), "123456789012");
  EXPECT_EQ(by["tags"].as_string(), R"({"Name":"web"})");
  EXPECT_TRUE(warnings.empty());
}

TEST(AwsDecode, QueryAnswersAreReadInsideTheResultWrapper) {
  const CatalogTable& t = Table("aws_iam_users");
  auto doc = DecodeAnswer(*t.service, t.call, Answer(R"(<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListUsersResult>
    <IsTruncated>true</IsTruncated><Marker>m-2</Marker>
    <Users>
      <member><UserName>alice</UserName><Arn>arn:aws:iam::123456789012:user/alice</Arn>
        <CreateDate>2023-05-06T07:08:09Z</CreateDate>
        <Tags><member><Key>team</Key><Value>infra</Value></member></Tags></member>
      <member><UserName>bob</UserName></member>
    </Users>
  </ListUsersResult>
  <ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>
</ListUsersResponse>)"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["IsTruncated"], true);
  EXPECT_EQ((*doc)["Marker"], "m-2");
  ASSERT_EQ((*doc)["Users"].size(), 2u);
  EXPECT_EQ((*doc)["Users"][0]["Tags"][0]["Value"], "infra");
  EXPECT_EQ((*doc)["Users"][1]["UserName"], "bob");
}

TEST(AwsDecode, JsonAnswersRenderTimestampsAsCloudQuerysGoStructs) {
  const CatalogTable& t = Table("aws_dynamodb_tables");
  ASSERT_TRUE(t.has_detail);
  auto doc = DecodeAnswer(*t.service, t.detail, Answer(R"({"Table":{"TableName":"orders","TableArn":"arn:aws:dynamodb:us-east-1:1:table/orders",
     "CreationDateTime":1700000000.5,"ItemCount":42,"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}})"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const json& tab = (*doc)["Table"];
  EXPECT_EQ(tab["CreationDateTime"], "2023-11-14T22:13:20.5Z");
  EXPECT_EQ(tab["ItemCount"], 42);
  EXPECT_EQ(tab["KeySchema"][0]["AttributeName"], "id");
}

TEST(AwsDecode, RestXmlAnswersStartAtTheOutputElement) {
  const CatalogTable& t = Table("aws_s3_buckets");
  auto doc = DecodeAnswer(*t.service, t.call, Answer(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>abc</ID></Owner>
  <Buckets><Bucket><Name>b-1</Name><CreationDate>2024-02-03T04:05:06.000Z</CreationDate></Bucket>
           <Bucket><Name>b-2</Name></Bucket></Buckets>
</ListAllMyBucketsResult>)"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ((*doc)["Buckets"].size(), 2u);
  EXPECT_EQ((*doc)["Buckets"][0]["Name"], "b-1");
  EXPECT_EQ((*doc)["Buckets"][0]["CreationDate"], "2024-02-03T04:05:06Z");
}

TEST(AwsDecode, AnswersThatAreNotTheDocumentedFormatAreErrors) {
  const CatalogTable& t = Table("aws_iam_users");
  EXPECT_FALSE(DecodeAnswer(*t.service, t.call, Answer("<ListUsersResponse><unclosed>")).ok());
  const CatalogTable& d = Table("aws_dynamodb_tables");
  EXPECT_FALSE(DecodeAnswer(*d.service, d.detail, Answer("{not json")).ok());
}

TEST(AwsDecode, EndpointsFollowTheServiceAndPartition) {
  ApiOptions o;
  std::string signing;
  EXPECT_EQ(EndpointOf(*Table("aws_ec2_instances").service, "eu-west-1", "aws", o, &signing),
            "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(signing, "eu-west-1");
  EXPECT_EQ(EndpointOf(*Table("aws_iam_users").service, "eu-west-1", "aws", o, &signing), "https://iam.amazonaws.com");
  EXPECT_EQ(signing, "us-east-1");
  EXPECT_EQ(EndpointOf(*Table("aws_ec2_instances").service, "cn-north-1", "aws-cn", o, &signing),
            "https://ec2.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(EndpointOf(*Table("aws_elbv2_load_balancers").service, "us-west-2", "aws", o, &signing),
            "https://elasticloadbalancing.us-west-2.amazonaws.com");
  o.endpoint = "http://127.0.0.1:5000/";
  EXPECT_EQ(EndpointOf(*Table("aws_ec2_instances").service, "eu-west-1", "aws", o, &signing), "http://127.0.0.1:5000");
  EXPECT_EQ(signing, "eu-west-1");
  o.signing_region = "us-east-2";
  EndpointOf(*Table("aws_ec2_instances").service, "eu-west-1", "aws", o, &signing);
  EXPECT_EQ(signing, "us-east-2");
  EXPECT_EQ(PartitionOf("us-gov-west-1"), "aws-us-gov");
}

// ---- spec

Result<Spec> Parse(const json& spec) {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), spec, "source \"aws\"", nullptr));
  return ParseSpec(o);
}

TEST(AwsSpec, CloudQuerysKeysParse) {
  auto s = Parse(json::parse(R"({
    "accounts": [{"id": "prod", "local_profile": "prod", "role_arn": "arn:aws:iam::111111111111:role/ro",
                  "role_session_name": "cq", "external_id": "x", "default_region": "eu-west-1",
                  "regions": ["eu-west-1", "eu-central-1"]}],
    "regions": ["*"], "concurrency": 100, "initialization_concurrency": 2, "max_retries": 3, "max_backoff": 10,
    "use_paid_apis": false, "scheduler": "shuffle", "aws_debug": false, "table_options": {}})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->accounts.size(), 1u);
  EXPECT_EQ(s->accounts[0].role_arn, "arn:aws:iam::111111111111:role/ro");
  EXPECT_EQ(s->accounts[0].regions.size(), 2u);
  EXPECT_EQ(s->max_retries, 3);
  auto org = Parse(json::parse(R"({"org": {"member_role_name": "OrganizationAccountAccessRole",
    "organization_units": ["ou-abcd-12345678"], "skip_member_accounts": ["222222222222"],
    "admin_account": {"id": "admin", "local_profile": "admin"}}})"));
  ASSERT_TRUE(org.ok()) << org.status().ToString();
  EXPECT_TRUE(org->org.set);
  EXPECT_EQ(org->org.admin_account->local_profile, "admin");
}

TEST(AwsSpec, BadValuesAreClearErrors) {
  auto expect_error = [](const char* spec, const char* words) {
    auto s = Parse(json::parse(spec));
    ASSERT_FALSE(s.ok()) << spec;
    EXPECT_NE(s.status().message().find(words), std::string::npos) << s.status().message();
  };
  expect_error(R"({"regions": ["us-east-1", "*"]})", "wildcard");
  expect_error(R"({"regions": ["mars-1"]})", "unknown region \"mars-1\"");
  expect_error(R"({"accounts": [{"role_arn": "x"}]})", "accounts[0].id is required");
  expect_error(R"({"accounts": [{"id": "a", "role_arn": "not-an-arn"}]})", "is not an ARN");
  expect_error(R"({"accounts": [{"id": "a", "profile": "p"}]})", "unknown key \"profile\"");
  expect_error(R"({"org": {}})", "member_role_name is required");
  expect_error(R"({"org": {"member_role_name": "r", "organization_units": ["ou-x"]}})", "invalid OU");
  expect_error(R"({"custom_endpoint_url": "http://127.0.0.1:4566"})", "custom_endpoint_hostname_immutable is required");
  expect_error(R"({"table_options": {"aws_cloudtrail_events": {}}})", "table_options");
  expect_error(R"({"event_based_sync": {"kinesis_stream_arn": "arn:aws:kinesis:us-east-1:1:stream/s"}})",
               "event_based_sync");
}

}  // namespace
}  // namespace ferry::plugins::aws
