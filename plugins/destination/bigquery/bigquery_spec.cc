#include "plugins/destination/bigquery/bigquery_spec.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "ferry/option_binder.h"

namespace ferry::plugins::bigquery {
namespace {

// BigQuery's rules for names (datasets: letters, digits, underscores, at most
// 1,024 characters; projects: 6-30 lower-case letters, digits, hyphens, with
// an optional "domain:" prefix of legacy projects). Checked here so a typo is
// an error before anything connects, naming the key.
bool ValidDatasetId(const std::string& s) {
  if (s.empty() || s.size() > 1024) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

bool ValidProjectId(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '.' || c == '_')) return false;
  return true;
}

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.String(&Spec::project_id,
           {.name = "project_id",
            .description = "The project that holds the dataset (e.g. `my-project`)",
            .required = true});
  b.String(&Spec::dataset_id,
           {.name = "dataset_id",
            .description = "The dataset the tables go to (e.g. `my_dataset`). It must exist before the sync, as "
                           "with CloudQuery (`bq mk --dataset PROJECT:DATASET`); a missing one is an error before "
                           "any data moves",
            .required = true});
  b.String(&Spec::dataset_location,
           {.name = "dataset_location",
            .default_value = "",
            .description = "The dataset's location (e.g. `EU`, `us-central1`): jobs (DDL, queries) run there"});
  b.Enum(&Spec::time_partitioning,
         {.name = "time_partitioning",
          .default_value = "none",
          .description = "Partitioning of the tables Ferry creates, on `_cq_sync_time`: `none`, `hour`, `day`, "
                         "`month` or `year`. Existing tables keep theirs"},
         {{"none", Partitioning::kNone},
          {"hour", Partitioning::kHour},
          {"day", Partitioning::kDay},
          {"month", Partitioning::kMonth},
          {"year", Partitioning::kYear}});
  b.Duration(&Spec::time_partitioning_expiration_ms,
             {.name = "time_partitioning_expiration",
              .default_value = "0s",
              .description = "How long BigQuery keeps a partition of the tables Ferry creates (e.g. `720h`); 0 "
                             "keeps them. Needs time_partitioning",
              .min = 0});
  b.String(&Spec::service_account_key_json,
           {.name = "service_account_key_json",
            .default_value = "",
            .description = "A service account key (the JSON file's content, e.g. `${file:./key.json}`). Empty: "
                           "Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's "
                           "application-default login, the metadata server)",
            .secret = true});
  b.String(&Spec::endpoint,
           {.name = "endpoint",
            .default_value = "",
            .description = "The REST API's base URL for an emulator (e.g. `http://127.0.0.1:9050`); requests to it "
                           "carry no credentials. Empty: https://bigquery.googleapis.com"});
  b.String(&Spec::client_project_id,
           {.name = "client_project_id",
            .default_value = "",
            .description = "The project jobs run in and are billed to; project_id when empty. "
                           "`*detect-project-id*` takes the project of the credentials"});
  b.Custom({.name = "write_api",
            .type = OptionType::kEnum,
            .description = "How rows are sent: `storage_write` (the Storage Write API: AppendRows over gRPC to a "
                           "committed stream with explicit offsets, so a retried append never duplicates rows) or "
                           "`insert_all` (tabledata.insertAll, the legacy streaming API CloudQuery uses). Default: "
                           "storage_write, or insert_all when `endpoint` is set without storage_write_endpoint",
            .choices = {"storage_write", "insert_all"}},
           [](const nlohmann::json& v, Spec* s) {
             if (v.is_string()) {
               s->write_api_set = true;
               s->write_api = v.get<std::string>() == "insert_all" ? WriteApi::kInsertAll : WriteApi::kStorageWrite;
             }
             return Status::OK();
           });
  b.String(&Spec::storage_write_endpoint,
           {.name = "storage_write_endpoint",
            .default_value = "",
            .description = "host:port of the Storage Write API (gRPC). Empty: bigquerystorage.googleapis.com:443. "
                           "An emulator serves it on a port of its own: give it with `endpoint` (plaintext when "
                           "`endpoint` is http://)"});
  b.Custom({.name = "text_embeddings",
            .type = OptionType::kObject,
            .description = "CloudQuery's text embeddings (Vertex AI) are not supported: setting it is an error"},
           [](const nlohmann::json& v, Spec*) {
             if (v.is_null()) return Status::OK();
             return Status::Invalid("text_embeddings: CloudQuery's text embeddings (Vertex AI) are not supported by "
                                    "Ferry's bigquery destination; remove the key");
           });
  b.Check([](Spec* s) {
    if (!ValidProjectId(s->project_id))
      return Status::Invalid("project_id \"" + s->project_id +
                             "\" is not a BigQuery project id (letters, digits, '-', and a 'domain:' prefix)");
    if (!ValidDatasetId(s->dataset_id))
      return Status::Invalid("dataset_id \"" + s->dataset_id +
                             "\" is not a BigQuery dataset id (letters, digits and '_', at most 1024)");
    // "*detect-project-id*" is resolved at Init, from the credentials.
    if (!s->client_project_id.empty() && s->client_project_id != kDetectProjectId &&
        !ValidProjectId(s->client_project_id))
      return Status::Invalid("client_project_id \"" + s->client_project_id + "\" is not a BigQuery project id");
    if (s->time_partitioning_expiration_ms > 0 && s->time_partitioning == Partitioning::kNone)
      return Status::Invalid("time_partitioning_expiration needs time_partitioning (hour, day, month or year)");
    if (!s->endpoint.empty() && s->endpoint.rfind("http://", 0) != 0 && s->endpoint.rfind("https://", 0) != 0)
      return Status::Invalid("endpoint \"" + s->endpoint + "\" must start with http:// or https://");
    if (!s->storage_write_endpoint.empty() &&
        (s->storage_write_endpoint.find("://") != std::string::npos ||
         s->storage_write_endpoint.find(':') == std::string::npos))
      return Status::Invalid("storage_write_endpoint \"" + s->storage_write_endpoint +
                             "\" must be host:port (no scheme; TLS unless `endpoint` is http://)");
    if (!s->write_api_set)
      s->write_api = !s->endpoint.empty() && s->storage_write_endpoint.empty() ? WriteApi::kInsertAll
                                                                              : WriteApi::kStorageWrite;
    if (s->write_api == WriteApi::kStorageWrite && !s->endpoint.empty() && s->storage_write_endpoint.empty())
      return Status::Invalid("write_api: storage_write with an `endpoint` needs storage_write_endpoint (the "
                             "emulator's gRPC host:port), or use write_api: insert_all");
    return Status::OK();
  });
}

}  // namespace

const char* PartitioningType(Partitioning p) {
  switch (p) {
    case Partitioning::kHour: return "HOUR";
    case Partitioning::kDay: return "DAY";
    case Partitioning::kMonth: return "MONTH";
    case Partitioning::kYear: return "YEAR";
    case Partitioning::kNone: break;
  }
  return "";
}

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::bigquery
