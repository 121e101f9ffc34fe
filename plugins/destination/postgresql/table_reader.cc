#include "plugins/destination/postgresql/table_reader.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "ferry/text_codec.h"
#include "plugins/destination/postgresql/type_map.h"

namespace ferry::plugins::postgresql {

namespace {

constexpr int64_t kPgEpochMicros = 946684800000000LL;
constexpr int64_t kPgEpochDays = 10957;

// Big-endian reads over a bounds-checked cursor.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Has(size_t n) const { return pos_ + n <= b_.size(); }
  uint64_t U(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_ + i]);
    pos_ += n;
    return v;
  }
  std::string_view Take(size_t n) {
    auto s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view Rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

Status Short(const DataType& type) { return Status::Invalid("truncated binary value of type " + type.ToString()); }

Result<Value> DecodeNumeric(Reader& r) {
  if (!r.Has(8)) return Status::Invalid("truncated numeric");
  const int ndigits = static_cast<int16_t>(r.U(2));
  const int weight = static_cast<int16_t>(r.U(2));
  const uint16_t sign = static_cast<uint16_t>(r.U(2));
  r.U(2);  // dscale
  if (sign != 0 || !r.Has(2 * static_cast<size_t>(ndigits))) return Status::Invalid("numeric is not a uint64");
  unsigned __int128 v = 0;
  for (int i = 0; i <= weight; ++i) v = v * 10000 + (i < ndigits ? r.U(2) : 0);
  if (v > UINT64_MAX) return Status::Invalid("numeric out of uint64 range");
  return Value::UInt(static_cast<uint64_t>(v));
}

// A numeric as decimal text, then the decimal128 of `type` (its scale).
Result<Value> DecodeDecimal(const DataType& type, Reader& r) {
  if (!r.Has(8)) return Status::Invalid("truncated numeric");
  const int ndigits = static_cast<int16_t>(r.U(2));
  const int weight = static_cast<int16_t>(r.U(2));
  const uint16_t sign = static_cast<uint16_t>(r.U(2));
  const int dscale = static_cast<int16_t>(r.U(2));
  if (sign == 0xC000 || !r.Has(2 * static_cast<size_t>(ndigits))) return Status::Invalid("numeric is NaN or truncated");
  std::vector<int> groups;
  for (int i = 0; i < ndigits; ++i) groups.push_back(static_cast<int>(r.U(2)));
  auto group = [&](int power) {  // the base-10000 digit of 10000^power
    const int i = weight - power;
    return i >= 0 && i < ndigits ? groups[static_cast<size_t>(i)] : 0;
  };
  std::string text = sign == 0x4000 ? "-" : "";
  std::string int_digits;
  for (int p = std::max(weight, 0); p >= 0; --p) {
    char buf[5];
    std::snprintf(buf, sizeof(buf), "%04d", group(p));
    int_digits += buf;
  }
  const size_t nz = int_digits.find_first_not_of('0');
  text += nz == std::string::npos ? "0" : int_digits.substr(nz);
  if (type.scale > 0) {
    std::string frac;
    for (int p = -1; static_cast<int>(frac.size()) < std::max(dscale, type.scale); --p) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "%04d", group(p));
      frac += buf;
    }
    text += "." + frac.substr(0, static_cast<size_t>(type.scale));
  }
  return ParseArrowScalarText(type, text);
}

Result<Value> DecodeArray(const DataType& type, Reader& r) {
  if (!r.Has(12)) return Short(type);
  const uint32_t ndim = static_cast<uint32_t>(r.U(4));
  r.U(4);  // has nulls
  r.U(4);  // element oid
  std::vector<Value> items;
  if (ndim == 0) return Value::List(std::move(items));
  if (ndim != 1 || !r.Has(8)) return Status::Invalid("expected a one-dimensional array");
  const uint32_t n = static_cast<uint32_t>(r.U(4));
  r.U(4);  // lower bound
  for (uint32_t i = 0; i < n; ++i) {
    if (!r.Has(4)) return Short(type);
    const int32_t len = static_cast<int32_t>(r.U(4));
    if (len < 0) {
      items.push_back(Value::Null());
      continue;
    }
    if (!r.Has(static_cast<size_t>(len))) return Short(type);
    FERRY_ASSIGN_OR_RETURN(Value v, DecodeBinary(*type.children[0].type, r.Take(len)));
    items.push_back(std::move(v));
  }
  return Value::List(std::move(items));
}

Result<Value> DecodeInet(Reader& r) {
  if (!r.Has(4)) return Status::Invalid("truncated inet");
  const int family = static_cast<int>(r.U(1));
  const int bits = static_cast<int>(r.U(1));
  r.U(1);  // is_cidr
  const size_t len = r.U(1);
  if (!r.Has(len) || (len != 4 && len != 16)) return Status::Invalid("bad inet value");
  char text[INET6_ADDRSTRLEN];
  const std::string_view addr = r.Take(len);
  if (!inet_ntop(family == 2 ? AF_INET : AF_INET6, addr.data(), text, sizeof(text))) return Status::Invalid("bad inet");
  return Value::String(std::string(text) + "/" + std::to_string(bits));
}

}  // namespace

Result<Value> DecodeBinary(const DataType& type, std::string_view bytes) {
  Reader r(bytes);
  auto need = [&](size_t n) { return r.Has(n) ? Status::OK() : Short(type); };
  switch (type.id) {
    case TypeId::kBool: FERRY_RETURN_NOT_OK(need(1)); return Value::Bool(r.U(1) != 0);
    case TypeId::kInt8: case TypeId::kInt16: FERRY_RETURN_NOT_OK(need(2)); return Value::Int(static_cast<int16_t>(r.U(2)));
    case TypeId::kUInt8: FERRY_RETURN_NOT_OK(need(2)); return Value::UInt(static_cast<uint16_t>(r.U(2)));
    case TypeId::kInt32: FERRY_RETURN_NOT_OK(need(4)); return Value::Int(static_cast<int32_t>(r.U(4)));
    case TypeId::kUInt16: FERRY_RETURN_NOT_OK(need(4)); return Value::UInt(static_cast<uint32_t>(r.U(4)));
    case TypeId::kInt64: FERRY_RETURN_NOT_OK(need(8)); return Value::Int(static_cast<int64_t>(r.U(8)));
    case TypeId::kUInt32: FERRY_RETURN_NOT_OK(need(8)); return Value::UInt(r.U(8));
    case TypeId::kUInt64: return DecodeNumeric(r);
    case TypeId::kFloat32: {
      FERRY_RETURN_NOT_OK(need(4));
      const uint32_t bits = static_cast<uint32_t>(r.U(4));
      float f;
      std::memcpy(&f, &bits, 4);
      return Value::Double(f);
    }
    case TypeId::kFloat64: {
      FERRY_RETURN_NOT_OK(need(8));
      const uint64_t bits = r.U(8);
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::Double(d);
    }
    case TypeId::kUtf8: case TypeId::kBinary: case TypeId::kFixedSizeBinary: case TypeId::kUuid: case TypeId::kMac:
      return Value::String(std::string(bytes));
    case TypeId::kTimestamp: FERRY_RETURN_NOT_OK(need(8)); return Value::Int(static_cast<int64_t>(r.U(8)) + kPgEpochMicros);
    case TypeId::kDate32: FERRY_RETURN_NOT_OK(need(4)); return Value::Int(static_cast<int32_t>(r.U(4)) + kPgEpochDays);
    case TypeId::kInet: return DecodeInet(r);
    case TypeId::kJson: FERRY_RETURN_NOT_OK(need(1)); r.U(1); return Value::String(std::string(r.Rest()));
    case TypeId::kList:
      if (!StoredAsJson(type)) return DecodeArray(type, r);
      [[fallthrough]];
    case TypeId::kStruct:
      FERRY_RETURN_NOT_OK(need(1));
      r.U(1);  // jsonb version
      return ParseJsonCell(type, r.Rest());
    case TypeId::kTime32: case TypeId::kTime64: {  // microseconds since midnight, in the column's unit
      FERRY_RETURN_NOT_OK(need(8));
      return Value::Int(TimeOfDayFromMicros(static_cast<int64_t>(r.U(8)), type.unit));
    }
    case TypeId::kDecimal128: return DecodeDecimal(type, r);
    case TypeId::kDuration: case TypeId::kIntervalMonth: case TypeId::kIntervalDayTime:
    case TypeId::kIntervalMonthDayNano:
      return ParseArrowScalarText(type, r.Rest());
  }
  return Status::Internal("unhandled type " + type.ToString());
}

Result<std::vector<Row>> ReadTable(Connection& conn, const TableSchema& table) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < table.columns.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(PgName(table.columns[i].name));
  sql += " FROM " + QuoteIdent(PgName(table.name));
  const std::string context = "table " + table.name + ": read";
  FERRY_ASSIGN_OR_RETURN(PgResult res, conn.QueryParams(sql, {}, /*binary_result=*/true, context));
  std::vector<Row> rows(static_cast<size_t>(PQntuples(res.get())));
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    Row& row = rows[r];
    row.reserve(table.columns.size());
    for (int c = 0; c < static_cast<int>(table.columns.size()); ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.push_back(Value::Null());
        continue;
      }
      const std::string_view bytes(PQgetvalue(res.get(), r, c), static_cast<size_t>(PQgetlength(res.get(), r, c)));
      auto v = DecodeBinary(*table.columns[c].type, bytes);
      if (!v.ok()) return v.status().WithContext(context + ", column " + table.columns[c].name);
      row.push_back(v.MoveValue());
    }
  }
  return rows;
}

}  // namespace ferry::plugins::postgresql
