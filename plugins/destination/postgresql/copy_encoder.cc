#include "plugins/destination/postgresql/copy_encoder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "ferry/text_codec.h"
#include "plugins/destination/postgresql/type_map.h"

namespace ferry::plugins::postgresql {

namespace {

constexpr int64_t kPgEpochMicros = 946684800000000LL;  // 2000-01-01 in Unix microseconds
constexpr int32_t kPgEpochDays = 10957;

bool EncodeInet(std::string_view text, CopyBuffer* out, std::string* why) {
  std::string addr(text.substr(0, text.find('/')));
  int bits = -1;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    const auto r = std::from_chars(text.data() + slash + 1, text.data() + text.size(), bits);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) bits = -2;
  }
  unsigned char buf[16];
  int family, len;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) family = 2, len = 4;
  else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) family = 3, len = 16;
  else {
    *why = "not an IP address or CIDR: \"" + std::string(text.substr(0, 64)) + "\"";
    return false;
  }
  if (bits == -1) bits = len * 8;
  if (bits < 0 || bits > len * 8) {
    *why = "bad prefix length in \"" + std::string(text.substr(0, 64)) + "\"";
    return false;
  }
  out->PutU8(static_cast<uint8_t>(family));
  out->PutU8(static_cast<uint8_t>(bits));
  out->PutU8(0);  // inet, not cidr
  out->PutU8(static_cast<uint8_t>(len));
  out->Append(buf, len);
  return true;
}

void EncodeText(std::string_view s, CopyBuffer* out) {
  if (s.find('\0') == std::string_view::npos) {
    out->Append(s.data(), s.size());
    return;
  }
  for (char c : s)
    if (c != '\0') out->Append(&c, 1);
}

bool EncodeField(const ArrayData& a, int64_t row, CopyBuffer* out, std::string* why);

// PostgreSQL's time: int64 microseconds since midnight, 00:00:00 to 24:00:00.
// time64[ns] keeps whole microseconds (rounded toward midnight), as timestamps do.
bool EncodeTime(const ArrayData& a, int64_t row, CopyBuffer* out, std::string* why) {
  const int64_t v = a.type->id == TypeId::kTime32 ? a.Value<int32_t>(row) : a.Value<int64_t>(row);
  const int64_t per_second = TimeUnitsPerSecond(a.type->unit);
  if (v < 0 || v > 86400 * per_second) {
    std::string text;
    AppendArrowScalarText(*a.type, a.FixedValue(row), &text);
    *why = "time " + text + " is outside 00:00:00-24:00:00, the range of PostgreSQL's time";
    return false;
  }
  out->PutU64(static_cast<uint64_t>(TimeOfDayMicros(v, a.type->unit)));
  return true;
}

bool EncodeArray(const ArrayData& a, int64_t row, CopyBuffer* out, std::string* why) {
  const ArrayData& items = *a.children[0];
  const auto [begin, end] = a.ListRange(row);
  bool has_null = false;
  for (int64_t i = begin; i < end && !has_null; ++i) has_null = items.IsNull(i);
  out->PutU32(end > begin ? 1 : 0);
  out->PutU32(has_null ? 1 : 0);
  out->PutU32(ScalarOid(*items.type));
  if (end > begin) {
    out->PutU32(static_cast<uint32_t>(end - begin));
    out->PutU32(1);
  }
  for (int64_t i = begin; i < end; ++i)
    if (!EncodeField(items, i, out, why)) return false;
  return true;
}

// Length prefix (back-patched) and value, or -1 for NULL.
bool EncodeField(const ArrayData& a, int64_t row, CopyBuffer* out, std::string* why) {
  if (a.IsNull(row)) {
    out->PutU32(0xFFFFFFFFu);
    return true;
  }
  const size_t at = out->size();
  out->PutU32(0);
  if (!EncodeValue(a, row, out, why)) return false;
  out->PatchU32(at, static_cast<uint32_t>(out->size() - at - 4));
  return true;
}

}  // namespace

void AppendDecimalNumeric(__int128 unscaled, int32_t scale, CopyBuffer* out) {
  const bool negative = unscaled < 0;
  unsigned __int128 m = negative ? -static_cast<unsigned __int128>(unscaled) : static_cast<unsigned __int128>(unscaled);
  std::string digits;  // decimal digits of |unscaled|, most significant first
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m > 0);
  std::reverse(digits.begin(), digits.end());
  const size_t frac = scale > 0 ? static_cast<size_t>(scale) : 0;
  if (scale < 0) digits.append(static_cast<size_t>(-static_cast<int64_t>(scale)), '0');  // value = unscaled * 10^-scale
  if (digits.size() <= frac) digits.insert(0, frac + 1 - digits.size(), '0');
  // Base-10000 digits: the integer part padded on the left, the fraction on
  // the right, so the decimal point falls between two of them.
  std::string int_part = digits.substr(0, digits.size() - frac), frac_part = digits.substr(digits.size() - frac);
  int_part.insert(0, (4 - int_part.size() % 4) % 4, '0');
  frac_part.append((4 - frac_part.size() % 4) % 4, '0');
  std::vector<uint16_t> groups;
  auto take = [&](const std::string& s) {
    for (size_t i = 0; i < s.size(); i += 4) groups.push_back(static_cast<uint16_t>(std::stoi(s.substr(i, 4))));
  };
  take(int_part);
  take(frac_part);
  int weight = static_cast<int>(int_part.size() / 4) - 1;
  size_t first = 0, last = groups.size();
  while (first < last && groups[first] == 0) ++first, --weight;
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) weight = 0;
  out->PutU16(static_cast<uint16_t>(last - first));
  out->PutU16(static_cast<uint16_t>(static_cast<int16_t>(weight)));
  out->PutU16(negative && first < last ? 0x4000 : 0);
  out->PutU16(static_cast<uint16_t>(frac));  // dscale
  for (size_t i = first; i < last; ++i) out->PutU16(groups[i]);
}

void AppendNumeric(uint64_t v, CopyBuffer* out) {
  uint16_t digits[5];  // uint64 has at most 20 decimal digits
  int n = 0;
  for (uint64_t x = v; x > 0; x /= 10000) digits[n++] = static_cast<uint16_t>(x % 10000);
  const int weight = n > 0 ? n - 1 : 0;
  int lowest = 0;  // trailing zero digits are implied by the weight
  while (lowest < n && digits[lowest] == 0) ++lowest;
  out->PutU16(static_cast<uint16_t>(n - lowest));
  out->PutU16(static_cast<uint16_t>(weight));
  out->PutU16(0);  // positive
  out->PutU16(0);  // dscale
  for (int i = n - 1; i >= lowest; --i) out->PutU16(digits[i]);
}

bool EncodeValue(const ArrayData& a, int64_t row, CopyBuffer* out, std::string* why) {
  switch (a.type->id) {
    case TypeId::kBool: out->PutU8(a.BoolValue(row) ? 1 : 0); return true;
    case TypeId::kInt8: out->PutU16(static_cast<uint16_t>(static_cast<int16_t>(a.Value<int8_t>(row)))); return true;
    case TypeId::kUInt8: out->PutU16(a.Value<uint8_t>(row)); return true;
    case TypeId::kInt16: out->PutU16(static_cast<uint16_t>(a.Value<int16_t>(row))); return true;
    case TypeId::kUInt16: out->PutU32(a.Value<uint16_t>(row)); return true;
    case TypeId::kInt32: out->PutU32(static_cast<uint32_t>(a.Value<int32_t>(row))); return true;
    case TypeId::kUInt32: out->PutU64(a.Value<uint32_t>(row)); return true;
    case TypeId::kInt64: out->PutU64(static_cast<uint64_t>(a.Value<int64_t>(row))); return true;
    case TypeId::kUInt64: AppendNumeric(a.Value<uint64_t>(row), out); return true;
    case TypeId::kFloat32: {
      const float f = a.Value<float>(row);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      out->PutU32(bits);
      return true;
    }
    case TypeId::kFloat64: {
      const double d = a.Value<double>(row);
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      out->PutU64(bits);
      return true;
    }
    case TypeId::kUtf8: EncodeText(a.StringValue(row), out); return true;
    case TypeId::kBinary: {
      const std::string_view s = a.StringValue(row);
      out->Append(s.data(), s.size());
      return true;
    }
    case TypeId::kFixedSizeBinary: case TypeId::kUuid: {
      const std::string_view s = a.FixedValue(row);
      out->Append(s.data(), s.size());
      return true;
    }
    case TypeId::kTimestamp: out->PutU64(static_cast<uint64_t>(a.Value<int64_t>(row) - kPgEpochMicros)); return true;
    case TypeId::kDate32: out->PutU32(static_cast<uint32_t>(a.Value<int32_t>(row) - kPgEpochDays)); return true;
    case TypeId::kJson: {
      out->PutU8(1);  // jsonb binary format version
      const std::string_view s = a.StringValue(row);
      if (s.find("\\u0000") == std::string_view::npos) out->Append(s.data(), s.size());
      else {
        const std::string clean = StripJsonNul(s);
        out->Append(clean.data(), clean.size());
      }
      return true;
    }
    case TypeId::kInet: return EncodeInet(a.StringValue(row), out, why);
    case TypeId::kMac: {
      const std::string_view s = a.StringValue(row);
      if (s.size() != 6) {
        *why = "a MAC address for macaddr must have 6 bytes, this one has " + std::to_string(s.size());
        return false;
      }
      out->Append(s.data(), 6);
      return true;
    }
    case TypeId::kList:
      if (!StoredAsJson(*a.type)) return EncodeArray(a, row, out, why);
      [[fallthrough]];
    case TypeId::kStruct: {
      out->PutU8(1);
      std::string json;
      AppendJsonCell(a, row, JsonbStyle(), &json);
      out->Append(json.data(), json.size());
      return true;
    }
    case TypeId::kTime32: case TypeId::kTime64: return EncodeTime(a, row, out, why);
    case TypeId::kDecimal128: {
      __int128 v;
      std::memcpy(&v, a.FixedValue(row).data(), 16);
      AppendDecimalNumeric(v, a.type->scale, out);
      return true;
    }
    case TypeId::kDuration: case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime:
    case TypeId::kIntervalMonthDayNano: {
      std::string text;  // "12s", "14 months", "2 days 300ms": text_codec.h
      AppendArrowScalarText(*a.type, a.FixedValue(row), &text);
      out->Append(text.data(), text.size());
      return true;
    }
  }
  *why = "unsupported type " + a.type->ToString();
  return false;
}

CopyEncoder::CopyEncoder(TableSchemaPtr schema, bool with_seq) : schema_(std::move(schema)), with_seq_(with_seq) {}

void CopyEncoder::AppendHeader(CopyBuffer* out) {
  static const char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\xff', '\r', '\n', '\0'};
  out->Append(kSignature, sizeof(kSignature));
  out->PutU32(0);  // flags
  out->PutU32(0);  // header extension length
}

void CopyEncoder::AppendTrailer(CopyBuffer* out) { out->PutU16(0xFFFF); }

Status CopyEncoder::AppendRows(const Batch& batch, int64_t begin, int64_t end, int64_t seq, CopyBuffer* out) const {
  const auto& cols = batch.columns();
  if (cols.size() != schema_->columns.size())
    return Status::Invalid("table " + schema_->name + ": batch has " + std::to_string(cols.size()) +
                           " columns, the table " + std::to_string(schema_->columns.size()));
  const uint16_t fields = static_cast<uint16_t>(cols.size() + (with_seq_ ? 1 : 0));
  std::string why;
  for (int64_t r = begin; r < end; ++r) {
    out->PutU16(fields);
    for (size_t c = 0; c < cols.size(); ++c) {
      if (!EncodeField(*cols[c], r, out, &why))
        return Status::Invalid("table " + schema_->name + ", column " + schema_->columns[c].name + ", row " +
                               std::to_string(seq + r - begin) + ": " + why);
    }
    if (with_seq_) {
      out->PutU32(8);
      out->PutU64(static_cast<uint64_t>(seq + r - begin));
    }
  }
  return Status::OK();
}

}  // namespace ferry::plugins::postgresql
