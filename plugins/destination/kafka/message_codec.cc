#include "plugins/destination/kafka/message_codec.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "ferry/text_codec.h"
#include "plugins/common/json_cell.h"

namespace ferry::plugins::kafka {

MessageCodec::MessageCodec(const Spec& spec, const TableSchema& table, const std::vector<std::string>& key_columns)
    : format_(spec.format), delimiter_(spec.csv_delimiter), gzip_(spec.gzip) {
  for (const Column& c : table.columns) names_.push_back(c.name);
  name_order_.resize(names_.size());
  std::iota(name_order_.begin(), name_order_.end(), 0);
  std::stable_sort(name_order_.begin(), name_order_.end(), [&](size_t a, size_t b) { return names_[a] < names_[b]; });
  for (size_t i : name_order_)
    if (std::find(key_columns.begin(), key_columns.end(), names_[i]) != key_columns.end()) key_columns_.push_back(i);
  for (size_t n = 0; n < name_order_.size(); ++n) {
    std::string k(n == 0 ? "{" : ",");
    AppendJsonString(names_[name_order_[n]], &k);
    k.push_back(':');
    json_keys_.push_back(std::move(k));
  }
  for (size_t k = 0; k < key_columns_.size(); ++k) {
    std::string prefix(k == 0 ? "{" : ",");
    AppendJsonString(names_[key_columns_[k]], &prefix);
    prefix.push_back(':');
    key_prefixes_.push_back(std::move(prefix));
  }
  if (format_ == Format::kCsv && !spec.csv_skip_header) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (i) csv_header_.push_back(delimiter_);
      AppendCsvField(names_[i], delimiter_, &csv_header_);
    }
    csv_header_.push_back('\n');
  }
}

void MessageCodec::JsonValue(const Batch& batch, int64_t row, std::string* out) const {
  static const JsonCellStyle kStyle = CloudQueryFileStyle();
  if (name_order_.empty()) out->push_back('{');
  for (size_t n = 0; n < name_order_.size(); ++n) {
    out->append(json_keys_[n]);
    AppendJsonCell(*batch.column(name_order_[n]), row, kStyle, out);
  }
  out->append("}\n");   // Go's json.Encoder ends each value with a newline
}

namespace {

// The text of one cell in arrow-go's CSV writer (after filetypes turned
// extension types into their ValueStr strings).
void CsvCell(const ArrayData& a, int64_t i, char delimiter, std::string* out, std::string* scratch) {
  static const JsonCellStyle kStyle = CloudQueryFileStyle();
  if (a.IsNull(i)) return;   // WithNullWriter("")
  scratch->clear();
  switch (a.type->id) {
    case TypeId::kBool: out->append(a.BoolValue(i) ? "true" : "false"); return;
    case TypeId::kFloat32: AppendGoFloat(a.Value<float>(i), 32, out); return;
    case TypeId::kFloat64: AppendGoFloat(a.Value<double>(i), 64, out); return;
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kUInt64:
      AppendJsonCell(a, i, kStyle, out);   // plain decimal digits
      return;
    case TypeId::kUtf8: case TypeId::kInet: AppendCsvField(a.StringValue(i), delimiter, out); return;
    case TypeId::kMac: AppendCsvField(MacText(a.StringValue(i)), delimiter, out); return;
    case TypeId::kBinary: AppendBase64(a.StringValue(i), out); return;
    case TypeId::kFixedSizeBinary: AppendBase64(a.FixedValue(i), out); return;
    case TypeId::kTimestamp: out->append(TimestampText(a.Value<int64_t>(i), TimestampStyle::kRfc3339Nano)); return;
    case TypeId::kDate32: out->append(DateText(a.Value<int32_t>(i))); return;
    case TypeId::kUuid: {
      char buf[36];
      FormatUuid(a.FixedValue(i), buf);
      out->append(buf, 36);
      return;
    }
    case TypeId::kJson: AppendCsvField(a.StringValue(i), delimiter, out); return;
    case TypeId::kList: case TypeId::kStruct:
      AppendJsonCell(a, i, kStyle, scratch);
      AppendCsvField(*scratch, delimiter, out);
      return;
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      AppendArrowGoText(*a.type, a.FixedValue(i), /*json=*/false, scratch);  // arrow-go's ValueStr
      AppendCsvField(*scratch, delimiter, out);
      return;
  }
}

}  // namespace

void MessageCodec::CsvValue(const Batch& batch, int64_t row, std::string* out) const {
  out->append(csv_header_);
  std::string scratch;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (i) out->push_back(delimiter_);
    CsvCell(*batch.column(i), row, delimiter_, out, &scratch);
  }
  out->push_back('\n');
}

Status MessageCodec::Value(const Batch& batch, int64_t row, std::string* out) const {
  out->clear();
  if (format_ == Format::kCsv) CsvValue(batch, row, out);
  else JsonValue(batch, row, out);
  if (gzip_) {
    FERRY_ASSIGN_OR_RETURN(std::string z, Gzip(*out));
    *out = std::move(z);
  }
  return Status::OK();
}

void MessageCodec::Key(const Batch& batch, int64_t row, std::string* out) const {
  static const JsonCellStyle kStyle = CloudQueryFileStyle();
  out->clear();
  if (key_columns_.empty()) out->push_back('{');
  for (size_t k = 0; k < key_columns_.size(); ++k) {
    out->append(key_prefixes_[k]);
    AppendJsonCell(*batch.column(key_columns_[k]), row, kStyle, out);
  }
  out->push_back('}');
}

void AppendGoFloat(double v, int bits, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (std::signbit(v)) out->push_back('-');
  v = std::fabs(v);
  // The shortest decimal digits that read back as v (at `bits` precision),
  // and the decimal point position dp: v = 0.d1d2...dn x 10^dp.
  std::string digits;
  int dp = 0;
  if (v != 0) {
    char buf[64];
    auto r = bits == 32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), std::chars_format::scientific)
                        : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    const size_t e = s.find('e');
    for (char c : s.substr(0, e))
      if (c != '.') digits.push_back(c);
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    dp = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
  }
  const int nd = static_cast<int>(digits.size());
  const int exp = dp - 1;
  if (nd > 0 && (exp < -4 || exp >= 6)) {   // %e: d.ddde±XX
    out->push_back(digits[0]);
    if (nd > 1) {
      out->push_back('.');
      out->append(digits, 1, std::string::npos);
    }
    out->push_back('e');
    out->push_back(exp < 0 ? '-' : '+');
    const int x = std::abs(exp);
    if (x < 10) out->push_back('0');
    out->append(std::to_string(x));
    return;
  }
  // %f with just the digits needed.
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) out->push_back(i < nd ? digits[i] : '0');
  } else {
    out->push_back('0');
  }
  const int frac = std::max(nd - dp, 0);
  if (frac > 0) {
    out->push_back('.');
    for (int i = 0; i < frac; ++i) {
      const int j = dp + i;
      out->push_back(j >= 0 && j < nd ? digits[j] : '0');
    }
  }
}

void AppendCsvField(std::string_view f, char delimiter, std::string* out) {
  bool quote = f == "\\.";
  for (char c : f)
    if (c == '\n' || c == '\r' || c == '"' || c == delimiter) quote = true;
  // Go also quotes a field that starts with a Unicode space.
  if (!f.empty()) {
    const auto c0 = static_cast<unsigned char>(f[0]);
    if (c0 == ' ' || c0 == '\t' || c0 == '\v' || c0 == '\f' || c0 == 0x85) quote = true;
    if (c0 == 0xC2 && f.size() > 1 && (static_cast<unsigned char>(f[1]) == 0x85 || static_cast<unsigned char>(f[1]) == 0xA0))
      quote = true;
    if (c0 == 0xE2 && f.size() > 2 && static_cast<unsigned char>(f[1]) == 0x80 &&
        (static_cast<unsigned char>(f[2]) <= 0x8A || static_cast<unsigned char>(f[2]) == 0xA8 ||
         static_cast<unsigned char>(f[2]) == 0xA9 || static_cast<unsigned char>(f[2]) == 0xAF))
      quote = true;
    if (c0 == 0xE1 && f.substr(0, 3) == "\xE1\x9A\x80") quote = true;
    if (c0 == 0xE3 && f.substr(0, 3) == "\xE3\x80\x80") quote = true;
    if (c0 == 0xE2 && f.substr(0, 3) == "\xE2\x81\x9F") quote = true;
  }
  if (!quote) {
    out->append(f);
    return;
  }
  out->push_back('"');
  for (char c : f) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// zlib does gzip framing itself (windowBits 15 + 16); written here only to
// size the buffers.
Result<std::string> Gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::Internal("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("gzip: deflate did not finish");
  return out;
}

Result<std::string> Gunzip(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::Internal("gunzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::Invalid("not gzip data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END && (zs.avail_in > 0 || zs.avail_out == 0));
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Invalid("truncated gzip data");
  return out;
}

Result<Row> DecodeJsonRow(const TableSchema& table, std::string_view value) {
  auto doc = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Invalid("message value is not a JSON object");
  Row row;
  for (const Column& c : table.columns) {
    auto it = doc.find(c.name);
    if (it == doc.end()) {
      row.push_back(Value::Null());
      continue;
    }
    FERRY_ASSIGN_OR_RETURN(ferry::Value v, ParseJsonCell(*c.type, it->dump()));
    row.push_back(std::move(v));
  }
  return row;
}

}  // namespace ferry::plugins::kafka
