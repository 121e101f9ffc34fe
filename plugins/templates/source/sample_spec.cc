#include "plugins/templates/source/sample_spec.h"

#include "ferry/option_binder.h"

namespace ferry::plugins::sample {
namespace {

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.String(&Spec::endpoint, {.name = "endpoint",
                             .description = "Base URL of the API, such as `https://api.example.com` (an "
                                            "emulator's `http://127.0.0.1:PORT` in tests)",
                             .required = true});
  b.Int(&Spec::concurrency, {.name = "concurrency", .default_value = 4,
                             .description = "Worker threads resolving (table, client) pairs", .min = 1});
  b.Int(&Spec::rate_per_second, {.name = "rate_per_second", .default_value = 0,
                                 .description = "Requests per second per host (0: no limit until the API "
                                                "throttles, then adaptive)",
                                 .min = 0});
  b.Duration(&Spec::request_timeout_ms, {.name = "request_timeout", .default_value = "60s",
                                         .description = "Timeout of one HTTP request", .min = 1});
  b.Check([](Spec* s) {
    if (s->endpoint.rfind("http://", 0) != 0 && s->endpoint.rfind("https://", 0) != 0)
      return Status::Invalid("endpoint must be an http:// or https:// URL");
    return Status::OK();
  });
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::sample
