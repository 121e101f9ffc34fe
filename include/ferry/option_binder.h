// Options bound to fields.
//
// An integration declares each key of its `spec:` once, with the field it
// fills, its type, default, description and bounds:
//
//   struct Spec { std::string path; int64_t busy_timeout_ms; Mode mode; };
//   void Declare(OptionBinder<Spec>& b) {
//     b.String(&Spec::path, {.name = "path", .description = "...", .required = true});
//     b.Duration(&Spec::busy_timeout_ms, {.name = "busy_timeout", .default_value = "5s", .min = 0});
//     b.Enum(&Spec::mode, {.name = "mode", .default_value = "wal"}, {{"wal", Mode::kWal}, {"off", Mode::kOff}});
//     b.Check([](Spec* s) { return s->path.empty() ? Status::Invalid("...") : Status::OK(); });
//   }
//   const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }
//   Result<Spec> ParseSpec(const Options& o) { return BinderOf<Spec>(Declare).Parse(o); }
//
// table() is the OptionTable the registry, validation, --help, the JSON
// schema and the docs read; Parse() fills a Spec from Options validated
// against it. The plugin never reads an option by name, so a misspelt name
// cannot compile (it is a member pointer); a key bound twice aborts at start-up
// (every test binary runs it).
//
// Custom() binds a key the plugin decodes itself (nested mappings, rule
// lists): its setter gets the validated JSON value, or null when the key is
// absent and has no default. Ignored() accepts a key for compatibility and
// reads nothing. Check() runs after every key, for rules across keys.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry {

template <typename Spec>
class OptionBinder {
 public:
  using json = nlohmann::json;
  // Receives the validated value (durations in ms, byte sizes in bytes), or
  // null when the key is absent and has no default.
  using Setter = std::function<Status(const json& value, Spec* out)>;

  OptionBinder& String(std::string Spec::*field, OptionSpec o) {
    o.type = OptionType::kString;
    return Bind(std::move(o), [field](const json& v, Spec* s) {
      if (v.is_string()) s->*field = v.get<std::string>();
      return Status::OK();
    });
  }
  OptionBinder& Int(int64_t Spec::*field, OptionSpec o) { return Integer(field, OptionType::kInt, std::move(o)); }
  // Stored in milliseconds.
  OptionBinder& Duration(int64_t Spec::*field, OptionSpec o) {
    return Integer(field, OptionType::kDuration, std::move(o));
  }
  // Stored in bytes.
  OptionBinder& ByteSize(int64_t Spec::*field, OptionSpec o) {
    return Integer(field, OptionType::kByteSize, std::move(o));
  }
  OptionBinder& Bool(bool Spec::*field, OptionSpec o) {
    o.type = OptionType::kBool;
    return Bind(std::move(o), [field](const json& v, Spec* s) {
      if (v.is_boolean()) s->*field = v.get<bool>();
      return Status::OK();
    });
  }
  OptionBinder& StringList(std::vector<std::string> Spec::*field, OptionSpec o) {
    o.type = OptionType::kStringList;
    return Bind(std::move(o), [field](const json& v, Spec* s) {
      if (v.is_array()) s->*field = v.get<std::vector<std::string>>();
      return Status::OK();
    });
  }
  OptionBinder& IntList(std::vector<int64_t> Spec::*field, OptionSpec o) {
    o.type = OptionType::kIntList;
    return Bind(std::move(o), [field](const json& v, Spec* s) {
      if (v.is_array()) s->*field = v.get<std::vector<int64_t>>();
      return Status::OK();
    });
  }
  // A free-form mapping kept as JSON (validated by a Check or by its reader).
  OptionBinder& Object(json Spec::*field, OptionSpec o) {
    o.type = OptionType::kObject;
    return Bind(std::move(o), [field](const json& v, Spec* s) {
      s->*field = v;
      return Status::OK();
    });
  }
  // One of `choices`; the table lists their names in this order.
  template <typename E>
  OptionBinder& Enum(E Spec::*field, OptionSpec o, std::vector<std::pair<std::string, E>> choices) {
    o.type = OptionType::kEnum;
    o.choices.clear();
    for (const auto& c : choices) o.choices.push_back(c.first);
    const std::string name = o.name;
    return Bind(std::move(o), [field, choices = std::move(choices), name](const json& v, Spec* s) {
      if (v.is_null()) return Status::OK();
      for (const auto& [text, value] : choices) {
        if (v.is_string() && v.get<std::string>() == text) {
          s->*field = value;
          return Status::OK();
        }
      }
      return Status::Internal("option \"" + name + "\" has a value its choices do not bind");
    });
  }
  OptionBinder& Custom(OptionSpec o, Setter set) { return Bind(std::move(o), std::move(set)); }
  OptionBinder& Ignored(OptionSpec o) {
    return Bind(std::move(o), [](const json&, Spec*) { return Status::OK(); });
  }
  OptionBinder& Check(std::function<Status(Spec*)> check) {
    checks_.push_back(std::move(check));
    return *this;
  }

  const OptionTable& table() const { return table_; }

  // Fills a Spec from Options that ValidateOptions returned for table() (or
  // for a table containing it, as the registry's is: keys the binder does not
  // know are the engine's). Options built by hand from JSON are validated
  // against table() first.
  Result<Spec> Parse(const Options& options) const {
    if (!options.validated()) {
      FERRY_ASSIGN_OR_RETURN(Options checked, ValidateOptions(table_, options.json(), "this plugin", nullptr));
      return Parse(checked);
    }
    Spec spec{};
    static const json kNull;
    for (size_t i = 0; i < table_.size(); ++i) {
      const json& v = options.Has(table_[i].name) ? options.json().at(table_[i].name) : kNull;
      FERRY_RETURN_NOT_OK(setters_[i](v, &spec));
    }
    for (const auto& check : checks_) FERRY_RETURN_NOT_OK(check(&spec));
    return spec;
  }

 private:
  OptionBinder& Integer(int64_t Spec::*field, OptionType type, OptionSpec o) {
    o.type = type;
    return Bind(std::move(o), [field](const json& v, Spec* s) {
      if (v.is_number_integer()) s->*field = v.get<int64_t>();
      return Status::OK();
    });
  }

  OptionBinder& Bind(OptionSpec o, Setter set) {
    for (const auto& existing : table_) {
      if (existing.name == o.name) {
        // A programming error in a plugin: found by any test that loads it.
        std::fprintf(stderr, "ferry: option \"%s\" is bound twice\n", o.name.c_str());
        std::abort();
      }
    }
    table_.push_back(std::move(o));
    setters_.push_back(std::move(set));
    return *this;
  }

  OptionTable table_;
  std::vector<Setter> setters_;
  std::vector<std::function<Status(Spec*)>> checks_;
};

// The binder of `Spec`, built once (thread-safe) by `declare` on first use.
// A plugin's spec.cc defines SpecOptions() and ParseSpec() with it:
//   const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }
template <typename Spec>
const OptionBinder<Spec>& BinderOf(void (*declare)(OptionBinder<Spec>&)) {
  static const OptionBinder<Spec> binder = [declare] {
    OptionBinder<Spec> b;
    declare(b);
    return b;
  }();
  return binder;
}

}  // namespace ferry
