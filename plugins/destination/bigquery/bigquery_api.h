// The BigQuery REST API (v2) calls the destination makes: datasets.get,
// tables.get / insert / delete, jobs.query (DDL and DML, parameters bound),
// tabledata.insertAll and tabledata.list. One HTTP client (pooled
// connections, HTTP/2) and one authorizer (ferry/http/google_auth.h) per
// destination; thread-safe.
//
// Each call makes one attempt (the client retries nothing: the engine owns
// retries, include/ferry/destination.h) and classifies its failure: no
// answer, 429, 5xx and BigQuery's rateLimitExceeded / backendError are
// Status::Transient, the rest permanent. Errors name the call, the table and
// quote BigQuery's message; they never carry a credential.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/http/client.h"
#include "ferry/http/google_auth.h"
#include "ferry/status.h"
#include "plugins/destination/bigquery/bigquery_spec.h"

namespace ferry::plugins::bigquery {

// One row's errors in an insertAll answer.
struct InsertError {
  int64_t index = 0;         // the row's position in the request
  std::string reason;        // "invalid", "stopped", ...
  std::string location;      // the field, when BigQuery names one
  std::string message;
};

class BigQueryApi {
 public:
  // `what` names the destination in messages: `destination "bq"`.
  static Result<std::unique_ptr<BigQueryApi>> Make(const Spec& spec, const std::string& what,
                                                   http::EnvLookup env = http::ProcessEnv());

  // The credentials (anonymous with an emulator endpoint), for the Storage
  // Write API's gRPC calls.
  http::GoogleAuthorizer* authorizer() const { return auth_.get(); }
  // projects/P/datasets/D/tables/T, the Storage Write API's name of a table.
  std::string TablePath(const std::string& table) const {
    return "projects/" + spec_.project_id + "/datasets/" + spec_.dataset_id + "/tables/" + table;
  }

  // The project jobs run in (client_project_id, resolved).
  const std::string& job_project() const { return job_project_; }

  // datasets.get: OK, or an error saying the dataset must be created first.
  Status CheckDataset();
  // tables.get: the table resource, or nullopt when there is none.
  Result<std::optional<nlohmann::json>> GetTable(const std::string& table);
  Status InsertTable(const nlohmann::json& resource);
  // tables.patch of the table's schema fields (columns only added).
  Status PatchSchema(const std::string& table, const nlohmann::json& fields);
  // tables.delete; a missing table is OK.
  Status DeleteTable(const std::string& table);
  // jobs.query in standard SQL with named parameters (`params`: BigQuery's
  // queryParameters array), waiting for the job: the response with rows.
  Result<nlohmann::json> Query(const std::string& sql, const nlohmann::json& params, const std::string& what);
  // tabledata.insertAll of a request body built by the caller (rows JSON).
  // Per-row errors are returned, not raised; a request-level failure is an
  // error.
  Result<std::vector<InsertError>> InsertAll(const std::string& table, std::string body);
  // One page of tabledata.list (all fields; TIMESTAMP as int64 microseconds).
  Result<nlohmann::json> ListRows(const std::string& table, const std::string& page_token, int64_t max_results);

  // `project.dataset.table` quoted for SQL (backticks; a backtick or
  // backslash in a name is escaped).
  std::string QualifiedName(const std::string& table) const;
  static std::string QuoteIdentifier(const std::string& name);

 private:
  BigQueryApi() = default;
  std::string TableUrl(const std::string& table) const;
  // An error for a non-2xx answer: `call` ("tables.insert of table t").
  Status ApiError(const http::Response& r, const std::string& call) const;
  Result<http::Response> Send(http::Request request, const std::string& call);

  Spec spec_;
  std::string what_;
  std::string base_;          // https://bigquery.googleapis.com or the endpoint
  std::string job_project_;
  std::shared_ptr<http::HttpClient> http_;
  std::unique_ptr<http::GoogleAuthorizer> auth_;
};

}  // namespace ferry::plugins::bigquery
