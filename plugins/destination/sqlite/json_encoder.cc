#include "plugins/destination/sqlite/json_encoder.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void AppendString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

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

int B64Index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

void AppendBase64(std::string_view in, std::string* out) {
  size_t i = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out->push_back(kB64[v >> 18]);
    out->push_back(kB64[(v >> 12) & 63]);
    out->push_back(kB64[(v >> 6) & 63]);
    out->push_back(kB64[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest == 0) return;
  const uint32_t v = (b[i] << 16) | (rest == 2 ? b[i + 1] << 8 : 0);
  out->push_back(kB64[v >> 18]);
  out->push_back(kB64[(v >> 12) & 63]);
  out->push_back(rest == 2 ? kB64[(v >> 6) & 63] : '=');
  out->push_back('=');
}

Result<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return Status::Invalid("base64 text length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = B64Index(c)) < 0) {
        return Status::Invalid("invalid base64 text");
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

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
    case TypeId::kUtf8: case TypeId::kInet: AppendString(a.StringValue(i), out); return;
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
      AppendString(std::string_view(buf, FormatTimestamp(a.Value<int64_t>(i), buf)), out);
      return;
    }
    case TypeId::kDate32: {
      char buf[kMaxTimeText];
      AppendString(std::string_view(buf, FormatDate(a.Value<int32_t>(i), buf)), out);
      return;
    }
    case TypeId::kUuid: {
      char buf[36];
      FormatUuid(a.FixedValue(i), buf);
      AppendString(std::string_view(buf, 36), out);
      return;
    }
    case TypeId::kJson: {
      const std::string_view text = a.StringValue(i);
      if (!text.empty() && nlohmann::json::accept(text)) out->append(text);
      else AppendString(text, out);
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
        AppendString(a.type->children[k].name, out);
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
