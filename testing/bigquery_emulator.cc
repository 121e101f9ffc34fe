#include "testing/bigquery_emulator.h"

#include <unistd.h>

#include <chrono>
#include <map>

#include <gtest/gtest.h>

#include "ferry/http/client.h"
#include "testing/test_servers.h"

namespace ferry::testing {

using nlohmann::json;

BigQueryEmulator SharedBigQueryEmulator() {
  const auto& s = SharedTestServer("bigquery");
  EXPECT_EQ(s.error, "");
  return {s.Get("FERRY_BQ_REST"), s.Get("FERRY_BQ_GRPC"), s.Get("FERRY_BQ_PROJECT")};
}

PrivateBigQueryEmulator::PrivateBigQueryEmulator() {
  std::string out;
  const int rc =
      RunShell("FERRY_TEST_SERVERS_DIR=" + dir_.path() + " bash " + TestServersScript() + " start bigquery", &out);
  EXPECT_EQ(rc, 0) << out;
  std::map<std::string, std::string> env;
  size_t at = 0;
  while (at < out.size()) {
    size_t nl = out.find('\n', at);
    if (nl == std::string::npos) nl = out.size();
    const std::string line = out.substr(at, nl - at);
    const size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    at = nl + 1;
  }
  bq_ = {env["FERRY_BQ_REST"], env["FERRY_BQ_GRPC"], env["FERRY_BQ_PROJECT"]};
}

PrivateBigQueryEmulator::~PrivateBigQueryEmulator() {
  std::string out;
  RunShell("FERRY_TEST_SERVERS_DIR=" + dir_.path() + " bash " + TestServersScript() + " stop bigquery", &out);
}

json BigQueryRest(const BigQueryEmulator& bq, const std::string& method, const std::string& path, const json& body) {
  auto client = http::HttpClient::Make(http::ClientOptions{});
  EXPECT_TRUE(client.ok());
  if (!client.ok()) return json();
  http::Request req;
  req.method = method;
  req.url = bq.rest + "/bigquery/v2/projects/" + bq.project + path;
  req.headers["Content-Type"] = "application/json";
  if (!body.is_null()) req.body = body.dump();
  auto r = (*client)->Do(req);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return json();
  return json::parse(r->body, nullptr, false);
}

std::string MakeBigQueryDataset(const BigQueryEmulator& bq, const std::string& name) {
  const std::string ds = NamespaceDatabase(name + "_" + std::to_string(::getpid()) + "_" +
                                           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  json r = BigQueryRest(bq, "POST", "/datasets",
                        json{{"datasetReference", {{"projectId", bq.project}, {"datasetId", ds}}}});
  EXPECT_TRUE(r.is_object() && !r.contains("error")) << "datasets.insert " << ds << ": " << r.dump();
  return ds;
}

std::vector<int64_t> BigQueryQueryInts(const BigQueryEmulator& bq, const std::string& sql) {
  json r = BigQueryRest(bq, "POST", "/queries", json{{"useLegacySql", false}, {"query", sql}});
  if (!r.is_object() || !r.contains("rows") || r["rows"].empty()) {
    ADD_FAILURE() << sql << ": " << r.dump();
    return {};
  }
  std::vector<int64_t> out;
  for (const json& cell : r["rows"][0]["f"]) {
    const json& v = cell["v"];
    if (!v.is_string()) {
      ADD_FAILURE() << sql << ": not an integer: " << cell.dump();
      return {};
    }
    out.push_back(std::stoll(v.get<std::string>()));
  }
  return out;
}

std::string BigQueryDestinationYaml(const BigQueryEmulator& bq, const std::string& dataset, const std::string& api,
                                    const std::string& extra, const std::string& grpc) {
  std::string y = "kind: destination\nspec:\n  name: bigquery\n  path: cloudquery/bigquery\n  version: v4.0.0\n"
                  "  write_mode: append\n  spec:\n    project_id: " + bq.project + "\n    dataset_id: " + dataset +
                  "\n    endpoint: \"" + bq.rest + "\"\n";
  if (!api.empty())
    y += "    storage_write_endpoint: \"" + (grpc.empty() ? bq.grpc : grpc) + "\"\n    write_api: " + api + "\n";
  return y + extra;
}

}  // namespace ferry::testing
