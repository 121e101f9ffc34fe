// The aws source: its catalog (against CloudQuery's table docs), the
// generic client's decoding of each protocol's answers, its spec, and syncs
// against moto, a real AWS emulator (scripts/test-servers.sh start moto),
// seeded through AWS's API by boto3 (testing/seed_moto.py).
#include "plugins/source/aws/aws_source.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include <thread>

#include "ferry/text_codec.h"
#include "testing/fake_sink.h"
#include "testing/http_test_server.h"
#include "testing/test_servers.h"

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

// A per-item list (an enrich step with collect) is read to its last page
// where botocore pages the operation: the things of an IoT billing group
// came from their first page only before.
TEST(AwsCatalog, CollectedPerItemListsArePaged) {
  const Catalog& cat = BuiltinCatalog();
  int paged = 0;
  Walk(cat.tables, [&](const CatalogTable& t) {
    for (const Call& e : t.enrich) {
      if (!e.collect) continue;
      if (e.paginated) ++paged;
      if (e.operation == "ListThingsInBillingGroup" || e.operation == "ListThingsInThingGroup" ||
          e.operation == "ListThingPrincipals") {
        EXPECT_TRUE(e.paginated) << t.name << " " << e.operation;
        ASSERT_EQ(e.output_tokens.size(), 1u) << t.name << " " << e.operation;
        EXPECT_EQ(e.output_tokens[0], std::vector<std::string>{"nextToken"}) << t.name << " " << e.operation;
      }
    }
  });
  EXPECT_GE(paged, 5);
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

// A fake AWS endpoint that keeps every request it receives and answers each
// with the body `answer` gives for it (and its index among the requests).
class RecordingServer {
 public:
  using Answer = std::function<std::string(const ferry::testing::ServerRequest&, size_t)>;
  explicit RecordingServer(Answer answer)
      : server_([this, answer = std::move(answer)](const ferry::testing::ServerRequest& r) {
          std::lock_guard<std::mutex> l(mu_);
          seen_.push_back(r);
          ferry::testing::ServerReply reply;
          reply.body = answer(r, seen_.size() - 1);
          return reply;
        }) {}
  std::string url() const { return server_.url(); }
  std::vector<ferry::testing::ServerRequest> seen() const {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ferry::testing::ServerRequest> seen_;  // guarded by mu_
  ferry::testing::HttpTestServer server_;            // last: its thread uses the two above
};

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

// "{item.X|join}" in a template column: a list's items joined with ',', a
// list the item lacks as empty (CloudQuery's allow_list of Lightsail's port states).
TEST(AwsDecode, TemplateJoinsListsAndReadsMissingListsAsEmpty) {
  const CatalogTable& t = Table("aws_lightsail_instance_port_states");
  Target target{.account_id = "123456789012", .region = "eu-west-1"};
  auto allow_list = [&](const json& item) {
    std::vector<std::string> warnings;
    Row row = ItemToRow(t, item, item, target, nullptr, &warnings);
    EXPECT_TRUE(warnings.empty());
    for (size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].name == "allow_list") return row[i].kind() == Value::Kind::kString ? row[i].as_string() : "NULL";
    return std::string("no column");
  };
  EXPECT_EQ(allow_list(json::parse(R"({"fromPort":22,"toPort":22,"protocol":"tcp","cidrs":["10.0.0.0/8","192.168.0.0/16"],
      "ipv6Cidrs":["::/0"],"cidrListAliases":["lightsail-connect"]})")),
            "cidrs=10.0.0.0/8,192.168.0.0/16,ipv6Cidrs=::/0,cidrListAliases=lightsail-connect");
  EXPECT_EQ(allow_list(json::parse(R"({"fromPort":80,"toPort":80,"protocol":"tcp","cidrs":[]})")),
            "cidrs=,ipv6Cidrs=,cidrListAliases=");
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

// A page's items left undecoded (CallPageItems) and decoded one at a time
// are the items of the page decoded whole, in the same order, and the page
// keeps its tokens.
void ExpectSameItems(const CatalogTable& t, const std::string& body) {
  SCOPED_TRACE(t.name);
  auto whole = DecodeAnswer(*t.service, t.call, Answer(body));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  std::vector<json> want;
  ForEachItem(*whole, t.call.items, 0, [&](const json& x) { want.push_back(x); });
  auto lazy = DecodePage(*t.service, t.call, Answer(body), &t.call.items);
  ASSERT_TRUE(lazy.ok()) << lazy.status().ToString();
  ASSERT_EQ(lazy->items.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(lazy->items.Decode(i), want[i]) << "item " << i;
  size_t left = 0;   // the items are not in the page
  ForEachItem(lazy->page, t.call.items, 0, [&](const json&) { ++left; });
  EXPECT_EQ(left, 0u);
  for (const auto& path : t.call.output_tokens) {
    const json* a = JsonAt(*whole, path);
    const json* b = JsonAt(lazy->page, path);
    EXPECT_EQ(a == nullptr, b == nullptr);
    if (a && b) EXPECT_EQ(*a, *b);
  }
}

TEST(AwsDecode, PagesHandTheirItemsOverUndecodedAndTheSame) {
  ExpectSameItems(Table("aws_ec2_instances"), R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <reservationSet>
    <item><reservationId>r-0a</reservationId><instancesSet>
        <item><instanceId>i-1</instanceId><tagSet><item><key>Name</key><value>web</value></item></tagSet></item>
        <item><instanceId>i-2</instanceId></item></instancesSet></item>
    <item><reservationId>r-0b</reservationId><instancesSet/></item>
    <item><reservationId>r-0c</reservationId><instancesSet><item><instanceId>i-3</instanceId></item></instancesSet></item>
  </reservationSet>
  <nextToken>tok-2</nextToken>
</DescribeInstancesResponse>)");
  ExpectSameItems(Table("aws_iam_users"), R"(<ListUsersResponse><ListUsersResult>
    <IsTruncated>true</IsTruncated><Marker>m-2</Marker>
    <Users><member><UserName>alice</UserName></member><member><UserName>bob</UserName></member></Users>
  </ListUsersResult></ListUsersResponse>)");
  ExpectSameItems(Table("aws_s3_buckets"), R"(<ListAllMyBucketsResult><Owner><ID>abc</ID></Owner>
  <Buckets><Bucket><Name>b-1</Name></Bucket><Bucket><Name>b-2</Name></Bucket></Buckets></ListAllMyBucketsResult>)");
  ExpectSameItems(Table("aws_lambda_functions"),
                  R"({"Functions":[{"FunctionName":"f1","LastModified":"2024-01-02T03:04:05.000+0000"},{"FunctionName":"f2"}],"NextMarker":"n-2"})");
  ExpectSameItems(Table("aws_iam_users"), "");
  ExpectSameItems(Table("aws_lambda_functions"), R"({"Functions":[]})");
}

// Every table of the catalog, on an answer made from its output shape: two
// items in every list, every member present.
class ShapeAnswer {
 public:
  explicit ShapeAnswer(const Service& svc) : svc_(svc) {}

  json Json(const Shape* s, int depth) {
    if (!s) return "x";
    if (s->type == "structure") {
      json out = json::object();
      if (depth > 7) return out;
      for (const auto& m : s->members)
        if (m.location.empty()) out[WireName(m)] = Json(svc_.Of(m), depth + 1);
      return out;
    }
    if (s->type == "list") {
      json out = json::array();
      if (depth > 7) return out;
      for (int i = 0; i < 2; ++i) out.push_back(Json(svc_.Of(s->member), depth + 1));
      return out;
    }
    if (s->type == "map") {
      json out = json::object();
      if (depth > 7) return out;
      for (int i = 0; i < 2; ++i) out["k" + std::to_string(++n_)] = Json(svc_.Of(s->value), depth + 1);
      return out;
    }
    ++n_;
    if (s->type == "integer" || s->type == "long") return n_;
    if (s->type == "boolean") return n_ % 2 == 0;
    if (s->type == "double" || s->type == "float") return n_ + 0.5;
    if (s->type == "timestamp") return 1700000000 + n_;
    return "v" + std::to_string(n_);
  }

  // The content of an element of shape `s`.
  std::string Xml(const Shape* s, int depth) {
    if (!s) return "x";
    std::string out;
    if (s->type == "structure") {
      if (depth > 7) return out;
      for (const auto& m : s->members) {
        if (!m.location.empty() || m.xml_attribute) continue;
        const Shape* ms = svc_.Of(m);
        const bool flat = ms && (m.flattened || ms->flattened);
        const std::string& name = WireName(m);
        if (flat && ms->type == "list") {
          for (int i = 0; i < 2; ++i) out += "<" + name + ">" + Xml(svc_.Of(ms->member), depth + 2) + "</" + name + ">";
        } else if (flat && ms->type == "map") {
          for (int i = 0; i < 2; ++i)
            out += "<" + name + ">" + Entry(*ms, depth + 2) + "</" + name + ">";
        } else {
          out += "<" + name + ">" + Xml(ms, depth + 1) + "</" + name + ">";
        }
      }
      return out;
    }
    if (s->type == "list") {
      if (depth > 7) return out;
      for (int i = 0; i < 2; ++i) out += "<member>" + Xml(svc_.Of(s->member), depth + 1) + "</member>";
      return out;
    }
    if (s->type == "map") {
      if (depth > 7) return out;
      for (int i = 0; i < 2; ++i) out += "<entry>" + Entry(*s, depth + 1) + "</entry>";
      return out;
    }
    ++n_;
    if (s->type == "integer" || s->type == "long") return std::to_string(n_);
    if (s->type == "boolean") return n_ % 2 == 0 ? "true" : "false";
    if (s->type == "double" || s->type == "float") return std::to_string(n_) + ".5";
    if (s->type == "timestamp") return "2024-01-02T03:04:" + std::to_string(10 + n_ % 50) + "Z";
    return "v" + std::to_string(n_);
  }

  std::string Answer(const Call& call) {
    const Shape* out = svc_.Find(call.output_shape);
    if (!out) return "";
    const Shape* payload = nullptr;
    for (const auto& m : out->members)
      if (!out->payload.empty() && m.name == out->payload) payload = svc_.Of(m);
    if (svc_.protocol == Protocol::kJson || svc_.protocol == Protocol::kRestJson)
      return Json(payload ? payload : out, 0).dump();
    if (payload) return "<Root>" + Xml(payload, 0) + "</Root>";
    if (svc_.protocol == Protocol::kQuery) {
      const std::string wrapper = call.result_wrapper.empty() ? call.operation + "Result" : call.result_wrapper;
      return "<" + call.operation + "Response><" + wrapper + ">" + Xml(out, 0) + "</" + wrapper + "></" +
             call.operation + "Response>";
    }
    return "<Root>" + Xml(out, 0) + "</Root>";
  }

 private:
  static const std::string& WireName(const MemberRef& m) { return m.location_name.empty() ? m.name : m.location_name; }
  std::string Entry(const Shape& map, int depth) {
    const std::string kn = map.key.location_name.empty() ? "key" : map.key.location_name;
    const std::string vn = map.value.location_name.empty() ? "value" : map.value.location_name;
    return "<" + kn + ">k" + std::to_string(++n_) + "</" + kn + "><" + vn + ">" + Xml(svc_.Of(map.value), depth) +
           "</" + vn + ">";
  }
  const Service& svc_;
  int n_ = 0;
};

TEST(AwsDecode, EveryTablesItemsAreTheSameDecodedOneAtATime) {
  int tables = 0, with_items = 0;
  Walk(BuiltinCatalog().tables, [&](const CatalogTable& t) {
    if (!CanDecodeItemsLazily(t.call.items) || t.call.output_shape.empty()) return;
    ++tables;
    const std::string body = ShapeAnswer(*t.service).Answer(t.call);
    auto whole = DecodeAnswer(*t.service, t.call, Answer(body));
    ASSERT_TRUE(whole.ok()) << t.name << ": " << whole.status().ToString();
    size_t n = 0;
    ForEachItem(*whole, t.call.items, 0, [&](const json&) { ++n; });
    if (n > 0) ++with_items;
    ExpectSameItems(t, body);
  });
  // Nearly every table has items in its made-up answer (else the answers
  // would prove nothing).
  EXPECT_GT(tables, 600);
  EXPECT_GT(with_items, tables * 9 / 10) << with_items << " of " << tables;
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

// CallPages follows each protocol's paginator: IAM's Marker with
// IsTruncated (query protocol, XML) against a fake of ListUsers' documented
// answers; the page size asked is the API's maximum (MaxItems=1000).
TEST(AwsDecode, QueryPagesFollowMarkerWhileIsTruncated) {
  RecordingServer fake([](const ferry::testing::ServerRequest& r, size_t) {
    const bool second = r.body.find("Marker=m2") != std::string::npos;
    return std::string("<ListUsersResponse><ListUsersResult><IsTruncated>") + (second ? "false" : "true") +
           "</IsTruncated>" + (second ? "" : "<Marker>m2</Marker>") + "<Users><member><UserName>" +
           (second ? "u2" : "u1") + "</UserName></member></Users></ListUsersResult></ListUsersResponse>";
  });
  auto made = http::HttpClient::Make({});
  ASSERT_TRUE(made.ok());
  std::shared_ptr<http::HttpClient> client = std::move(*made);
  ApiOptions api;
  api.http = client.get();
  api.endpoint = fake.url();
  Target t{.account_id = "123456789012", .region = "us-east-1"};
  t.credentials = [] { return Result<http::aws::AwsCredentials>(http::aws::AwsCredentials{"AKID", "secret"}); };
  const CatalogTable& users = Table("aws_iam_users");
  std::vector<std::string> names;
  Status st = CallPages(*users.service, users.call, t, api,
                        [](const std::string&) -> Result<std::string> { return std::string(); }, nullptr,
                        [&](const json& page) {
                          ForEachItem(page, users.call.items, 0, [&](const json& u) { names.push_back(u["UserName"]); });
                          return Status::OK();
                        });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(names, (std::vector<std::string>{"u1", "u2"}));
  std::vector<std::string> bodies;
  for (const auto& r : fake.seen()) bodies.push_back(r.body);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_NE(bodies[0].find("Action=ListUsers&Version=2010-05-08"), std::string::npos) << bodies[0];
  EXPECT_NE(bodies[0].find("MaxItems=1000"), std::string::npos) << bodies[0];
  EXPECT_EQ(bodies[0].find("Marker="), std::string::npos) << bodies[0];
}

// A fake of Route 53's ListResourceRecordSets (rest-xml, its documented
// answer): record sets in Route 53's order, `page` per answer whatever
// maxitems asks, the next page named by NextRecordName, NextRecordType and,
// when the next record set has one, NextRecordIdentifier. Requests are kept
// as their query parameters.
class FakeRecordSets {
 public:
  struct Record {
    std::string name, type, id;
  };
  FakeRecordSets(std::vector<Record> records, size_t page) : records_(std::move(records)), page_(page) {}

  ferry::testing::ServerReply Serve(const ferry::testing::ServerRequest& r) {
    std::map<std::string, std::string> q;
    auto at = r.target.find('?');
    std::string query = at == std::string::npos ? "" : r.target.substr(at + 1);
    for (size_t i = 0; i < query.size();) {
      size_t amp = query.find('&', i);
      std::string kv = query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
      auto eq = kv.find('=');
      q[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (amp == std::string::npos) break;
      i = amp + 1;
    }
    std::lock_guard<std::mutex> l(mu_);
    paths_.push_back(r.target.substr(0, at));
    queries_.push_back(q);
    size_t start = 0;
    if (q.count("name")) {
      while (start < records_.size() &&
             !(records_[start].name == q["name"] && records_[start].type == q["type"] &&
               (!q.count("identifier") || records_[start].id == q["identifier"])))
        ++start;
    }
    const size_t end = std::min(records_.size(), start + page_);
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListResourceRecordSetsResponse "
                       "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ResourceRecordSets>";
    for (size_t i = start; i < end; ++i) {
      const Record& rec = records_[i];
      body += "<ResourceRecordSet><Name>" + rec.name + "</Name><Type>" + rec.type + "</Type>" +
              (rec.id.empty() ? "" : "<SetIdentifier>" + rec.id + "</SetIdentifier><Weight>1</Weight>") +
              "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord>"
              "</ResourceRecords></ResourceRecordSet>";
    }
    body += "</ResourceRecordSets><IsTruncated>" + std::string(end < records_.size() ? "true" : "false") +
            "</IsTruncated><MaxItems>" + q["maxitems"] + "</MaxItems>";
    if (end < records_.size()) {
      const Record& next = records_[end];
      body += "<NextRecordName>" + next.name + "</NextRecordName><NextRecordType>" + next.type + "</NextRecordType>";
      if (!next.id.empty()) body += "<NextRecordIdentifier>" + next.id + "</NextRecordIdentifier>";
    }
    ferry::testing::ServerReply reply;
    reply.body = body + "</ListResourceRecordSetsResponse>";
    return reply;
  }
  std::vector<std::map<std::string, std::string>> queries() {
    std::lock_guard<std::mutex> l(mu_);
    return queries_;
  }
  std::vector<std::string> paths() {
    std::lock_guard<std::mutex> l(mu_);
    return paths_;
  }

 private:
  std::vector<Record> records_;
  size_t page_;
  std::mutex mu_;
  std::vector<std::map<std::string, std::string>> queries_;
  std::vector<std::string> paths_;
};

struct FakeClient {
  std::shared_ptr<http::HttpClient> client;
  ApiOptions api;
  Target target{.account_id = "123456789012", .region = "us-east-1"};
  explicit FakeClient(const std::string& url) {
    auto made = http::HttpClient::Make({});
    client = std::move(*made);
    api.http = client.get();
    api.endpoint = url;
    target.credentials = [] { return Result<http::aws::AwsCredentials>(http::aws::AwsCredentials{"AKID", "secret"}); };
  }
  // Every record set of the table's call for hosted zone Z1, as "name type id".
  Status Records(const CatalogTable& t, std::vector<std::string>* out) {
    auto expand = [](const std::string& name) -> Result<std::string> {
      if (name == "parent.id|basename") return std::string("Z1");
      return Status::Invalid("unexpected placeholder " + name);
    };
    return CallPages(*t.service, t.call, target, api, expand, nullptr, [&](const json& page) {
      ForEachItem(page, t.call.items, 0, [&](const json& r) {
        out->push_back(r["Name"].get<std::string>() + " " + r["Type"].get<std::string>() + " " +
                       r.value("SetIdentifier", std::string()));
      });
      return Status::OK();
    });
  }
};

// Route 53's ListResourceRecordSets pages by three tokens: every token of an
// answer goes into the next request, one the answer lacks is not sent (the
// identifier of the page before is not carried over), and the last page is
// the one with IsTruncated false.
TEST(AwsDecode, PagesWithSeveralTokensSendEveryTokenOfTheAnswer) {
  const CatalogTable& t = Table("aws_route53_hosted_zone_resource_record_sets");
  ASSERT_EQ(t.call.token_inputs.size(), 3u);
  FakeRecordSets fake({{"a.example.com.", "A", ""},
                       {"a.example.com.", "AAAA", ""},
                       {"m.example.com.", "MX", ""},
                       {"w.example.com.", "CNAME", "w1"},
                       {"w.example.com.", "CNAME", "w2"},
                       {"w.example.com.", "CNAME", "w3"},
                       {"z.example.com.", "TXT", ""}},
                      2);
  ferry::testing::HttpTestServer server([&](const ferry::testing::ServerRequest& r) { return fake.Serve(r); });
  FakeClient c(server.url());
  std::vector<std::string> got;
  Status st = c.Records(t, &got);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, (std::vector<std::string>{"a.example.com. A ", "a.example.com. AAAA ", "m.example.com. MX ",
                                           "w.example.com. CNAME w1", "w.example.com. CNAME w2",
                                           "w.example.com. CNAME w3", "z.example.com. TXT "}));
  using Q = std::map<std::string, std::string>;
  EXPECT_EQ(fake.queries(), (std::vector<Q>{{{"maxitems", "300"}},
                                            {{"maxitems", "300"}, {"name", "m.example.com."}, {"type", "MX"}},
                                            {{"maxitems", "300"}, {"name", "w.example.com."}, {"type", "CNAME"},
                                             {"identifier", "w2"}},
                                            {{"maxitems", "300"}, {"name", "z.example.com."}, {"type", "TXT"}}}));
  for (const auto& p : fake.paths()) EXPECT_EQ(p, "/2013-04-01/hostedzone/Z1/rrset");
}

// Big answers (kBigAnswerBytes and more) are decoded and handed on no more
// than max(2, cores) at a time across the process; small ones never take a
// slot; a call made inside on_page on the same thread, or on a thread started
// with BigAnswerInherit (per-item calls), does not wait for another slot (it
// would wait for its own caller).
TEST(AwsDecode, BigAnswersAreDecodedAFewAtATimeAndNestedCallsDoNotWait) {
  const CatalogTable& t = Table("aws_route53_hosted_zone_resource_record_sets");
  auto page = [](size_t bytes) {
    std::string records;
    for (int i = 0; records.size() < bytes; ++i)
      records += "<ResourceRecordSet><Name>r" + std::to_string(i) + ".example.com.</Name><Type>A</Type>"
                 "</ResourceRecordSet>";
    return "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
           "<ResourceRecordSets>" + records + "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
           "</ListResourceRecordSetsResponse>";
  };
  const std::string big = page(kBigAnswerBytes + 1000), small = page(10000);
  std::atomic<bool> serve_big{true};
  ferry::testing::HttpTestServer server([&](const ferry::testing::ServerRequest&) {
    ferry::testing::ServerReply reply;
    reply.body = serve_big ? big : small;
    return reply;
  });
  FakeClient c(server.url());
  auto expand = [](const std::string&) -> Result<std::string> { return std::string("Z1"); };
  std::atomic<int> inside{0}, most{0}, nested_ok{0};   // calls in on_page at once, and the most seen
  auto call = [&](bool nest) {
    return CallPages(*t.service, t.call, c.target, c.api, expand, nullptr, [&](const json&) {
      const int now = ++inside;
      int m = most.load();
      while (now > m && !most.compare_exchange_weak(m, now)) {
      }
      EXPECT_EQ(HoldingBigAnswer(), serve_big.load());
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      if (nest) {
        // A relation on this thread, and a per-item call on a thread of its own.
        Status inner = CallPages(*t.service, t.call, c.target, c.api, expand, nullptr,
                                 [&](const json&) { return Status::OK(); });
        const bool held = HoldingBigAnswer();
        Status other;
        std::thread([&] {
          BigAnswerInherit inherit(held);
          other = CallPages(*t.service, t.call, c.target, c.api, expand, nullptr,
                            [&](const json&) { return Status::OK(); });
        }).join();
        if (inner.ok() && other.ok()) ++nested_ok;
      }
      --inside;
      return Status::OK();
    });
  };
  const int slots = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  std::vector<Status> results(3 * slots);
  for (size_t i = 0; i < results.size(); ++i) threads.emplace_back([&, i] { results[i] = call(i % 2 == 0); });
  for (auto& th : threads) th.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(most.load(), slots) << "big answers handed on at once";
  EXPECT_EQ(nested_ok.load(), static_cast<int>(results.size() + 1) / 2);
  EXPECT_EQ(BigAnswersInFlight(), 0);

  serve_big = false;   // small answers take no slot: all at once
  most = 0;
  threads.clear();
  for (int i = 0; i < 3 * slots; ++i) threads.emplace_back([&] { EXPECT_TRUE(call(false).ok()); });
  for (auto& th : threads) th.join();
  EXPECT_GT(most.load(), slots);
  EXPECT_EQ(BigAnswersInFlight(), 0);
}

// The loop guard compares the whole token tuple: answers that differ only in
// the identifier go on; the same tuple twice stops with an error. An answer
// with IsTruncated false is the last even when it names a next record.
TEST(AwsDecode, PagesWithSeveralTokensStopOnARepeatedTupleOrWhenNotTruncated) {
  const CatalogTable& t = Table("aws_route53_hosted_zone_resource_record_sets");
  std::atomic<int> calls{0};
  std::atomic<bool> truncated{true};
  ferry::testing::HttpTestServer server([&](const ferry::testing::ServerRequest&) {
    const int n = ++calls;
    ferry::testing::ServerReply reply;
    reply.body = "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                 "<ResourceRecordSets><ResourceRecordSet><Name>w.example.com.</Name><Type>CNAME</Type>"
                 "</ResourceRecordSet></ResourceRecordSets><IsTruncated>" +
                 std::string(truncated ? "true" : "false") +
                 "</IsTruncated><NextRecordName>w.example.com.</NextRecordName><NextRecordType>CNAME"
                 "</NextRecordType><NextRecordIdentifier>" +
                 (n == 1 ? "w1" : "w2") + "</NextRecordIdentifier></ListResourceRecordSetsResponse>";
    return reply;
  });
  FakeClient c(server.url());
  std::vector<std::string> got;
  Status st = c.Records(t, &got);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("the same page tokens twice"), std::string::npos) << st.ToString();
  EXPECT_EQ(calls.load(), 3);   // (w, CNAME, w1), (w, CNAME, w2), then (w, CNAME, w2) again

  calls = 0;
  truncated = false;
  got.clear();
  st = c.Records(t, &got);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(got.size(), 1u);
}

// A rest-json POST with no member in the body still sends "{}" as JSON, as
// AWS's SDKs do (AWS Batch's DescribeJobQueues); without it the HTTP
// client's default form content type goes out and moto answers 404.
TEST(AwsDecode, RestJsonPostsWithoutBodyMembersSendAnEmptyJsonObject) {
  RecordingServer server([](const ferry::testing::ServerRequest&, size_t i) -> std::string {
    return i == 0 ? R"({"jobQueues": [{"jobQueueName": "q1"}], "nextToken": "t2"})"
                  : R"({"jobQueues": [{"jobQueueName": "q2"}]})";
  });
  FakeClient c(server.url());
  const CatalogTable& t = Table("aws_batch_job_queues");
  std::vector<std::string> names;
  Status st = CallPages(*t.service, t.call, c.target, c.api,
                        [](const std::string&) -> Result<std::string> { return std::string(); }, nullptr,
                        [&](const json& page) {
                          ForEachItem(page, t.call.items, 0, [&](const json& q) { names.push_back(q["jobQueueName"]); });
                          return Status::OK();
                        });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(names, (std::vector<std::string>{"q1", "q2"}));
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/describejobqueues");
  EXPECT_EQ(seen[0].body, "{}");
  EXPECT_EQ(seen[0].headers["Content-Type"], "application/json");
  EXPECT_EQ(json::parse(seen[1].body), (json{{"nextToken", "t2"}}));
}

// DocumentDB and Neptune are RDS's API with a fixed Filters structure: its
// form keys are those AWS's SDKs write (generate.py also compares them with
// botocore's serializer), and placeholders in it are expanded per parent row.
TEST(AwsDecode, QueryStructuresAreSentAsAwsSdksSerialiseThem) {
  RecordingServer server([](const ferry::testing::ServerRequest& r, size_t) -> std::string {
    const bool instances = r.body.find("Action=DescribeDBInstances") != std::string::npos;
    return instances ? R"(<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>
        <DBInstance><DBInstanceIdentifier>i-1</DBInstanceIdentifier><Engine>docdb</Engine></DBInstance>
        </DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>)"
                     : R"(<DescribeDBClustersResponse><DescribeDBClustersResult><DBClusters>
        <DBCluster><DBClusterIdentifier>n-1</DBClusterIdentifier><Engine>neptune</Engine></DBCluster>
        </DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>)";
  });
  FakeClient c(server.url());
  auto expand = [](const std::string& name) -> Result<std::string> {
    if (name == "parent.db_cluster_identifier") return std::string("docdb-cluster-1");
    return Status::Invalid("unexpected placeholder " + name);
  };
  std::vector<std::string> ids;
  auto collect = [&](const CatalogTable& t) {
    return CallPages(*t.service, t.call, c.target, c.api, expand, nullptr, [&](const json& page) {
      ForEachItem(page, t.call.items, 0, [&](const json& x) {
        ids.push_back(x.value("DBClusterIdentifier", x.value("DBInstanceIdentifier", std::string())));
      });
      return Status::OK();
    });
  };
  Status st = collect(Table("aws_neptune_clusters"));
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = collect(Table("aws_docdb_instances"));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ids, (std::vector<std::string>{"n-1", "i-1"}));
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].body.find("Action=DescribeDBClusters&Version=2014-10-31"), std::string::npos) << seen[0].body;
  EXPECT_NE(seen[0].body.find("&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=neptune"),
            std::string::npos) << seen[0].body;
  EXPECT_NE(seen[1].body.find("&Filters.Filter.1.Name=db-cluster-id&Filters.Filter.1.Values.Value.1=docdb-cluster-1"),
            std::string::npos) << seen[1].body;
  // Signed for RDS, whose API both are.
  EXPECT_NE(seen[0].headers["Authorization"].find("/us-east-1/rds/aws4_request"), std::string::npos);
}

// S3 Control's operations go to the account's own host (the model's
// hostPrefix "{AccountId}."), except on a custom endpoint (moto), where the
// x-amz-account-id header says the account. WAF Classic has one global
// endpoint, signed for us-east-1.
TEST(AwsDecode, S3ControlCallsTheAccountsHostAndWafClassicItsGlobalEndpoint) {
  ApiOptions o;
  Target target{.account_id = "111122223333", .region = "eu-west-1"};
  std::string account = "111122223333";
  auto expand = [&](const std::string& name) -> Result<std::string> {
    if (name == "account") return account;
    return Status::Invalid("unexpected placeholder " + name);
  };
  std::string signing;
  const CatalogTable& ap = Table("aws_s3_access_points");
  auto url = CallBaseUrl(*ap.service, ap.call, target, o, expand, &signing);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url, "https://111122223333.s3-control.eu-west-1.amazonaws.com");
  EXPECT_EQ(signing, "eu-west-1");
  ASSERT_EQ(ap.call.inputs.size(), 2u);
  EXPECT_EQ(ap.call.inputs[0].location, "header");
  EXPECT_EQ(ap.call.inputs[0].name, "x-amz-account-id");
  EXPECT_EQ(ap.call.inputs[0].value, "{account}");
  account = "1111/evil.example.com#";
  EXPECT_FALSE(CallBaseUrl(*ap.service, ap.call, target, o, expand, &signing).ok());
  account = "111122223333";
  o.endpoint = "http://127.0.0.1:5000";
  url = CallBaseUrl(*ap.service, ap.call, target, o, expand, &signing);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "http://127.0.0.1:5000");
  // A call without a host prefix is EndpointOf's URL.
  o.endpoint.clear();
  const CatalogTable& waf = Table("aws_waf_web_acls");
  url = CallBaseUrl(*waf.service, waf.call, target, o, expand, &signing);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "https://waf.amazonaws.com");
  EXPECT_EQ(signing, "us-east-1");
  EXPECT_EQ(waf.scope, TableScope::kAccount);
  // Organizations has one endpoint (botocore's endpoints.json), whatever the
  // account's default region; every table of it is read once per account.
  for (const char* name : {"aws_organizations_accounts", "aws_organizations_delegated_administrators"}) {
    const CatalogTable& org = Table(name);
    url = CallBaseUrl(*org.service, org.call, target, o, expand, &signing);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(*url, "https://organizations.us-east-1.amazonaws.com") << name;
    EXPECT_EQ(signing, "us-east-1") << name;
    EXPECT_EQ(org.scope, TableScope::kAccount) << name;
  }
}

// ---- for_each, when_parent, placeholder alternatives, first: columns

// Rows a resolver writes (tables without the column fast path).
class CollectRows : public sdk::RowWriter {
 public:
  Status Write(Row row) override {
    rows.push_back(std::move(row));
    return Status::OK();
  }
  ArrayBuilder& Column(size_t) override { std::abort(); }
  Status EndRow() override { return Status::OK(); }
  Status Checkpoint(const std::string&) override { return Status::OK(); }
  std::vector<Row> rows;
};

// A row's cell by column name, as text ("NULL" when null).
std::string Cell(const CatalogTable& t, const Row& row, const std::string& column) {
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i].name != column) continue;
    if (row[i].kind() == Value::Kind::kString) return row[i].as_string();
    if (row[i].kind() == Value::Kind::kInt) return std::to_string(row[i].as_int());
    return "NULL";
  }
  return "no column " + column;
}

// A parent row of `t` with these columns set (the others null).
Row RowOf(const CatalogTable& t, const std::map<std::string, Value>& cells) {
  Row row(t.columns.size());
  for (size_t i = 0; i < t.columns.size(); ++i) {
    auto it = cells.find(t.columns[i].name);
    if (it != cells.end()) row[i] = it->second;
  }
  return row;
}

// Column `name` of every row written, as text ("NULL" when null).
std::vector<std::string> Texts(const CatalogTable& t, const CollectRows& w, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& r : w.rows) out.push_back(Cell(t, r, name));
  return out;
}

// for_each lists a table once per value, {each} in its parameters and columns
// (Support's Trusted Advisor checks, once per language); when_parent lists a
// relation for the matching parent rows only (a check's summary with the
// English check); a skip code stops the values after one warning.
TEST(AwsDecode, ForEachListsOncePerValueAndWhenParentPicksTheParentRows) {
  RecordingServer fake([](const ferry::testing::ServerRequest& r, size_t) {
    const json body = json::parse(r.body);
    const std::string op = r.headers.at("X-Amz-Target");
    if (op.ends_with("DescribeTrustedAdvisorChecks"))
      return json{{"checks", {{{"id", "c1"}, {"name", "name-" + body["language"].get<std::string>()},
                               {"category", "security"}, {"description", "d"}, {"metadata", json::array()}}}}}.dump();
    return json{{"summaries", {{{"checkId", body["checkIds"][0]}, {"status", "ok"}, {"timestamp", "t"},
                                {"resourcesSummary", json::object()}, {"categorySpecificSummary", json::object()}}}}}
        .dump();
  });
  FakeClient fc(fake.url());
  auto data = std::make_shared<ClientData>();
  data->target = fc.target;
  sdk::Client client{"123456789012", data};
  FakeSink sink;
  std::atomic<bool> cancelled{false};
  const CatalogTable& checks = Table("aws_support_trusted_advisor_checks");
  ASSERT_EQ(checks.for_each.values.size(), 11u);
  CollectRows rows;
  sdk::ResolveContext ctx{client, nullptr, nullptr, sink, cancelled};
  Status st = ResolveTable(checks, fc.api, ctx, rows);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(rows.rows.size(), 11u);
  EXPECT_EQ(Cell(checks, rows.rows[0], "language_code"), "en");
  EXPECT_EQ(Cell(checks, rows.rows[0], "name"), "name-en");
  EXPECT_EQ(Cell(checks, rows.rows[0], "region"), "us-east-1");
  EXPECT_EQ(Cell(checks, rows.rows[10], "language_code"), "zh_TW");
  EXPECT_EQ(Cell(checks, rows.rows[10], "name"), "name-zh_TW");
  ASSERT_EQ(fake.seen().size(), 11u);

  const CatalogTable& summaries = Table("aws_support_trusted_advisor_check_summaries");
  const TableSchema parent_schema = SchemaOf(checks);
  for (size_t i : {0, 5}) {   // en, ja
    CollectRows child;
    sdk::ResolveContext cctx{client, &rows.rows[i], &parent_schema, sink, cancelled};
    st = ResolveTable(summaries, fc.api, cctx, child);
    ASSERT_TRUE(st.ok()) << st.ToString();
    if (i == 0) {
      ASSERT_EQ(child.rows.size(), 1u);
      EXPECT_EQ(Cell(summaries, child.rows[0], "check_id"), "c1");
      EXPECT_EQ(Cell(summaries, child.rows[0], "language_code"), "en");
    } else {
      EXPECT_TRUE(child.rows.empty());
    }
  }
  ASSERT_EQ(fake.seen().size(), 12u);   // the English check's summary only
  EXPECT_EQ(json::parse(fake.seen()[11].body)["checkIds"], json::array({"c1"}));
  EXPECT_TRUE(sink.warnings.empty());

  // Without a Business support plan: one warning, not one per language.
  ferry::testing::HttpTestServer refusing([](const ferry::testing::ServerRequest&) {
    ferry::testing::ServerReply reply;
    reply.status = 400;
    reply.body = R"({"__type":"SubscriptionRequiredException","message":"AWS Premium Support Subscription is required"})";
    return reply;
  });
  FakeClient fr(refusing.url());
  auto rdata = std::make_shared<ClientData>();
  rdata->target = fr.target;
  sdk::Client rclient{"123456789012", rdata};
  CollectRows none;
  sdk::ResolveContext rctx{rclient, nullptr, nullptr, sink, cancelled};
  st = ResolveTable(checks, fr.api, rctx, none);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(none.rows.empty());
  ASSERT_EQ(sink.warnings.size(), 1u);
  EXPECT_NE(sink.warnings[0].find("SubscriptionRequiredException"), std::string::npos) << sink.warnings[0];
}

// for_each over a parent row's JSON list: a Well-Architected lens review's
// improvements, once per pillar ({each.PillarId}), with the parent's integer
// milestone number as text in the request.
TEST(AwsDecode, ForEachListsOncePerItemOfAParentList) {
  RecordingServer fake([](const ferry::testing::ServerRequest& r, size_t) {
    const std::string pillar = r.target.find("PillarId=security") != std::string::npos ? "security" : "reliability";
    return json{{"ImprovementSummaries", {{{"QuestionId", "q-" + pillar}, {"PillarId", pillar}, {"Risk", "HIGH"}}}}}
        .dump();
  });
  FakeClient fc(fake.url());
  auto data = std::make_shared<ClientData>();
  data->target = fc.target;
  sdk::Client client{"123456789012:us-east-1", data};
  FakeSink sink;
  std::atomic<bool> cancelled{false};
  const CatalogTable& reviews = Table("aws_wellarchitected_lens_reviews");
  const CatalogTable& improvements = Table("aws_wellarchitected_lens_review_improvements");
  const TableSchema parent_schema = SchemaOf(reviews);
  Row parent = RowOf(reviews, {{"workload_arn", Value::String("arn:aws:wellarchitected:us-east-1:1:workload/w1")},
                               {"workload_id", Value::String("w1")},
                               {"milestone_number", Value::Int(3)},
                               {"lens_alias", Value::String("wellarchitected")},
                               {"pillar_review_summaries",
                                Value::String(R"([{"PillarId":"security"},{"PillarId":"reliability"}])")}});
  CollectRows rows;
  sdk::ResolveContext ctx{client, &parent, &parent_schema, sink, cancelled};
  Status st = ResolveTable(improvements, fc.api, ctx, rows);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(Cell(improvements, rows.rows[0], "pillar_id"), "security");
  EXPECT_EQ(Cell(improvements, rows.rows[1], "question_id"), "q-reliability");
  EXPECT_EQ(Cell(improvements, rows.rows[1], "milestone_number"), "3");
  EXPECT_EQ(Cell(improvements, rows.rows[1], "lens_alias"), "wellarchitected");
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].target.substr(0, seen[0].target.find('?')), "/workloads/w1/lensReviews/wellarchitected/improvements");
  EXPECT_NE(seen[0].target.find("MilestoneNumber=3"), std::string::npos) << seen[0].target;
  EXPECT_NE(seen[1].target.find("PillarId=reliability"), std::string::npos) << seen[1].target;

  // A parent without the list (NULL): no calls, no rows.
  Row bare = RowOf(reviews, {{"workload_id", Value::String("w1")}, {"lens_alias", Value::String("x")}});
  CollectRows none;
  sdk::ResolveContext bctx{client, &bare, &parent_schema, sink, cancelled};
  st = ResolveTable(improvements, fc.api, bctx, none);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(none.rows.empty());
  EXPECT_EQ(fake.seen().size(), 2u);
}

// "{a,b}": the first of the alternatives the item has (a Route 53 ARC safety
// rule is an assertion rule or a gating rule); NULL when it has neither.
TEST(AwsDecode, TemplateAlternativesTakeTheFirstTheItemHas) {
  const CatalogTable& t = Table("aws_route53recoverycontrolconfig_safety_rules");
  Target target{.account_id = "123456789012", .region = "us-west-2"};
  auto arn = [&](const char* item) {
    json j = json::parse(item);
    return Cell(t, ItemToRow(t, j, j, target, nullptr, nullptr), "arn");
  };
  EXPECT_EQ(arn(R"({"ASSERTION":{"SafetyRuleArn":"arn:a"}})"), "arn:a");
  EXPECT_EQ(arn(R"({"GATING":{"SafetyRuleArn":"arn:g"}})"), "arn:g");
  EXPECT_EQ(arn(R"({})"), "NULL");
}

// A for_each table lists once per value: fixed values (RAM's resource owners),
// the items of another service's call (Identity Store: each IAM Identity
// Center instance's identity store), or what paths reach in the parent row's
// JSON column, each value once (the configurations an MQ broker names). A
// `first:` column is the first of its paths the item has.
TEST(AwsDecode, ForEachListsOncePerValueAndFirstColumnsFallBack) {
  std::mutex mu;
  std::vector<std::string> calls;   // "target or path: body"
  RecordingServer fake([&](const ferry::testing::ServerRequest& r, size_t) -> std::string {
    std::string target;
    for (const auto& [k, v] : r.headers) {
      std::string lower = k;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (lower == "x-amz-target") target = v;
    }
    {
      std::lock_guard<std::mutex> l(mu);
      calls.push_back((target.empty() ? r.method + " " + r.target : target));
    }
    json body = json::parse(r.body.empty() ? "{}" : r.body, nullptr, false);
    if (r.target == "/listresources") {
      const std::string owner = body.value("resourceOwner", "?");
      return json{{"resources", {{{"arn", "arn:aws:ec2:us-east-1:1:subnet/" + owner}, {"resourceShareArn", "s"}}}}}.dump();
    }
    if (target.ends_with(".ListInstances"))
      return R"({"Instances":[{"InstanceArn":"i1","IdentityStoreId":"d-1"},{"InstanceArn":"i2","IdentityStoreId":"d-2"}]})";
    if (target.ends_with(".ListUsers")) {
      const std::string store = body.value("IdentityStoreId", "?");
      return json{{"Users", {{{"IdentityStoreId", store}, {"UserId", "u"}, {"UserArn", "arn:" + store + "/u"}}}}}.dump();
    }
    if (r.target.rfind("/v1/configurations/", 0) == 0) {
      const std::string id = r.target.substr(19);
      return json{{"arn", "arn:aws:mq:us-east-1:1:configuration:" + id}, {"id", id}, {"name", "n-" + id}}.dump();
    }
    return "{}";
  });
  FakeClient c(fake.url());
  auto data = std::make_shared<ClientData>();
  data->target = c.target;
  sdk::Client client{"123456789012:us-east-1", data};
  FakeSink sink;
  std::atomic<bool> cancelled{false};
  sdk::ResolveContext ctx{.client = client, .sink = sink, .cancelled = cancelled};

  const CatalogTable& resources = Table("aws_ram_resources");
  CollectRows ram;
  Status st = ResolveTable(resources, c.api, ctx, ram);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Texts(resources, ram, "arn"), (std::vector<std::string>{"arn:aws:ec2:us-east-1:1:subnet/SELF",
                                                                    "arn:aws:ec2:us-east-1:1:subnet/OTHER-ACCOUNTS"}));

  const CatalogTable& users = Table("aws_identitystore_users");
  CollectRows ids;
  st = ResolveTable(users, c.api, ctx, ids);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Texts(users, ids, "user_arn"), (std::vector<std::string>{"arn:d-1/u", "arn:d-2/u"}));
  EXPECT_EQ(Texts(users, ids, "arn"), (std::vector<std::string>{"arn:aws:identitystore:::user/u", "arn:aws:identitystore:::user/u"}));
  EXPECT_EQ(Texts(users, ids, "identity_store_id"), (std::vector<std::string>{"d-1", "d-2"}));

  // A broker whose current configuration is also in its history: read once.
  const CatalogTable& brokers = Table("aws_mq_brokers");
  const TableSchema broker_schema = SchemaOf(brokers);
  Row broker;
  for (const auto& col : brokers.columns) {
    if (col.name == "arn") broker.push_back(Value::String("arn:aws:mq:us-east-1:1:broker:b"));
    else if (col.name == "configurations")
      broker.push_back(Value::String(R"({"Current":{"Id":"c-1","Revision":2},"History":[{"Id":"c-0","Revision":1},{"Id":"c-1","Revision":1}]})"));
    else broker.push_back(Value::Null());
  }
  sdk::ResolveContext child{.client = client, .parent = &broker, .parent_schema = &broker_schema, .sink = sink,
                            .cancelled = cancelled};
  const CatalogTable& configs = *brokers.relations[1];
  ASSERT_EQ(configs.name, "aws_mq_broker_configurations");
  CollectRows mq;
  st = ResolveTable(configs, c.api, child, mq);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Texts(configs, mq, "id"), (std::vector<std::string>{"c-1", "c-0"}));
  EXPECT_EQ(Texts(configs, mq, "broker_arn"), (std::vector<std::string>{"arn:aws:mq:us-east-1:1:broker:b",
                                                                        "arn:aws:mq:us-east-1:1:broker:b"}));
  EXPECT_TRUE(sink.warnings.empty());
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(calls.size(), 2u + 3u + 2u);
  }

  // first: a RAM invitation's receiver is its ARN, else its account id.
  const CatalogTable& inv = Table("aws_ram_resource_share_invitations");
  Target target{.account_id = "123456789012", .region = "eu-west-1"};
  auto receiver = [&](const char* item_json) {
    json item = json::parse(item_json);
    Row row = ItemToRow(inv, item, item, target, nullptr, nullptr);
    for (size_t i = 0; i < inv.columns.size(); ++i)
      if (inv.columns[i].name == "receiver_combined")
        return row[i].kind() == Value::Kind::kString ? row[i].as_string() : std::string("NULL");
    return std::string("no column");
  };
  EXPECT_EQ(receiver(R"({"receiverArn":"arn:aws:iam::2:role/r","receiverAccountId":"2"})"), "arn:aws:iam::2:role/r");
  EXPECT_EQ(receiver(R"({"receiverAccountId":"2"})"), "2");
  EXPECT_EQ(receiver(R"({})"), "NULL");
}

// The other forms and how errors of a for_each listing are classified: every
// value of an input's enum in the model (Application Auto Scaling's service
// namespaces), one at a time; an error of one value that is not ignored fails
// the table. Values from another call (Identity Store's, each IAM Identity
// Center instance's identity store): a store named twice is read once, an
// ignored error skips that value only, a skip code ends the values with one
// warning, and the values' own call answering a skip code is one warning.
TEST(AwsDecode, ForEachOverAnEnumOrACallsItemsClassifiesEachValuesErrors) {
  std::mutex mu;
  std::vector<std::string> asked;   // "Operation value"
  std::string mode;                 // guarded by mu
  ferry::testing::HttpTestServer fake([&](const ferry::testing::ServerRequest& r) {
    const std::string op = r.headers.at("X-Amz-Target").substr(r.headers.at("X-Amz-Target").find('.') + 1);
    const json body = json::parse(r.body.empty() ? "{}" : r.body);
    ferry::testing::ServerReply reply;
    auto error = [&](const char* code) {
      reply.status = 400;
      reply.body = json{{"__type", code}, {"message", std::string(code) + " here"}}.dump();
    };
    std::lock_guard<std::mutex> l(mu);
    if (op == "DescribeScalingPolicies") {
      const std::string ns = body.value("ServiceNamespace", "?");
      asked.push_back(op + " " + ns);
      if (ns == "dynamodb" && mode == "fail") error("ValidationException");
      else if (ns == "ecs" || ns == "dynamodb")
        reply.body = json{{"ScalingPolicies", {{{"PolicyARN", "arn:p-" + ns}, {"ServiceNamespace", ns}}}}}.dump();
      else reply.body = R"({"ScalingPolicies":[]})";
    } else if (op == "ListInstances") {
      asked.push_back(op);
      if (mode == "denied") error("AccessDeniedException");
      else reply.body = R"({"Instances":[{"IdentityStoreId":"d-1"},{"IdentityStoreId":"d-2"},{"IdentityStoreId":"d-1"}]})";
    } else if (op == "ListUsers") {
      const std::string store = body.value("IdentityStoreId", "?");
      asked.push_back(op + " " + store);
      if (store == "d-1" && mode == "gone") error("ResourceNotFoundException");
      else if (store == "d-1" && mode == "store denied") error("AccessDeniedException");
      else reply.body = json{{"Users", {{{"IdentityStoreId", store}, {"UserId", "u-" + store}}}}}.dump();
    } else {
      reply.status = 404;
    }
    return reply;
  });
  FakeClient c(fake.url());
  auto data = std::make_shared<ClientData>();
  data->target = c.target;
  sdk::Client client{"123456789012:us-east-1", data};
  std::atomic<bool> cancelled{false};
  auto run = [&](const CatalogTable& t, const std::string& m, FakeSink& sink, CollectRows& rows) {
    {
      std::lock_guard<std::mutex> l(mu);
      mode = m;
      asked.clear();
    }
    sdk::ResolveContext ctx{.client = client, .sink = sink, .cancelled = cancelled};
    return ResolveTable(t, c.api, ctx, rows);
  };
  auto calls = [&] {
    std::lock_guard<std::mutex> l(mu);
    return asked;
  };

  // The enum: every namespace the model has, in its order.
  const CatalogTable& policies = Table("aws_applicationautoscaling_policies");
  std::vector<std::string> namespaces;
  for (const auto& v : policies.for_each.values) namespaces.push_back(v.get<std::string>());
  ASSERT_GE(namespaces.size(), 10u);
  EXPECT_NE(std::find(namespaces.begin(), namespaces.end(), "ecs"), namespaces.end());
  EXPECT_NE(std::find(namespaces.begin(), namespaces.end(), "dynamodb"), namespaces.end());
  {
    FakeSink sink;
    CollectRows rows;
    Status st = run(policies, "", sink, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(calls().size(), namespaces.size());
    auto arns = Texts(policies, rows, "arn");
    std::sort(arns.begin(), arns.end());
    EXPECT_EQ(arns, (std::vector<std::string>{"arn:p-dynamodb", "arn:p-ecs"}));
    EXPECT_TRUE(sink.warnings.empty());
  }
  {
    FakeSink sink;
    CollectRows rows;
    Status st = run(policies, "fail", sink, rows);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("ValidationException"), std::string::npos) << st.ToString();
  }

  const CatalogTable& users = Table("aws_identitystore_users");
  ASSERT_NE(users.for_each.service, nullptr);
  {   // d-1 named twice: read once.
    FakeSink sink;
    CollectRows rows;
    Status st = run(users, "", sink, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(calls(), (std::vector<std::string>{"ListInstances", "ListUsers d-1", "ListUsers d-2"}));
    EXPECT_EQ(Texts(users, rows, "identity_store_id"), (std::vector<std::string>{"d-1", "d-2"}));
    EXPECT_TRUE(sink.warnings.empty());
  }
  {   // An ignored error (ignore_errors: ResourceNotFoundException): that store has no rows.
    FakeSink sink;
    CollectRows rows;
    Status st = run(users, "gone", sink, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(Texts(users, rows, "user_id"), (std::vector<std::string>{"u-d-2"}));
    EXPECT_TRUE(sink.warnings.empty());
  }
  {   // A skip code: one warning naming the value, no further values.
    FakeSink sink;
    CollectRows rows;
    Status st = run(users, "store denied", sink, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(rows.rows.empty());
    EXPECT_EQ(calls(), (std::vector<std::string>{"ListInstances", "ListUsers d-1"}));
    ASSERT_EQ(sink.warnings.size(), 1u);
    EXPECT_NE(sink.warnings[0].find("(d-1)"), std::string::npos) << sink.warnings[0];
  }
  {   // The values' call denied: one warning, nothing listed.
    FakeSink sink;
    CollectRows rows;
    Status st = run(users, "denied", sink, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(rows.rows.empty());
    EXPECT_EQ(calls(), (std::vector<std::string>{"ListInstances"}));
    ASSERT_EQ(sink.warnings.size(), 1u);
    EXPECT_NE(sink.warnings[0].find("AccessDeniedException"), std::string::npos) << sink.warnings[0];
  }
}

std::string Text(const Value& v);

// ---- the catalog's generic abilities, run by ResolveTable against fakes

// A fake AWS endpoint answering each request with `answer`'s reply, keeping
// the requests.
class FakeAws {
 public:
  using Answer = std::function<ferry::testing::ServerReply(const ferry::testing::ServerRequest&)>;
  explicit FakeAws(Answer answer)
      : server_([this, answer = std::move(answer)](const ferry::testing::ServerRequest& r) {
          {
            std::lock_guard<std::mutex> l(mu_);
            seen_.push_back(r);
          }
          return answer(r);
        }) {}
  std::string url() const { return server_.url(); }
  std::vector<ferry::testing::ServerRequest> seen() const {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  // The requests whose body holds `text`.
  size_t Count(const std::string& text) const {
    size_t n = 0;
    for (const auto& r : seen()) n += r.body.find(text) != std::string::npos;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ferry::testing::ServerRequest> seen_;
  ferry::testing::HttpTestServer server_;
};

ferry::testing::ServerReply Reply(std::string body, int status = 200) {
  ferry::testing::ServerReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

struct Resolved {
  Status status;
  std::vector<std::map<std::string, Value>> rows;
  std::vector<std::string> warnings;
};

// Runs `table` for account 123456789012 in us-east-1 against `url`, under a
// parent row of `parent_table` with the given text columns.
Resolved Resolve(const CatalogTable& table, const std::string& url, bool paid = false,
                 const std::string& parent_table = "", const std::map<std::string, std::string>& parent = {}) {
  FakeClient fc(url);
  fc.api.use_paid_apis = paid;
  auto data = std::make_shared<ClientData>();
  data->target = fc.target;
  sdk::Client client{"123456789012:us-east-1", data};
  FakeSink sink;
  std::atomic<bool> cancelled{false};
  TableSchema parent_schema;
  Row parent_row;
  if (!parent_table.empty()) {
    parent_schema = SchemaOf(Table(parent_table));
    for (const auto& c : parent_schema.columns)
      parent_row.push_back(parent.count(c.name) ? Value::String(parent.at(c.name)) : Value::Null());
  }
  sdk::ResolveContext ctx{client, parent_table.empty() ? nullptr : &parent_row,
                          parent_table.empty() ? nullptr : &parent_schema, sink, cancelled};
  CollectRows out;
  Resolved r;
  r.status = ResolveTable(table, fc.api, ctx, out);
  for (const auto& row : out.rows) {
    std::map<std::string, Value> by;
    for (size_t i = 0; i < table.columns.size(); ++i) by[table.columns[i].name] = row[i];
    r.rows.push_back(std::move(by));
  }
  r.warnings = sink.warnings;
  return r;
}

std::string Iam(const std::string& action, const std::string& result) {
  return "<" + action + "Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><" + action + "Result>" + result +
         "</" + action + "Result></" + action + "Response>";
}

// IAM's last accessed details: GenerateServiceLastAccessedDetails starts a
// job, GetServiceLastAccessedDetails (one item a poll) is asked until the
// job is COMPLETED, then read to its last page with the job's id; a FAILED
// job is an error that says why.
TEST(AwsDecode, JobsArePolledUntilDoneThenReadWithTheirId) {
  std::atomic<int> polls{0};
  std::atomic<bool> fail{false};
  FakeAws fake([&](const ferry::testing::ServerRequest& r) {
    if (r.body.find("Action=GenerateServiceLastAccessedDetails") != std::string::npos)
      return Reply(Iam("GenerateServiceLastAccessedDetails", "<JobId>job-7</JobId>"));
    if (r.body.find("MaxItems=1&") != std::string::npos || r.body.ends_with("MaxItems=1")) {
      if (fail) return Reply(Iam("GetServiceLastAccessedDetails", "<JobStatus>FAILED</JobStatus><Error><Message>no "
                                                                   "such entity</Message><Code>x</Code></Error>"));
      return Reply(Iam("GetServiceLastAccessedDetails", std::string("<JobStatus>") +
                                                            (++polls < 2 ? "IN_PROGRESS" : "COMPLETED") + "</JobStatus>"));
    }
    const bool second = r.body.find("Marker=m2") != std::string::npos;
    return Reply(Iam("GetServiceLastAccessedDetails",
                     std::string("<JobStatus>COMPLETED</JobStatus><ServicesLastAccessed><member><ServiceName>") +
                         (second ? "Amazon S3</ServiceName><ServiceNamespace>s3" : "AWS Lambda</ServiceName><ServiceNamespace>lambda") +
                         "</ServiceNamespace><TotalAuthenticatedEntities>1</TotalAuthenticatedEntities></member>"
                         "</ServicesLastAccessed><IsTruncated>" + (second ? "false" : "true</IsTruncated><Marker>m2</Marker><IsTruncated>true") +
                         "</IsTruncated>"));
  });
  const std::string arn = "arn:aws:iam::123456789012:user/alice";
  Resolved r = Resolve(Table("aws_iam_user_last_accessed_details"), fake.url(), false, "aws_iam_users", {{"arn", arn}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(Text(r.rows[0]["service_namespace"]), "lambda");
  EXPECT_EQ(Text(r.rows[1]["service_namespace"]), "s3");
  for (auto& row : r.rows) {
    EXPECT_EQ(Text(row["job_id"]), "job-7");
    EXPECT_EQ(Text(row["user_arn"]), arn);
    EXPECT_EQ(Text(row["account_id"]), "123456789012");
  }
  EXPECT_EQ(polls.load(), 2);
  EXPECT_EQ(fake.Count("Action=GenerateServiceLastAccessedDetails&Version=2010-05-08&Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Falice&Granularity=ACTION_LEVEL"), 1u);
  EXPECT_EQ(fake.Count("JobId=job-7&MaxItems=1000"), 2u);   // the two pages
  fail = true;
  r = Resolve(Table("aws_iam_user_last_accessed_details"), fake.url(), false, "aws_iam_users", {{"arn", arn}});
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("job ended FAILED"), std::string::npos) << r.status.ToString();
  EXPECT_NE(r.status.message().find("no such entity"), std::string::npos) << r.status.ToString();
}

// IAM's credential report: GenerateCredentialReport asked again until its
// State is COMPLETE, then GetCredentialReport's CSV (a base64 blob) is a row
// per line; "N/A" and "not_supported" in a time column are NULL, the other
// columns keep the text.
TEST(AwsDecode, CredentialReportIsWaitedForAndItsCsvLinesAreRows) {
  std::atomic<int> generated{0};
  const std::string csv =
      "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
      "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
      "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
      "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
      "cert_2_last_rotated\n"
      "<root_account>,arn:aws:iam::123456789012:root,2024-01-02T03:04:05+00:00,not_supported,2024-05-06T07:08:09+00:00,"
      "not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
      "\"bob, the builder\",arn:aws:iam::123456789012:user/bob,2024-02-03T04:05:06+00:00,false,no_information,N/A,N/A,"
      "false,true,2024-02-03T04:05:07+00:00,2024-03-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";
  FakeAws fake([&](const ferry::testing::ServerRequest& r) {
    if (r.body.find("Action=GenerateCredentialReport") != std::string::npos)
      return Reply(Iam("GenerateCredentialReport",
                       std::string("<State>") + (++generated < 3 ? "STARTED" : "COMPLETE") + "</State>"));
    std::string content;
    AppendBase64(csv, &content);
    return Reply(Iam("GetCredentialReport", "<Content>" + content +
                                                "</Content><ReportFormat>text/csv</ReportFormat>"
                                                "<GeneratedTime>2024-06-01T00:00:00Z</GeneratedTime>"));
  });
  Resolved r = Resolve(Table("aws_iam_credential_reports"), fake.url());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(generated.load(), 3);
  EXPECT_EQ(fake.Count("Action=GetCredentialReport"), 1u);
  ASSERT_EQ(r.rows.size(), 2u);
  auto& root = r.rows[0];
  EXPECT_EQ(Text(root["arn"]), "arn:aws:iam::123456789012:root");
  EXPECT_EQ(root["user_creation_time"].as_int(), *ParseRfc3339("2024-01-02T03:04:05Z"));
  EXPECT_EQ(root["password_last_used"].as_int(), *ParseRfc3339("2024-05-06T07:08:09Z"));
  EXPECT_EQ(Text(root["password_enabled"]), "not_supported");
  EXPECT_EQ(root["password_last_changed"].kind(), Value::Kind::kNull);
  EXPECT_EQ(root["mfa_active"].kind(), Value::Kind::kBool);
  EXPECT_TRUE(root["mfa_active"].as_bool());
  auto& bob = r.rows[1];
  EXPECT_EQ(Text(bob["user"]), "bob, the builder");
  EXPECT_EQ(bob["password_last_used"].kind(), Value::Kind::kNull);
  EXPECT_TRUE(bob["access_key1_active"].as_bool());
  EXPECT_EQ(Text(bob["access_key1_last_used_region"]), "us-east-1");
  EXPECT_EQ(bob["access_key_1_last_used_date"].as_int(), *ParseRfc3339("2024-03-01T00:00:00Z"));
  EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(r.warnings);
}

// for_each: Account's GetAlternateContact once per contact type of the
// model's enum; a type not set (ResourceNotFoundException, ignored) has no
// row and the others are still read.
TEST(AwsDecode, ForEachCallsOncePerValueAndSkipsIgnoredErrors) {
  FakeAws fake([&](const ferry::testing::ServerRequest& r) {
    json in = json::parse(r.body);
    const std::string type = in.value("AlternateContactType", "");
    if (type == "OPERATIONS") {
      auto reply = Reply(R"({"__type":"ResourceNotFoundException","message":"not set"})", 404);
      reply.headers["x-amzn-ErrorType"] = "ResourceNotFoundException";
      return reply;
    }
    return Reply(json{{"AlternateContact", {{"AlternateContactType", type}, {"Name", "n-" + type}}}}.dump());
  });
  Resolved r = Resolve(Table("aws_account_alternate_contacts"), fake.url());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(Text(r.rows[0]["alternate_contact_type"]), "BILLING");
  EXPECT_EQ(Text(r.rows[1]["alternate_contact_type"]), "SECURITY");
  EXPECT_EQ(Text(r.rows[1]["name"]), "n-SECURITY");
  EXPECT_EQ(fake.seen().size(), 3u);
  EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(r.warnings);
}

// An optional input (optional_params) is sent only when the item has its
// field: SageMaker's DescribeApp with the app's user profile or its space.
TEST(AwsDecode, OptionalInputsAreSentOnlyWhenTheItemHasThem) {
  FakeAws fake([&](const ferry::testing::ServerRequest& r) {
    const std::string target = r.headers.count("X-Amz-Target") ? r.headers.at("X-Amz-Target") : "";
    if (target.ends_with("ListApps"))
      return Reply(R"({"Apps":[{"DomainId":"d-1","UserProfileName":"alice","AppType":"JupyterServer","AppName":"default"},
                               {"DomainId":"d-1","SpaceName":"team","AppType":"JupyterLab","AppName":"lab"}]})");
    if (target.ends_with("ListTags")) return Reply(R"({"Tags":[]})");
    json in = json::parse(r.body);
    json out = in;
    out["AppArn"] = "arn:aws:sagemaker:us-east-1:123456789012:app/" + in["AppName"].get<std::string>();
    out["Status"] = "InService";
    return Reply(out.dump());
  });
  Resolved r = Resolve(Table("aws_sagemaker_apps"), fake.url());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(Text(r.rows[0]["user_profile_name"]), "alice");
  EXPECT_TRUE(r.rows[0]["space_name"].is_null());
  EXPECT_EQ(Text(r.rows[1]["space_name"]), "team");
  EXPECT_TRUE(r.rows[1]["user_profile_name"].is_null());
  std::vector<json> described;
  for (const auto& req : fake.seen())
    if (req.headers.count("X-Amz-Target") && req.headers.at("X-Amz-Target").ends_with("DescribeApp"))
      described.push_back(json::parse(req.body));
  ASSERT_EQ(described.size(), 2u);
  // (Items' calls run at once: in any order.)
  std::sort(described.begin(), described.end(),
            [](const json& a, const json& b) { return a["AppName"].get<std::string>() < b["AppName"].get<std::string>(); });
  EXPECT_EQ(described[0], json::parse(R"({"DomainId":"d-1","AppType":"JupyterServer","AppName":"default","UserProfileName":"alice"})"));
  EXPECT_EQ(described[1], json::parse(R"({"DomainId":"d-1","AppType":"JupyterLab","AppName":"lab","SpaceName":"team"})"));
  EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(r.warnings);
}

// Endpoint discovery (Timestream): DescribeEndpoints is asked once per
// account, region and endpoint, signed for the service, and every call goes
// to the address it answers; on a custom endpoint (moto) it is skipped, as
// AWS's SDKs do. (The address is reached over http only by this test's
// setting: AWS's are https.)
TEST(AwsDecode, EndpointDiscoveryAsksOnceAndCallsTheAnsweredAddress) {
  auto target_of = [](const ferry::testing::ServerRequest& r) {
    return r.headers.count("X-Amz-Target") ? r.headers.at("X-Amz-Target") : std::string();
  };
  FakeAws cell([&](const ferry::testing::ServerRequest&) {
    return Reply(R"({"Databases":[{"DatabaseName":"metrics","Arn":"arn:aws:timestream:us-east-1:123456789012:database/metrics"}]})");
  });
  std::string address = cell.url().substr(cell.url().find("://") + 3);
  FakeAws discovery([&](const ferry::testing::ServerRequest& r) {
    if (target_of(r).ends_with(".DescribeEndpoints"))
      return Reply(json{{"Endpoints", {{{"Address", address}, {"CachePeriodInMinutes", 1440}}}}}.dump());
    return Reply(R"({"Databases":[]})");
  });
  const CatalogTable& t = Table("aws_timestream_databases");
  ASSERT_EQ(t.service->discovery_operation, "DescribeEndpoints");
  auto expand = [](const std::string& name) -> Result<std::string> { return Status::Invalid("no " + name); };
  auto names = [&](FakeClient& fc, std::vector<std::string>* out) {
    return CallPages(*t.service, t.call, fc.target, fc.api, expand, nullptr, [&](const json& page) {
      ForEachItem(page, t.call.items, 0, [&](const json& d) { out->push_back(d["DatabaseName"].get<std::string>()); });
      return Status::OK();
    });
  };
  FakeClient fc(discovery.url());
  fc.api.test_discovery_on_custom_endpoint = true;
  fc.api.test_discovery_scheme = "http://";
  std::vector<std::string> got;
  ASSERT_TRUE(names(fc, &got).ok());
  ASSERT_TRUE(names(fc, &got).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"metrics", "metrics"}));
  ASSERT_EQ(discovery.seen().size(), 1u);   // asked once, then cached
  EXPECT_EQ(target_of(discovery.seen()[0]), "Timestream_20181101.DescribeEndpoints");
  EXPECT_NE(discovery.seen()[0].headers.at("Authorization").find("/us-east-1/timestream/aws4_request"), std::string::npos);
  ASSERT_EQ(cell.seen().size(), 2u);
  EXPECT_EQ(target_of(cell.seen()[0]), "Timestream_20181101.ListDatabases");

  // A custom endpoint as such: no discovery.
  FakeClient direct(discovery.url());
  got.clear();
  ASSERT_TRUE(names(direct, &got).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_EQ(discovery.seen().size(), 2u);
  EXPECT_EQ(target_of(discovery.seen()[1]), "Timestream_20181101.ListDatabases");

  // An answer without an address is an error that says so.
  FakeAws empty([&](const ferry::testing::ServerRequest&) { return Reply(R"({"Endpoints":[]})"); });
  FakeClient none(empty.url());
  none.api.test_discovery_on_custom_endpoint = true;
  Status st = names(none, &got);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("endpoint discovery (DescribeEndpoints) answered no address"), std::string::npos) << st.message();
}

// walk: Organizations' units from the roots down, each parent asked once.
TEST(AwsDecode, WalksATreeFromItsRoots) {
  const std::map<std::string, std::vector<std::string>> children = {
      {"r-1", {"ou-a", "ou-b"}}, {"ou-a", {"ou-c"}}, {"ou-b", {}}, {"ou-c", {}}};
  FakeAws fake([&](const ferry::testing::ServerRequest& r) {
    const std::string target = r.headers.count("X-Amz-Target") ? r.headers.at("X-Amz-Target") : "";
    if (target.ends_with("ListRoots")) return Reply(R"({"Roots":[{"Id":"r-1","Arn":"arn:r-1"}]})");
    json units = json::array();
    for (const auto& c : children.at(json::parse(r.body)["ParentId"].get<std::string>()))
      units.push_back({{"Id", c}, {"Arn", "arn:" + c}, {"Name", c}});
    return Reply(json{{"OrganizationalUnits", units}}.dump());
  });
  Resolved r = Resolve(Table("aws_organizations_organizational_units"), fake.url());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  std::vector<std::string> ids;
  for (auto& row : r.rows) ids.push_back(Text(row["id"]));
  EXPECT_EQ(ids, (std::vector<std::string>{"ou-a", "ou-b", "ou-c"}));
  EXPECT_EQ(fake.seen().size(), 5u);   // ListRoots, then r-1, ou-a, ou-b, ou-c
}

// A paid table (Cost Explorer) is skipped with a warning unless
// use_paid_apis; with it, its time period is today's dates.
TEST(AwsDecode, PaidTablesNeedUsePaidApisAndDatesAreToday) {
  FakeAws fake([&](const ferry::testing::ServerRequest&) {
    return Reply(R"({"ResultsByTime":[{"TimePeriod":{"Start":"2024-01-01","End":"2024-01-02"},"Total":{},"Estimated":true}]})");
  });
  const CatalogTable& t = Table("aws_costexplorer_cost_30d");
  EXPECT_TRUE(SchemaOf(t).is_paid);
  Resolved r = Resolve(t, fake.url());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.rows.empty());
  EXPECT_TRUE(fake.seen().empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("use_paid_apis"), std::string::npos) << r.warnings[0];
  r = Resolve(t, fake.url(), /*paid=*/true);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(Text(r.rows[0]["start_date"]), "2024-01-01");
  ASSERT_EQ(fake.seen().size(), 1u);
  auto day = [](int64_t d) {
    const std::time_t t = std::time(nullptr) + d * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return std::string(buf);
  };
  json in = json::parse(fake.seen()[0].body);
  EXPECT_EQ(in["TimePeriod"]["Start"], day(-30));
  EXPECT_EQ(in["TimePeriod"]["End"], day(1));
  EXPECT_EQ(in["Granularity"], "DAILY");
}

// merge_pages: every page of GetAccountAuthorizationDetails is one row.
TEST(AwsDecode, MergedPagesAreOneRow) {
  FakeAws fake([&](const ferry::testing::ServerRequest& r) {
    const bool second = r.body.find("Marker=m2") != std::string::npos;
    return Reply(Iam("GetAccountAuthorizationDetails",
                     std::string("<UserDetailList><member><UserName>") + (second ? "u2" : "u1") +
                         "</UserName></member></UserDetailList><IsTruncated>" + (second ? "false" : "true") +
                         "</IsTruncated>" + (second ? "" : "<Marker>m2</Marker>")));
  });
  Resolved r = Resolve(Table("aws_iam_account_authorization_details"), fake.url());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 1u);
  json users = json::parse(Text(r.rows[0]["user_detail_list"]));
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1]["UserName"], "u2");
  EXPECT_EQ(fake.seen().size(), 2u);
}

// when_parent with a template: a VPC endpoint service's permissions are asked
// only of the services the account owns (owner "{account}", not Amazon's or
// another account's); with {present: true}: an Aurora cluster's backtracks
// only of the clusters with a backtrack window.
TEST(AwsDecode, RelationsAreAskedOnlyWhenTheParentRowQualifies) {
  FakeAws fake([&](const ferry::testing::ServerRequest&) {
    return Reply(R"(<DescribeVpcEndpointServicePermissionsResponse><allowedPrincipals><item><principal>arn:aws:iam::111122223333:root</principal><servicePermissionId>sp-1</servicePermissionId></item></allowedPrincipals></DescribeVpcEndpointServicePermissionsResponse>)");
  });
  const CatalogTable& t = Table("aws_ec2_vpc_endpoint_service_permissions");
  Resolved r = Resolve(t, fake.url(), false, "aws_ec2_vpc_endpoint_services", {{"owner", "amazon"}, {"service_id", "vpce-svc-1"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.rows.empty());
  EXPECT_TRUE(fake.seen().empty());
  r = Resolve(t, fake.url(), false, "aws_ec2_vpc_endpoint_services", {{"owner", "123456789012"}, {"service_id", "vpce-svc-1"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(Text(r.rows[0]["service_permission_id"]), "sp-1");
  EXPECT_EQ(fake.Count("ServiceId=vpce-svc-1"), 1u);

  FakeAws rds([&](const ferry::testing::ServerRequest&) {
    return Reply("<DescribeDBClusterBacktracksResponse><DescribeDBClusterBacktracksResult><DBClusterBacktracks>"
                 "<DBClusterBacktrack><BacktrackIdentifier>bt-1</BacktrackIdentifier></DBClusterBacktrack>"
                 "</DBClusterBacktracks></DescribeDBClusterBacktracksResult></DescribeDBClusterBacktracksResponse>");
  });
  const CatalogTable& bt = Table("aws_rds_cluster_backtracks");
  r = Resolve(bt, rds.url(), false, "aws_rds_clusters", {{"db_cluster_identifier", "c-1"}, {"arn", "arn:c-1"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.rows.empty());
  EXPECT_TRUE(rds.seen().empty());
  r = Resolve(bt, rds.url(), false, "aws_rds_clusters",
              {{"db_cluster_identifier", "c-1"}, {"arn", "arn:c-1"}, {"backtrack_window", "86400"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(Text(r.rows[0]["backtrack_identifier"]), "bt-1");
  EXPECT_EQ(Text(r.rows[0]["db_cluster_arn"]), "arn:c-1");
  EXPECT_EQ(rds.Count("DBClusterIdentifier=c-1"), 1u);
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

// ---- against moto (a real emulator of AWS's APIs), seeded through AWS's API

// Credentials of moto's: any key works; nothing from the machine's ~/.aws.
void UseMotoCredentials() {
  setenv("AWS_ACCESS_KEY_ID", "testing", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
  unsetenv("AWS_SESSION_TOKEN");
  unsetenv("AWS_PROFILE");
  setenv("AWS_CONFIG_FILE", "/nonexistent/ferry-test", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ferry-test", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

struct Moto {
  std::string url, python, error;
};

// The shared moto, emptied and seeded with `seed_args`; the expectation
// seed_moto.py wrote.
Moto SeededMoto(const std::string& seed_args, json* expect) {
  Moto m;
  const auto& info = ferry::testing::SharedTestServer("moto");
  if (!info.error.empty()) {
    m.error = info.error;
    return m;
  }
  m.url = info.Get("FERRY_MOTO_URL");
  m.python = info.Get("FERRY_MOTO_PYTHON");
  std::string out;
  if (ferry::testing::RunShell("curl -sf -X POST " + m.url + "/moto-api/reset", &out) != 0) {
    m.error = "could not reset moto at " + m.url;
    return m;
  }
  const std::string file = ::testing::TempDir() + "/aws-expect-" + std::to_string(getpid()) + ".json";
  const std::string cmd = m.python + " " + std::string(FERRY_SOURCE_DIR) +
                          "/plugins/source/aws/testing/seed_moto.py --endpoint " + m.url + " --out " + file + " " +
                          seed_args + " 2>&1";
  if (ferry::testing::RunShell(cmd, &out) != 0) {
    m.error = "seed_moto.py failed: " + out;
    return m;
  }
  std::ifstream in(file);
  *expect = json::parse(in);
  return m;
}

std::string Text(const Value& v) { return v.kind() == Value::Kind::kString ? v.as_string() : std::string(); }

// Tables whose list call moto 5.2.6 does not serve, with the reasons:
// testing/not_served_by_moto.txt, the list bench/aws/run.sh skips too.
const std::set<std::string>& NotServedByMoto() {
  static const std::set<std::string> kNotServed = [] {
    std::set<std::string> names;
    std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/plugins/source/aws/testing/not_served_by_moto.txt");
    EXPECT_TRUE(in.good()) << "plugins/source/aws/testing/not_served_by_moto.txt is missing";
    for (std::string line; std::getline(in, line);) {
      line = line.substr(0, line.find('#'));
      line.erase(0, line.find_first_not_of(" \t"));
      line.erase(line.find_last_not_of(" \t") + 1);
      if (!line.empty()) names.insert(line);
    }
    return names;
  }();
  return kNotServed;
}

std::vector<std::string> TablesMotoServes(const ferry::Source& src) {
  std::vector<std::string> out;
  for (const auto& t : src.Tables())
    if (!NotServedByMoto().count(t->name)) out.push_back(t->name);
  return out;
}

// A whole organization (3 accounts, 2 regions): every table the seeding
// filled has exactly its rows (ids, accounts, regions, tags), the member
// accounts reached through AssumeRole into OrganizationAccountAccessRole.
TEST(AwsMoto, SyncsTheSeededOrganizationAsCreated) {
  json expect;
  Moto moto = SeededMoto("--accounts 3 --regions us-east-1,eu-west-1 --instances 90 --users 12 --buckets 9", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  auto src = MakeSource(AwsSourcePlugin(), {{"endpoint", moto.url},
                                            {"regions", {"us-east-1", "eu-west-1"}},
                                            {"max_retries", 1},
                                            {"use_paid_apis", true},
                                            {"org", {{"member_role_name", "OrganizationAccountAccessRole"}}}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = test::testing::SyncAll(**src, sink, TablesMotoServes(**src));
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << " " << d.client << ": " << d.status.ToString();
  // Per-item calls moto lacks are warnings for that item (Lambda's
  // GetRuntimeManagementConfig, API Gateway's GetModelTemplate: 404); any
  // other warning is a defect.
  for (const auto& w : sink.warnings)
    if (w.find("GetRuntimeManagementConfig") == std::string::npos && w.find("GetModelTemplate") == std::string::npos)
      ADD_FAILURE() << "warning: " << w;

  std::set<std::string> accounts;
  for (const auto& a : expect["accounts"]) accounts.insert(a["id"].get<std::string>());
  ASSERT_EQ(accounts.size(), 3u);
  // Every seeded resource, by its id column, in its account and region, with its tags.
  const std::vector<std::pair<std::string, std::string>> checks = {
      {"aws_ec2_instances", "arn"},     {"aws_ec2_vpcs", "vpc_id"},         {"aws_ec2_ebs_volumes", "volume_id"},
      {"aws_ec2_key_pairs", "key_name"}, {"aws_ec2_eips", "allocation_id"}, {"aws_iam_users", "arn"},
      {"aws_iam_roles", "arn"},          {"aws_iam_groups", "arn"},           {"aws_iam_policies", "arn"},
      {"aws_iam_user_access_keys", "access_key_id"}, {"aws_s3_buckets", "arn"}, {"aws_lambda_functions", "arn"},
      {"aws_rds_instances", "arn"},      {"aws_rds_clusters", "arn"},         {"aws_dynamodb_tables", "arn"},
      {"aws_sqs_queues", "arn"},         {"aws_sns_topics", "arn"},           {"aws_sns_subscriptions", "arn"},
      {"aws_kms_keys", "arn"},           {"aws_cloudtrail_trails", "arn"},    {"aws_cloudwatch_alarms", "arn"},
      {"aws_ecs_clusters", "arn"},       {"aws_eks_clusters", "arn"},         {"aws_ecr_repositories", "arn"},
      {"aws_elbv2_load_balancers", "arn"}, {"aws_elbv2_target_groups", "arn"}, {"aws_route53_hosted_zones", "arn"},
      {"aws_secretsmanager_secrets", "arn"}, {"aws_cloudformation_stacks", "arn"},
      {"aws_organizations_accounts", "id"}, {"aws_lambda_function_url_configs", "function_arn"},
      {"aws_lambda_layer_versions", "arn"}, {"aws_config_configuration_recorders", "arn"},
      {"aws_config_delivery_channels", "name"}, {"aws_neptune_clusters", "arn"},
      {"aws_neptune_instances", "arn"},
      // API Gateway and v2: each child under its parent, keyed by the ARN AWS's docs give it.
      {"aws_apigateway_rest_apis", "arn"}, {"aws_apigateway_rest_api_resources", "arn"},
      {"aws_apigateway_rest_api_resource_methods", "arn"},
      {"aws_apigateway_rest_api_resource_method_integrations", "arn"},
      {"aws_apigateway_rest_api_authorizers", "arn"}, {"aws_apigateway_rest_api_models", "arn"},
      {"aws_apigateway_rest_api_request_validators", "arn"}, {"aws_apigateway_rest_api_deployments", "arn"},
      {"aws_apigateway_rest_api_stages", "arn"}, {"aws_apigateway_rest_api_gateway_responses", "arn"},
      {"aws_apigateway_usage_plans", "arn"}, {"aws_apigateway_usage_plan_keys", "arn"},
      {"aws_apigateway_domain_name_base_path_mappings", "arn"}, {"aws_apigatewayv2_apis", "arn"},
      {"aws_apigatewayv2_api_integrations", "arn"}, {"aws_apigatewayv2_api_integration_responses", "arn"},
      {"aws_apigatewayv2_api_routes", "arn"}, {"aws_apigatewayv2_api_stages", "arn"},
      {"aws_apigatewayv2_domain_name_rest_api_mappings", "arn"},
      // Glue, Cloud Map, Direct Connect.
      {"aws_glue_connections", "arn"}, {"aws_glue_databases", "arn"}, {"aws_glue_database_tables", "name"},
      {"aws_glue_jobs", "arn"}, {"aws_glue_job_runs", "id"}, {"aws_glue_triggers", "arn"},
      {"aws_glue_workflows", "arn"}, {"aws_glue_security_configurations", "name"}, {"aws_glue_registries", "arn"},
      {"aws_glue_dev_endpoints", "arn"}, {"aws_servicediscovery_namespaces", "arn"},
      {"aws_servicediscovery_services", "arn"}, {"aws_servicediscovery_instances", "id"},
      {"aws_directconnect_connections", "connection_id"}, {"aws_directconnect_lags", "lag_id"},
      {"aws_dms_replication_instances", "arn"}, {"aws_scheduler_schedule_groups", "arn"},
      {"aws_wafv2_ipsets", "arn"}, {"aws_wafv2_regex_pattern_sets", "arn"},
      {"aws_route53resolver_resolver_rules", "arn"},
      // SageMaker, Batch, Step Functions.
      {"aws_sagemaker_models", "arn"}, {"aws_sagemaker_endpoint_configurations", "arn"},
      {"aws_batch_job_definitions", "arn"}, {"aws_stepfunctions_executions", "arn"},
      // EventBridge Scheduler, AWS Backup, EventBridge, Cognito, IoT, DynamoDB Streams, Shield.
      {"aws_scheduler_schedules", "arn"}, {"aws_backup_report_plans", "arn"},
      {"aws_eventbridge_event_bus_rules", "arn"}, {"aws_eventbridge_event_bus_targets", "id"},
      {"aws_cognito_user_pool_identity_providers", "provider_name"}, {"aws_iot_things", "arn"},
      {"aws_dynamodbstreams_streams", "arn"}, {"aws_shield_protections", "arn"},
      // App Mesh.
      {"aws_appmesh_meshes", "arn"}, {"aws_appmesh_virtual_nodes", "arn"}, {"aws_appmesh_virtual_routers", "arn"},
      // CloudFormation stack templates.
      {"aws_cloudformation_stack_templates", "stack_arn"},
      // SES identities, IAM Identity Center permission sets.
      {"aws_ses_identities", "arn"}, {"aws_ssoadmin_permission_sets", "permission_set_arn"},
      // IoT certificates; Identity Store users, groups and memberships.
      {"aws_iot_certificates", "arn"}, {"aws_identitystore_users", "user_id"},
      {"aws_identitystore_groups", "group_id"}, {"aws_identitystore_group_memberships", "membership_id"},
      // Resilience Hub, Service Catalog, Support (read from us-east-1 once per account).
      {"aws_resiliencehub_apps", "arn"}, {"aws_resiliencehub_app_versions", "app_arn"},
      {"aws_resiliencehub_resiliency_policies", "arn"}, {"aws_servicecatalog_portfolios", "arn"},
      {"aws_support_cases", "case_id"}};
  for (const auto& [table, key] : checks) {
    SCOPED_TRACE(table);
    ASSERT_TRUE(expect["tables"].contains(table));
    // Keyed by id, account and region: key pair names repeat across accounts,
    // delivery channels are "default" in every region.
    const bool per_region_name = table == "aws_ec2_key_pairs" || table == "aws_config_delivery_channels" ||
                                 table == "aws_glue_database_tables" || table == "aws_glue_security_configurations" ||
                                 table == "aws_eventbridge_event_bus_targets" ||
                                 table == "aws_cognito_user_pool_identity_providers";
    auto account_of = [](std::map<std::string, Value>& r) {
      return Text(r.count("account_id") ? r["account_id"] : r["request_account_id"]);
    };
    std::map<std::string, std::map<std::string, Value>> got;
    for (auto& r : sink.Table(table)) {
      std::string k = Text(r[key]) + "|" + account_of(r);
      if (per_region_name) k += "|" + Text(r["region"]);
      got[k] = r;
    }
    int seeded = 0;
    for (const auto& e : expect["tables"][table]) {
      if (e.contains("seeded") && !e["seeded"].get<bool>()) continue;
      ++seeded;
      const std::string id = e[key].get<std::string>() + "|" + e["account_id"].get<std::string>() +
                             (per_region_name ? "|" + e["region"].get<std::string>() : "");
      auto it = got.find(id);
      if (it == got.end()) {
        ADD_FAILURE() << id << " is missing";
        continue;
      }
      auto& row = it->second;
      if (e["region"].is_string() && row.count("region")) {
        EXPECT_EQ(Text(row["region"]), e["region"].get<std::string>()) << id;
      }
      if (e.contains("tags") && row.count("tags")) {
        EXPECT_EQ(json::parse(Text(row["tags"])), e["tags"]) << id;
      }
    }
    EXPECT_GT(seeded, 0);
    // Tables whose every row moto holds was seeded: nothing more, nothing less.
    if (table != "aws_ec2_vpcs" && table != "aws_ec2_ebs_volumes" && table != "aws_iam_roles" &&
        table != "aws_kms_keys" && table != "aws_cloudformation_stacks" &&
        table != "aws_cloudformation_stack_templates") {
      EXPECT_EQ(got.size(), expect["tables"][table].size());
    }
  }
  // Relations: each user's access keys under it; S3 per-bucket tables in the bucket's region.
  for (const auto& e : expect["tables"]["aws_iam_users"]) {
    int keys = 0;
    for (auto& r : sink.Table("aws_iam_user_access_keys"))
      if (Text(r["user_arn"]) == e["arn"].get<std::string>()) ++keys;
    EXPECT_EQ(keys, static_cast<int>(e["access_key_ids"].size())) << e["arn"];
  }
  std::map<std::string, std::string> versioning;
  for (auto& r : sink.Table("aws_s3_bucket_versionings")) versioning[Text(r["bucket_arn"])] = Text(r["status"]);
  for (const auto& e : expect["tables"]["aws_s3_buckets"]) {
    if (!e.contains("versioning_status")) continue;
    EXPECT_EQ(versioning[e["arn"].get<std::string>()], e["versioning_status"].get<std::string>()) << e["arn"];
  }
  // Children point at their parents (the parent's ARN column) as seeded.
  const std::vector<std::pair<std::string, std::string>> parents = {
      {"aws_apigateway_rest_api_resources", "rest_api_arn"}, {"aws_apigateway_rest_api_stages", "rest_api_arn"},
      {"aws_apigateway_rest_api_resource_methods", "resource_arn"},
      {"aws_apigateway_rest_api_resource_method_integrations", "method_arn"},
      {"aws_apigateway_usage_plan_keys", "usage_plan_arn"},
      {"aws_apigateway_domain_name_base_path_mappings", "domain_name_arn"},
      {"aws_apigatewayv2_api_integration_responses", "api_integration_arn"},
      {"aws_apigatewayv2_api_routes", "api_arn"}, {"aws_apigatewayv2_domain_name_rest_api_mappings", "domain_name_arn"},
      {"aws_glue_database_tables", "database_arn"}, {"aws_glue_job_runs", "job_arn"},
      {"aws_stepfunctions_executions", "state_machine_arn"}, {"aws_eventbridge_event_bus_rules", "event_bus_arn"},
      {"aws_eventbridge_event_bus_targets", "rule_arn"},
      {"aws_cognito_user_pool_identity_providers", "user_pool_arn"}, {"aws_appmesh_virtual_nodes", "mesh_arn"},
      {"aws_appmesh_virtual_routers", "mesh_arn"},
      {"aws_ssoadmin_permission_set_managed_policies", "permission_set_arn"},
      {"aws_ssoadmin_permission_set_account_assignments", "permission_set_arn"}};
  for (const auto& [table, col] : parents) {
    std::multiset<std::string> seeded, got;
    for (const auto& e : expect["tables"][table]) seeded.insert(e[col].get<std::string>());
    for (auto& r : sink.Table(table)) got.insert(Text(r[col]));
    EXPECT_EQ(got, seeded) << table << "." << col;
  }
  // Secrets stay out: a usage plan key's value is not a column, a Glue
  // connection's password is hidden (HidePassword) though one was set.
  for (auto& r : sink.Table("aws_apigateway_usage_plan_keys")) EXPECT_EQ(r.count("value"), 0u);
  for (auto& r : sink.Table("aws_glue_connections")) {
    EXPECT_NE(Text(r["connection_properties"]).find("JDBC_CONNECTION_URL"), std::string::npos);
    EXPECT_EQ(Text(r["connection_properties"]).find("PASSWORD"), std::string::npos);
  }
  // A WAFv2 IP set's addresses come from GetIPSet (the listing has none).
  for (auto& r : sink.Table("aws_wafv2_ipsets")) {
    ASSERT_EQ(r["addresses"].kind(), Value::Kind::kList);
    ASSERT_EQ(r["addresses"].items().size(), 1u);
    EXPECT_EQ(Text(r["addresses"].items()[0]), "10.0.0.0/24");
  }
  // Each KMS key seeded has its "default" key policy (GetKeyPolicy of each name ListKeyPolicies lists).
  std::map<std::string, json> key_policies;
  for (auto& r : sink.Table("aws_kms_key_policies"))
    key_policies[Text(r["key_arn"]) + " " + Text(r["name"])] = json::parse(Text(r["policy"]));
  for (const auto& e : expect["tables"]["aws_kms_keys"]) {
    auto it = key_policies.find(e["arn"].get<std::string>() + " default");
    ASSERT_NE(it, key_policies.end()) << e["arn"];
    EXPECT_TRUE(it->second.contains("Statement")) << it->second.dump();
  }
  // DocumentDB and Neptune are RDS's API told apart by a fixed Filters
  // parameter (engine=docdb / engine=neptune): RDS's tables above hold the
  // Aurora and Neptune clusters, the Neptune tables only Neptune's (their
  // exact count above), the DocumentDB tables none (moto cannot create a
  // docdb cluster, so nothing matches engine=docdb).
  EXPECT_GT(sink.Table("aws_rds_clusters").size(), sink.Table("aws_neptune_clusters").size());
  for (auto& r : sink.Table("aws_neptune_clusters")) EXPECT_EQ(Text(r["engine"]), "neptune");
  for (auto& r : sink.Table("aws_neptune_instances")) EXPECT_EQ(Text(r["engine"]), "neptune");
  EXPECT_TRUE(sink.Table("aws_docdb_clusters").empty());
  EXPECT_TRUE(sink.Table("aws_docdb_instances").empty());
  // S3 Control (the account in x-amz-account-id on moto's endpoint): each
  // account's access point, and the management account's public access
  // block; the members have none (NoSuchPublicAccessBlockConfiguration: no
  // row, no warning). moto keeps access points per account, so every region
  // lists the account's.
  std::set<std::string> seeded_points, got_points;
  for (const auto& e : expect["tables"]["aws_s3_access_points"])
    seeded_points.insert(e["arn"].get<std::string>() + " " + e["account_id"].get<std::string>() + " " +
                         e["bucket"].get<std::string>());
  for (auto& r : sink.Table("aws_s3_access_points"))
    got_points.insert(Text(r["arn"]) + " " + Text(r["account_id"]) + " " + Text(r["bucket"]));
  EXPECT_EQ(seeded_points.size(), accounts.size());
  EXPECT_EQ(got_points, seeded_points);
  ASSERT_EQ(expect["tables"]["aws_s3_accounts"].size(), 1u);
  const json& pab = expect["tables"]["aws_s3_accounts"][0];
  auto s3_accounts = sink.Table("aws_s3_accounts");
  ASSERT_EQ(s3_accounts.size(), 1u);
  EXPECT_EQ(Text(s3_accounts[0]["account_id"]), pab["account_id"].get<std::string>());
  for (const char* col : {"block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"}) {
    ASSERT_EQ(s3_accounts[0][col].kind(), Value::Kind::kBool) << col;
    EXPECT_EQ(s3_accounts[0][col].as_bool(), pab[col].get<bool>()) << col;
  }
  // SES identities: the name and sending flag are the listing's (ListEmailIdentities), the rest
  // GetEmailIdentity's, one row per identity.
  std::map<std::string, std::string> ses_names;
  for (const auto& e : expect["tables"]["aws_ses_identities"])
    ses_names[e["arn"].get<std::string>()] = e["identity_name"].get<std::string>();
  auto ses_rows = sink.Table("aws_ses_identities");
  EXPECT_EQ(ses_rows.size(), ses_names.size());
  for (auto& r : ses_rows) {
    SCOPED_TRACE(Text(r["arn"]));
    EXPECT_EQ(Text(r["identity_name"]), ses_names[Text(r["arn"])]);
    ASSERT_EQ(r["sending_enabled"].kind(), Value::Kind::kBool);
    EXPECT_FALSE(Text(r["identity_type"]).empty());
  }
  // Account assignments: who has the permission set in which account (ListAccountAssignments
  // of each account it is provisioned to).
  for (auto& r : sink.Table("aws_ssoadmin_permission_set_account_assignments")) {
    EXPECT_EQ(Text(r["principal_id"]), "ferry-user");
    EXPECT_EQ(Text(r["account_id"]), Text(r["request_account_id"]));
  }
  // IoT certificates: DescribeCertificate's answer, with the (empty) list of attached policies.
  for (auto& r : sink.Table("aws_iot_certificates")) {
    SCOPED_TRACE(Text(r["arn"]));
    EXPECT_EQ(Text(r["status"]), "ACTIVE");
    EXPECT_NE(Text(r["certificate_pem"]).find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_EQ(Text(r["arn"]), Text(r["certificate_arn"]));
    EXPECT_TRUE(r["policies"].kind() == Value::Kind::kList && r["policies"].items().empty());
  }
  // Identity Store (for_each over each IAM Identity Center instance's identity store): the
  // membership's member is the seeded user, the user's name and display name as created.
  std::map<std::string, std::string> member_of;
  for (const auto& e : expect["tables"]["aws_identitystore_group_memberships"])
    member_of[e["membership_id"].get<std::string>()] = e["member_id"].get<std::string>();
  for (auto& r : sink.Table("aws_identitystore_group_memberships"))
    EXPECT_EQ(Text(r["member_id"]), member_of[Text(r["membership_id"])]) << Text(r["membership_id"]);
  for (auto& r : sink.Table("aws_identitystore_users")) {
    EXPECT_EQ(Text(r["user_name"]), "ferry-user-" + Text(r["request_region"]));
    EXPECT_EQ(Text(r["display_name"]), "Ferry User");
    EXPECT_EQ(Text(r["arn"]), "arn:aws:identitystore:::user/" + Text(r["user_id"]));
  }
  // One Glue Data Catalog encryption settings row per account and region.
  std::set<std::string> glue_enc;
  for (auto& r : sink.Table("aws_glue_datacatalog_encryption_settings"))
    glue_enc.insert(Text(r["account_id"]) + " " + Text(r["region"]));
  EXPECT_EQ(glue_enc.size(), accounts.size() * 2);
  // One EMR block public access configuration per account and region (moto's is empty).
  std::set<std::string> emr_bpa;
  for (auto& r : sink.Table("aws_emr_block_public_access_configs"))
    emr_bpa.insert(Text(r["account_id"]) + " " + Text(r["region"]));
  EXPECT_EQ(emr_bpa.size(), accounts.size() * 2);
  // Trusted Advisor checks (moto's list): once per account in each of the 11 languages, from us-east-1,
  // the same checks in each.
  std::map<std::string, std::set<std::string>> checks_by_language;
  for (auto& r : sink.Table("aws_support_trusted_advisor_checks")) {
    EXPECT_EQ(Text(r["region"]), "us-east-1");
    checks_by_language[Text(r["account_id"]) + " " + Text(r["language_code"])].insert(Text(r["id"]));
  }
  EXPECT_EQ(checks_by_language.size(), accounts.size() * 11);
  for (const auto& [who, ids] : checks_by_language) {
    EXPECT_FALSE(ids.empty()) << who;
    EXPECT_EQ(ids, checks_by_language.begin()->second) << who;
  }
  // Organizations: the seeded units, walked from the root, each under it; the
  // seeded service control policy with its content (from the management account).
  const std::string management = expect["organization"]["master_account_id"];
  std::set<std::string> ous, seeded_ous;
  for (const auto& e : expect["tables"]["aws_organizations_organizational_units"]) seeded_ous.insert(e["arn"]);
  for (auto& r : sink.Table("aws_organizations_organizational_units"))
    if (Text(r["request_account_id"]) == management) ous.insert(Text(r["arn"]));
  EXPECT_EQ(ous, seeded_ous);
  int ou_parents = 0;
  for (auto& r : sink.Table("aws_organizations_organizational_unit_parents")) {
    if (Text(r["request_account_id"]) != management) continue;
    ++ou_parents;
    EXPECT_EQ(Text(r["parent_id"]), expect["organization"]["root_id"].get<std::string>());
    EXPECT_EQ(Text(r["type"]), "ROOT");
  }
  EXPECT_EQ(ou_parents, static_cast<int>(seeded_ous.size()));
  for (const auto& e : expect["tables"]["aws_organizations_policies"]) {
    bool found = false;
    for (auto& r : sink.Table("aws_organizations_policies")) {
      if (Text(r["arn"]) != e["arn"].get<std::string>() || Text(r["account_id"]) != management) continue;
      found = true;
      EXPECT_EQ(Text(r["type"]), "SERVICE_CONTROL_POLICY");
      EXPECT_EQ(json::parse(Text(r["content"]))["Statement"][0]["Action"], "s3:DeleteBucket");
    }
    EXPECT_TRUE(found) << e["arn"];
  }
  // Each account's seeded security contact (the other two types are not set: no rows).
  std::set<std::string> contacts, seeded_contacts;
  for (const auto& e : expect["tables"]["aws_account_alternate_contacts"])
    seeded_contacts.insert(e["account_id"].get<std::string>() + " SECURITY " + e["name"].get<std::string>());
  for (auto& r : sink.Table("aws_account_alternate_contacts"))
    contacts.insert(Text(r["account_id"]) + " " + Text(r["alternate_contact_type"]) + " " + Text(r["name"]));
  EXPECT_EQ(contacts, seeded_contacts);
  // IAM: every seeded user in its account's credential report (a job waited
  // for, then its CSV) and in its account's one authorization details row.
  std::map<std::string, std::set<std::string>> report_users, detail_users;
  for (auto& r : sink.Table("aws_iam_credential_reports")) report_users[Text(r["account_id"])].insert(Text(r["arn"]));
  std::map<std::string, int> detail_rows;
  for (auto& r : sink.Table("aws_iam_account_authorization_details")) {
    ++detail_rows[Text(r["account_id"])];
    for (const auto& u : json::parse(Text(r["user_detail_list"]))) detail_users[Text(r["account_id"])].insert(u["Arn"]);
  }
  EXPECT_EQ(detail_rows.size(), accounts.size());
  for (const auto& [a, n] : detail_rows) EXPECT_EQ(n, 1) << a;
  for (const auto& e : expect["tables"]["aws_iam_users"]) {
    EXPECT_TRUE(report_users[e["account_id"]].count(e["arn"])) << e["arn"];
    EXPECT_TRUE(detail_users[e["account_id"]].count(e["arn"])) << e["arn"];
  }
  // One attributes row per EBS snapshot the account owns.
  std::set<std::string> snapshots, snapshot_attrs;
  for (auto& r : sink.Table("aws_ec2_ebs_snapshots")) snapshots.insert(Text(r["arn"]));
  for (auto& r : sink.Table("aws_ec2_ebs_snapshot_attributes")) snapshot_attrs.insert(Text(r["snapshot_arn"]));
  EXPECT_FALSE(snapshots.empty());
  EXPECT_EQ(snapshot_attrs, snapshots);
  // Every account answered for itself: the identity table has the three.
  std::set<std::string> idents;
  for (auto& r : sink.Table("aws_sts_caller_identities")) idents.insert(Text(r["account_id"]));
  EXPECT_EQ(idents, accounts);
}

// A forwarder in front of moto: `hook` may answer a request itself (deny it
// as IAM would, or serve an API moto lacks); everything else goes to moto.
class MotoFront {
 public:
  using Hook = std::function<std::optional<ferry::testing::ServerReply>(const ferry::testing::ServerRequest&)>;
  MotoFront(std::string upstream, Hook hook)
      : upstream_(std::move(upstream)), hook_(std::move(hook)),
        server_([this](const ferry::testing::ServerRequest& r) { return Handle(r); }) {
    http::ClientOptions o;
    o.retry.max_retries = 0;
    auto made = http::HttpClient::Make(o);
    client_ = std::move(*made);
  }
  std::string url() const { return server_.url(); }

 private:
  ferry::testing::ServerReply Handle(const ferry::testing::ServerRequest& r) {
    if (auto own = hook_(r)) return *own;
    http::Request fwd;
    fwd.method = r.method;
    fwd.url = upstream_ + r.target;
    fwd.headers = r.headers;
    fwd.headers.erase("Host");
    fwd.headers.erase("Content-Length");
    fwd.body = r.body;
    fwd.idempotent = true;
    auto resp = client_->Do(fwd);
    ferry::testing::ServerReply out;
    if (!resp.ok()) {
      out.status = 502;
      return out;
    }
    out.status = resp->status;
    out.body = resp->body;
    for (const auto& [k, v] : resp->headers)
      if (k != "Content-Length" && k != "Transfer-Encoding" && k != "Connection") out.headers[k] = v;
    return out;
  }
  std::string upstream_;
  Hook hook_;
  std::unique_ptr<http::HttpClient> client_;
  ferry::testing::HttpTestServer server_;   // last: its threads use the members above
};

// An operation the credentials may not call is a warning for that table in
// each (account, region), whose rows are then none; the other tables sync.
// A configured region the account has not enabled is dropped with a warning.
TEST(AwsMoto, AccessDeniedIsAWarningAndRegionsNotEnabledAreDropped) {
  json expect;
  Moto moto = SeededMoto("--accounts 1 --regions us-east-1 --instances 6 --users 2 --roles 1 --buckets 1 --no-eks", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  std::atomic<int> denied{0};
  MotoFront proxy(moto.url, [&](const ferry::testing::ServerRequest& r) -> std::optional<ferry::testing::ServerReply> {
    if (r.body.find("Action=DescribeVolumes&") == std::string::npos) return std::nullopt;
    ++denied;
    ferry::testing::ServerReply deny;
    deny.status = 403;
    deny.body = "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to "
                "perform this operation.</Message></Error></Errors><RequestID>x</RequestID></Response>";
    return deny;
  });
  // moto lists me-south-1 as not-opted-in (EMULATORS.md).
  auto src = MakeSource(AwsSourcePlugin(),
                        {{"endpoint", proxy.url()}, {"regions", {"us-east-1", "me-south-1"}}, {"max_retries", 1}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = test::testing::SyncAll(**src, sink, {"aws_ec2_instances", "aws_ec2_ebs_volumes", "aws_iam_users"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(denied.load(), 1);
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << ": " << d.status.ToString();
  EXPECT_EQ(sink.Table("aws_ec2_instances").size(), 6u);
  EXPECT_EQ(sink.Table("aws_ec2_ebs_volumes").size(), 0u);
  EXPECT_EQ(sink.Table("aws_iam_users").size(), 2u);
  bool denied_warning = false, region_warning = false;
  for (const auto& w : sink.warnings) {
    if (w.find("aws_ec2_ebs_volumes") != std::string::npos && w.find("UnauthorizedOperation") != std::string::npos)
      denied_warning = true;
    if (w.find("me-south-1") != std::string::npos && w.find("not enabled") != std::string::npos) region_warning = true;
  }
  EXPECT_TRUE(denied_warning) << ::testing::PrintToString(sink.warnings);
  EXPECT_TRUE(region_warning) << ::testing::PrintToString(sink.warnings);
}

// A regional service AWS does not offer in a region (its endpoint data:
// Timestream in 8 of the aws partition's regions, not us-west-1) is not
// called there: each such pair is a warning naming the regions, synced with
// no rows; the pairs of the same table in regions that have it, and the other
// services in that region, are called as before. moto answers every service
// in every region, so without the rule Timestream would be asked in us-west-1.
TEST(AwsMoto, ServicesAreNotCalledInRegionsAwsDoesNotOfferThemIn) {
  const Service& ts = *Table("aws_timestream_databases").service;
  ASSERT_FALSE(ts.OfferedIn("aws", "us-west-1"));
  ASSERT_TRUE(ts.OfferedIn("aws", "us-east-1"));
  ASSERT_TRUE(ts.OfferedIn("aws", "xx-future-1"));   // a region the data does not know: called
  ASSERT_TRUE(ts.OfferedIn("aws-unknown", "us-west-1"));
  json expect;
  Moto moto = SeededMoto("--accounts 1 --regions us-east-1 --instances 2 --users 1 --buckets 1 --no-eks", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  std::mutex mu;
  std::map<std::string, int> scopes;   // "region/service" of each signed request
  MotoFront proxy(moto.url, [&](const ferry::testing::ServerRequest& r) -> std::optional<ferry::testing::ServerReply> {
    auto it = r.headers.find("Authorization");
    if (it != r.headers.end()) {
      // Credential=AKID/20261207/us-west-1/timestream/aws4_request
      const std::string& a = it->second;
      size_t c = a.find("Credential=");
      size_t end = a.find("/aws4_request", c);
      if (c != std::string::npos && end != std::string::npos) {
        std::string scope = a.substr(c, end - c);
        size_t slash = scope.find('/', scope.find('/') + 1);
        std::lock_guard<std::mutex> l(mu);
        ++scopes[scope.substr(slash + 1)];
      }
    }
    return std::nullopt;
  });
  auto src = MakeSource(AwsSourcePlugin(),
                        {{"endpoint", proxy.url()}, {"regions", {"us-east-1", "us-west-1"}}, {"max_retries", 1}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = test::testing::SyncAll(**src, sink, {"aws_timestream_databases", "aws_ec2_instances"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::set<std::string> clients;
  for (const auto& d : sink.done) {
    EXPECT_TRUE(d.status.ok()) << d.table << " " << d.client << ": " << d.status.ToString();
    clients.insert(d.table + " " + d.client.substr(d.client.find(':') + 1));
  }
  // Every pair is reported (delete-stale sees each as synced).
  EXPECT_EQ(clients, (std::set<std::string>{"aws_ec2_instances us-east-1", "aws_ec2_instances us-west-1",
                                            "aws_timestream_databases us-east-1", "aws_timestream_databases us-west-1"}));
  std::lock_guard<std::mutex> l(mu);
  EXPECT_GT(scopes["us-east-1/timestream"], 0) << ::testing::PrintToString(scopes);
  EXPECT_EQ(scopes["us-west-1/timestream"], 0) << ::testing::PrintToString(scopes);
  EXPECT_GT(scopes["us-west-1/ec2"], 0) << ::testing::PrintToString(scopes);
  ASSERT_EQ(sink.warnings.size(), 1u) << ::testing::PrintToString(sink.warnings);
  const std::string& w = sink.warnings[0];
  EXPECT_NE(w.find("aws_timestream_databases"), std::string::npos) << w;
  EXPECT_NE(w.find("not called in us-west-1: AWS does not offer timestream-write there"), std::string::npos) << w;
  EXPECT_EQ(w.find("us-east-1"), std::string::npos) << w;
}

// Throttling bursts and slow answers on the way (the fault proxy): retried,
// and the rows are the same.
TEST(AwsMoto, ThrottlingAndSlowAnswersAreRetried) {
  json expect;
  Moto moto = SeededMoto("--accounts 1 --regions us-east-1 --instances 12 --users 3 --roles 1 --buckets 2 --no-eks", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  ferry::testing::HttpFaultProxy proxy(moto.url);
  using Fault = ferry::testing::HttpFaultProxy::Fault;
  Fault throttle;
  throttle.kind = Fault::Kind::kStatus;
  throttle.status = 503;
  proxy.Inject(throttle, 3);
  Fault slow;
  slow.kind = Fault::Kind::kDelay;
  slow.delay = std::chrono::milliseconds(300);
  proxy.Inject(slow, 2);
  auto src = MakeSource(AwsSourcePlugin(), {{"endpoint", proxy.url()}, {"regions", {"us-east-1"}}, {"max_backoff", 1}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = test::testing::SyncAll(**src, sink, {"aws_ec2_instances", "aws_iam_users", "aws_s3_buckets"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << ": " << d.status.ToString();
  EXPECT_EQ(proxy.faults_served(), 5);
  EXPECT_EQ(sink.Table("aws_ec2_instances").size(), 12u);
  EXPECT_EQ(sink.Table("aws_iam_users").size(), 3u);
  EXPECT_EQ(sink.Table("aws_s3_buckets").size(), expect["tables"]["aws_s3_buckets"].size());
}

// A fake of CloudTrail's LookupEvents (moto has none; EMULATORS.md), from its
// documented JSON wire format: StartTime inclusive, newest first, at most
// MaxResults (50) per page, NextToken.
class FakeLookupEvents {
 public:
  void Add(int64_t epoch_seconds, const std::string& id) {
    std::lock_guard<std::mutex> l(mu_);
    events_.push_back({epoch_seconds, id});
  }
  std::optional<ferry::testing::ServerReply> Serve(const ferry::testing::ServerRequest& r) {
    auto target = r.headers.find("X-Amz-Target");
    if (target == r.headers.end() || !target->second.ends_with(".LookupEvents")) return std::nullopt;
    json req = json::parse(r.body);
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    start_times_.push_back(req.contains("StartTime") ? req["StartTime"].get<double>() : -1);
    page_sizes_.push_back(req.value("MaxResults", 50));
    std::vector<std::pair<int64_t, std::string>> match;
    for (const auto& e : events_)
      if (!req.contains("StartTime") || e.first >= req["StartTime"].get<double>()) match.push_back(e);
    std::sort(match.begin(), match.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    size_t from = req.contains("NextToken") ? std::stoul(req["NextToken"].get<std::string>()) : 0;
    size_t n = std::min<size_t>(req.value("MaxResults", 50), 50);
    json events = json::array();
    for (size_t i = from; i < match.size() && i < from + n; ++i) {
      const auto& [t, id] = match[i];
      events.push_back({{"EventId", id}, {"EventName", "RunInstances"}, {"ReadOnly", "false"},
                        {"AccessKeyId", "AKIAFAKE"}, {"EventTime", t}, {"EventSource", "ec2.amazonaws.com"},
                        {"Username", "alice"},
                        {"Resources", {{{"ResourceType", "AWS::EC2::Instance"}, {"ResourceName", "i-" + id}}}},
                        {"CloudTrailEvent", json{{"eventID", id}, {"eventVersion", "1.08"}}.dump()}});
    }
    json body = {{"Events", events}};
    if (from + n < match.size()) body["NextToken"] = std::to_string(from + n);
    ferry::testing::ServerReply reply;
    reply.headers["Content-Type"] = "application/x-amz-json-1.1";
    reply.body = body.dump();
    return reply;
  }
  std::vector<double> start_times() {
    std::lock_guard<std::mutex> l(mu_);
    return start_times_;
  }
  std::vector<int> page_sizes() {
    std::lock_guard<std::mutex> l(mu_);
    return page_sizes_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<int64_t, std::string>> events_;
  std::vector<double> start_times_;
  std::vector<int> page_sizes_;
  int calls_ = 0;
};

// aws_cloudtrail_events is incremental: the first sync reads everything and
// stores the newest event time per account and region; the next reads from
// it minus 15 minutes (late events), so nothing is lost, and events read
// twice are the same rows (event_id). The cursor only moves forward.
TEST(AwsMoto, CloudTrailEventsResumeFromTheCursorOfEachAccountAndRegion) {
  json expect;
  Moto moto = SeededMoto("--accounts 1 --regions us-east-1 --instances 1 --users 1 --roles 1 --buckets 1 --no-eks", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  FakeLookupEvents trail;
  const int64_t t0 = 1790000000;  // 2026-09-21T14:13:20Z
  for (int i = 0; i < 120; ++i) trail.Add(t0 + 60 * i, "ev-" + std::to_string(i));
  MotoFront front(moto.url, [&](const ferry::testing::ServerRequest& r) { return trail.Serve(r); });
  auto src = MakeSource(AwsSourcePlugin(), {{"endpoint", front.url()}, {"regions", {"us-east-1"}}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  auto sync = [&](const StateSnapshot& state, FakeSink& sink) {
    SyncRequest req;
    req.tables = {"aws_cloudtrail_events"};
    req.state = state;
    req.has_state_backend = true;
    req.sync_time = SyncClock::now();
    return (*src)->Sync(req, sink);
  };
  auto ids = [](FakeSink& sink) {
    std::set<std::string> out;
    for (auto& r : sink.Table("aws_cloudtrail_events")) out.insert(Text(r["event_id"]));
    return out;
  };
  const std::string key = "aws_cloudtrail_events:123456789012:us-east-1";

  FakeSink first;
  ASSERT_TRUE(sync({}, first).ok());
  EXPECT_EQ(first.Table("aws_cloudtrail_events").size(), 120u);
  ASSERT_EQ(first.cursors.count(key), 1u) << ::testing::PrintToString(first.cursors);
  EXPECT_EQ(first.cursors[key], TimestampText((t0 + 60 * 119) * 1000000, TimestampStyle::kRfc3339Nano));
  EXPECT_EQ(trail.page_sizes(), (std::vector<int>{50, 50, 50}));   // pages at the API's maximum
  auto row = first.Table("aws_cloudtrail_events")[0];
  EXPECT_EQ(json::parse(Text(row["cloud_trail_event"]))["eventVersion"], "1.08");
  EXPECT_EQ(Text(row["read_only"]), "false");

  for (int i = 120; i < 150; ++i) trail.Add(t0 + 60 * i, "ev-" + std::to_string(i));
  FakeSink second;
  ASSERT_TRUE(sync(first.cursors, second).ok());
  EXPECT_DOUBLE_EQ(trail.start_times().back(), static_cast<double>(t0 + 60 * 119 - 900));
  std::set<std::string> all = ids(first);
  for (const auto& id : ids(second)) all.insert(id);
  EXPECT_EQ(all.size(), 150u);                               // nothing lost
  EXPECT_EQ(second.Table("aws_cloudtrail_events").size(), 46u);  // the 15 minutes again, then the 30 new
  EXPECT_EQ(second.cursors[key], TimestampText((t0 + 60 * 149) * 1000000, TimestampStyle::kRfc3339Nano));

  FakeSink third;   // nothing new: the cursor stays
  ASSERT_TRUE(sync(second.cursors, third).ok());
  EXPECT_TRUE(third.cursors.empty()) << ::testing::PrintToString(third.cursors);
  EXPECT_EQ(third.Table("aws_cloudtrail_events").size(), 16u);

  StateSnapshot bad = {{key, "yesterday"}};
  FakeSink fourth;
  (void)sync(bad, fourth);
  ASSERT_EQ(fourth.done.size(), 1u);
  EXPECT_NE(fourth.done[0].status.message().find("is not an RFC 3339 time"), std::string::npos)
      << fourth.done[0].status.ToString();
}

// WAF Classic (not in moto 5.2.6) from a fake of its documented JSON wire
// format in front of moto: once per account whatever the regions, signed
// for us-east-1 (its one global endpoint), rule groups listed over two
// pages, each read with GetRuleGroup, its tags by the ARN AWS gives it, and
// the ids of every rule ListActivatedRulesInRuleGroup answers (collected).
TEST(AwsMoto, WafClassicIsReadOncePerAccountSignedForUsEast1) {
  json expect;
  Moto moto = SeededMoto("--accounts 1 --regions us-east-1 --instances 1 --users 1 --roles 1 --buckets 1 --no-eks", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  std::mutex mu;
  std::vector<std::string> ops, scopes, tagged_arns;
  MotoFront front(moto.url, [&](const ferry::testing::ServerRequest& r) -> std::optional<ferry::testing::ServerReply> {
    auto target = r.headers.find("X-Amz-Target");
    if (target == r.headers.end() || target->second.rfind("AWSWAF_20150824.", 0) != 0) return std::nullopt;
    const std::string op = target->second.substr(16);
    const json in = json::parse(r.body, nullptr, false);
    std::lock_guard<std::mutex> l(mu);
    ops.push_back(op);
    auto auth = r.headers.find("Authorization");
    scopes.push_back(auth == r.headers.end() ? "" : auth->second.substr(0, auth->second.find(',')));
    ferry::testing::ServerReply reply;
    reply.headers["Content-Type"] = "application/x-amz-json-1.1";
    json out;
    if (op == "ListRuleGroups") {
      const bool second = in.contains("NextMarker");
      if (second && in["NextMarker"] != "m2") reply.status = 400;
      out = json::object();
      out["RuleGroups"] = json::array({json{{"RuleGroupId", second ? "rg-2" : "rg-1"}, {"Name", second ? "g2" : "g1"}}});
      if (!second) out["NextMarker"] = "m2";
    } else if (op == "GetRuleGroup") {
      const std::string id = in.value("RuleGroupId", "");
      out = {{"RuleGroup", {{"RuleGroupId", id}, {"Name", id == "rg-1" ? "g1" : "g2"}, {"MetricName", id + "m"}}}};
    } else if (op == "ListTagsForResource") {
      tagged_arns.push_back(in.value("ResourceARN", ""));
      out = {{"TagInfoForResource", {{"ResourceARN", in.value("ResourceARN", "")},
                                     {"TagList", json::array({json{{"Key", "team"}, {"Value", "edge"}}})}}}};
    } else if (op == "ListActivatedRulesInRuleGroup") {
      out = {{"ActivatedRules", in.value("RuleGroupId", "") == "rg-1"
                                    ? json::array({json{{"Priority", 1}, {"RuleId", "r-1"}},
                                                   json{{"Priority", 2}, {"RuleId", "r-2"}}})
                                    : json::array()}};
    } else {
      reply.status = 400;
      out = {{"__type", "WAFInvalidOperationException"}, {"message", "unexpected " + op}};
    }
    reply.body = out.dump();
    return reply;
  });
  auto src = MakeSource(AwsSourcePlugin(), {{"endpoint", front.url()}, {"regions", {"us-east-1", "eu-west-1"}}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = test::testing::SyncAll(**src, sink, {"aws_waf_rule_groups"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << " " << d.client << ": " << d.status.ToString();
  for (const auto& w : sink.warnings) ADD_FAILURE() << "warning: " << w;
  auto rows = sink.Table("aws_waf_rule_groups");
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string, std::map<std::string, Value>> by_id;
  for (auto& r : rows) by_id[Text(r["rule_group_id"])] = r;
  ASSERT_EQ(by_id.count("rg-1"), 1u);
  ASSERT_EQ(by_id.count("rg-2"), 1u);
  auto& g1 = by_id["rg-1"];
  EXPECT_EQ(Text(g1["arn"]), "arn:aws:waf::123456789012:rulegroup/rg-1");
  EXPECT_EQ(Text(g1["account_id"]), "123456789012");
  EXPECT_EQ(Text(g1["metric_name"]), "rg-1m");
  EXPECT_EQ(json::parse(Text(g1["tags"])), (json{{"team", "edge"}}));
  ASSERT_EQ(g1["rule_ids"].kind(), Value::Kind::kList);
  std::vector<std::string> ids;
  for (const auto& v : g1["rule_ids"].items()) ids.push_back(v.as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"r-1", "r-2"}));
  EXPECT_TRUE(by_id["rg-2"]["rule_ids"].kind() == Value::Kind::kList && by_id["rg-2"]["rule_ids"].items().empty());
  std::lock_guard<std::mutex> l(mu);
  // Once for the account (two regions configured): two pages, then per group
  // GetRuleGroup, tags and activated rules.
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "ListRuleGroups"), 2);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "GetRuleGroup"), 2);
  EXPECT_EQ(ops.size(), 8u) << ::testing::PrintToString(ops);
  for (const auto& sc : scopes) EXPECT_NE(sc.find("/us-east-1/waf/aws4_request"), std::string::npos) << sc;
  std::sort(tagged_arns.begin(), tagged_arns.end());
  EXPECT_EQ(tagged_arns, (std::vector<std::string>{"arn:aws:waf::123456789012:rulegroup/rg-1",
                                                   "arn:aws:waf::123456789012:rulegroup/rg-2"}));
}

// Route 53 against moto: a zone of 654 record sets is three pages of
// ListResourceRecordSets at the 300 the catalog asks for (moto honours
// maxitems and answers NextRecordName and NextRecordType; it does not
// implement StartRecordIdentifier, so the weighted pair is seeded away from
// a page's edge). Every record set comes back once, under its zone, and the
// reusable delegation set seeded is listed.
TEST(AwsMoto, Route53RecordSetsPageByNameTypeAndIdentifier) {
  json expect;
  Moto moto = SeededMoto("--accounts 1 --regions us-east-1 --instances 1 --users 1 --roles 1 --buckets 1 --no-eks "
                         "--record-sets 650", &expect);
  ASSERT_TRUE(moto.error.empty()) << moto.error;
  UseMotoCredentials();
  std::mutex mu;
  std::vector<std::string> rrset_requests;
  MotoFront front(moto.url, [&](const ferry::testing::ServerRequest& r) -> std::optional<ferry::testing::ServerReply> {
    if (r.target.find("/rrset") != std::string::npos) {
      std::lock_guard<std::mutex> l(mu);
      rrset_requests.push_back(r.target);
    }
    return std::nullopt;
  });
  auto src = MakeSource(AwsSourcePlugin(), {{"endpoint", front.url()}, {"regions", {"us-east-1"}}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = test::testing::SyncAll(**src, sink, {"aws_route53_hosted_zones",
                                                   "aws_route53_hosted_zone_resource_record_sets",
                                                   "aws_route53_delegation_sets"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << " " << d.client << ": " << d.status.ToString();
  for (const auto& w : sink.warnings) ADD_FAILURE() << "warning: " << w;

  const json& want = expect["tables"]["aws_route53_hosted_zone_resource_record_sets"];
  ASSERT_EQ(want.size(), 654u);
  std::map<std::string, std::map<std::string, Value>> got;
  for (auto& r : sink.Table("aws_route53_hosted_zone_resource_record_sets")) {
    const std::string k = Text(r["hosted_zone_arn"]) + " " + Text(r["name"]) + " " + Text(r["type"]) + " " +
                          Text(r["set_identifier"]);
    EXPECT_TRUE(got.emplace(k, r).second) << k << " twice";
  }
  EXPECT_EQ(got.size(), want.size());
  for (const auto& e : want) {
    const std::string k = e["hosted_zone_arn"].get<std::string>() + " " + e["name"].get<std::string>() + " " +
                          e["type"].get<std::string>() + " " +
                          (e["set_identifier"].is_string() ? e["set_identifier"].get<std::string>() : "");
    auto it = got.find(k);
    if (it == got.end()) {
      ADD_FAILURE() << k << " is missing";
      continue;
    }
    EXPECT_EQ(Text(it->second["account_id"]), e["account_id"].get<std::string>()) << k;
    EXPECT_EQ(it->second["ttl"].as_int(), e["ttl"].get<int64_t>()) << k;
    if (e["weight"].is_number()) {
      EXPECT_EQ(it->second["weight"].as_int(), e["weight"].get<int64_t>()) << k;
    }
    if (e["seeded"].get<bool>()) {
      const json records = json::parse(Text(it->second["resource_records"]));
      ASSERT_EQ(records.size(), 1u) << k;
      EXPECT_TRUE(records[0]["Value"].is_string()) << k;
    }
  }
  // Three pages: the first without tokens, the next two from the answers' tokens.
  ASSERT_EQ(rrset_requests.size(), 3u) << ::testing::PrintToString(rrset_requests);
  EXPECT_EQ(rrset_requests[0].find("name="), std::string::npos) << rrset_requests[0];
  for (const auto& r : rrset_requests) EXPECT_NE(r.find("maxitems=300"), std::string::npos) << r;
  EXPECT_NE(rrset_requests[1].find("name=r0298."), std::string::npos) << rrset_requests[1];
  EXPECT_NE(rrset_requests[1].find("type=A"), std::string::npos) << rrset_requests[1];
  EXPECT_NE(rrset_requests[2].find("name=r0598."), std::string::npos) << rrset_requests[2];

  // The delegation set seeded; moto also lists each zone's own (with an empty id).
  std::map<std::string, std::map<std::string, Value>> sets;
  for (auto& r : sink.Table("aws_route53_delegation_sets")) sets[Text(r["arn"])] = r;
  for (const auto& e : expect["tables"]["aws_route53_delegation_sets"]) {
    auto it = sets.find(e["arn"].get<std::string>());
    ASSERT_NE(it, sets.end()) << e["arn"];
    EXPECT_EQ(Text(it->second["id"]), e["id"].get<std::string>());
    EXPECT_EQ(Text(it->second["account_id"]), e["account_id"].get<std::string>());
    json servers = json::array();
    for (const auto& v : it->second["name_servers"].items()) servers.push_back(Text(v));
    EXPECT_EQ(servers, e["name_servers"]);
  }
}

}  // namespace
}  // namespace ferry::plugins::aws
