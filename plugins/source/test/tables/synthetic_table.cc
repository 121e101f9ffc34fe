#include "plugins/source/test/tables/synthetic_table.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

namespace ferry::plugins::test {

namespace {

constexpr int64_t kBaseTimeUs = 1704067200000000LL;  // 2024-01-01T00:00:00Z
constexpr std::string_view kPool = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kTags[8] = {"red", "green", "blue", "alpha", "beta", "prod", "staging", "eu-west-1"};
constexpr std::string_view kTiers[4] = {"free", "silver", "gold", "platinum"};

enum Col { kId, kClientId, kName, kCreatedAt, kAmount, kCount, kActive, kTags_, kAttributes, kUuid, kNumCols };

Column MakeCol(std::string name, DataTypePtr type, std::string description, bool pk = false) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.description = std::move(description);
  c.primary_key = pk;
  return c;
}

void Append(std::string_view s, char* buf, int* len) {
  std::memcpy(buf + *len, s.data(), s.size());
  *len += static_cast<int>(s.size());
}

void AppendInt(int64_t v, char* buf, int* len, int cap) {
  auto r = std::to_chars(buf + *len, buf + cap, v);
  *len = static_cast<int>(r.ptr - buf);
}

Status WriteRows(const Spec& spec, int64_t client_id, sdk::RowWriter& w) {
  SyntheticRecord r;
  for (int64_t row = 0; row < spec.synthetic_rows; ++row) {
    MakeSyntheticRecord(spec.seed, spec.synthetic_rows, client_id, row, &r);
    w.Column(kId).AppendInt(r.id);
    w.Column(kClientId).AppendInt(r.client_id);
    w.Column(kName).AppendBytes(std::string_view(r.name, r.name_len));
    w.Column(kCreatedAt).AppendInt(r.created_at_us);
    if (r.amount_null) w.Column(kAmount).AppendNull();
    else w.Column(kAmount).AppendDouble(r.amount);
    w.Column(kCount).AppendInt(r.count);
    w.Column(kActive).AppendBool(r.active);
    ArrayBuilder& tags = w.Column(kTags_);
    for (int k = 0; k < r.num_tags; ++k) tags.child(0)->AppendBytes(r.tags[k]);
    tags.CloseList();
    w.Column(kAttributes).AppendBytes(std::string_view(r.attributes, r.attributes_len));
    w.Column(kUuid).AppendBytes(std::string_view(r.uuid, 16));
    FERRY_RETURN_NOT_OK(w.EndRow());
  }
  return Status::OK();
}

}  // namespace

void MakeSyntheticRecord(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row,
                         SyntheticRecord* out) {
  const uint64_t base = Mix64(Mix64(static_cast<uint64_t>(seed)) ^ static_cast<uint64_t>(client_id));
  const uint64_t h = Mix64(base ^ static_cast<uint64_t>(row));
  const uint64_t h2 = Mix64(h);

  out->id = (client_id - 1) * rows_per_client + row + 1;
  out->client_id = client_id;

  out->name_len = 0;
  Append("user_", out->name, &out->name_len);
  AppendInt(out->id, out->name, &out->name_len, sizeof(out->name));
  out->name[out->name_len++] = '_';
  Append(kPool.substr(h % 26, (h >> 5) % 24), out->name, &out->name_len);

  out->created_at_us = kBaseTimeUs + row * 1000 + static_cast<int64_t>((h >> 10) % 1000);
  out->amount_null = h2 % 10 == 0;
  out->amount = out->amount_null ? 0.0 : static_cast<double>((h2 >> 8) % 10000000) / 100.0;
  out->count = static_cast<int32_t>((h >> 32) % 100000);
  out->active = ((h >> 7) & 1) != 0;
  out->num_tags = static_cast<int>((h >> 12) % 4);
  for (int k = 0; k < out->num_tags; ++k) out->tags[k] = kTags[(h2 >> (40 + 3 * k)) & 7];

  out->attributes_len = 0;
  Append("{\"score\":", out->attributes, &out->attributes_len);
  AppendInt(static_cast<int64_t>((h2 >> 20) % 1000), out->attributes, &out->attributes_len,
            sizeof(out->attributes));
  Append(",\"tier\":\"", out->attributes, &out->attributes_len);
  Append(kTiers[(h2 >> 30) & 3], out->attributes, &out->attributes_len);
  Append("\"}", out->attributes, &out->attributes_len);

  const uint64_t u0 = Mix64(h ^ 0x5555), u1 = Mix64(h ^ 0xaaaa);
  std::memcpy(out->uuid, &u0, 8);
  std::memcpy(out->uuid + 8, &u1, 8);
  out->uuid[6] = static_cast<char>((out->uuid[6] & 0x0f) | 0x40);
  out->uuid[8] = static_cast<char>((out->uuid[8] & 0x3f) | 0x80);
}

Row SyntheticRow(int64_t seed, int64_t rows_per_client, int64_t client_id, int64_t row) {
  SyntheticRecord r;
  MakeSyntheticRecord(seed, rows_per_client, client_id, row, &r);
  std::vector<Value> tags;
  for (int k = 0; k < r.num_tags; ++k) tags.push_back(Value::String(std::string(r.tags[k])));
  return {
      Value::Int(r.id),
      Value::Int(r.client_id),
      Value::String(std::string(r.name, r.name_len)),
      Value::Int(r.created_at_us),
      r.amount_null ? Value::Null() : Value::Double(r.amount),
      Value::Int(r.count),
      Value::Bool(r.active),
      Value::List(std::move(tags)),
      Value::String(std::string(r.attributes, r.attributes_len)),
      Value::String(std::string(r.uuid, 16)),
  };
}

sdk::TableDef SyntheticTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kSyntheticTable;
  t.schema.description =
      "Ferry's deterministic benchmark table: synthetic_rows rows per client, values derived from "
      "(seed, client_id, row)";
  t.schema.columns.resize(kNumCols);
  auto& c = t.schema.columns;
  c[kId] = MakeCol("id", types::Int64(), "Row ID, unique over all clients: (client_id-1)*synthetic_rows + row + 1",
                   true);
  c[kClientId] = MakeCol("client_id", types::Int64(), "ID of client");
  c[kName] = MakeCol("name", types::Utf8(), "user_{id}_ followed by 0 to 23 letters");
  c[kCreatedAt] = MakeCol("created_at", types::Timestamp(), "2024-01-01T00:00:00Z + row milliseconds + jitter");
  c[kAmount] = MakeCol("amount", types::Float64(), "0 to 99999.99 with two decimals; null in about 10% of rows");
  c[kCount] = MakeCol("count", types::Int32(), "0 to 99999");
  c[kActive] = MakeCol("active", types::Bool(), "True in about half of the rows");
  c[kTags_] = MakeCol("tags", types::List(types::Utf8()), "0 to 3 tags from a vocabulary of 8");
  c[kAttributes] = MakeCol("attributes", types::Json(), "A small JSON object: {\"score\": 0-999, \"tier\": name}");
  c[kUuid] = MakeCol("uuid", types::Uuid(), "A UUID (version 4 form) derived from the row hash");
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, kSyntheticTable, Immediate::kIgnore, ctx));
    return WriteRows(*spec, ClientIdOf(ctx), w);
  };
  t.multiplex = ClientsMultiplexer(spec);
  // A sharded sync balances by rows: one pair of this table is many rows of the others.
  t.shard_weight = std::max<double>(1, static_cast<double>(spec->synthetic_rows) / 1000);
  return t;
}

}  // namespace ferry::plugins::test
