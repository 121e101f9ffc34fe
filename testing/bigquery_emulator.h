// Test-only: the BigQuery emulator (bqemulator, from scripts/test-servers.sh)
// seen from outside the destination. The integration tests create datasets
// and count rows with these, over REST with Ferry's HTTP client and none of
// the bigquery destination's code, so a bug there cannot hide itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/cli_runner.h"

namespace ferry::testing {

// Where an emulator listens (FERRY_BQ_REST, FERRY_BQ_GRPC, FERRY_BQ_PROJECT).
struct BigQueryEmulator {
  std::string rest, grpc, project;
};

// The shared test server (SharedTestServer("bigquery")); a failure to start
// it is a test failure.
BigQueryEmulator SharedBigQueryEmulator();

// An emulator of the caller's own, in a state directory of its own, stopped
// when this goes out of scope: for tests that leave the emulator in a state
// other tests must not meet (bqemulator keeps a worker for each client killed
// in the middle of an AppendRows call; EMULATOR.md).
class PrivateBigQueryEmulator {
 public:
  PrivateBigQueryEmulator();
  ~PrivateBigQueryEmulator();
  PrivateBigQueryEmulator(const PrivateBigQueryEmulator&) = delete;
  PrivateBigQueryEmulator& operator=(const PrivateBigQueryEmulator&) = delete;

  const BigQueryEmulator& bq() const { return bq_; }

 private:
  TempDir dir_;
  BigQueryEmulator bq_;
};

// CloudQuery's bigquery destination document (`kind: destination`, name
// `bigquery`, write_mode append) writing into `dataset` of emulator `bq`:
// project_id, dataset_id and endpoint; with `api` not empty also write_api and
// storage_write_endpoint (`grpc`, or bq.grpc when empty); then `extra`, spec
// lines as written ("    batch_size: 3000\n").
std::string BigQueryDestinationYaml(const BigQueryEmulator& bq, const std::string& dataset, const std::string& api,
                                    const std::string& extra = "", const std::string& grpc = "");

// A REST call under /bigquery/v2/projects/<project><path>; the parsed answer,
// or null JSON (and a test failure) when the request failed.
nlohmann::json BigQueryRest(const BigQueryEmulator& bq, const std::string& method, const std::string& path,
                            const nlohmann::json& body);

// Creates a dataset whose name is unique to this process and moment (the
// emulator is shared between test processes and runs) and returns its name.
std::string MakeBigQueryDataset(const BigQueryEmulator& bq, const std::string& name);

// Runs `sql` (standard SQL) with jobs.query and returns the first row's
// columns as integers; an empty vector (and a test failure) when the query
// failed or returned no row.
std::vector<int64_t> BigQueryQueryInts(const BigQueryEmulator& bq, const std::string& sql);

}  // namespace ferry::testing
