#include "plugins/destination/sqlite/json_encoder.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

namespace {

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

template <typename F>
void AppendFloat(F v, std::string* out) {
  if (std::isnan(v)) out->append("\"NaN\"");
  else if (std::isinf(v)) out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  else if (v == 0 && std::signbit(v)) out->append("-0.0");  // "-0" would parse as the integer 0
  else AppendNumber(v, out);  // shortest text that parses back to v
}

}  // namespace

void AppendJson(const ArrayData& a, int64_t i, std::string* out) {
  if (a.IsNull(i)) {
    out->append("null");
    return;
  }
  switch (a.type->id) {
    case TypeId::kBool: out->append(a.BoolValue(i) ? "true" : "false"); return;
    case TypeId::kInt8: AppendNumber<int64_t>(a.Value<int8_t>(i), out); return;
    case TypeId::kInt16: AppendNumber<int64_t>(a.Value<int16_t>(i), out); return;
    case TypeId::kInt32: AppendNumber<int64_t>(a.Value<int32_t>(i), out); return;
    case TypeId::kInt64: AppendNumber<int64_t>(a.Value<int64_t>(i), out); return;
    case TypeId::kUInt8: AppendNumber<uint64_t>(a.Value<uint8_t>(i), out); return;
    case TypeId::kUInt16: AppendNumber<uint64_t>(a.Value<uint16_t>(i), out); return;
    case TypeId::kUInt32: AppendNumber<uint64_t>(a.Value<uint32_t>(i), out); return;
    case TypeId::kUInt64: AppendNumber<uint64_t>(a.Value<uint64_t>(i), out); return;
    case TypeId::kFloat32: AppendFloat(a.Value<float>(i), out); return;
    case TypeId::kFloat64: AppendFloat(a.Value<double>(i), out); return;
    case TypeId::kUtf8: case TypeId::kInet: AppendJsonString(a.StringValue(i), out); return;
    case TypeId::kBinary: case TypeId::kMac:
      out->push_back('"');
      AppendBase64(a.StringValue(i), out);
      out->push_back('"');
      return;
    case TypeId::kFixedSizeBinary:
      out->push_back('"');
      AppendBase64(a.FixedValue(i), out);
      out->push_back('"');
      return;
    case TypeId::kTimestamp: {
      char buf[kMaxTimeText];
      AppendJsonString(std::string_view(buf, FormatTimestamp(a.Value<int64_t>(i), buf)), out);
      return;
    }
    case TypeId::kDate32: {
      char buf[kMaxTimeText];
      AppendJsonString(std::string_view(buf, FormatDate(a.Value<int32_t>(i), buf)), out);
      return;
    }
    case TypeId::kUuid: {
      char buf[36];
      FormatUuid(a.FixedValue(i), buf);
      AppendJsonString(std::string_view(buf, 36), out);
      return;
    }
    case TypeId::kJson: {
      const std::string_view text = a.StringValue(i);
      if (!text.empty() && nlohmann::json::accept(text)) out->append(text);
      else AppendJsonString(text, out);
      return;
    }
    case TypeId::kList: {
      auto [begin, end] = a.ListRange(i);
      out->push_back('[');
      for (int64_t k = begin; k < end; ++k) {
        if (k != begin) out->push_back(',');
        AppendJson(*a.children[0], k, out);
      }
      out->push_back(']');
      return;
    }
    case TypeId::kStruct: {
      out->push_back('{');
      for (size_t k = 0; k < a.children.size(); ++k) {
        if (k) out->push_back(',');
        AppendJsonString(a.type->children[k].name, out);
        out->push_back(':');
        // Struct children are sliced with their parent (batch.cc): row i of
        // the struct is row i of each child.
        AppendJson(*a.children[k], i, out);
      }
      out->push_back('}');
      return;
    }
  }
  out->append("null");
}

}  // namespace ferry::plugins::sqlite
