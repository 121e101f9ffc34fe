#include "plugins/source/test/tables/common.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace ferry::plugins::test {

sdk::Multiplexer ClientsMultiplexer(SpecPtr spec) {
  return [spec]() {
    std::vector<sdk::Client> clients;
    for (int64_t k = 1; k <= spec->num_clients; ++k)
      clients.push_back(sdk::Client{"Client#" + std::to_string(k + 1), std::make_shared<const ClientData>(ClientData{k})});
    return clients;
  };
}

int64_t ClientIdOf(const sdk::ResolveContext& ctx) {
  const auto* d = static_cast<const ClientData*>(ctx.client.data.get());
  return d ? d->client_id : 1;
}

Status BeforeResolve(const Spec& spec, const std::string& table, Immediate immediate,
                     const sdk::ResolveContext& ctx) {
  if (spec.resolve_delay_ms > 0) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(spec.resolve_delay_ms);
    while (std::chrono::steady_clock::now() < until) {
      if (ctx.cancelled.load(std::memory_order_relaxed) || ctx.sink.Cancelled())
        return Status::Cancelled("sync cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (immediate == Immediate::kObey) {
    if (spec.fail_immediately) return Status::IOError("failing immediately");
    if (spec.exit_immediately) {
      // CloudQuery's plugin calls os.Exit(1) here. _Exit skips static
      // destructors, which other resolver threads may still be using.
      std::fflush(nullptr);
      std::_Exit(1);
    }
  }
  if (std::find(spec.fail_tables.begin(), spec.fail_tables.end(), table) != spec.fail_tables.end())
    return Status::IOError("table " + table + " failed on purpose (test source option fail_tables)");
  return Status::OK();
}

}  // namespace ferry::plugins::test
