// Option tables: validation, defaults, getters, JSON schema, Markdown, and the
// duration / byte-size parsers shared with the config loader.
#include "ferry/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include "ferry/redact.h"

namespace ferry {
namespace {

using nlohmann::json;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "a string", "an integer", ... for "got ..." in messages.
std::string JsonKind(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::array: return "a list";
    case json::value_t::object: return "a mapping";
    case json::value_t::null: return "null";
    default: return "an unsupported value";
  }
}

std::optional<int64_t> ParseIntString(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A JSON integer, or a string holding one (values from ${ENV} are strings).
std::optional<int64_t> AsInt(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_string()) return ParseIntString(v.get<std::string>());
  return std::nullopt;
}

std::optional<bool> AsBool(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    std::string s = Lower(v.get<std::string>());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

std::string FormatMin(OptionType t, int64_t min) {
  if (t == OptionType::kDuration) {
    return min % 1000 == 0 ? std::to_string(min / 1000) + "s" : std::to_string(min) + "ms";
  }
  if (t == OptionType::kByteSize) return std::to_string(min) + " bytes";
  return std::to_string(min);
}

// Converts one present, non-null value to its stored form. On failure returns
// the text that follows `option "x" ... ` in the message; it never contains
// the value of a secret option.
struct Normalized {
  std::optional<json> value;
  std::string problem;   // "must be ..., got ..."
  std::string pointer_suffix;  // "/2" when a list element is at fault
};

Normalized Fail(std::string problem, std::string suffix = "") {
  return Normalized{std::nullopt, std::move(problem), std::move(suffix)};
}

Normalized Normalize(const OptionSpec& opt, const json& v, const std::string& origin = "") {
  auto shown = [&](const json& x) -> std::string {
    if (opt.secret) return JsonKind(x);
    if (!origin.empty()) return "the value from " + origin;
    std::string text = x.is_string() ? x.get<std::string>() : x.dump();
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return JsonKind(x) + " (" + Redact(x.is_string() ? Quote(text) : text) + ")";
  };
  auto check_min = [&](int64_t n) -> Normalized {
    if (n < opt.min) {
      std::string got = opt.secret ? "" : !origin.empty() ? ", got the value from " + origin
                                                          : ", got " + Redact(FormatMin(opt.type, n));
      return Fail("must be at least " + FormatMin(opt.type, opt.min) + got);
    }
    return Normalized{json(n), "", ""};
  };
  switch (opt.type) {
    case OptionType::kString:
      if (v.is_string()) return Normalized{v, "", ""};
      return Fail("must be a string, got " + shown(v) +
                  (v.is_primitive() ? "; quote the value to use it as text" : ""));
    case OptionType::kInt: {
      auto n = AsInt(v);
      if (!n) return Fail("must be an integer, got " + shown(v));
      return check_min(*n);
    }
    case OptionType::kBool: {
      auto b = AsBool(v);
      if (!b) return Fail("must be true or false, got " + shown(v));
      return Normalized{json(*b), "", ""};
    }
    case OptionType::kDuration: {
      const char* want = "must be a duration such as \"30s\", \"5m\", \"1h30m\" or \"250ms\", "
                         "or an integer number of seconds";
      if (auto n = AsInt(v); n && !v.is_string()) {
        if (*n > std::numeric_limits<int64_t>::max() / 1000 || *n < std::numeric_limits<int64_t>::min() / 1000)
          return Fail(std::string(want) + "; the value is out of range");
        return check_min(*n * 1000);
      }
      if (!v.is_string()) return Fail(std::string(want) + ", got " + shown(v));
      auto ms = ParseDurationMs(v.get<std::string>());
      if (!ms.ok()) return Fail(std::string(want) + ", got " + shown(v));
      return check_min(*ms);
    }
    case OptionType::kByteSize: {
      const char* want = "must be a byte size such as 10MiB, 4MB or 512KiB, or an integer number of bytes";
      if (auto n = AsInt(v); n && !v.is_string()) return check_min(*n);
      if (!v.is_string()) return Fail(std::string(want) + ", got " + shown(v));
      auto b = ParseByteSize(v.get<std::string>());
      if (!b.ok()) return Fail(std::string(want) + ", got " + shown(v));
      return check_min(*b);
    }
    case OptionType::kStringList: {
      if (!v.is_array()) return Fail("must be a list of strings, got " + shown(v));
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string())
          return Fail("must be a list of strings, but item " + std::to_string(i) + " is " + shown(v[i]),
                      "/" + std::to_string(i));
      }
      return Normalized{v, "", ""};
    }
    case OptionType::kIntList: {
      if (!v.is_array()) return Fail("must be a list of integers, got " + shown(v));
      json out = json::array();
      for (size_t i = 0; i < v.size(); ++i) {
        auto n = AsInt(v[i]);
        if (!n)
          return Fail("must be a list of integers, but item " + std::to_string(i) + " is " + shown(v[i]),
                      "/" + std::to_string(i));
        out.push_back(*n);
      }
      return Normalized{out, "", ""};
    }
    case OptionType::kObject:
      if (v.is_object()) return Normalized{v, "", ""};
      return Fail("must be a mapping, got " + shown(v));
    case OptionType::kObjectList: {
      if (v.is_object()) return Normalized{json::array({v}), "", ""};
      if (!v.is_array()) return Fail("must be a list of mappings, got " + shown(v));
      for (size_t i = 0; i < v.size(); ++i)
        if (!v[i].is_object())
          return Fail("must be a list of mappings, but item " + std::to_string(i) + " is " + shown(v[i]),
                      "/" + std::to_string(i));
      return Normalized{v, "", ""};
    }
    case OptionType::kEnum: {
      std::string choices;
      for (const auto& c : opt.choices) choices += (choices.empty() ? "" : ", ") + Quote(c);
      if (!v.is_string()) return Fail("must be one of " + choices + ", got " + shown(v));
      const std::string s = v.get<std::string>();
      if (std::find(opt.choices.begin(), opt.choices.end(), s) != opt.choices.end()) return Normalized{v, "", ""};
      std::string msg = "must be one of " + choices + ", got " + shown(v);
      if (!opt.secret) {
        std::string near = NearestName(s, opt.choices);
        if (!near.empty()) msg += "; did you mean " + Quote(near) + "?";
      }
      return Fail(msg);
    }
  }
  return Fail("has an unknown option type");
}

std::string EscapePointerToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

const OptionSpec* FindOption(const OptionTable& table, const std::string& name) {
  for (const auto& o : table)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

const char* OptionTypeName(OptionType t) {
  switch (t) {
    case OptionType::kString: return "string";
    case OptionType::kInt: return "integer";
    case OptionType::kBool: return "boolean";
    case OptionType::kDuration: return "duration";
    case OptionType::kByteSize: return "byte size";
    case OptionType::kStringList: return "list of strings";
    case OptionType::kIntList: return "list of integers";
    case OptionType::kObject: return "object";
    case OptionType::kObjectList: return "list of objects";
    case OptionType::kEnum: return "enum";
  }
  return "unknown";
}

// ---- Options getters: absent or mistyped values read as zero values. ----

void Options::CheckDeclared(const std::string& name) const {
  if (!declared_) return;
  for (const auto& d : *declared_)
    if (d == name) return;
  std::fprintf(stderr, "ferry: option \"%s\" is read but its table does not declare it\n", name.c_str());
  std::abort();
}

bool Options::Has(const std::string& name) const {
  CheckDeclared(name);
  return values_.is_object() && values_.contains(name) && !values_.at(name).is_null();
}

std::string Options::GetString(const std::string& name) const {
  if (!Has(name) || !values_.at(name).is_string()) return "";
  return values_.at(name).get<std::string>();
}

int64_t Options::GetInt(const std::string& name) const {
  if (!Has(name)) return 0;
  return AsInt(values_.at(name)).value_or(0);
}

bool Options::GetBool(const std::string& name) const {
  if (!Has(name)) return false;
  return AsBool(values_.at(name)).value_or(false);
}

int64_t Options::GetDurationMs(const std::string& name) const { return GetInt(name); }
int64_t Options::GetBytes(const std::string& name) const { return GetInt(name); }

std::vector<std::string> Options::GetStringList(const std::string& name) const {
  std::vector<std::string> out;
  if (!Has(name) || !values_.at(name).is_array()) return out;
  for (const auto& v : values_.at(name))
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::vector<int64_t> Options::GetIntList(const std::string& name) const {
  std::vector<int64_t> out;
  if (!Has(name) || !values_.at(name).is_array()) return out;
  for (const auto& v : values_.at(name))
    if (auto n = AsInt(v)) out.push_back(*n);
  return out;
}

// ---- Validation ----

Result<Options> ValidateOptions(const OptionTable& table, const json& spec, const std::string& what,
                                const LocationFn& where, const LocationFn& origin) {
  auto at = [&](const std::string& pointer) {
    std::string loc = where ? where(pointer) : "";
    return loc.empty() ? std::string() : loc + ": ";
  };
  if (!spec.is_null() && !spec.is_object()) {
    return Status::Invalid(at("") + "the spec of " + what + " must be a mapping of options, got " +
                           JsonKind(spec));
  }
  if (spec.is_object()) {
    for (const auto& [key, value] : spec.items()) {
      if (FindOption(table, key)) continue;
      std::vector<std::string> names;
      for (const auto& o : table) names.push_back(o.name);
      std::string msg = at("/" + EscapePointerToken(key)) + "unknown key " + Quote(key) + " in the spec of " + what;
      std::string near = NearestName(key, names);
      if (!near.empty()) msg += "; did you mean " + Quote(near) + "?";
      if (names.empty()) {
        msg += "; this plugin takes no options";
      } else {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        msg += (near.empty() ? "; valid keys: " : " Valid keys: ") + list;
      }
      return Status::Invalid(msg);
    }
  }
  json out = json::object();
  for (const OptionSpec& opt : table) {
    const json* given = nullptr;
    if (spec.is_object()) {
      auto it = spec.find(opt.name);
      if (it != spec.end() && !it->is_null()) given = &*it;
    }
    const std::string pointer = "/" + EscapePointerToken(opt.name);
    if (given == nullptr) {
      if (opt.required) {
        return Status::Invalid(at("") + "the spec of " + what + " is missing the required key " + Quote(opt.name) +
                               (opt.description.empty() ? "" : " (" + opt.description + ")"));
      }
      if (opt.default_value.is_null()) continue;
      Normalized d = Normalize(opt, opt.default_value);
      if (!d.value) {
        return Status::Internal("the default of option " + Quote(opt.name) + " " + d.problem);
      }
      out[opt.name] = std::move(*d.value);
      continue;
    }
    Normalized n = Normalize(opt, *given, origin ? origin(pointer) : "");
    if (!n.value) {
      return Status::Invalid(at(pointer + n.pointer_suffix) + "key " + Quote(opt.name) + " in the spec of " + what +
                             " " + n.problem);
    }
    out[opt.name] = std::move(*n.value);
  }
  auto declared = std::make_shared<std::vector<std::string>>();
  for (const OptionSpec& opt : table) declared->push_back(opt.name);
  return Options(std::move(out), std::move(declared));
}

// ---- Schema and docs ----

json OptionsJsonSchema(const OptionTable& table) {
  json props = json::object();
  json required = json::array();
  auto int_or_numeric_string = [](json integer) {
    return json{{"anyOf", json::array({integer, json{{"type", "string"}, {"pattern", "^[-+]?[0-9]+$"}}})}};
  };
  for (const auto& o : table) {
    json p;
    switch (o.type) {
      case OptionType::kString: p = {{"type", "string"}}; break;
      case OptionType::kInt: {
        json i = {{"type", "integer"}};
        if (o.min != INT64_MIN) i["minimum"] = o.min;
        p = int_or_numeric_string(i);
        break;
      }
      case OptionType::kBool: p = {{"type", "boolean"}}; break;
      case OptionType::kDuration:
        p = {{"anyOf", json::array({json{{"type", "integer"}},
                                    json{{"type", "string"},
                                         {"pattern", "^[-+]?([0-9]+|([0-9]*(\\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)$"}}})}};
        break;
      case OptionType::kByteSize:
        p = {{"anyOf",
              json::array({json{{"type", "integer"}, {"minimum", 0}},
                           json{{"type", "string"},
                                {"pattern", "^[0-9]+(\\.[0-9]+)? ?([kKmMgGtT][iI]?)?[bB]$|^[0-9]+$"}}})}};
        break;
      case OptionType::kStringList: p = {{"type", "array"}, {"items", {{"type", "string"}}}}; break;
      case OptionType::kIntList: p = {{"type", "array"}, {"items", {{"type", "integer"}}}}; break;
      case OptionType::kObject: p = {{"type", "object"}}; break;
      case OptionType::kObjectList: p = {{"type", "array"}, {"items", {{"type", "object"}}}}; break;
      case OptionType::kEnum: p = {{"type", "string"}, {"enum", o.choices}}; break;
    }
    if (!o.description.empty()) p["description"] = o.description;
    if (o.secret) {
      p["writeOnly"] = true;
    } else if (!o.default_value.is_null()) {
      p["default"] = o.default_value;
    }
    props[o.name] = std::move(p);
    if (o.required) required.push_back(o.name);
  }
  json schema = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                 {"type", "object"},
                 {"properties", std::move(props)},
                 {"additionalProperties", false}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

void AddBatchingOptions(OptionTable* table, const BatchingDefaults& d) {
  std::string ramp;
  if (d.ramp_up) {
    ramp = " (the first " + std::to_string(BatchingDefaults::kRampUpSteps) + " of each table and client: ";
    for (int step = BatchingDefaults::kRampUpSteps; step >= 1; --step)
      ramp += (step == 1 ? "then 1/" : "1/") + std::to_string(1 << step) + (step == 1 ? "" : ", ");
    ramp += " of it, so writing starts while the source still produces)";
  }
  table->push_back({.name = "batch_size",
                    .type = OptionType::kInt,
                    .default_value = d.rows,
                    .description = "Rows buffered per table before they are " + d.unit + ramp,
                    .min = 1});
  table->push_back({.name = "batch_size_bytes",
                    .type = OptionType::kByteSize,
                    .default_value = d.bytes,
                    .description = "Bytes buffered per table before they are " + d.unit + ramp,
                    .min = 1});
  table->push_back({.name = "batch_timeout",
                    .type = OptionType::kDuration,
                    .default_value = d.timeout,
                    .description = "Longest time rows wait in the buffer before they are " + d.unit,
                    .min = 1});
}

std::string OptionsMarkdown(const OptionTable& table) {
  auto cell = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c == '|') out += "\\|";
      else if (c == '\n') out += ' ';
      else out += c;
    }
    return out;
  };
  std::ostringstream md;
  md << "| Name | Type | Default | Description |\n|---|---|---|---|\n";
  for (const auto& o : table) {
    std::string type = OptionTypeName(o.type);
    if (o.type == OptionType::kEnum) {
      type = "one of";
      for (size_t i = 0; i < o.choices.size(); ++i) type += (i ? ", `" : " `") + o.choices[i] + "`";
    }
    std::string def;
    if (o.required) def = "required";
    else if (o.default_value.is_null()) def = "";
    else if (o.secret) def = "(secret)";
    else if (o.default_value.is_string()) def = "`" + o.default_value.get<std::string>() + "`";
    else def = "`" + o.default_value.dump() + "`";
    if (def == "``") def = "`\"\"`";
    md << "| `" << o.name << "` | " << cell(type) << " | " << cell(def) << " | " << cell(o.description) << " |\n";
  }
  return md.str();
}

// ---- Parsers ----

Result<int64_t> ParseDurationMs(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::Invalid("invalid duration " + Quote(text) + ": " + why);
  };
  std::string_view s = text;
  if (s.empty()) return bad("empty");
  if (auto secs = ParseIntString(s)) {  // a bare integer is a number of seconds
    if (*secs > INT64_MAX / 1000 || *secs < INT64_MIN / 1000) return bad("out of range");
    return *secs * 1000;
  }
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"ns", 1}, {"us", 1000}, {"\xC2\xB5s", 1000}, {"\xCE\xBCs", 1000}, {"ms", 1000000},
      {"s", 1000000000}, {"m", 60LL * 1000000000}, {"h", 3600LL * 1000000000}};
  __int128 total_ns = 0;
  const __int128 kLimit = static_cast<__int128>(INT64_MAX) * 1000000;
  if (s.empty()) return bad("missing number");
  while (!s.empty()) {
    size_t i = 0;
    __int128 whole = 0, frac = 0, scale = 1;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      whole = whole * 10 + (s[i++] - '0');
      digits = true;
      if (whole > kLimit) return bad("out of range");
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        if (scale < 1000000000000000000LL) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
        ++i;
        digits = true;
      }
    }
    if (!digits) return bad("expected a number before the unit");
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
    std::string_view unit = s.substr(0, u);
    if (unit.empty()) return bad("missing unit; use ns, us, ms, s, m or h (e.g. \"30s\", \"1h30m\")");
    int64_t mult = 0;
    for (const auto& [name, m] : kUnits)
      if (unit == name) mult = m;
    if (mult == 0) return bad("unknown unit \"" + std::string(unit) + "\"; use ns, us, ms, s, m or h");
    total_ns += whole * mult + frac * mult / scale;
    if (total_ns > kLimit) return bad("out of range");
    s.remove_prefix(u);
  }
  int64_t ms = static_cast<int64_t>(total_ns / 1000000);
  return negative ? -ms : ms;
}

Result<int64_t> ParseByteSize(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::Invalid("invalid byte size " + Quote(text) + ": " + why);
  };
  if (auto n = ParseIntString(text)) {
    if (*n < 0) return bad("must not be negative");
    return *n;
  }
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number = text.substr(0, i);
  std::string unit = Lower(text.substr(i));
  if (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1 || number == ".")
    return bad("expected a number followed by a unit such as KiB, MiB, GiB, KB, MB or GB");
  static const std::pair<const char*, double> kUnits[] = {
      {"b", 1.0},          {"kb", 1e3},          {"mb", 1e6},
      {"gb", 1e9},         {"tb", 1e12},         {"kib", 1024.0},
      {"mib", 1048576.0},  {"gib", 1073741824.0}, {"tib", 1099511627776.0}};
  double mult = 0;
  for (const auto& [name, m] : kUnits)
    if (unit == name) mult = m;
  if (mult == 0) return bad("unknown unit; use B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)");
  double value = std::strtod(number.c_str(), nullptr) * mult;
  if (!std::isfinite(value) || value >= 9.2e18) return bad("out of range");
  return static_cast<int64_t>(std::llround(value));
}

std::string NearestName(const std::string& name, const std::vector<std::string>& candidates) {
  // Levenshtein distance, case-insensitive, two rolling rows.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  const std::string lname = Lower(name);
  const size_t threshold = std::max<size_t>(2, name.size() / 3);
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = distance(lname, Lower(c));
    // The second condition avoids "suggesting" a word that shares nothing with the input.
    if (d <= threshold && d < std::max(c.size(), name.size()) && d < best_d) {
      best = c;
      best_d = d;
    }
  }
  // A truncated name ("table" for "table_name"): the shortest candidate it starts.
  if (best.empty() && name.size() >= 4) {
    for (const auto& c : candidates) {
      if (c.size() > name.size() && Lower(c).rfind(lname, 0) == 0 && (best.empty() || c.size() < best.size())) best = c;
    }
  }
  return best;
}

}  // namespace ferry
