#include "sdk/cq_id.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <memory>

#include "ferry/text_codec.h"
#include "ferry/uuid.h"

namespace ferry::sdk {

std::string ScalarString(const DataType& type, const Value& v) {
  if (v.is_null()) return "(null)";
  switch (type.id) {
    case TypeId::kBool: return v.as_bool() ? "true" : "false";
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      char buf[512];
      auto r = std::to_chars(buf, buf + sizeof(buf), v.as_double(), std::chars_format::fixed);
      return std::string(buf, r.ptr);
    }
    case TypeId::kUuid: return uuid::ToString(v.as_string());
    case TypeId::kTimestamp: {
      // Go's time.RFC3339 without fractional seconds.
      int64_t us = v.as_int();
      time_t secs = static_cast<time_t>(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
      struct tm tm;
      gmtime_r(&secs, &tm);
      char buf[32];
      strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
      return buf;
    }
    // Arrow's time, duration, interval and decimal128 types: Ferry's canonical
    // text (ferry/text_codec.h), stable and distinct for distinct values.
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      return ArrowScalarText(type, v);
    default: break;
  }
  switch (v.kind()) {
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kUInt: return std::to_string(v.as_uint());
    case Value::Kind::kString: return v.as_string();
    default: return "";
  }
}

CqIdPlan::CqIdPlan(const TableSchema& own, bool deterministic) {
  std::vector<std::pair<std::string, int>> picked;
  for (size_t i = 0; i < own.columns.size(); ++i)
    if (own.columns[i].primary_key_component) picked.emplace_back(own.columns[i].name, i);
  if (picked.empty() && deterministic) {
    for (size_t i = 0; i < own.columns.size(); ++i)
      if (own.columns[i].primary_key) picked.emplace_back(own.columns[i].name, i);
  }
  std::sort(picked.begin(), picked.end());
  for (auto& [name, i] : picked) columns_.push_back(i);
}

std::string CqIdPlan::Compute(const TableSchema& own, const std::vector<Value>& values) const {
  if (columns_.empty()) return uuid::NewV4();
  // One hashing context per thread, reused row after row.
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> holder(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_MD_CTX* ctx = holder.get();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (size_t k = 0; k < columns_.size(); ++k) {
    const Column& c = own.columns[columns_[k]];
    std::string s = ScalarString(*c.type, values[k]);
    EVP_DigestUpdate(ctx, c.name.data(), c.name.size());
    EVP_DigestUpdate(ctx, s.data(), s.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  static const std::string kZeroNs(16, '\0');
  return uuid::V5(kZeroNs, std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace ferry::sdk
