// StateCoordinator: commits cursors only once the rows they cover are durable
// in every destination (docs/architecture.md, "Cursors").
//
// Two modes, chosen per sync:
//  - in-transaction: the state backend is the source's only data destination.
//    Its writer puts each cursor into the same transaction as the rows it
//    covers (WriteRequest::state): after any crash the data and the cursor
//    agree, so a re-run neither loses nor duplicates rows (exactly-once).
//  - coordinated: several destinations, or state kept elsewhere. Every
//    checkpoint gets a sequence number; each data writer reports when the rows
//    before it are durable in its destination; when all have, the cursor is
//    written to the backend (at-least-once, never loss: a crash replays rows
//    newer than the last committed cursor, which overwrite mode makes no-ops).
// Versions follow CloudQuery's state client: +1 per change of a key.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "ferry/state.h"

namespace ferry::engine {

class StateCoordinator {
 public:
  // `commit` writes one entry to the backend (queued on the backend's writer).
  StateCoordinator(const std::vector<StateEntry>& initial, int data_writers,
                   std::function<void(StateEntry)> commit);

  // Assigns the next sequence number and version to a checkpoint.
  uint64_t Register(StateEntry& entry);
  // Data writer `writer` has durably written every row before checkpoint `seq`.
  void Covered(uint64_t seq);
  // A data writer could not write rows that checkpoint `seq` covers: the
  // cursor must not move past them.
  void Abandon(uint64_t seq);

  StateSnapshot Snapshot() const;
  int64_t committed() const;

 private:
  struct Pending {
    StateEntry entry;
    int covered = 0;
    bool abandoned = false;
  };
  const int data_writers_;
  std::function<void(StateEntry)> commit_;
  mutable std::mutex mu_;
  uint64_t next_seq_ = 1;                        // guarded by mu_
  std::map<std::string, uint64_t> versions_;     // guarded by mu_
  std::map<std::string, std::string> values_;    // guarded by mu_ (initial)
  std::map<uint64_t, Pending> pending_;          // guarded by mu_
  std::map<std::string, bool> key_blocked_;      // guarded by mu_: a covered-write failed
  int64_t committed_ = 0;                        // guarded by mu_
};

}  // namespace ferry::engine
