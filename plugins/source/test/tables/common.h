// Pieces shared by the tables of the `test` source: the client multiplexer
// and the behaviour every resolver runs first (delays, injected failures).
//
// Clients mirror CloudQuery's test plugin: client k (1-based) has
// client_id k and the id string "Client#<k+1>" (CloudQuery's ID() adds one
// to an already 1-based number; kept so per-client output matches).
// Everything here is stateless apart from the shared, read-only Spec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ferry/sdk/table_source.h"
#include "plugins/source/test/test_spec.h"

namespace ferry::plugins::test {

using SpecPtr = std::shared_ptr<const Spec>;

// What Client::data points to.
struct ClientData {
  int64_t client_id;  // 1..num_clients
};

// Clients 1..spec.num_clients.
sdk::Multiplexer ClientsMultiplexer(SpecPtr spec);

// The client_id of the resolving client (1 when the client carries no data).
int64_t ClientIdOf(const sdk::ResolveContext& ctx);

// Whether a table follows CloudQuery's fail_immediately / exit_immediately.
enum class Immediate { kObey, kIgnore };

// Runs before every resolver: sleeps resolve_delay (returns Cancelled if the
// sync is cancelled meanwhile), honours exit_immediately (the process exits
// with status 1, as CloudQuery's plugin does), fail_immediately and fail_tables.
Status BeforeResolve(const Spec& spec, const std::string& table, Immediate immediate,
                     const sdk::ResolveContext& ctx);

// splitmix64: a cheap, well-mixed 64-bit hash for deterministic values.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace ferry::plugins::test
