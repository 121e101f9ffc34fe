#include "plugins/source/test/tables/wide_table.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

namespace ferry::plugins::test {

namespace {

constexpr int64_t kBaseTimeUs = 1704067200000000LL;  // 2024-01-01T00:00:00Z
constexpr std::string_view kWords[32] = {
    "managed", "instance", "storage", "bucket",  "network", "policy",  "replica", "cluster",
    "backup",  "primary",  "legacy",  "service", "gateway", "private", "public",  "snapshot",
    "volume",  "encrypted", "default", "tenant", "pipeline", "worker", "cache",   "queue",
    "archive", "frontend", "billing", "metrics", "audit",   "staging", "canary",  "database"};
constexpr std::string_view kRegions[8] = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                          "ap-south-1", "ap-northeast-1", "sa-east-1", "ca-central-1"};
constexpr std::string_view kStatuses[4] = {"running", "stopped", "pending", "terminated"};
constexpr std::string_view kTags[16] = {"red",  "green", "blue",  "alpha", "beta",  "prod",    "staging", "dev",
                                        "team-a", "team-b", "pci", "hipaa", "gdpr", "cost-center-7", "critical", "tmp"};
constexpr std::string_view kLabelKeys[8] = {"env", "team", "app", "owner", "tier", "cost_center", "version", "managed_by"};
constexpr std::string_view kLabelValues[8] = {"prod", "platform", "checkout", "alice", "backend", "cc-1042", "v2", "terraform"};
constexpr std::string_view kImages[4] = {"nginx", "postgres", "redis", "envoy"};
constexpr std::string_view kDomains[4] = {"example.com", "corp.example.org", "mail.example.net", "example.io"};
constexpr std::string_view kOwners[6] = {"alice", "bob", "carol", "dave", "erin", "frank"};

enum Col {
  kId, kClientId, kName, kEmail, kDescription, kRegion, kStatus, kUrl, kCreatedAt, kUpdatedAt, kSizeBytes,
  kVersion, kScore, kRatio, kEnabled, kLabels, kConfig, kMetrics, kTags_, kPorts, kAddresses, kZones, kOwner,
  kAccountId, kArn, kNumCols
};
static_assert(kNumCols == kWideColumns);

Column MakeCol(std::string name, DataTypePtr type, std::string description, bool pk = false) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.description = std::move(description);
  c.primary_key = pk;
  return c;
}

// Appends into the record's buffer; Take() returns what was appended since Begin().
class Buf {
 public:
  explicit Buf(WideRecord* r) : r_(r) { r_->used = 0; }
  void Begin() { start_ = r_->used; }
  std::string_view Take() const { return std::string_view(r_->buf + start_, r_->used - start_); }
  void S(std::string_view s) {
    std::memcpy(r_->buf + r_->used, s.data(), s.size());
    r_->used += static_cast<int>(s.size());
  }
  void C(char c) { r_->buf[r_->used++] = c; }
  void I(int64_t v) {
    auto res = std::to_chars(r_->buf + r_->used, r_->buf + sizeof(r_->buf), v);
    r_->used = static_cast<int>(res.ptr - r_->buf);
  }
  void Hex(uint64_t v, int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < digits; ++i) C(kHex[(v >> (4 * i)) & 15]);
  }

 private:
  WideRecord* r_;
  int start_ = 0;
};

Status WriteRows(const Spec& spec, int64_t client_id, sdk::RowWriter& w) {
  WideRecord r;
  for (int64_t row = 0; row < spec.wide_rows; ++row) {
    MakeWideRecord(spec.seed, spec.wide_rows, client_id, row, &r);
    w.Column(kId).AppendInt(r.id);
    w.Column(kClientId).AppendInt(r.client_id);
    w.Column(kName).AppendBytes(r.name);
    w.Column(kEmail).AppendBytes(r.email);
    w.Column(kDescription).AppendBytes(r.description);
    w.Column(kRegion).AppendBytes(r.region);
    w.Column(kStatus).AppendBytes(r.status);
    w.Column(kUrl).AppendBytes(r.url);
    w.Column(kCreatedAt).AppendInt(r.created_at_us);
    if (r.updated_at_null) w.Column(kUpdatedAt).AppendNull();
    else w.Column(kUpdatedAt).AppendInt(r.updated_at_us);
    w.Column(kSizeBytes).AppendInt(r.size_bytes);
    w.Column(kVersion).AppendInt(r.version);
    w.Column(kScore).AppendDouble(r.score);
    if (r.ratio_null) w.Column(kRatio).AppendNull();
    else w.Column(kRatio).AppendDouble(r.ratio);
    w.Column(kEnabled).AppendBool(r.enabled);
    w.Column(kLabels).AppendBytes(r.labels);
    w.Column(kConfig).AppendBytes(r.config);
    w.Column(kMetrics).AppendBytes(r.metrics);
    ArrayBuilder& tags = w.Column(kTags_);
    for (int k = 0; k < r.num_tags; ++k) tags.child(0)->AppendBytes(r.tags[k]);
    tags.CloseList();
    ArrayBuilder& ports = w.Column(kPorts);
    for (int k = 0; k < r.num_ports; ++k) ports.child(0)->AppendInt(r.ports[k]);
    ports.CloseList();
    ArrayBuilder& addrs = w.Column(kAddresses);
    for (int k = 0; k < r.num_addresses; ++k) addrs.child(0)->AppendBytes(r.addresses[k]);
    addrs.CloseList();
    ArrayBuilder& zones = w.Column(kZones);
    for (int k = 0; k < r.num_zones; ++k) zones.child(0)->AppendBytes(r.zones[k]);
    zones.CloseList();
    w.Column(kOwner).AppendBytes(r.owner);
    w.Column(kAccountId).AppendBytes(r.account_id);
    w.Column(kArn).AppendBytes(r.arn);
    FERRY_RETURN_NOT_OK(w.EndRow());
  }
  return Status::OK();
}

}  // namespace

void MakeWideRecord(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row, WideRecord* out) {
  const uint64_t base = Mix64(Mix64(static_cast<uint64_t>(seed) ^ 0x77696465ULL /* "wide" */) ^ static_cast<uint64_t>(client_id));
  uint64_t h = Mix64(base ^ static_cast<uint64_t>(row));
  auto next = [&h]() { return h = Mix64(h); };
  Buf b(out);

  out->id = (client_id - 1) * rows_per_client + row + 1;
  out->client_id = client_id;
  const uint64_t h0 = next(), h1 = next(), h2 = next(), h3 = next();

  b.Begin();
  b.S(kWords[h0 & 31]);
  b.C('-');
  b.S(kWords[(h0 >> 5) & 31]);
  b.C('-');
  b.I(out->id);
  out->name = b.Take();

  b.Begin();
  b.S(kOwners[(h0 >> 10) % 6]);
  b.C('.');
  b.I(static_cast<int64_t>((h0 >> 13) % 10000));
  b.C('@');
  b.S(kDomains[(h0 >> 27) & 3]);
  out->email = b.Take();

  b.Begin();
  const int words = 8 + static_cast<int>((h0 >> 29) % 33);
  uint64_t wh = h1;
  for (int k = 0; k < words; ++k) {
    if (k % 12 == 0 && k > 0) wh = next();
    if (k > 0) b.C(' ');
    b.S(kWords[(wh >> (5 * (k % 12))) & 31]);
  }
  b.C('.');
  out->description = b.Take();

  out->region = kRegions[(h0 >> 35) & 7];
  out->status = kStatuses[(h0 >> 38) & 3];

  b.Begin();
  b.S("https://");
  b.S(kDomains[(h0 >> 40) & 3]);
  b.C('/');
  b.S(out->region);
  b.S("/resources/");
  b.I(out->id);
  b.C('/');
  b.Hex(h2, 16);
  out->url = b.Take();

  out->created_at_us = kBaseTimeUs + row * 1000 + static_cast<int64_t>((h2 >> 10) % 1000);
  out->updated_at_null = h2 % 20 == 0;
  out->updated_at_us = out->created_at_us + static_cast<int64_t>((h2 >> 20) % 86400000000ULL);
  out->size_bytes = static_cast<int64_t>(h3 >> 24);
  out->version = static_cast<int32_t>((h3 >> 4) % 1000);
  out->score = static_cast<double>((h3 >> 14) % 1000000) / 1000.0;
  out->ratio_null = (h3 % 5) == 0;
  out->ratio = out->ratio_null ? 0.0 : static_cast<double>((h3 >> 34) % 10000) / 10000.0;
  out->enabled = ((h3 >> 3) & 1) != 0;

  const uint64_t h4 = next(), h5 = next(), h6 = next();
  b.Begin();
  b.C('{');
  const int labels = static_cast<int>(h4 % 7);
  for (int k = 0; k < labels; ++k) {
    if (k > 0) b.C(',');
    b.C('"');
    b.S(kLabelKeys[(k + (h4 >> 3)) & 7]);  // distinct keys: consecutive indexes mod 8
    b.S("\":\"");
    b.S(kLabelValues[(h4 >> (6 + 3 * k)) & 7]);
    b.C('"');
  }
  b.C('}');
  out->labels = b.Take();

  b.Begin();
  b.S("{\"replicas\":");
  b.I(static_cast<int64_t>(1 + (h5 & 7)));
  b.S(",\"image\":\"registry.example.com/");
  b.S(kImages[(h5 >> 3) & 3]);
  b.S(":1.");
  b.I(static_cast<int64_t>((h5 >> 5) % 30));
  b.C('.');
  b.I(static_cast<int64_t>((h5 >> 10) % 10));
  b.S("\",\"limits\":{\"cpu\":\"");
  b.I(static_cast<int64_t>(100 * (1 + (h5 >> 14) % 20)));
  b.S("m\",\"memory\":\"");
  b.I(static_cast<int64_t>(64 << ((h5 >> 19) % 6)));
  b.S("Mi\"},\"env\":[");
  const int envs = static_cast<int>((h5 >> 22) % 4);
  for (int k = 0; k < envs; ++k) {
    if (k > 0) b.C(',');
    b.S("{\"name\":\"VAR_");
    b.I(k);
    b.S("\",\"value\":\"");
    b.S(kWords[(h5 >> (24 + 5 * k)) & 31]);
    b.S("\"}");
  }
  b.S("],\"debug\":");
  b.S(((h5 >> 40) & 1) ? "true" : "false");
  b.C('}');
  out->config = b.Take();

  b.Begin();
  b.C('[');
  const int metrics = static_cast<int>(h6 % 9);
  for (int k = 0; k < metrics; ++k) {
    if (k > 0) b.C(',');
    const uint64_t m = (h6 >> (4 + 6 * k)) & 63;
    b.I(static_cast<int64_t>(m * 7));
    b.C('.');
    b.I(static_cast<int64_t>(m % 10));
  }
  b.C(']');
  out->metrics = b.Take();

  const uint64_t h7 = next(), h8 = next();
  out->num_tags = static_cast<int>(h7 % 9);
  for (int k = 0; k < out->num_tags; ++k) out->tags[k] = kTags[(h7 >> (4 + 4 * k)) & 15];
  out->num_ports = static_cast<int>(h8 % 7);
  for (int k = 0; k < out->num_ports; ++k) out->ports[k] = static_cast<int64_t>(1 + ((h8 >> (3 + 9 * k)) & 511) * 97);
  out->num_addresses = static_cast<int>((h8 >> 58) % 5);
  for (int k = 0; k < out->num_addresses; ++k) {
    const uint64_t a = next();
    b.Begin();
    b.S("10.");
    b.I(static_cast<int64_t>(a & 255));
    b.C('.');
    b.I(static_cast<int64_t>((a >> 8) & 255));
    b.C('.');
    b.I(static_cast<int64_t>((a >> 16) & 255));
    out->addresses[k] = b.Take();
  }
  out->num_zones = 1 + static_cast<int>((h8 >> 61) % 3);
  for (int k = 0; k < out->num_zones; ++k) {
    b.Begin();
    b.S(out->region);
    b.C(static_cast<char>('a' + k));
    out->zones[k] = b.Take();
  }
  out->owner = kOwners[(h7 >> 40) % 6];

  b.Begin();
  const int64_t account = 100000000000LL + static_cast<int64_t>((base >> 8) % 900000000000ULL);
  b.I(account);
  out->account_id = b.Take();

  b.Begin();
  b.S("arn:aws:ferry:");
  b.S(out->region);
  b.C(':');
  b.S(out->account_id);
  b.S(":resource/");
  b.S(out->name);
  out->arn = b.Take();
}

Row WideRow(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row) {
  WideRecord r;
  MakeWideRecord(seed, rows_per_client, client_id, row, &r);
  auto str = [](std::string_view s) { return Value::String(std::string(s)); };
  std::vector<Value> tags, ports, addrs, zones;
  for (int k = 0; k < r.num_tags; ++k) tags.push_back(str(r.tags[k]));
  for (int k = 0; k < r.num_ports; ++k) ports.push_back(Value::Int(r.ports[k]));
  for (int k = 0; k < r.num_addresses; ++k) addrs.push_back(str(r.addresses[k]));
  for (int k = 0; k < r.num_zones; ++k) zones.push_back(str(r.zones[k]));
  return {
      Value::Int(r.id),
      Value::Int(r.client_id),
      str(r.name),
      str(r.email),
      str(r.description),
      str(r.region),
      str(r.status),
      str(r.url),
      Value::Int(r.created_at_us),
      r.updated_at_null ? Value::Null() : Value::Int(r.updated_at_us),
      Value::Int(r.size_bytes),
      Value::Int(r.version),
      Value::Double(r.score),
      r.ratio_null ? Value::Null() : Value::Double(r.ratio),
      Value::Bool(r.enabled),
      str(r.labels),
      str(r.config),
      str(r.metrics),
      Value::List(std::move(tags)),
      Value::List(std::move(ports)),
      Value::List(std::move(addrs)),
      Value::List(std::move(zones)),
      str(r.owner),
      str(r.account_id),
      str(r.arn),
  };
}

sdk::TableDef WideTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kWideTable;
  t.schema.description =
      "Ferry's deterministic benchmark table of wide rows (strings, JSON, lists; ~900 bytes as text): wide_rows "
      "rows per client, values derived from (seed, client_id, row)";
  t.schema.columns.resize(kNumCols);
  auto& c = t.schema.columns;
  c[kId] = MakeCol("id", types::Int64(), "Row ID, unique over all clients: (client_id-1)*wide_rows + row + 1", true);
  c[kClientId] = MakeCol("client_id", types::Int64(), "ID of client");
  c[kName] = MakeCol("name", types::Utf8(), "{word}-{word}-{id}");
  c[kEmail] = MakeCol("email", types::Utf8(), "An e-mail address");
  c[kDescription] = MakeCol("description", types::Utf8(), "8 to 40 words from a vocabulary of 32");
  c[kRegion] = MakeCol("region", types::Utf8(), "One of 8 cloud regions");
  c[kStatus] = MakeCol("status", types::Utf8(), "running, stopped, pending or terminated");
  c[kUrl] = MakeCol("url", types::Utf8(), "https://{domain}/{region}/resources/{id}/{16 hex digits}");
  c[kCreatedAt] = MakeCol("created_at", types::Timestamp(), "2024-01-01T00:00:00Z + row milliseconds + jitter");
  c[kUpdatedAt] = MakeCol("updated_at", types::Timestamp(), "created_at + up to a day; null in about 5% of rows");
  c[kSizeBytes] = MakeCol("size_bytes", types::Int64(), "A 40-bit non-negative integer");
  c[kVersion] = MakeCol("version", types::Int32(), "0 to 999");
  c[kScore] = MakeCol("score", types::Float64(), "0 to 999.999");
  c[kRatio] = MakeCol("ratio", types::Float64(), "0 to 0.9999; null in about 20% of rows");
  c[kEnabled] = MakeCol("enabled", types::Bool(), "True in about half of the rows");
  c[kLabels] = MakeCol("labels", types::Json(), "A JSON object of 0 to 6 string labels");
  c[kConfig] = MakeCol("config", types::Json(),
                       "A nested JSON object: replicas, image, limits {cpu, memory}, env [{name, value}], debug");
  c[kMetrics] = MakeCol("metrics", types::Json(), "A JSON array of 0 to 8 numbers");
  c[kTags_] = MakeCol("tags", types::List(types::Utf8()), "0 to 8 tags from a vocabulary of 16");
  c[kPorts] = MakeCol("ports", types::List(types::Int64()), "0 to 6 port numbers");
  c[kAddresses] = MakeCol("addresses", types::List(types::Utf8()), "0 to 4 IPv4 addresses in 10.0.0.0/8, as text");
  c[kZones] = MakeCol("zones", types::List(types::Utf8()), "1 to 3 availability zones of the region");
  c[kOwner] = MakeCol("owner", types::Utf8(), "One of 6 user names");
  c[kAccountId] = MakeCol("account_id", types::Utf8(), "A 12-digit account number, fixed per client");
  c[kArn] = MakeCol("arn", types::Utf8(), "arn:aws:ferry:{region}:{account_id}:resource/{name}");
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, kWideTable, Immediate::kIgnore, ctx));
    return WriteRows(*spec, ClientIdOf(ctx), w);
  };
  t.multiplex = ClientsMultiplexer(spec);
  // A sharded sync balances by rows: one pair of this table is many rows of the others.
  t.shard_weight = std::max<double>(1, static_cast<double>(spec->wide_rows) / 1000);
  return t;
}

}  // namespace ferry::plugins::test
