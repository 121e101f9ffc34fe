#include "plugins/destination/clickhouse/native_decoder.h"

#include <charconv>
#include <cctype>
#include <cstring>
#include <map>

namespace ferry::plugins::clickhouse {

namespace {

class TypeParser {
 public:
  explicit TypeParser(std::string_view s) : s_(s) {}

  Result<TypeNode> Parse() {
    FERRY_ASSIGN_OR_RETURN(TypeNode t, Type());
    Skip();
    if (pos_ != s_.size()) return Fail("unexpected text after the type");
    return t;
  }

 private:
  Status Fail(const std::string& why) const {
    return Status::Invalid("cannot parse ClickHouse type \"" + std::string(s_) + "\": " + why);
  }
  void Skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  std::string Ident() {
    Skip();
    if (pos_ < s_.size() && s_[pos_] == '`') {
      std::string out;
      for (++pos_; pos_ < s_.size() && s_[pos_] != '`'; ++pos_) {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        out.push_back(s_[pos_]);
      }
      if (pos_ < s_.size()) ++pos_;  // the closing backtick; an unclosed one ends the text (found by fuzzing)
      return out;
    }
    const size_t b = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }
  std::string Literal() {
    Skip();
    const size_t b = pos_;
    char quote = 0;
    for (; pos_ < s_.size(); ++pos_) {
      const char c = s_[pos_];
      if (quote) {
        if (c == '\\')
          ++pos_;
        else if (c == quote)
          quote = 0;
      } else if (c == '\'') {
        quote = c;
      } else if (c == ',' || c == ')') {
        break;
      }
    }
    std::string out(s_.substr(b, pos_ - b));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }
  Result<TypeNode> Args(TypeNode t) {
    Skip();
    if (pos_ >= s_.size() || s_[pos_] != '(') return t;
    ++pos_;
    for (;;) {
      Skip();
      if (pos_ >= s_.size()) return Fail("missing )");
      const char c = s_[pos_];
      if (c == '\'' || c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
        t.literals.push_back(Literal());
      } else {
        const bool quoted = c == '`';
        std::string first = Ident();
        if (first.empty()) return Fail("expected a type");
        Skip();
        const bool named = quoted || (pos_ < s_.size() && s_[pos_] != '(' && s_[pos_] != ',' && s_[pos_] != ')');
        TypeNode arg;
        if (named) {
          FERRY_ASSIGN_OR_RETURN(arg, Type());
          arg.element_name = first;
        } else {
          arg.name = first;
          FERRY_ASSIGN_OR_RETURN(arg, Args(std::move(arg)));
        }
        t.args.push_back(std::move(arg));
      }
      Skip();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ')') {
        ++pos_;
        return t;
      }
      return Fail("expected , or )");
    }
  }
  Result<TypeNode> Type() {
    TypeNode t;
    t.name = Ident();
    if (t.name.empty()) return Fail("expected a type name");
    return Args(std::move(t));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool done() const { return pos_ >= d_.size(); }
  Status Need(size_t n) const {
    if (d_.size() - pos_ < n) return Status::Invalid("Native data ends early at byte " + std::to_string(pos_));
    return Status::OK();
  }
  Result<uint64_t> Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      FERRY_RETURN_NOT_OK(Need(1));
      const uint8_t b = static_cast<uint8_t>(d_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Status::Invalid("bad varint in Native data");
  }
  Result<std::string_view> Bytes(size_t n) {
    FERRY_RETURN_NOT_OK(Need(n));
    std::string_view v = d_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  Result<std::string_view> String() {
    FERRY_ASSIGN_OR_RETURN(uint64_t n, Varint());
    return Bytes(static_cast<size_t>(n));
  }
  template <typename T>
  Result<T> Fixed() {
    FERRY_ASSIGN_OR_RETURN(std::string_view b, Bytes(sizeof(T)));
    T v;
    std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

template <typename T, typename Make>
Status Numbers(Reader& r, uint64_t n, std::vector<Value>* out, Make make) {
  for (uint64_t i = 0; i < n; ++i) {
    FERRY_ASSIGN_OR_RETURN(T v, r.Fixed<T>());
    out->push_back(make(v));
  }
  return Status::OK();
}

Status DecodeColumn(const TypeNode& t, uint64_t n, Reader& r, std::vector<Value>* out) {
  auto I = [](auto v) { return Value::Int(static_cast<int64_t>(v)); };
  auto U = [](auto v) { return Value::UInt(static_cast<uint64_t>(v)); };
  auto D = [](auto v) { return Value::Double(static_cast<double>(v)); };
  const std::string& k = t.name;
  if (k == "Nullable") {
    FERRY_ASSIGN_OR_RETURN(std::string_view map, r.Bytes(n));
    std::vector<Value> inner;
    FERRY_RETURN_NOT_OK(DecodeColumn(t.args.at(0), n, r, &inner));
    for (uint64_t i = 0; i < n; ++i) out->push_back(map[i] ? Value::Null() : std::move(inner[i]));
    return Status::OK();
  }
  if (k == "Array") {
    std::vector<uint64_t> ends(n);
    for (auto& e : ends) {
      FERRY_ASSIGN_OR_RETURN(e, r.Fixed<uint64_t>());
    }
    std::vector<Value> items;
    FERRY_RETURN_NOT_OK(DecodeColumn(t.args.at(0), n ? ends.back() : 0, r, &items));
    uint64_t b = 0;
    for (uint64_t e : ends) {
      if (e < b || e > items.size()) return Status::Invalid("bad Array offsets in Native data");
      out->push_back(Value::List(
          std::vector<Value>(std::make_move_iterator(items.begin() + b), std::make_move_iterator(items.begin() + e))));
      b = e;
    }
    return Status::OK();
  }
  if (k == "Tuple") {
    std::vector<std::vector<Value>> elems(t.args.size());
    for (size_t j = 0; j < t.args.size(); ++j) FERRY_RETURN_NOT_OK(DecodeColumn(t.args[j], n, r, &elems[j]));
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<Value> row;
      for (auto& e : elems) row.push_back(std::move(e[i]));
      out->push_back(Value::List(std::move(row)));
    }
    return Status::OK();
  }
  if (k == "Int8") return Numbers<int8_t>(r, n, out, I);
  if (k == "Int16") return Numbers<int16_t>(r, n, out, I);
  if (k == "Int32" || k == "Date32") return Numbers<int32_t>(r, n, out, I);
  if (k == "Int64" || k == "DateTime64") return Numbers<int64_t>(r, n, out, I);
  if (k == "UInt8" || k == "Bool") return Numbers<uint8_t>(r, n, out, U);
  if (k == "UInt16" || k == "Date") return Numbers<uint16_t>(r, n, out, U);
  if (k == "UInt32" || k == "DateTime") return Numbers<uint32_t>(r, n, out, U);
  if (k == "UInt64") return Numbers<uint64_t>(r, n, out, U);
  if (k == "Float32") return Numbers<float>(r, n, out, D);
  if (k == "Float64") return Numbers<double>(r, n, out, D);
  if (k == "Nothing") return Numbers<uint8_t>(r, n, out, [](uint8_t) { return Value::Null(); });
  if (k == "String") {
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_ASSIGN_OR_RETURN(std::string_view s, r.String());
      out->push_back(Value::String(std::string(s)));
    }
    return Status::OK();
  }
  if (k == "Decimal") {  // Decimal(P, S): Int32, Int64 or Int128 by P; the unscaled value as decimal128 bytes
    int p = 0;
    const std::string lit = t.literals.empty() ? "" : t.literals[0];
    auto [e, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), p);
    if (lit.empty() || ec != std::errc() || p < 1 || p > 38) return Status::Invalid("column type Decimal(" + lit + ") has no valid precision");
    const size_t w = p <= 9 ? 4 : p <= 18 ? 8 : 16;
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(w));
      std::string v(16, (b[w - 1] & 0x80) ? '\xff' : '\0');  // sign-extended, little-endian
      std::memcpy(v.data(), b.data(), w);
      out->push_back(Value::String(std::move(v)));
    }
    return Status::OK();
  }
  if (k == "FixedString" || k == "UUID") {
    size_t w = 16;
    if (k == "FixedString") {
      const std::string lit = t.literals.empty() ? "" : t.literals[0];
      auto [p, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), w);
      if (lit.empty() || ec != std::errc() || p != lit.data() + lit.size() || w == 0 || w > (1u << 20))
        return Status::Invalid("column type FixedString(" + lit + ") has no valid width");
    }
    for (uint64_t i = 0; i < n; ++i) {
      FERRY_ASSIGN_OR_RETURN(std::string_view s, r.Bytes(w));
      std::string v(s);
      if (k == "UUID")
        for (int j = 0; j < 8; ++j) {
          v[j] = s[7 - j];
          v[8 + j] = s[15 - j];
        }
      out->push_back(Value::String(std::move(v)));
    }
    return Status::OK();
  }
  return Status::Unsupported("cannot decode ClickHouse type " + k + " from Native data");
}

}  // namespace

Result<TypeNode> ParseType(std::string_view text) { return TypeParser(text).Parse(); }

Result<std::vector<DecodedColumn>> DecodeNative(std::string_view data) {
  std::vector<DecodedColumn> cols;
  std::map<std::string, size_t> index;
  std::map<std::string, TypeNode> parsed;
  Reader r(data);
  while (!r.done()) {
    FERRY_ASSIGN_OR_RETURN(uint64_t ncols, r.Varint());
    FERRY_ASSIGN_OR_RETURN(uint64_t nrows, r.Varint());
    for (uint64_t c = 0; c < ncols; ++c) {
      FERRY_ASSIGN_OR_RETURN(std::string_view name, r.String());
      FERRY_ASSIGN_OR_RETURN(std::string_view type, r.String());
      const std::string key(name);
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, cols.size()).first;
        cols.push_back({key, std::string(type), {}});
      }
      auto p = parsed.find(std::string(type));
      if (p == parsed.end()) {
        FERRY_ASSIGN_OR_RETURN(TypeNode node, ParseType(type));
        p = parsed.emplace(std::string(type), std::move(node)).first;
      }
      FERRY_RETURN_NOT_OK(DecodeColumn(p->second, nrows, r, &cols[it->second].values));
    }
  }
  return cols;
}

}  // namespace ferry::plugins::clickhouse
