#include "plugins/destination/neo4j/neo4j_spec.h"

#include "ferry/option_binder.h"

namespace ferry::plugins::neo4j {
namespace {

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.String(&Spec::connection_string,
           {.name = "connection_string",
            .default_value = "discard://",
            .description = "Where rows go; the neo4j accepts only `discard://` (it keeps nothing)",
            .secret = true});
  b.Check([](Spec* s) {
    if (s->connection_string.rfind("discard://", 0) != 0)
      return Status::Invalid("connection_string must start with discard:// (the neo4j keeps nothing)");
    return Status::OK();
  });
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

}  // namespace ferry::plugins::neo4j
