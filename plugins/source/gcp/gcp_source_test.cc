// The gcp source against a FAKE of Google's REST list APIs
// (testing/fake_gcp.py, Python: fixtures served in Google's documented wire
// format with page tokens, aggregatedList's per-scope maps and Google's
// error bodies; no emulator here serves Compute, IAM, KMS, ...: EMULATORS.md),
// and the catalog against CloudQuery's gcp tables (testing/cq_gcp_tables.json,
// from CloudQuery's public docs).
#include "plugins/source/gcp/gcp_source.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "testing/cli_runner.h"
#include "testing/fake_sink.h"
#include "testing/http_test_server.h"
#include "testing/test_servers.h"

extern char** environ;

namespace ferry::plugins::gcp {
namespace {

using ferry::plugins::test::testing::FakeSink;
using ferry::plugins::test::testing::MakeSource;
using ferry::plugins::test::testing::SyncAll;
using json = nlohmann::json;

// testing/fake_gcp.py in a process of its own, on a free port of 127.0.0.1.
class FakeGcp {
 public:
  FakeGcp() {
    dir_ = std::filesystem::temp_directory_path() / ("ferry-fake-gcp-" + std::to_string(getpid()) + "-" +
                                                     std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    const std::string script = std::string(FERRY_SOURCE_DIR) + "/plugins/source/gcp/testing/fake_gcp.py";
    const std::string port_file = (dir_ / "port").string();
    std::vector<std::string> args = {"python3", script, "--port-file", port_file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    for (int i = 0; i < 200 && pid_ > 0; ++i) {
      std::ifstream in(port_file);
      int port = 0;
      if (in >> port && port > 0) {
        url_ = "http://127.0.0.1:" + std::to_string(port);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto made = http::HttpClient::Make({});
    if (made.ok()) http_ = std::move(*made);
  }
  ~FakeGcp() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& url() const { return url_; }
  bool up() const { return !url_.empty() && http_ != nullptr; }

  void Put(const std::string& what, const json& doc) {
    http::Request r{.method = "PUT", .url = url_ + "/_fake/" + what, .body = doc.dump()};
    r.idempotent = true;
    auto resp = http_->Do(r);
    ASSERT_TRUE(resp.ok() && resp->status == 200) << what << ": " << (resp.ok() ? resp->body : resp.status().ToString());
  }
  json Requests() {
    auto resp = http_->Do({.url = url_ + "/_fake/requests"});
    return resp.ok() ? json::parse(resp->body) : json();
  }
  // The `endpoints:` of a spec pointing every API at its mount of the fake.
  // Every API of the catalog: nothing may leave 127.0.0.1.
  json Endpoints(const std::string& base = "") const {
    json e = json::object();
    std::function<void(const CatalogTable&)> add = [&](const CatalogTable& t) {
      e[t.api] = (base.empty() ? url_ : base) + "/" + t.api;
      for (const auto& r : t.relations) add(*r);
    };
    for (const auto& t : BuiltinCatalog().tables) add(*t);
    for (const char* discovery_api : {"cloudresourcemanager", "serviceusage"})
      e[discovery_api] = (base.empty() ? url_ : base) + "/" + discovery_api;
    return e;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::string url_;
  std::unique_ptr<http::HttpClient> http_;
};

json Instance(const std::string& project, const std::string& zone, int i, const std::string& id) {
  const std::string name = "vm-" + zone + "-" + std::to_string(i);
  return {{"kind", "compute#instance"},
          {"id", id},
          {"creationTimestamp", "2024-03-01T10:11:12.345-08:00"},
          {"name", name},
          {"zone", "https://www.googleapis.com/compute/v1/projects/" + project + "/zones/" + zone},
          {"machineType", "https://www.googleapis.com/compute/v1/projects/" + project + "/zones/" + zone +
                              "/machineTypes/e2-small"},
          {"status", i % 2 ? "RUNNING" : "TERMINATED"},
          {"canIpForward", i % 3 == 0},
          {"labels", {{"team", "t" + std::to_string(i % 4)}, {"env", "prod"}}},
          {"networkInterfaces", json::array({{{"network", "global/networks/default"},
                                              {"networkIP", "10.0.0." + std::to_string(i)}}})},
          {"resourcePolicies", json::array({"p1", "p2"})},
          {"selfLink", "https://www.googleapis.com/compute/v1/projects/" + project + "/zones/" + zone +
                           "/instances/" + name}};
}

// Two active projects (a under folders/100, b under folders/200, a child of
// folders/100), one being deleted; a has everything, b has Compute disabled
// and IAM denied.
void Seed(FakeGcp& fake, int max_page) {
  json rm_projects = json::array({
      {{"name", "projects/1001"}, {"projectId", "proj-a"}, {"state", "ACTIVE"}, {"parent", "folders/100"},
       {"displayName", "A"}, {"labels", {{"env", "prod"}}}, {"createTime", "2020-01-02T03:04:05.678901Z"}},
      {{"name", "projects/1002"}, {"projectId", "proj-b"}, {"state", "ACTIVE"}, {"parent", "folders/200"},
       {"displayName", "B"}, {"labels", {{"env", "dev"}}}},
      {{"name", "projects/1003"}, {"projectId", "proj-c"}, {"state", "DELETE_REQUESTED"}, {"parent", "folders/100"}},
  });
  json lists = {
      {"cloudresourcemanager/v3/projects", {{"field", "projects"}, {"items", rm_projects}}},
      {"cloudresourcemanager/v3/folders",
       {{"field", "folders"},
        {"items", json::array({{{"name", "folders/200"}, {"parent", "folders/100"}, {"state", "ACTIVE"}}})}}},
  };
  // Compute: 23 instances of proj-a over two zones (one id above 2^63).
  json zone1 = json::array(), zone2 = json::array();
  for (int i = 0; i < 10; ++i) zone1.push_back(Instance("proj-a", "us-central1-a", i, std::to_string(1000 + i)));
  for (int i = 0; i < 13; ++i)
    zone2.push_back(Instance("proj-a", "europe-west1-b", i, i == 0 ? "18446744073709551615" : std::to_string(2000 + i)));
  lists["compute/compute/v1/projects/proj-a/zones/us-central1-a/instances"] = {{"field", "items"}, {"items", zone1}};
  lists["compute/compute/v1/projects/proj-a/zones/europe-west1-b/instances"] = {{"field", "items"}, {"items", zone2}};
  lists["compute/compute/v1/projects/proj-a/global/networks"] = {
      {"field", "items"},
      {"items", json::array({{{"name", "default"}, {"id", "77"}, {"IPv4Range", "10.240.0.0/16"},
                              {"gatewayIPv4", "10.240.0.1"}, {"autoCreateSubnetworks", true},
                              {"selfLink", "https://www.googleapis.com/compute/v1/projects/proj-a/global/networks/default"}}})}};
  // IAM: 3 service accounts with 2 keys each.
  json accounts = json::array();
  for (int i = 0; i < 3; ++i) {
    const std::string email = "sa" + std::to_string(i) + "@proj-a.iam.gserviceaccount.com";
    const std::string name = "projects/proj-a/serviceAccounts/" + email;
    accounts.push_back({{"name", name}, {"projectId", "proj-a"}, {"uniqueId", "11" + std::to_string(i)},
                        {"email", email}, {"displayName", "SA " + std::to_string(i)}, {"etag", "BwXhqDkCPK4="},
                        {"disabled", i == 2}});
    json keys = json::array();
    for (int k = 0; k < 2; ++k)
      keys.push_back({{"name", name + "/keys/k" + std::to_string(k)}, {"keyType", k ? "SYSTEM_MANAGED" : "USER_MANAGED"},
                      {"keyAlgorithm", "KEY_ALG_RSA_2048"}, {"validAfterTime", "2024-01-01T00:00:00Z"},
                      {"publicKeyData", "aGVsbG8="}});
    lists["iam/v1/" + name + "/keys"] = {{"field", "keys"}, {"items", keys}};
  }
  lists["iam/v1/projects/proj-a/serviceAccounts"] = {{"field", "accounts"}, {"items", accounts}};
  // Storage: 2 buckets of proj-a and their IAM policies.
  json buckets = json::array();
  json objects = json::object();
  for (int i = 0; i < 2; ++i) {
    const std::string b = "bucket-" + std::to_string(i);
    buckets.push_back({{"kind", "storage#bucket"}, {"id", b}, {"name", b}, {"projectNumber", "1001"},
                       {"location", "US"}, {"storageClass", "STANDARD"}, {"timeCreated", "2023-05-06T07:08:09.010Z"},
                       {"versioning", {{"enabled", i == 0}}}, {"labels", {{"owner", "x"}}}});
    objects["storage/storage/v1/b/" + b + "/iam"] = {
        {"kind", "storage#policy"}, {"resourceId", "projects/_/buckets/" + b}, {"version", 3}, {"etag", "CAE="},
        {"bindings", json::array({{{"role", "roles/storage.admin"}, {"members", json::array({"user:a@x.com"})}}})}};
  }
  lists["storage/storage/v1/b?project=proj-a"] = {{"field", "items"}, {"items", buckets}};
  // BigQuery: a list with partial datasets; the full ones at their paths.
  lists["bigquery/bigquery/v2/projects/proj-a/datasets"] = {
      {"field", "datasets"},
      {"items", json::array({{{"kind", "bigquery#dataset"}, {"id", "proj-a:ds1"},
                              {"datasetReference", {{"projectId", "proj-a"}, {"datasetId", "ds1"}}}}})}};
  objects["bigquery/bigquery/v2/projects/proj-a/datasets/ds1"] = {
      {"kind", "bigquery#dataset"}, {"id", "proj-a:ds1"}, {"description", "full resource"},
      {"datasetReference", {{"projectId", "proj-a"}, {"datasetId", "ds1"}}}, {"creationTime", "1700000000123"},
      {"location", "EU"}, {"defaultTableExpirationMs", "3600000"}};
  lists["bigquery/bigquery/v2/projects/proj-a/datasets/ds1/tables"] = {
      {"field", "tables"},
      {"items", json::array({{{"id", "proj-a:ds1.t1"},
                              {"tableReference", {{"projectId", "proj-a"}, {"datasetId", "ds1"}, {"tableId", "t1"}}}}})}};
  objects["bigquery/bigquery/v2/projects/proj-a/datasets/ds1/tables/t1"] = {
      {"id", "proj-a:ds1.t1"}, {"tableReference", {{"projectId", "proj-a"}, {"datasetId", "ds1"}, {"tableId", "t1"}}},
      {"numRows", "42"}, {"schema", {{"fields", json::array({{{"name", "x"}, {"type", "INTEGER"}}})}}}};
  // KMS: locations -> key rings -> keys.
  lists["cloudkms/v1/projects/proj-a/locations"] = {
      {"field", "locations"},
      {"items", json::array({{{"name", "projects/proj-a/locations/global"}, {"locationId", "global"}},
                             {{"name", "projects/proj-a/locations/us-east1"}, {"locationId", "us-east1"}}})}};
  lists["cloudkms/v1/projects/proj-a/locations/global/keyRings"] = {
      {"field", "keyRings"},
      {"items", json::array({{{"name", "projects/proj-a/locations/global/keyRings/ring"},
                              {"createTime", "2022-02-02T02:02:02.5Z"}}})}};
  lists["cloudkms/v1/projects/proj-a/locations/global/keyRings/ring/cryptoKeys"] = {
      {"field", "cryptoKeys"},
      {"items", json::array({{{"name", "projects/proj-a/locations/global/keyRings/ring/cryptoKeys/k"},
                              {"purpose", "ENCRYPT_DECRYPT"}, {"rotationPeriod", "7776000.5s"},
                              {"createTime", "2022-02-02T02:02:03Z"}}})}};
  // Two organizations, folders and tags of the first.
  lists["cloudresourcemanager/v3/organizations"] = {
      {"field", "organizations"},
      {"items", json::array({{{"name", "organizations/111"}, {"displayName", "example.com"}, {"state", "ACTIVE"}},
                             {{"name", "organizations/222"}, {"displayName", "other.com"}, {"state", "ACTIVE"}}})}};
  objects["cloudresourcemanager/v1/organizations/111"] = {
      {"name", "organizations/111"}, {"displayName", "example.com"}, {"lifecycleState", "ACTIVE"},
      {"creationTime", "2019-05-06T07:08:09.123Z"}, {"owner", {{"directoryCustomerId", "C0abc"}}}};
  objects["cloudresourcemanager/v1/organizations/222"] = {
      {"name", "organizations/222"}, {"displayName", "other.com"}, {"lifecycleState", "ACTIVE"}};
  lists["cloudresourcemanager/v3/folders"]["items"].push_back(
      {{"name", "folders/100"}, {"parent", "organizations/111"}, {"state", "ACTIVE"}, {"displayName", "Eng"}});
  lists["cloudresourcemanager/v3/folders"]["items"].push_back(
      {{"name", "folders/300"}, {"parent", "organizations/111"}, {"state", "ACTIVE"}, {"displayName", "Ops"}});
  lists["cloudresourcemanager/v3/folders"]["items"].push_back(
      {{"name", "folders/400"}, {"parent", "folders/200"}, {"state", "ACTIVE"}, {"displayName", "Deep"}});
  lists["cloudresourcemanager/v3/tagKeys"] = {
      {"field", "tagKeys"},
      {"items", json::array({{{"name", "tagKeys/5"}, {"parent", "organizations/111"}, {"shortName", "env"}}})}};
  lists["cloudresourcemanager/v3/tagValues"] = {
      {"field", "tagValues"},
      {"items", json::array({{{"name", "tagValues/51"}, {"parent", "tagKeys/5"}, {"shortName", "prod"}},
                             {{"name", "tagValues/52"}, {"parent", "tagKeys/5"}, {"shortName", "dev"}}})}};
  objects["cloudresourcemanager/v3/projects/proj-a"] = rm_projects[0];
  objects["cloudresourcemanager/v3/projects/proj-b"] = rm_projects[1];
  fake.Put("lists", lists);
  fake.Put("objects", objects);
  fake.Put("config", {{"max_page", max_page},
                      {"disabled", {{"proj-b", json::array({"compute"})}}},
                      {"denied", {{"proj-b", json::array({"iam"})}}},
                      {"not_found", json::array({"cloudkms/v1/projects/proj-b"})}});
}

std::map<std::string, Value> Find(const std::vector<std::map<std::string, Value>>& rows, const std::string& col,
                                  const std::string& value) {
  for (const auto& r : rows)
    if (r.at(col).as_string() == value) return r;
  ADD_FAILURE() << "no row with " << col << " = " << value;
  return {};
}

TEST(GcpCatalog, BuiltInCatalogParsesAndEveryTableHasKeysAndDescriptions) {
  const Catalog& c = BuiltinCatalog();
  ASSERT_GE(c.tables.size(), 30u);
  std::set<std::string> names;
  std::function<void(const CatalogTable&)> check = [&](const CatalogTable& t) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name << " twice";
    EXPECT_EQ(t.name.rfind("gcp_", 0), 0u) << t.name;
    EXPECT_FALSE(t.description.empty()) << t.name;
    EXPECT_EQ(t.base_url.rfind("https://", 0), 0u) << t.name;
    for (const auto& col : t.columns) EXPECT_FALSE(col.name.empty()) << t.name;
    for (const auto& r : t.relations) check(*r);
  };
  for (const auto& t : c.tables) check(*t);
  EXPECT_GE(names.size(), 40u);
}

TEST(GcpCatalog, BadCatalogsAreRefusedNamingTheTableAndKey) {
  auto bad = ParseCatalog(R"({"generated_from":"x","tables":[{"name":"gcp_t","service":"s","api":"a","method":"m",
      "base_url":"https://a/","path":"p","items":"items","columns":[{"name":"c","type":"decimal","from":"field:c"}]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("table gcp_t column c: unknown type \"decimal\""), std::string::npos)
      << bad.status().message();
  auto orphan = ParseCatalog(R"({"generated_from":"x","tables":[{"name":"gcp_t","service":"s","api":"a","method":"m",
      "base_url":"https://a/","path":"p","items":"items","columns":[{"name":"c","type":"utf8","from":"parent:x"}]}]})");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.status().message().find("top-level table has no parent"), std::string::npos);
}

// CloudQuery's column names, types and keys for the tables both have
// (testing/cq_gcp_tables.json, parsed from CloudQuery's generated table docs).
// Ferry reads a newer API revision, so extra columns are expected; every one
// of CloudQuery's must be there with its type, except the differences listed
// here with their reason (also in the README).
TEST(GcpCatalog, ColumnsTypesAndKeysMatchCloudQuerys) {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/plugins/source/gcp/testing/cq_gcp_tables.json");
  ASSERT_TRUE(in) << "testing/cq_gcp_tables.json";
  json cq = json::parse(in);
  std::map<std::string, json> by_name;
  for (const auto& t : cq) by_name[t["name"]] = t;
  // table.column -> why Ferry differs.
  const std::map<std::string, std::string> known = {
      // CloudQuery's storage columns came from the Go library's BucketAttrs,
      // not the API's bucket resource Ferry reads.
      {"gcp_storage_buckets.*", "CloudQuery read Go's storage.BucketAttrs; Ferry the JSON API's bucket resource"},
      {"gcp_logging_sinks.options", "a gRPC oneof wrapper; the REST resource has bigquery_options itself"},
      {"gcp_secretmanager_secrets.expiration", "a gRPC oneof wrapper; the REST resource has expire_time and ttl"},
      {"gcp_kms_crypto_keys.rotation_schedule", "a gRPC oneof; the REST resource has rotation_period itself"},
      {"gcp_functions_functions.source_code", "a gRPC oneof; the REST resource has source_archive_url, ..."},
      {"gcp_functions_functions.trigger", "a gRPC oneof; the REST resource has https_trigger, event_trigger"},
      {"gcp_workflows_workflows.source_code", "a gRPC oneof; the REST resource has source_contents"},
  };
  int compared = 0;
  for (const auto& t : BuiltinCatalog().tables) {
    std::function<void(const CatalogTable&)> cmp = [&](const CatalogTable& table) {
      for (const auto& r : table.relations) cmp(*r);
      auto it = by_name.find(table.name);
      if (it == by_name.end()) return;  // a table CloudQuery does not have
      ++compared;
      std::map<std::string, std::string> mine;
      std::vector<std::string> my_pk;
      for (const auto& c : table.columns) {
        mine[c.name] = TypeOf(c.kind)->ToString();
        if (c.primary_key) my_pk.push_back(c.name);
      }
      std::vector<std::string> cq_pk;
      for (const auto& k : it->second["primary_keys"]) {
        if (k != "_cq_id") cq_pk.push_back(k);
      }
      EXPECT_EQ(std::set<std::string>(my_pk.begin(), my_pk.end()), std::set<std::string>(cq_pk.begin(), cq_pk.end()))
          << table.name << " primary key";
      if (known.count(table.name + ".*")) return;
      for (const auto& col : it->second["columns"]) {
        const std::string name = col["name"];
        if (name.rfind("_cq_", 0) == 0 || known.count(table.name + "." + name)) continue;
        auto m = mine.find(name);
        if (m == mine.end()) {
          ADD_FAILURE() << table.name << ": CloudQuery's column " << name << " is missing";
          continue;
        }
        std::string cq_type = col["type"];
        EXPECT_EQ(m->second.substr(0, 4), cq_type.substr(0, 4)) << table.name << "." << name << ": " << m->second
                                                                << " vs CloudQuery's " << cq_type;
      }
    };
    cmp(*t);
  }
  EXPECT_GE(compared, 25);
}

TEST(GcpSource, SyncsEveryTableOfTheFakeWithPagesRelationsAndSkips) {
  FakeGcp fake;
  ASSERT_TRUE(fake.up());
  Seed(fake, /*max_page=*/7);
  auto src = MakeSource(GcpSourcePlugin(), {{"project_ids", {"proj-a", "proj-b"}}, {"endpoints", fake.Endpoints()}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  Status st = SyncAll(**src, sink);
  ASSERT_TRUE(st.ok()) << st.ToString();
  // Compute: every instance of proj-a, over pages of 7 of the aggregated list.
  auto instances = sink.Table("gcp_compute_instances");
  ASSERT_EQ(instances.size(), 23u);
  auto vm = Find(instances, "name", "vm-us-central1-a-3");
  EXPECT_EQ(vm["project_id"].as_string(), "proj-a");
  EXPECT_EQ(vm["id"].as_int(), 1003);
  EXPECT_EQ(vm["status"].as_string(), "RUNNING");
  EXPECT_TRUE(vm["can_ip_forward"].as_bool());
  EXPECT_EQ(vm["creation_timestamp"].as_string(), "2024-03-01T10:11:12.345-08:00") << "text, as CloudQuery";
  EXPECT_EQ(json::parse(vm["labels"].as_string()), json({{"team", "t3"}, {"env", "prod"}}));
  EXPECT_EQ(json::parse(vm["network_interfaces"].as_string())[0]["networkIP"], "10.0.0.3");
  ASSERT_EQ(vm["resource_policies"].items().size(), 2u);
  EXPECT_EQ(Find(instances, "name", "vm-europe-west1-b-0")["id"].as_int(), -1) << "uint64 wrapped as CloudQuery's cast";
  json reqs = fake.Requests();
  EXPECT_EQ(reqs["paths"].value("compute/compute/v1/projects/proj-a/aggregated/instances", 0), 4) << reqs.dump();
  auto net = sink.Table("gcp_compute_networks");
  ASSERT_EQ(net.size(), 1u);
  EXPECT_EQ(net[0]["ipv4_range"].as_string(), "10.240.0.0/16");
  EXPECT_EQ(net[0]["gateway_ipv4"].as_string(), "10.240.0.1");
  // proj-b: Compute disabled and IAM denied are warnings, not failures.
  bool disabled = false, denied = false;
  for (const auto& w : sink.warnings) {
    if (w.find("gcp_compute_instances: project proj-b: skipped, the API is not enabled") == 0) disabled = true;
    if (w.find("gcp_iam_service_accounts: project proj-b: skipped, permission denied") == 0) denied = true;
  }
  EXPECT_TRUE(disabled && denied) << ::testing::PrintToString(sink.warnings);
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << " " << d.client << ": " << d.status.ToString();
  // IAM: accounts and, per account, its keys (a relation).
  auto sas = sink.Table("gcp_iam_service_accounts");
  ASSERT_EQ(sas.size(), 3u);
  EXPECT_EQ(Find(sas, "unique_id", "111")["email"].as_string(), "sa1@proj-a.iam.gserviceaccount.com");
  EXPECT_EQ(Find(sas, "unique_id", "111")["etag"].as_string(), std::string("\x07\x05\xe1\xa8\x39\x02\x3c\xae", 8));
  auto keys = sink.Table("gcp_iam_service_account_keys");
  ASSERT_EQ(keys.size(), 6u);
  auto key = Find(keys, "name", "projects/proj-a/serviceAccounts/sa2@proj-a.iam.gserviceaccount.com/keys/k1");
  EXPECT_EQ(key["service_account_unique_id"].as_string(), "112");
  EXPECT_EQ(key["public_key_data"].as_string(), "hello");
  EXPECT_EQ(key["key_type"].as_string(), "SYSTEM_MANAGED");
  EXPECT_EQ(key.count("private_key_data"), 0u) << "never a private key column";
  // Storage: buckets and each bucket's policy.
  auto buckets = sink.Table("gcp_storage_buckets");
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(Find(buckets, "name", "bucket-0")["time_created"].as_int(), 1683356889010000);
  auto policies = sink.Table("gcp_storage_bucket_policies");
  ASSERT_EQ(policies.size(), 2u);
  EXPECT_EQ(json::parse(Find(policies, "bucket_name", "bucket-1")["bindings"].as_string())[0]["role"],
            "roles/storage.admin");
  // BigQuery: rows are the full resources (a get per listed item).
  auto ds = sink.Table("gcp_bigquery_datasets");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0]["description"].as_string(), "full resource");
  EXPECT_EQ(ds[0]["creation_time"].as_int(), 1700000000123);
  auto tables = sink.Table("gcp_bigquery_tables");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0]["num_rows"].as_int(), 42);
  EXPECT_EQ(json::parse(tables[0]["schema"].as_string())["fields"][0]["name"], "x");
  // KMS: locations -> rings -> keys; a Duration in nanoseconds, times in microseconds.
  EXPECT_EQ(sink.Table("gcp_kms_locations").size(), 2u);
  bool not_found = false;  // proj-b's locations answer 404: a warning
  for (const auto& w : sink.warnings)
    if (w.find("gcp_kms_locations: project proj-b: skipped, not found") == 0) not_found = true;
  EXPECT_TRUE(not_found) << ::testing::PrintToString(sink.warnings);
  auto ck = sink.Table("gcp_kms_crypto_keys");
  ASSERT_EQ(ck.size(), 1u);
  EXPECT_EQ(ck[0]["rotation_period"].as_int(), 7776000500000000LL);
  EXPECT_EQ(ck[0]["create_time"].as_int(), 1643767323000000LL);
  // Resource Manager: one row per project, from projects.get.
  auto projects = sink.Table("gcp_resourcemanager_projects");
  ASSERT_EQ(projects.size(), 2u);
  EXPECT_EQ(Find(projects, "project_id", "proj-a")["create_time"].as_int(), 1577934245678901LL);
}

TEST(GcpSource, ProjectsAreDiscoveredAsCloudQueryDoes) {
  FakeGcp fake;
  ASSERT_TRUE(fake.up());
  Seed(fake, 0);
  auto projects_of = [&](json spec) {
    spec["endpoints"] = fake.Endpoints();
    auto src = MakeSource(GcpSourcePlugin(), spec);
    EXPECT_TRUE(src.ok()) << src.status().ToString();
    std::set<std::string> out;
    if (!src.ok()) return out;
    FakeSink sink;
    EXPECT_TRUE(SyncAll(**src, sink, {"gcp_resourcemanager_projects"}).ok());
    for (const auto& r : sink.Table("gcp_resourcemanager_projects")) out.insert(r.at("project_id").as_string());
    return out;
  };
  using S = std::set<std::string>;
  EXPECT_EQ(projects_of(json::object()), (S{"proj-a", "proj-b"})) << "every ACTIVE project the credentials see";
  EXPECT_EQ(projects_of({{"folder_ids", {"folders/100"}}, {"folder_recursion_depth", 0}}), (S{"proj-a"}));
  EXPECT_EQ(projects_of({{"folder_ids", {"100"}}}), (S{"proj-a", "proj-b"})) << "sub-folders too";
  EXPECT_EQ(projects_of({{"project_filter", "labels.env:prod"}}), (S{"proj-a"}));
  EXPECT_EQ(projects_of({{"project_ids", {"proj-b"}}, {"project_filter", "labels.env:prod"}}), (S{"proj-a", "proj-b"}));
}

// Organization-level tables run once per organization: organization_ids,
// those organization_filter finds, or every one the credentials see.
TEST(GcpSource, OrganizationTablesRunPerOrganization) {
  FakeGcp fake;
  ASSERT_TRUE(fake.up());
  Seed(fake, 0);
  const std::vector<std::string> tables = {"gcp_cloudresourcemanager_organizations", "gcp_resourcemanager_folders",
                                           "gcp_resourcemanager_subfolders",
                                           "gcp_resourcemanager_organization_tag_keys",
                                           "gcp_resourcemanager_organization_tag_values"};
  auto run = [&](json spec, FakeSink* sink) {
    spec["project_ids"] = {"proj-a"};
    spec["endpoints"] = fake.Endpoints();
    auto src = MakeSource(GcpSourcePlugin(), spec);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    ASSERT_TRUE(SyncAll(**src, *sink, tables).ok());
  };
  FakeSink all;
  run(json::object(), &all);
  EXPECT_EQ(all.Rows("gcp_cloudresourcemanager_organizations"), 2);
  auto org = Find(all.Table("gcp_cloudresourcemanager_organizations"), "name", "organizations/111");
  EXPECT_EQ(org["creation_time"].as_string(), "2019-05-06T07:08:09.123Z");
  EXPECT_EQ(json::parse(org["owner"].as_string())["directoryCustomerId"], "C0abc");
  auto folders = all.Table("gcp_resourcemanager_folders");
  ASSERT_EQ(folders.size(), 2u) << "the top-level folders of organization 111; folders/200 is a sub-folder";
  EXPECT_EQ(Find(folders, "name", "folders/300")["organization_id"].as_string(), "111");
  auto sub = all.Table("gcp_resourcemanager_subfolders");
  std::set<std::string> sub_names;
  for (const auto& r : sub) sub_names.insert(r.at("name").as_string());
  EXPECT_EQ(sub_names, (std::set<std::string>{"folders/200", "folders/400"})) << "every level below the top";
  EXPECT_EQ(Find(sub, "name", "folders/400")["parent"].as_string(), "folders/200");
  auto values = all.Table("gcp_resourcemanager_organization_tag_values");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(Find(values, "name", "tagValues/52")["organization_id"].as_string(), "111");
  FakeSink filtered;
  run({{"organization_filter", "domain:other.com"}}, &filtered);
  ASSERT_EQ(filtered.Rows("gcp_cloudresourcemanager_organizations"), 1);
  EXPECT_EQ(filtered.Table("gcp_cloudresourcemanager_organizations")[0].at("name").as_string(), "organizations/222");
  FakeSink by_id;
  run({{"organization_ids", {"111"}}}, &by_id);
  EXPECT_EQ(by_id.Rows("gcp_cloudresourcemanager_organizations"), 1);
  EXPECT_EQ(by_id.Rows("gcp_resourcemanager_folders"), 2);
  FakeSink skipped;
  run({{"skip_organization_resources", true}}, &skipped);
  EXPECT_EQ(skipped.Rows("gcp_cloudresourcemanager_organizations"), 0);
}

TEST(GcpSource, EnabledServicesOnlySkipsDisabledApisWithoutARequest) {
  FakeGcp fake;
  ASSERT_TRUE(fake.up());
  Seed(fake, 0);
  fake.Put("lists", {{"serviceusage/v1/projects/proj-a/services",
                      {{"field", "services"},
                       {"items", json::array({{{"name", "projects/1001/services/compute.googleapis.com"},
                                               {"config", {{"name", "compute.googleapis.com"}}},
                                               {"state", "ENABLED"}}})}}},
                     {"serviceusage/v1/projects/proj-b/services", {{"field", "services"}, {"items", json::array()}}}});
  auto src = MakeSource(GcpSourcePlugin(), {{"project_ids", {"proj-a", "proj-b"}},
                                            {"enabled_services_only", true},
                                            {"endpoints", fake.Endpoints()}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  ASSERT_TRUE(SyncAll(**src, sink, {"gcp_compute_instances", "gcp_iam_service_accounts"}).ok());
  EXPECT_EQ(sink.Rows("gcp_compute_instances"), 23);
  EXPECT_EQ(sink.Rows("gcp_iam_service_accounts"), 0) << "iam is not enabled in either project";
  EXPECT_TRUE(sink.warnings.empty()) << ::testing::PrintToString(sink.warnings);
  json reqs = fake.Requests()["paths"];
  EXPECT_EQ(reqs.count("compute/compute/v1/projects/proj-b/aggregated/instances"), 0u);
  EXPECT_EQ(reqs.count("iam/v1/projects/proj-a/serviceAccounts"), 0u);
}

TEST(GcpSource, ThrottlingServerErrorsSlownessAndCutAnswersAreRetried) {
  FakeGcp fake;
  ASSERT_TRUE(fake.up());
  Seed(fake, 7);
  ferry::testing::HttpFaultProxy proxy(fake.url());
  using Fault = ferry::testing::HttpFaultProxy::Fault;
  auto src = MakeSource(GcpSourcePlugin(), {{"project_ids", {"proj-a"}}, {"endpoints", fake.Endpoints(proxy.url())}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  // After Init (its organization search went through the proxy too).
  proxy.Inject(Fault{.kind = Fault::Kind::kStatus, .status = 429, .retry_after_seconds = 0}, 2);
  proxy.Inject(Fault{.kind = Fault::Kind::kStatus, .status = 503}, 1);
  proxy.Inject(Fault{.kind = Fault::Kind::kDelay, .delay = std::chrono::milliseconds(300)}, 1);  // slow, answered
  proxy.Inject(Fault{.kind = Fault::Kind::kReset}, 1);
  proxy.Inject(Fault{.kind = Fault::Kind::kTruncate}, 1);
  FakeSink sink;
  ASSERT_TRUE(SyncAll(**src, sink, {"gcp_compute_instances"}).ok());
  EXPECT_EQ(sink.Rows("gcp_compute_instances"), 23) << "every page once, whatever was retried";
  EXPECT_EQ(proxy.faults_served(), 6);
  EXPECT_EQ(sink.figures["gcp_compute_instances"].throttled, 2);
}

TEST(GcpSource, AnUnexpectedApiErrorFailsThatTableAndProjectOnly) {
  ferry::testing::HttpTestServer api([](const ferry::testing::ServerRequest& r) {
    if (r.target.find("/aggregated/instances") != std::string::npos)
      return ferry::testing::ServerReply{.status = 400,
                                         .body = R"({"error":{"code":400,"message":"Invalid value for field","status":"INVALID_ARGUMENT"}})"};
    return ferry::testing::ServerReply{.body = R"({"items":[]})"};
  });
  auto src = MakeSource(GcpSourcePlugin(), {{"project_ids", {"p1"}}, {"endpoint", api.url()}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  ASSERT_TRUE(SyncAll(**src, sink, {"gcp_compute_instances", "gcp_compute_networks"}).ok());
  for (const auto& d : sink.done) {
    if (d.table == "gcp_compute_instances") {
      ASSERT_FALSE(d.status.ok());
      EXPECT_NE(d.status.message().find("table gcp_compute_instances, project p1: compute.instances.aggregatedList"),
                std::string::npos) << d.status.message();
      EXPECT_NE(d.status.message().find("HTTP 400 INVALID_ARGUMENT: Invalid value for field"), std::string::npos);
    } else {
      EXPECT_TRUE(d.status.ok()) << d.table;
    }
  }
}

TEST(GcpSource, SpecIsCloudQuerysAndBadKeysAreNamed) {
  const std::string cq_spec = R"({"project_ids":["my-project"],"folder_recursion_depth":2,
      "service_account_impersonation":{"target_principal":"sa@p.iam.gserviceaccount.com","scopes":[
      "https://www.googleapis.com/auth/cloud-platform"]},"enabled_services_only":true,"backoff_delay":5,
      "backoff_retries":3,"concurrency":100,"discovery_concurrency":10,"scheduler":"dfs"})";
  auto o = ValidateOptions(SpecOptions(), json::parse(cq_spec), "source \"gcp\"", nullptr);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  auto spec = ParseSpec(*o);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->impersonation.target_principal, "sa@p.iam.gserviceaccount.com");
  auto both = ValidateOptions(SpecOptions(), json{{"project_filter", "x"}, {"folder_ids", {"1"}}}, "s", nullptr);
  ASSERT_TRUE(both.ok());
  auto refused = ParseSpec(*both);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("project_filter and folder_ids"), std::string::npos);
  auto subject = ValidateOptions(SpecOptions(),
                                 json{{"service_account_impersonation", {{"target_principal", "a@b"}, {"subject", "u@x"}}}},
                                 "s", nullptr);
  ASSERT_TRUE(subject.ok());
  EXPECT_FALSE(ParseSpec(*subject).ok());
}

// CloudQuery's documented spec shape, end to end through the `ferry` binary
// into SQLite, with the warnings in the summary and the exit code 0.
TEST(GcpSource, CloudQuerySpecSyncsIntoSqliteEndToEnd) {
  FakeGcp fake;
  ASSERT_TRUE(fake.up());
  Seed(fake, 5);
  ferry::testing::TempDir dir;
  std::string endpoints;
  const json mounts = fake.Endpoints();
  for (const auto& [api, url] : mounts.items()) endpoints += "      " + api + ": " + url.get<std::string>() + "\n";
  dir.Write("gcp.yml", "kind: source\nspec:\n  name: gcp\n  path: cloudquery/gcp\n  registry: cloudquery\n"
                       "  version: \"v11.0.0\"\n  tables: [\"gcp_compute_instances\", \"gcp_iam_*\"]\n"
                       "  destinations: [\"sqlite\"]\n  spec:\n    project_ids: [\"proj-a\", \"proj-b\"]\n"
                       "    endpoints:\n" + endpoints +
                       "---\nkind: destination\nspec:\n  name: sqlite\n  path: cloudquery/sqlite\n"
                       "  registry: cloudquery\n  version: \"v2.4.0\"\n  spec:\n    connection_string: ./gcp.sqlite\n");
  auto r = ferry::testing::RunFerry({"sync", "gcp.yml", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string db = dir.File("gcp.sqlite");
  EXPECT_EQ(ferry::testing::SqliteCount(db, "gcp_compute_instances"), 23);
  EXPECT_EQ(ferry::testing::SqliteCount(db, "gcp_compute_instances", "project_id = 'proj-a'"), 23);
  EXPECT_EQ(ferry::testing::SqliteCount(db, "gcp_iam_service_accounts"), 3);
  EXPECT_EQ(ferry::testing::SqliteCount(db, "gcp_iam_service_account_keys"), 6);
  EXPECT_EQ(ferry::testing::SqliteCount(db, "gcp_iam_roles"), 0);
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("the API is not enabled"), std::string::npos) << all;
  EXPECT_NE(all.find("permission denied"), std::string::npos) << all;
}

// Cross-check against an emulator written by others: gcplocal 0.1.0
// (scripts/test-servers.sh start gcplocal), seeded through its REST API as
// Google documents it, with plain HTTP requests independent of Ferry's
// catalog. It serves Storage, IAM and Compute's global lists (no
// aggregatedList: EMULATORS.md). Its projects are this test's own.
TEST(GcpLocal, WhatIsSeededThroughTheApiIsWhatFerrySyncs) {
  const auto& server = ferry::testing::SharedTestServer("gcplocal");
  ASSERT_TRUE(server.error.empty()) << server.error;
  const std::string base = server.Get("FERRY_GCPLOCAL_URL");
  const std::string project = "p-" + std::to_string(getpid());
  auto http = http::HttpClient::Make({});
  ASSERT_TRUE(http.ok());
  auto post = [&](const std::string& method, const std::string& path, const json& body) {
    http::Request r{.method = method, .url = base + path, .body = body.dump()};
    r.headers["Content-Type"] = "application/json";
    auto resp = (*http)->Do(r);
    EXPECT_TRUE(resp.ok() && resp->status == 200) << method << " " << path << ": "
                                                  << (resp.ok() ? resp->body : resp.status().ToString());
    return resp.ok() ? json::parse(resp->body, nullptr, false) : json();
  };
  std::set<std::string> buckets, accounts, networks;
  for (int i = 0; i < 3; ++i) {
    const std::string b = project + "-bucket-" + std::to_string(i);
    post("POST", "/storage/v1/b?project=" + project, {{"name", b}, {"location", "EU"}, {"labels", {{"i", std::to_string(i)}}}});
    post("PUT", "/storage/v1/b/" + b + "/iam",
         {{"bindings", json::array({{{"role", "roles/storage.objectViewer"}, {"members", json::array({"user:u" + std::to_string(i) + "@x.com"})}}})}});
    buckets.insert(b);
  }
  for (int i = 0; i < 2; ++i) {
    json sa = post("POST", "/v1/projects/" + project + "/serviceAccounts",
                   {{"accountId", "sa-" + std::to_string(i)}, {"serviceAccount", {{"displayName", "SA " + std::to_string(i)}}}});
    accounts.insert(sa.value("email", ""));
    post("POST", "/v1/" + sa.value("name", "") + "/keys", json::object());
  }
  for (int i = 0; i < 2; ++i) {
    const std::string n = "net-" + std::to_string(i);
    post("POST", "/compute/v1/projects/" + project + "/global/networks", {{"name", n}, {"autoCreateSubnetworks", false}});
    networks.insert(n);
  }
  post("POST", "/compute/v1/projects/" + project + "/global/firewalls",
       {{"name", "allow-ssh"}, {"network", "global/networks/net-0"}, {"direction", "INGRESS"}, {"priority", 1000},
        {"sourceRanges", json::array({"10.0.0.0/8"})}, {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"22"})}}})}});

  json endpoints = {{"storage", base}, {"iam", base}, {"compute", base}};
  auto src = MakeSource(GcpSourcePlugin(), {{"project_ids", {project}}, {"endpoints", endpoints}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  FakeSink sink;
  ASSERT_TRUE(SyncAll(**src, sink, {"gcp_storage_buckets", "gcp_storage_bucket_policies", "gcp_iam_service_accounts",
                                    "gcp_iam_service_account_keys", "gcp_compute_networks", "gcp_compute_firewalls"}).ok());
  for (const auto& d : sink.done) EXPECT_TRUE(d.status.ok()) << d.table << ": " << d.status.ToString();
  // Organizations are looked for through Resource Manager, which `endpoints`
  // does not name here: it is not called (nothing leaves 127.0.0.1).
  bool not_called = false;
  for (const auto& w : sink.warnings)
    if (w.find("`endpoints` has no entry for the cloudresourcemanager API") != std::string::npos) not_called = true;
  EXPECT_TRUE(not_called) << ::testing::PrintToString(sink.warnings);
  std::set<std::string> got;
  for (const auto& r : sink.Table("gcp_storage_buckets")) {
    got.insert(r.at("name").as_string());
    EXPECT_EQ(r.at("project_id").as_string(), project);
  }
  EXPECT_EQ(got, buckets);
  auto policies = sink.Table("gcp_storage_bucket_policies");
  ASSERT_EQ(policies.size(), 3u);
  EXPECT_EQ(json::parse(Find(policies, "bucket_name", project + "-bucket-2")["bindings"].as_string())[0]["members"][0],
            "user:u2@x.com");
  got.clear();
  for (const auto& r : sink.Table("gcp_iam_service_accounts")) got.insert(r.at("email").as_string());
  EXPECT_EQ(got, accounts);
  auto keys = sink.Table("gcp_iam_service_account_keys");
  EXPECT_EQ(keys.size(), 2u);
  for (const auto& k : keys) {
    EXPECT_EQ(k.count("private_key_data"), 0u);
    for (const auto& [col, v] : k)
      if (!v.is_null() && v.kind() == Value::Kind::kString) {
        EXPECT_EQ(v.as_string().find("REDACTED_FOR_LOCAL_EMULATION"), std::string::npos)
            << col << ": the private key gcplocal's list returns is never stored";
      }
  }
  got.clear();
  for (const auto& r : sink.Table("gcp_compute_networks")) got.insert(r.at("name").as_string());
  EXPECT_EQ(got, networks);
  auto fw = sink.Table("gcp_compute_firewalls");
  ASSERT_EQ(fw.size(), 1u);
  EXPECT_EQ(fw[0]["direction"].as_string(), "INGRESS");
  EXPECT_EQ(fw[0]["priority"].as_int(), 1000);
  ASSERT_EQ(fw[0]["source_ranges"].items().size(), 1u);
  EXPECT_EQ(fw[0]["source_ranges"].items()[0].as_string(), "10.0.0.0/8");
}

TEST(GcpSource, TablesAreKnownWithoutConnecting) {
  auto src = MakeSource(GcpSourcePlugin(), json::object(), /*no_connection=*/true);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  std::set<std::string> names;
  for (const auto& t : (*src)->Tables()) names.insert(t->name);
  for (const char* n : {"gcp_compute_instances", "gcp_storage_bucket_policies", "gcp_iam_service_account_keys",
                        "gcp_kms_crypto_keys", "gcp_bigquery_tables", "gcp_run_services"})
    EXPECT_TRUE(names.count(n)) << n;
}

}  // namespace
}  // namespace ferry::plugins::gcp
