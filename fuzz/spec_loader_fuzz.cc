// libFuzzer target for the spec loader (src/config): any bytes as a spec
// file, through YAML parsing, ${...} expansion (with an environment and files
// of its own, so the fuzzer never reads the machine's variables or files), strict
// decoding, and, for every source and destination that decodes, option
// validation against a table with every option type. It must return an error
// or a config, never crash, hang or grow without bound. See fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/loader.h"
#include "ferry/options.h"
#include "ferry/redact.h"

namespace {

const ferry::OptionTable& EveryType() {
  static const ferry::OptionTable t = {
      {.name = "s", .type = ferry::OptionType::kString, .default_value = "x"},
      {.name = "i", .type = ferry::OptionType::kInt, .default_value = 1, .min = 0},
      {.name = "b", .type = ferry::OptionType::kBool, .default_value = false},
      {.name = "d", .type = ferry::OptionType::kDuration, .default_value = "1s"},
      {.name = "n", .type = ferry::OptionType::kByteSize, .default_value = "1MiB"},
      {.name = "sl", .type = ferry::OptionType::kStringList, .default_value = nlohmann::json::array()},
      {.name = "il", .type = ferry::OptionType::kIntList, .default_value = nlohmann::json::array()},
      {.name = "o", .type = ferry::OptionType::kObject, .default_value = nullptr},
      {.name = "ol", .type = ferry::OptionType::kObjectList, .default_value = nullptr},
      {.name = "e", .type = ferry::OptionType::kEnum, .default_value = "a", .choices = {"a", "b"}},
      {.name = "p", .type = ferry::OptionType::kString, .default_value = "", .secret = true},
  };
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ferry::config::ExpandOptions expand;
  expand.lookup_env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    if (name == "PASSWORD") return std::string("fuzz-secret-password");
    // Values that are YAML collections (an unquoted ${LIST} becomes one).
    if (name == "LIST") return std::string("[a, {b: [1, 2.5, true, null]}, \"c\"]");
    if (name == "BLOCK") return std::string("- x\n- y: z\n");
    if (name == "BAD") return std::string("[a, {b: ");
    return std::nullopt;
  };
  expand.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  expand.read_file = [](const std::string& path) -> ferry::Result<std::string> {
    if (path == "/dev/null") return std::string();
    if (path == "key.pem") return std::string("-----BEGIN PRIVATE KEY-----\nfuzz-key-material-0123456789\n");
    if (path == "big") return std::string(600 * 1024, 'b');   // a few fit a load; many exceed its budget
    return ferry::Status::NotFound("no such file");
  };
  // The real bounds (250k values, 32 MiB) are tested with memory assertions
  // in src/config/hostile_spec_test.cc; under ASan one maximal alias bomb
  // takes 6 s and 400 MB, so the fuzzer uses bounds 10x lower and keeps
  // exploring the loader's logic.
  expand.max_expanded_values = 25000;
  expand.max_expanded_bytes = 4u << 20;
  // Each input is a fresh load: secrets registered by the last one (tokens,
  // file contents) would otherwise pile up in the process-wide registry.
  struct Forget {
    ~Forget() { ferry::ForgetSecretsForTesting(); }
  } forget;
  auto cfg = ferry::config::LoadConfigFromString(text, "fuzz.yml", expand);
  if (!cfg.ok()) return 0;
  (void)ferry::config::ValidateForSync(*cfg);
  for (const auto& s : cfg->sources)
    (void)ferry::ValidateOptions(EveryType(), s.spec, "source", s.spec_location, s.spec_origin);
  for (const auto& d : cfg->destinations)
    (void)ferry::ValidateOptions(EveryType(), d.spec, "destination", d.spec_location, d.spec_origin);
  return 0;
}
