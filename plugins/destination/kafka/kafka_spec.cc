#include "plugins/destination/kafka/kafka_spec.h"

#include "ferry/option_binder.h"

namespace ferry::plugins::kafka {
namespace {

using nlohmann::json;

Status ParseFormatSpec(Spec* s) {
  const json& f = s->format_spec;
  if (f.is_null()) return Status::OK();
  if (!f.is_object()) return Status::Invalid("format_spec must be a mapping");
  for (const auto& [k, v] : f.items()) {
    if (s->format == Format::kCsv && k == "delimiter") {
      if (!v.is_string() || v.get<std::string>().size() != 1)
        return Status::Invalid("format_spec.delimiter must be a single character (got " + v.dump() + ")");
      s->csv_delimiter = v.get<std::string>()[0];
      if (s->csv_delimiter == '"' || s->csv_delimiter == '\n' || s->csv_delimiter == '\r')
        return Status::Invalid("format_spec.delimiter cannot be a quote or a line break");
    } else if (s->format == Format::kCsv && k == "skip_header") {
      if (!v.is_boolean()) return Status::Invalid("format_spec.skip_header must be true or false");
      s->csv_skip_header = v.get<bool>();
    } else {
      const char* name = s->format == Format::kCsv ? "csv" : s->format == Format::kJson ? "json" : "parquet";
      return Status::Invalid(std::string("format_spec: unknown key \"") + k + "\" for format " + name +
                             (s->format == Format::kCsv ? " (keys: delimiter, skip_header)" : " (it takes no keys)"));
    }
  }
  return Status::OK();
}

Status ParseTopicDetails(const json& v, Spec* s) {
  if (v.is_null()) return Status::OK();
  if (!v.is_object()) return Status::Invalid("topic_details must be a mapping");
  for (const auto& [k, x] : v.items()) {
    int64_t* field = k == "num_partitions" ? &s->num_partitions : k == "replication_factor" ? &s->replication_factor : nullptr;
    if (!field)
      return Status::Invalid("topic_details: unknown key \"" + k + "\" (keys: num_partitions, replication_factor)");
    if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > 1000000)
      return Status::Invalid("topic_details." + k + " must be a positive integer (got " + x.dump() + ")");
    // CloudQuery turns 0 into the default 1.
    *field = x.get<int64_t>() == 0 ? 1 : x.get<int64_t>();
  }
  return Status::OK();
}

Status ParseTlsDetails(const json& v, Spec* s) {
  if (v.is_null()) return Status::OK();
  if (!v.is_object()) return Status::Invalid("tls_details must be a mapping");
  for (const auto& [k, x] : v.items()) {
    std::string* field = k == "ca_file_path"     ? &s->tls_ca_file
                         : k == "cert_file_path" ? &s->tls_cert_file
                         : k == "key_file_path"  ? &s->tls_key_file
                                                 : nullptr;
    if (!field)
      return Status::Invalid("tls_details: unknown key \"" + k + "\" (keys: ca_file_path, cert_file_path, key_file_path)");
    if (x.is_null()) continue;
    if (!x.is_string()) return Status::Invalid("tls_details." + k + " must be a file path");
    *field = x.get<std::string>();
  }
  if (s->tls_cert_file.empty() != s->tls_key_file.empty())
    return Status::Invalid("tls_details: cert_file_path and key_file_path go together (a client certificate "
                           "needs its key)");
  return Status::OK();
}

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.StringList(&Spec::brokers,
               {.name = "brokers",
                .description = "Bootstrap brokers, `host:port` each (e.g. `localhost:9092`)",
                .required = true});
  b.Enum(&Spec::format,
         {.name = "format",
          .description = "Message value format: `json` (one object per row, CloudQuery's JSON encoding) or `csv` "
                         "(one row, after a header line unless format_spec.skip_header). `parquet` is refused "
                         "before any data moves: one Parquet file per row is not a useful Kafka message",
          .required = true},
         {{"json", Format::kJson}, {"csv", Format::kCsv}, {"parquet", Format::kParquet}});
  b.Object(&Spec::format_spec,
           {.name = "format_spec",
            .description = "Format options. csv: `delimiter` (one character, default `,`), `skip_header` "
                           "(default false). json: none"});
  b.Custom({.name = "compression",
            .type = OptionType::kEnum,
            .default_value = "",
            .description = "`gzip` gzips each message value, as CloudQuery does; empty for none. For Kafka's own "
                           "batch compression use producer_compression",
            .choices = {"", "gzip"}},
           [](const json& v, Spec* s) {
             s->gzip = v.is_string() && v.get<std::string>() == "gzip";
             return Status::OK();
           });
  b.Bool(&Spec::verbose,
         {.name = "verbose",
          .default_value = false,
          .description = "Print librdkafka's debug lines (broker, topic, msg, eos) on stderr, prefixed `kafka:`"});
  b.String(&Spec::sasl_username,
           {.name = "sasl_username", .description = "SASL/PLAIN user name; setting it turns SASL on"});
  b.String(&Spec::sasl_password,
           {.name = "sasl_password", .description = "SASL/PLAIN password", .secret = true});
  b.Bool(&Spec::enable_tls,
         {.name = "enable_tls",
          .default_value = false,
          .description = "Connect with TLS (also on when tls_details names a file)"});
  b.Bool(&Spec::enforce_tls_verification,
         {.name = "enforce_tls_verification",
          .default_value = false,
          .description = "Verify the broker's certificate and host name. false (CloudQuery's default) still "
                         "encrypts but accepts any certificate; set true in production"});
  b.Custom({.name = "tls_details",
            .type = OptionType::kObject,
            .description = "`ca_file_path` (PEM CAs to verify the broker with), `cert_file_path` and "
                           "`key_file_path` (PEM client certificate and key for mutual TLS)"},
           [](const json& v, Spec* s) { return ParseTlsDetails(v, s); });
  b.Custom({.name = "topic_details",
            .type = OptionType::kObject,
            .description = "`num_partitions` (default 1) and `replication_factor` (default 1) of the topics "
                           "Ferry creates; existing topics are left as they are"},
           [](const json& v, Spec* s) { return ParseTopicDetails(v, s); });
  b.String(&Spec::topic_prefix,
           {.name = "topic_prefix",
            .default_value = "",
            .description = "Ferry: put in front of every topic name (CloudQuery names each topic exactly as its "
                           "table); e.g. `cq.` gives `cq.aws_ec2_instances`"});
  b.Bool(&Spec::create_topics,
         {.name = "create_topics",
          .default_value = true,
          .description = "Ferry: create missing topics (one per table, named as the table). false: every topic "
                         "must exist, and a missing one fails the sync before any data moves"});
  b.String(&Spec::transactional_id,
           {.name = "transactional_id",
            .description = "Ferry: write each batch in one Kafka transaction with this transactional.id (keep it "
                           "stable per destination and source). As the source's state backend, rows and their "
                           "cursor then commit together: exactly once for read_committed consumers"});
  b.String(&Spec::producer_compression,
           {.name = "producer_compression",
            .default_value = "none",
            .description = "Ferry: Kafka batch compression (librdkafka compression.codec): none, gzip, snappy, "
                           "lz4, zstd"});
  b.String(&Spec::client_id,
           {.name = "client_id", .default_value = "ferry", .description = "Ferry: the Kafka client.id"});
  b.Duration(&Spec::message_timeout_ms,
             {.name = "message_timeout",
              .default_value = "5m",
              .description = "Ferry: how long the producer retries one message (broker down, leader "
                             "elections) before its batch fails (librdkafka message.timeout.ms)",
              .min = 1000});
  b.Bool(&Spec::headers,
         {.name = "headers",
          .default_value = true,
          .description = "Ferry: add headers `cq_table`, `cq_source_name`, `cq_sync_time` and "
                         "`cq_sync_group_id` (when set) to every message"});
  b.Check([](Spec* s) {
    if (s->brokers.empty()) return Status::Invalid("brokers: at least one broker is required");
    for (const auto& br : s->brokers)
      if (br.empty() || br.find(':') == std::string::npos)
        return Status::Invalid("brokers: \"" + br + "\" is not host:port");
    if (s->format == Format::kParquet)
      return Status::Unsupported("format parquet is not supported by the kafka destination: Ferry writes one "
                                 "message per row, and a Parquet file per row is not a useful message; use "
                                 "json or csv");
    FERRY_RETURN_NOT_OK(ParseFormatSpec(s));
    static const char* kCodecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    bool known = false;
    for (const char* c : kCodecs) known |= s->producer_compression == c;
    if (!known)
      return Status::Invalid("producer_compression: \"" + s->producer_compression +
                             "\" is not one of none, gzip, snappy, lz4, zstd");
    if (!s->sasl_password.empty() && s->sasl_username.empty())
      return Status::Invalid("sasl_password is set without sasl_username");
    return Status::OK();
  });
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::kafka
