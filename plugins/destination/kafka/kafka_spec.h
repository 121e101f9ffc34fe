// The `spec:` of the `kafka` destination: CloudQuery's kafka destination
// spec (brokers, format, format_spec, compression, SASL/PLAIN, TLS,
// topic_details) plus Ferry's keys (transactional_id, create_topics,
// producer_compression, client_id, message_timeout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::kafka {

enum class Format { kJson, kCsv, kParquet };

struct Spec {
  std::vector<std::string> brokers;
  Format format = Format::kJson;
  nlohmann::json format_spec;       // as written; decoded into the fields below
  char csv_delimiter = ',';
  bool csv_skip_header = false;
  bool gzip = false;                // compression: gzip (each message value gzipped, as CloudQuery)
  bool verbose = false;
  std::string sasl_username;
  std::string sasl_password;
  bool enable_tls = false;
  bool enforce_tls_verification = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  int64_t num_partitions = 1;
  int64_t replication_factor = 1;
  // Ferry's own.
  std::string topic_prefix;
  bool create_topics = true;
  std::string transactional_id;
  std::string producer_compression;  // librdkafka compression.codec: none, gzip, snappy, lz4, zstd
  std::string client_id;
  int64_t message_timeout_ms = 300000;
  bool headers = true;

  bool tls() const { return enable_tls || !tls_ca_file.empty() || !tls_cert_file.empty(); }
};

const OptionTable& SpecOptions();

// Fills a Spec from options validated against SpecOptions() (hand-built
// Options are validated first).
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::kafka
