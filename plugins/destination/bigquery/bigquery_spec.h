// The `spec:` of the `bigquery` destination: CloudQuery's keys (its
// plugins/destination/bigquery spec), read the same way, plus Ferry's
// `write_api`. The engine owns batch_size, batch_size_bytes and
// batch_timeout (CloudQuery's defaults are the descriptor's batching).
#pragma once

#include <cstdint>
#include <string>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::bigquery {

enum class Partitioning { kNone, kHour, kDay, kMonth, kYear };
// BigQuery's timePartitioning.type for a partitioning other than kNone.
const char* PartitioningType(Partitioning p);

// How rows are sent: tabledata.insertAll (CloudQuery's legacy streaming
// API) or the Storage Write API (AppendRows over gRPC).
enum class WriteApi { kInsertAll, kStorageWrite };

inline constexpr const char* kStorageWriteTarget = "bigquerystorage.googleapis.com:443";

// client_project_id's value that asks for the credentials' project.
inline constexpr const char* kDetectProjectId = "*detect-project-id*";

struct Spec {
  std::string project_id;
  std::string dataset_id;
  std::string dataset_location;
  Partitioning time_partitioning = Partitioning::kNone;
  int64_t time_partitioning_expiration_ms = 0;
  std::string service_account_key_json;
  // An emulator's REST base URL ("http://127.0.0.1:9050"): requests go there
  // without credentials. Empty: https://bigquery.googleapis.com.
  std::string endpoint;
  // The project jobs (queries, DDL) run in; project_id when empty.
  std::string client_project_id;
  WriteApi write_api = WriteApi::kStorageWrite;
  bool write_api_set = false;   // given in the spec (else chosen by the endpoints)
  // host:port of the Storage Write API (gRPC). Empty: kStorageWriteTarget.
  std::string storage_write_endpoint;

  // Where AppendRows goes, and whether over TLS (not to an http:// endpoint).
  std::string storage_write_target() const {
    return storage_write_endpoint.empty() ? std::string(kStorageWriteTarget) : storage_write_endpoint;
  }
  bool storage_write_tls() const { return endpoint.rfind("http://", 0) != 0; }

  // The project of jobs.
  const std::string& job_project() const { return client_project_id.empty() ? project_id : client_project_id; }
};

const OptionTable& SpecOptions();

// Fills a Spec from options validated against SpecOptions() (hand-built
// Options are validated first).
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::bigquery
