#include "plugins/destination/postgresql/table_writer.h"

#include "plugins/destination/postgresql/type_map.h"

namespace ferry::plugins::postgresql {

namespace {

constexpr size_t kChunkBytes = 1 << 20;  // COPY data per PQputCopyData call
constexpr const char* kSeq = "_ferry_seq";

std::string ColumnList(const TableSchema& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) out += (i ? ", " : "") + QuoteIdent(PgName(t.columns[i].name));
  return out;
}

// A short hash of the column names and types: a changed schema gets its own
// staging table instead of reusing one with other columns.
std::string SchemaTag(const TableSchema& t) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const std::string& s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  };
  for (const auto& c : t.columns) {
    mix(c.name);
    mix(ColumnType(*c.type));
  }
  char buf[20];
  std::snprintf(buf, sizeof(buf), "_%08x", static_cast<unsigned>(h ^ (h >> 32)));
  return buf;
}

}  // namespace

TableWriter::TableWriter(TableSchemaPtr schema)
    : schema_(std::move(schema)), upsert_(!schema_->PrimaryKeys().empty()), encoder_(schema_, upsert_) {
  const TableSchema& t = *schema_;
  const std::string cols = ColumnList(t);
  const std::string table = QuoteIdent(PgName(t.name));
  if (!upsert_) {
    copy_sql_ = "COPY " + table + " (" + cols + ") FROM STDIN (FORMAT binary)";
    return;
  }
  staging_ = DerivedName("_ferry_stage_" + PgName(t.name), SchemaTag(t));
  const std::string stage = "pg_temp." + QuoteIdent(staging_);
  copy_sql_ = "COPY " + stage + " (" + cols + ", " + kSeq + ") FROM STDIN (FORMAT binary)";
  std::string pk;
  for (const auto& k : t.PrimaryKeys()) pk += (pk.empty() ? "" : ", ") + QuoteIdent(PgName(k));
  std::string set;
  for (const auto& c : t.columns) {
    if (c.primary_key) continue;
    const std::string q = QuoteIdent(PgName(c.name));
    set += (set.empty() ? "" : ", ") + q + " = EXCLUDED." + q;
  }
  merge_sql_ = "INSERT INTO " + table + " (" + cols + ") SELECT DISTINCT ON (" + pk + ") " + cols + " FROM " + stage +
               " ORDER BY " + pk + ", " + kSeq + " DESC ON CONFLICT (" + pk + ") " +
               (set.empty() ? "DO NOTHING" : "DO UPDATE SET " + set);
}

std::string TableWriter::StagingSql() const {
  std::string sql = "CREATE TEMP TABLE IF NOT EXISTS " + QuoteIdent(staging_) + " (";
  for (const auto& c : schema_->columns) sql += QuoteIdent(PgName(c.name)) + " " + ColumnType(*c.type) + ", ";
  return sql + kSeq + " bigint) ON COMMIT DELETE ROWS";
}

bool TableWriter::Compatible(const TableSchema& other) const {
  const TableSchema& mine = *schema_;
  if (mine.name != other.name || mine.columns.size() != other.columns.size()) return false;
  for (size_t i = 0; i < mine.columns.size(); ++i) {
    const Column &a = mine.columns[i], &b = other.columns[i];
    if (a.name != b.name || a.primary_key != b.primary_key || !a.type->Equals(*b.type)) return false;
  }
  return true;
}

Status TableWriter::Write(Connection& conn, const std::vector<BatchPtr>& batches, const std::function<void()>& on_copy) {
  FERRY_RETURN_NOT_OK(Copy(conn, copy_sql_, batches, on_copy));
  if (upsert_) FERRY_RETURN_NOT_OK(conn.Exec(merge_sql_, "table " + schema_->name + ": merge staged rows"));
  return Status::OK();
}

Status TableWriter::Copy(Connection& conn, const std::string& sql, const std::vector<BatchPtr>& batches,
                         const std::function<void()>& on_copy) {
  const std::string context = "table " + schema_->name + ": copy";
  FERRY_RETURN_NOT_OK(conn.CopyBegin(sql, context));
  buffer_.Clear();
  CopyEncoder::AppendHeader(&buffer_);
  int64_t seq = 0;
  bool sent = false;
  auto flush = [&]() -> Status {
    FERRY_RETURN_NOT_OK(conn.CopyPut(buffer_.data(), buffer_.size(), context));
    buffer_.Clear();
    if (!sent && on_copy) on_copy();
    sent = true;
    return Status::OK();
  };
  Status st;
  for (const auto& b : batches) {
    if (!b || !st.ok()) continue;
    // Encode in slices so the buffer stays near kChunkBytes whatever the batch size.
    for (int64_t r = 0; r < b->num_rows() && st.ok();) {
      const int64_t n = std::min<int64_t>(b->num_rows() - r, 4096);
      st = encoder_.AppendRows(*b, r, r + n, seq, &buffer_);
      r += n;
      seq += n;
      if (st.ok() && buffer_.size() >= kChunkBytes) st = flush();
    }
  }
  if (!st.ok()) {
    if (conn.ok()) conn.CopyAbort(st.message());
    return st;
  }
  CopyEncoder::AppendTrailer(&buffer_);
  FERRY_RETURN_NOT_OK(flush());
  return conn.CopyEnd(context);
}

}  // namespace ferry::plugins::postgresql
