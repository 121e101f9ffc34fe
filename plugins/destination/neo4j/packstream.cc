#include "plugins/destination/neo4j/packstream.h"

#include <cmath>
#include <cstring>

#include <cstdio>

namespace ferry::plugins::neo4j::bolt {
namespace {

std::string Hex2(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X", b);
  return buf;
}

// PackStream markers.
constexpr uint8_t kNullM = 0xC0, kFloat64M = 0xC1, kFalseM = 0xC2, kTrueM = 0xC3;
constexpr uint8_t kInt8M = 0xC8, kInt16M = 0xC9, kInt32M = 0xCA, kInt64M = 0xCB;
constexpr uint8_t kBytes8M = 0xCC, kBytes16M = 0xCD, kBytes32M = 0xCE;
constexpr uint8_t kTinyStringM = 0x80, kString8M = 0xD0, kString16M = 0xD1, kString32M = 0xD2;
constexpr uint8_t kTinyListM = 0x90, kList8M = 0xD4, kList16M = 0xD5, kList32M = 0xD6;
constexpr uint8_t kTinyMapM = 0xA0, kMap8M = 0xD8, kMap16M = 0xD9, kMap32M = 0xDA;
constexpr uint8_t kTinyStructM = 0xB0;
constexpr int kMaxDepth = 64;

void PutBE(std::string* out, uint64_t v, int bytes) {
  char buf[8];
  for (int i = 0; i < bytes; ++i) buf[i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  out->append(buf, bytes);
}

uint64_t GetBE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

const char* SigName(uint8_t s) {
  switch (s) {
    case sig::kNode: return "Node";
    case sig::kRelationship: return "Relationship";
    case sig::kDate: return "Date";
    case sig::kTime: return "Time";
    case sig::kLocalTime: return "LocalTime";
    case sig::kDateTime: return "DateTime";
    case sig::kLegacyDateTime: return "LegacyDateTime";
    case sig::kDateTimeZoneId: return "DateTimeZoneId";
    case sig::kLocalDateTime: return "LocalDateTime";
    case sig::kDuration: return "Duration";
    default: return nullptr;
  }
}

class Reader {
 public:
  Reader(std::string_view d, size_t* pos) : d_(d), pos_(pos) {}

  Result<PackValue> Read(int depth) {
    if (depth > kMaxDepth) return Status::Invalid("PackStream value nested deeper than 64 levels");
    FERRY_ASSIGN_OR_RETURN(uint8_t m, Byte());
    if (m < 0x80) return PackValue::Int(m);
    if (m >= 0xF0) return PackValue::Int(static_cast<int8_t>(m));
    switch (m & 0xF0) {
      case kTinyStringM: return Str(m & 0x0F, false);
      case kTinyListM: return Lst(m & 0x0F, depth);
      case kTinyMapM: return Mp(m & 0x0F, depth);
      case kTinyStructM: return Strct(m & 0x0F, depth);
      default: break;
    }
    switch (m) {
      case kNullM: return PackValue();
      case kTrueM: return PackValue::Bool(true);
      case kFalseM: return PackValue::Bool(false);
      case kFloat64M: {
        FERRY_ASSIGN_OR_RETURN(uint64_t bits, Uint(8));
        double f;
        std::memcpy(&f, &bits, 8);
        return PackValue::Float(f);
      }
      case kInt8M: { FERRY_ASSIGN_OR_RETURN(uint64_t v, Uint(1)); return PackValue::Int(static_cast<int8_t>(v)); }
      case kInt16M: { FERRY_ASSIGN_OR_RETURN(uint64_t v, Uint(2)); return PackValue::Int(static_cast<int16_t>(v)); }
      case kInt32M: { FERRY_ASSIGN_OR_RETURN(uint64_t v, Uint(4)); return PackValue::Int(static_cast<int32_t>(v)); }
      case kInt64M: { FERRY_ASSIGN_OR_RETURN(uint64_t v, Uint(8)); return PackValue::Int(static_cast<int64_t>(v)); }
      case kString8M: case kString16M: case kString32M: {
        FERRY_ASSIGN_OR_RETURN(uint64_t n, Uint(m == kString8M ? 1 : m == kString16M ? 2 : 4));
        return Str(n, false);
      }
      case kBytes8M: case kBytes16M: case kBytes32M: {
        FERRY_ASSIGN_OR_RETURN(uint64_t n, Uint(m == kBytes8M ? 1 : m == kBytes16M ? 2 : 4));
        return Str(n, true);
      }
      case kList8M: case kList16M: case kList32M: {
        FERRY_ASSIGN_OR_RETURN(uint64_t n, Uint(m == kList8M ? 1 : m == kList16M ? 2 : 4));
        return Lst(n, depth);
      }
      case kMap8M: case kMap16M: case kMap32M: {
        FERRY_ASSIGN_OR_RETURN(uint64_t n, Uint(m == kMap8M ? 1 : m == kMap16M ? 2 : 4));
        return Mp(n, depth);
      }
      default:
        return Status::Invalid("unknown PackStream marker 0x" + Hex2(m) + " at byte " + std::to_string(*pos_ - 1));
    }
  }

 private:
  Result<uint8_t> Byte() {
    if (*pos_ >= d_.size()) return Truncated();
    return static_cast<uint8_t>(d_[(*pos_)++]);
  }
  Result<uint64_t> Uint(int bytes) {
    if (d_.size() - *pos_ < static_cast<size_t>(bytes)) return Truncated();
    uint64_t v = GetBE(d_.data() + *pos_, bytes);
    *pos_ += bytes;
    return v;
  }
  Status Truncated() const { return Status::Invalid("PackStream value truncated at byte " + std::to_string(*pos_)); }

  Result<PackValue> Str(uint64_t n, bool bytes) {
    if (d_.size() - *pos_ < n) return Truncated();
    std::string s(d_.substr(*pos_, n));
    *pos_ += n;
    return bytes ? PackValue::Bytes(std::move(s)) : PackValue::String(std::move(s));
  }
  Result<PackValue> Lst(uint64_t n, int depth) {
    if (n > d_.size() - *pos_) return Truncated();  // every element takes a byte at least
    PackValue::List l;
    l.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_ASSIGN_OR_RETURN(PackValue v, Read(depth + 1));
      l.push_back(std::move(v));
    }
    return PackValue::MakeList(std::move(l));
  }
  Result<PackValue> Mp(uint64_t n, int depth) {
    if (n > d_.size() - *pos_) return Truncated();
    PackValue::Map m;
    m.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_ASSIGN_OR_RETURN(PackValue k, Read(depth + 1));
      if (k.kind() != PackValue::Kind::kString) return Status::Invalid("PackStream map key is not a string");
      FERRY_ASSIGN_OR_RETURN(PackValue v, Read(depth + 1));
      m.emplace_back(k.as_string(), std::move(v));
    }
    return PackValue::MakeMap(std::move(m));
  }
  Result<PackValue> Strct(uint64_t n, int depth) {
    FERRY_ASSIGN_OR_RETURN(uint8_t s, Byte());
    PackValue::List fields;
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_ASSIGN_OR_RETURN(PackValue v, Read(depth + 1));
      fields.push_back(std::move(v));
    }
    return PackValue::Struct(s, std::move(fields));
  }

  std::string_view d_;
  size_t* pos_;
};

}  // namespace

void Packer::Null() { out_->push_back(static_cast<char>(kNullM)); }
void Packer::Bool(bool v) { out_->push_back(static_cast<char>(v ? kTrueM : kFalseM)); }

void Packer::Int(int64_t v) {
  if (v >= -16 && v <= 127) {
    out_->push_back(static_cast<char>(static_cast<int8_t>(v)));
  } else if (v >= INT8_MIN && v <= INT8_MAX) {
    out_->push_back(static_cast<char>(kInt8M));
    PutBE(out_, static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out_->push_back(static_cast<char>(kInt16M));
    PutBE(out_, static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out_->push_back(static_cast<char>(kInt32M));
    PutBE(out_, static_cast<uint64_t>(v), 4);
  } else {
    out_->push_back(static_cast<char>(kInt64M));
    PutBE(out_, static_cast<uint64_t>(v), 8);
  }
}

void Packer::Float(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  out_->push_back(static_cast<char>(kFloat64M));
  PutBE(out_, bits, 8);
}

void Packer::SizedHeader(uint32_t size, uint8_t tiny, uint8_t m8, uint8_t m16, uint8_t m32) {
  if (tiny != 0 && size < 16) {
    out_->push_back(static_cast<char>(tiny | size));
  } else if (size <= 0xFF) {
    out_->push_back(static_cast<char>(m8));
    PutBE(out_, size, 1);
  } else if (size <= 0xFFFF) {
    out_->push_back(static_cast<char>(m16));
    PutBE(out_, size, 2);
  } else {
    out_->push_back(static_cast<char>(m32));
    PutBE(out_, size, 4);
  }
}

void Packer::String(std::string_view utf8) {
  SizedHeader(static_cast<uint32_t>(utf8.size()), kTinyStringM, kString8M, kString16M, kString32M);
  out_->append(utf8);
}

void Packer::Bytes(std::string_view bytes) {
  SizedHeader(static_cast<uint32_t>(bytes.size()), 0, kBytes8M, kBytes16M, kBytes32M);
  out_->append(bytes);
}

void Packer::ListHeader(uint32_t size) { SizedHeader(size, kTinyListM, kList8M, kList16M, kList32M); }
void Packer::MapHeader(uint32_t size) { SizedHeader(size, kTinyMapM, kMap8M, kMap16M, kMap32M); }

void Packer::StructHeader(uint8_t fields, uint8_t signature) {
  out_->push_back(static_cast<char>(kTinyStructM | (fields & 0x0F)));
  out_->push_back(static_cast<char>(signature));
}

PackValue PackValue::Bool(bool v) { PackValue p; p.kind_ = Kind::kBool; p.b_ = v; return p; }
PackValue PackValue::Int(int64_t v) { PackValue p; p.kind_ = Kind::kInt; p.i_ = v; return p; }
PackValue PackValue::Float(double v) { PackValue p; p.kind_ = Kind::kFloat; p.f_ = v; return p; }
PackValue PackValue::String(std::string v) { PackValue p; p.kind_ = Kind::kString; p.s_ = std::move(v); return p; }
PackValue PackValue::Bytes(std::string v) { PackValue p; p.kind_ = Kind::kBytes; p.s_ = std::move(v); return p; }
PackValue PackValue::MakeList(List v) { PackValue p; p.kind_ = Kind::kList; p.list_ = std::move(v); return p; }
PackValue PackValue::MakeMap(Map v) { PackValue p; p.kind_ = Kind::kMap; p.map_ = std::move(v); return p; }
PackValue PackValue::Struct(uint8_t signature, List fields) {
  PackValue p;
  p.kind_ = Kind::kStruct;
  p.sig_ = signature;
  p.list_ = std::move(fields);
  return p;
}

const PackValue* PackValue::Find(std::string_view key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (const auto& [k, v] : map_)
    if (k == key) return &v;
  return nullptr;
}

std::string PackValue::GetString(std::string_view key, const std::string& def) const {
  const PackValue* v = Find(key);
  return v && v->kind() == Kind::kString ? v->as_string() : def;
}

std::string PackValue::ToString() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return b_ ? "true" : "false";
    case Kind::kInt: return std::to_string(i_);
    case Kind::kFloat: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", f_);
      return buf;
    }
    case Kind::kString: {
      std::string s = "\"";
      for (char c : s_) s += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      return s + "\"";
    }
    case Kind::kBytes: {
      std::string s = "#";
      for (unsigned char c : s_) s += Hex2(c);
      return s;
    }
    case Kind::kList:
    case Kind::kStruct: {
      std::string s;
      if (kind_ == Kind::kStruct) {
        const char* n = SigName(sig_);
        s = n ? n : "Struct<0x" + Hex2(sig_) + ">";
        s += "(";
      } else {
        s = "[";
      }
      for (size_t i = 0; i < list_.size(); ++i) s += (i ? ", " : "") + list_[i].ToString();
      return s + (kind_ == Kind::kStruct ? ")" : "]");
    }
    case Kind::kMap: {
      std::string s = "{";
      for (size_t i = 0; i < map_.size(); ++i) s += (i ? ", " : "") + map_[i].first + ": " + map_[i].second.ToString();
      return s + "}";
    }
  }
  return "?";
}

bool PackValue::operator==(const PackValue& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return b_ == o.b_;
    case Kind::kInt: return i_ == o.i_;
    case Kind::kFloat: return std::memcmp(&f_, &o.f_, sizeof f_) == 0 || f_ == o.f_;
    case Kind::kString: case Kind::kBytes: return s_ == o.s_;
    case Kind::kList: return list_ == o.list_;
    case Kind::kStruct: return sig_ == o.sig_ && list_ == o.list_;
    case Kind::kMap: return map_ == o.map_;
  }
  return false;
}

void PackValue::Pack(Packer& p) const {
  switch (kind_) {
    case Kind::kNull: p.Null(); break;
    case Kind::kBool: p.Bool(b_); break;
    case Kind::kInt: p.Int(i_); break;
    case Kind::kFloat: p.Float(f_); break;
    case Kind::kString: p.String(s_); break;
    case Kind::kBytes: p.Bytes(s_); break;
    case Kind::kList:
      p.ListHeader(static_cast<uint32_t>(list_.size()));
      for (const auto& v : list_) v.Pack(p);
      break;
    case Kind::kStruct:
      p.StructHeader(static_cast<uint8_t>(list_.size()), sig_);
      for (const auto& v : list_) v.Pack(p);
      break;
    case Kind::kMap:
      p.MapHeader(static_cast<uint32_t>(map_.size()));
      for (const auto& [k, v] : map_) {
        p.String(k);
        v.Pack(p);
      }
      break;
  }
}

Result<PackValue> Unpack(std::string_view data, size_t* pos) { return Reader(data, pos).Read(0); }

}  // namespace ferry::plugins::neo4j::bolt
