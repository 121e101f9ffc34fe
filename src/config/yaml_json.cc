#include "config/yaml_json.h"

#include <algorithm>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "ferry/redact.h"

namespace ferry::config {

void SourceMap::Add(const std::string& pointer, int line, int column) {
  marks_.emplace(pointer, std::make_pair(line, column));
}

Location SourceMap::Find(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = marks_.find(p);
    if (it != marks_.end()) return Location{file_, it->second.first, it->second.second};
    if (p.empty()) return Location{file_, 0, 0};
    p.erase(p.rfind('/') == std::string::npos ? 0 : p.rfind('/'));
  }
}

std::string AppendPointer(const std::string& pointer, const std::string& token) {
  std::string out = pointer + "/";
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string LastToken(const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  if (slash == std::string::npos) return "";
  std::string raw = pointer.substr(slash + 1), out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '~' && i + 1 < raw.size()) {
      out += raw[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += raw[i];
    }
  }
  return out;
}

namespace {

using nlohmann::json;

// Types a plain scalar (YAML 1.2 core schema, with the exceptions listed in
// the header).
json InferPlain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view body = s;
  bool negative = false;
  if (body.front() == '-' || body.front() == '+') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  auto all_of = [](std::string_view v, const char* set) {
    return !v.empty() && v.find_first_not_of(set) == std::string_view::npos;
  };
  if (all_of(body, "0123456789")) {
    if (body.size() > 1 && body.front() == '0') return s;  // "0123": keep the digits as written
    int64_t i = 0;
    const char* first = negative ? s.data() : body.data();
    auto [p, ec] = std::from_chars(first, s.data() + s.size(), i);
    if (ec == std::errc() && p == s.data() + s.size()) return i;
    uint64_t u = 0;
    if (!negative) {
      auto [pu, ecu] = std::from_chars(body.data(), body.data() + body.size(), u);
      if (ecu == std::errc() && pu == body.data() + body.size()) return u;
    }
    return s;  // too large for 64 bits: keep every digit
  }
  if (!negative && s.front() != '+' && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    std::string_view digits = std::string_view(s).substr(2);
    int base = s[1] == 'x' ? 16 : 8;
    if (all_of(digits, base == 16 ? "0123456789abcdefABCDEF" : "01234567")) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i, base);
      if (ec == std::errc() && p == digits.data() + digits.size()) return i;
    }
    return s;
  }
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kFloat)) {
    double d = std::strtod(s.c_str(), nullptr);
    if (std::isfinite(d)) return d;
  }
  return s;
}

// Hides each ${...} from the YAML parser, as CloudQuery does with numeric
// placeholders: inside flow collections `{`, `}` and `,` are syntax, so
// `spec: {dsn: ${PG}}` would not parse. Each occurrence becomes a token of the
// same length ("$" open base62-index close) so that columns stay exact; the
// open/close characters are chosen among ones absent from the text, so a
// token cannot be confused with anything the user wrote.
class Shield {
 public:
  explicit Shield(const std::string& text) : text_(text) {
    static const char kCandidates[] = "^~()<>=+;!%";
    for (const char* c = kCandidates; *c && !close_; ++c) {
      if (text.find(*c) != std::string::npos) continue;
      if (!open_) open_ = *c;
      else close_ = *c;
    }
    if (!close_) return;  // every candidate is in use: leave the text alone
    size_t pos = 0;
    while ((pos = text_.find("${", pos)) != std::string::npos) {
      size_t end = text_.find('}', pos + 2);
      if (end == std::string::npos) break;
      size_t len = end - pos - 2;
      std::string body = Encode(originals_.size(), len);
      if (len == 0 || text_.find('\n', pos) < end || body.empty()) {
        pos = end + 1;
        continue;
      }
      originals_.push_back(text_.substr(pos, end - pos + 1));
      text_.replace(pos, end - pos + 1, std::string("$") + open_ + body + close_);
      pos = end + 1;
    }
  }

  const std::string& text() const { return text_; }

  std::string Restore(const std::string& s) const {
    if (originals_.empty()) return s;
    std::string out;
    size_t pos = 0;
    const std::string start = std::string("$") + open_;
    while (true) {
      size_t at = s.find(start, pos);
      size_t end = at == std::string::npos ? at : s.find(close_, at + 2);
      if (end == std::string::npos) break;
      out.append(s, pos, at - pos);
      size_t index = Decode(s.substr(at + 2, end - at - 2));
      out += index < originals_.size() ? originals_[index] : s.substr(at, end - at + 1);
      pos = end + 1;
    }
    out.append(s, pos, std::string::npos);
    return out;
  }

 private:
  static constexpr const char* kDigits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  // `n` in base 62, left-padded to `width`; "" when it does not fit.
  static std::string Encode(size_t n, size_t width) {
    std::string out;
    do {
      out.insert(out.begin(), kDigits[n % 62]);
      n /= 62;
    } while (n > 0);
    if (out.size() > width) return "";
    return std::string(width - out.size(), '0') + out;
  }

  static size_t Decode(const std::string& body) {
    size_t n = 0;
    for (char c : body) {
      const char* p = std::strchr(kDigits, c);
      if (p == nullptr || c == '\0') return SIZE_MAX;
      n = n * 62 + static_cast<size_t>(p - kDigits);
    }
    return n;
  }

  std::string text_;
  char open_ = 0, close_ = 0;
  std::vector<std::string> originals_;
};

Status CheckParserTerminates(const std::string& text, const std::string& file, int first_line);

// "NAME" when `text` is exactly one ${NAME} environment reference.
std::optional<std::string> WholeEnvReference(const std::string& text) {
  if (text.size() < 4 || text.rfind("${", 0) != 0 || text.back() != '}') return std::nullopt;
  const std::string name = text.substr(2, text.size() - 3);
  if (name.empty() || name.find_first_of("${}:") != std::string::npos) return std::nullopt;
  return name;
}

class Converter {
 public:
  Converter(SourceMap* map, int first_line, const ExpandOptions& expand, const Shield& shield,
            ExpansionBudget* budget)
      : map_(map), first_line_(first_line), expand_(expand), shield_(shield), budget_(budget) {}

  Result<json> Convert(const YAML::Node& node, const std::string& pointer, const std::string& key) {
    FERRY_RETURN_NOT_OK(Count(node.Mark(), 1, 0));
    // Nesting is bounded before the recursion can exhaust the stack.
    struct Depth {
      int& d;
      explicit Depth(int& x) : d(++x) {}
      ~Depth() { --d; }
    } depth(depth_);
    if (depth_ > kMaxNesting)
      return Status::Invalid(At(node.Mark()).ToString() + ": lists and mappings nested more than " +
                             std::to_string(kMaxNesting) + " levels deep");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return Scalar(node, pointer, key);
      case YAML::NodeType::Sequence: {
        json arr = json::array();
        for (size_t i = 0; i < node.size(); ++i) {
          std::string p = AppendPointer(pointer, std::to_string(i));
          FERRY_RETURN_NOT_OK(Record(p, node[i].Mark()));
          FERRY_ASSIGN_OR_RETURN(json item, Convert(node[i], p, key));
          arr.push_back(std::move(item));
        }
        return arr;
      }
      case YAML::NodeType::Map: {
        json obj = json::object();
        FERRY_RETURN_NOT_OK(Map(node, pointer, &obj, 0));
        return obj;
      }
    }
    return json(nullptr);
  }

 private:
  Location At(const YAML::Mark& m) const {
    if (m.is_null()) return Location{map_->file(), 0, 0};
    return Location{map_->file(), m.line + first_line_, m.column + 1};
  }

  // The source map keeps every pointer, and a pointer repeats its ancestors'
  // keys: its bytes count against the budget too (an alias repeated under
  // long keys would otherwise grow the map without bound).
  Status Record(const std::string& pointer, const YAML::Mark& m) {
    Location l = At(m);
    if (l.line > 0) map_->Add(pointer, l.line, l.column);
    return Count(m, 0, pointer.size());
  }

  // Counts converted values and scalar bytes against the section's bounds.
  Status Count(const YAML::Mark& mark, size_t values, size_t bytes) {
    budget_->values += values;
    budget_->bytes += bytes;
    const size_t max_values = expand_.max_expanded_values ? std::min(expand_.max_expanded_values, kMaxExpandedValues)
                                                          : kMaxExpandedValues;
    const size_t max_bytes = expand_.max_expanded_bytes ? std::min(expand_.max_expanded_bytes, kMaxExpandedBytes)
                                                        : kMaxExpandedBytes;
    if (budget_->values <= max_values && budget_->bytes <= max_bytes) return Status::OK();
    return Status::Invalid(At(mark).ToString() + ": this YAML expands to more than " +
                           std::to_string(max_values) + " values or " +
                           std::to_string(max_bytes >> 20) +
                           " MiB of text, which no spec needs; aliases (*name) that repeat an anchor many "
                           "times over (a \"billion laughs\" document) are the usual cause");
  }

  Result<json> Scalar(const YAML::Node& node, const std::string& pointer, const std::string& key) {
    FERRY_RETURN_NOT_OK(Count(node.Mark(), 0, node.Scalar().size()));
    const std::string text = shield_.Restore(node.Scalar());
    if (HasVariables(text)) {
      auto expanded = ExpandVariables(text, At(node.Mark()).ToString(), key, expand_);
      if (!expanded.ok()) return expanded.status();
      // What the value became (a ${file:...} is up to 1 MiB) is what memory holds.
      FERRY_RETURN_NOT_OK(Count(node.Mark(), 0, expanded->size()));
      map_->MarkExpanded(pointer, text);
      // CloudQuery substitutes ${ENV} in the file's text before it parses the
      // YAML, so `tables: ${TABLES}` with TABLES='[a, b]' (or a block list) is
      // a list there: an unquoted value that is exactly one variable holding
      // a YAML list or mapping becomes that list or mapping here too. Not for
      // secret-looking names: their parts could not be masked one by one.
      if (node.Tag() == "?") {
        if (auto name = WholeEnvReference(text); name && !LooksSecretName(*name) && !LooksSecretName(key)) {
          FERRY_ASSIGN_OR_RETURN(std::optional<json> structured, Structured(*expanded, node.Mark(), *name, 0));
          if (structured) return std::move(*structured);
        }
      }
      return json(std::move(expanded).value());
    }
    if (node.Tag() == "?") return InferPlain(text);
    return json(text);  // quoted, block, or explicitly tagged: a string as written
  }

  // The value of ${name} as YAML when it is a list or mapping (it starts
  // with '[', '{' or "- "); nullopt otherwise. Its scalars are typed as plain
  // YAML scalars are and are not expanded again (CloudQuery substitutes once).
  Result<std::optional<json>> Structured(const std::string& value, const YAML::Mark& mark, const std::string& name,
                                         int depth) {
    const size_t first = value.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return std::optional<json>();
    const bool looks = value[first] == '[' || value[first] == '{' || value.compare(first, 2, "- ") == 0;
    if (!looks) return std::optional<json>();
    const Location at = At(mark);
    auto bad = [&](const std::string& why) {
      return Status::Invalid(at.ToString() + ": the value of ${" + name + "} is a YAML " + why +
                             " (CloudQuery reads a variable's value as YAML; quote the reference, \"${" + name +
                             "}\", to keep it a string)");
    };
    FERRY_RETURN_NOT_OK(CheckParserTerminates(value, at.file, at.line));
    YAML::Node node;
    try {
      node = YAML::Load(value);
    } catch (const YAML::Exception& e) {
      return bad("list or mapping that does not parse: " + Redact(e.msg));
    }
    if (!node.IsSequence() && !node.IsMap()) return std::optional<json>();
    std::function<Result<json>(const YAML::Node&, int)> plain = [&](const YAML::Node& n, int d) -> Result<json> {
      FERRY_RETURN_NOT_OK(Count(mark, 1, n.IsScalar() ? n.Scalar().size() : 0));
      if (d > kMaxNesting) return bad("nested more than " + std::to_string(kMaxNesting) + " levels deep");
      switch (n.Type()) {
        case YAML::NodeType::Scalar: return n.Tag() == "?" ? InferPlain(n.Scalar()) : json(n.Scalar());
        case YAML::NodeType::Sequence: {
          json arr = json::array();
          for (size_t i = 0; i < n.size(); ++i) {
            FERRY_ASSIGN_OR_RETURN(json item, plain(n[i], d + 1));
            arr.push_back(std::move(item));
          }
          return arr;
        }
        case YAML::NodeType::Map: {
          json obj = json::object();
          for (auto it = n.begin(); it != n.end(); ++it) {
            const YAML::Node k = it->first;
            if (!k.IsScalar()) return bad("mapping with a key that is not text");
            FERRY_ASSIGN_OR_RETURN(json v, plain(it->second, d + 1));
            obj[k.Scalar()] = std::move(v);
          }
          return obj;
        }
        default: return json(nullptr);
      }
    };
    try {
      FERRY_ASSIGN_OR_RETURN(json out, plain(node, depth));
      return std::optional<json>(std::move(out));
    } catch (const YAML::Exception& e) {
      return bad("value that cannot be read: " + Redact(e.msg));
    }
  }

  // Explicit keys first, then the keys of `<<` merges that are not already set.
  Status Map(const YAML::Node& node, const std::string& pointer, json* obj, int depth) {
    if (depth > 32) return Status::Invalid(At(node.Mark()).ToString() + ": merge keys nested too deeply");
    std::vector<YAML::Node> merges;
    std::unordered_map<std::string, int> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: the iterator's pair is a temporary (yaml-cpp nodes are handles).
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (!k.IsScalar()) {
        return Status::Invalid(At(k.Mark()).ToString() + ": mapping keys must be plain text, not lists or mappings");
      }
      const std::string name = shield_.Restore(k.Scalar());
      if (name == "<<" && k.Tag() == "?") {
        merges.push_back(v);
        continue;
      }
      if (depth == 0) {
        auto [pos, fresh] = first_line.emplace(name, At(k.Mark()).line);
        if (!fresh) {
          return Status::Invalid(At(k.Mark()).ToString() + ": key \"" + name + "\" is repeated (first at line " +
                                 std::to_string(pos->second) + ")");
        }
      }
      if (obj->contains(name)) continue;  // set by the including mapping
      std::string p = AppendPointer(pointer, name);
      FERRY_RETURN_NOT_OK(Count(k.Mark(), 0, name.size()));   // each copy of an object holds its keys
      FERRY_RETURN_NOT_OK(Record(p, k.Mark()));
      FERRY_ASSIGN_OR_RETURN(json value, Convert(v, p, name));
      (*obj)[name] = std::move(value);
    }
    for (const YAML::Node& m : merges) {
      if (m.IsMap()) {
        FERRY_RETURN_NOT_OK(Map(m, pointer, obj, depth + 1));
      } else if (m.IsSequence()) {
        for (auto item = m.begin(); item != m.end(); ++item) {
          const YAML::Node each = *item;
          if (!each.IsMap()) return Status::Invalid(At(each.Mark()).ToString() + ": a merge key (<<) takes mappings");
          FERRY_RETURN_NOT_OK(Map(each, pointer, obj, depth + 1));
        }
      } else {
        return Status::Invalid(At(m.Mark()).ToString() + ": a merge key (<<) takes a mapping or a list of mappings");
      }
    }
    return Status::OK();
  }

  SourceMap* map_;
  int first_line_;
  const ExpandOptions& expand_;
  const Shield& shield_;
  ExpansionBudget* budget_;
  int depth_ = 0;
};

}  // namespace

namespace {

// yaml-cpp 0.7 (Debian 12's) loops forever in LoadAll on some malformed
// streams: a stray ',' at the top level (a file that is just ",") yields an
// empty document without consuming the token, again and again, each one a new
// node: gigabytes in seconds. A first pass with a handler that keeps nothing
// stops at the first document that starts where the previous one did.
class NoProgressGuard : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark.pos; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  int start = -1;
};

// OK when yaml-cpp reads `text` to its end; an error naming the line where it
// stopped making progress otherwise. YAML errors themselves are left to the
// real parse (they throw there too, with the same message).
Status CheckParserTerminates(const std::string& text, const std::string& file, int first_line) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  NoProgressGuard guard;
  int previous = -2;
  try {
    for (size_t docs = 0; parser.HandleNextDocument(guard); ++docs) {
      if (guard.start == previous || docs > text.size() + 1) {
        int line = 1, col = 1;
        for (int i = 0; i < guard.start && i < static_cast<int>(text.size()); ++i) {
          if (text[i] == '\n') {
            ++line;
            col = 1;
          } else {
            ++col;
          }
        }
        return Status::Invalid(file + ":" + std::to_string(line + first_line - 1) + ":" + std::to_string(col) +
                               ": invalid YAML: unexpected text at the top level (a ',' outside [ ] or { }?)");
      }
      previous = guard.start;
    }
  } catch (const YAML::Exception&) {
    return Status::OK();
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<YamlDocument>> ParseYamlSection(const std::string& text, const std::string& file, int first_line,
                                                   const ExpandOptions& expand, ExpansionBudget* budget) {
  ExpansionBudget local;
  if (!budget) budget = &local;
  std::vector<YAML::Node> nodes;
  const Shield shield(text);
  FERRY_RETURN_NOT_OK(CheckParserTerminates(shield.text(), file, first_line));
  try {
    nodes = YAML::LoadAll(shield.text());
  } catch (const YAML::Exception& e) {
    Location l{file, e.mark.is_null() ? 0 : e.mark.line + first_line, e.mark.is_null() ? 0 : e.mark.column + 1};
    return Status::Invalid(l.ToString() + ": invalid YAML: " + Redact(e.msg));
  }
  std::vector<YamlDocument> docs;
  for (const YAML::Node& node : nodes) {
    auto map = std::make_shared<SourceMap>(file);
    Converter conv(map.get(), first_line, expand, shield, budget);
    Result<json> value = json(nullptr);
    try {
      if (!node.Mark().is_null()) map->Add("", node.Mark().line + first_line, node.Mark().column + 1);
      value = conv.Convert(node, "", "");
    } catch (const YAML::Exception& e) {
      return Status::Invalid(file + ": cannot read YAML: " + Redact(e.msg));
    }
    if (!value.ok()) return value.status();
    docs.push_back(YamlDocument{std::move(value).value(), std::move(map)});
  }
  return docs;
}

}  // namespace ferry::config
