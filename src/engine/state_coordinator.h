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
//    A destination with prepared writes (Destination::Prepare) makes this
//    exactly-once: it reports coverage with a token that commits its held
//    rows; the token is written with the cursor in one backend transaction,
//    and committed by the destination after (again at the next sync's start
//    if a crash came between).
// Versions follow CloudQuery's state client: +1 per change of a key.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>
#include <string>

#include "ferry/state.h"

namespace ferry::engine {

// A prepared-writes token (Destination::Prepare) of data writer `writer`,
// as the state entry that records it until its rows are visible.
struct PreparedToken {
  int writer = -1;
  StateEntry entry;
};

// The key of the state entry holding destination `dest`'s token for `table`
// and `client`: "_ferry_prepared:<dest>:<table>:<client>".
std::string PreparedKey(const std::string& dest, const std::string& table, const std::string& client);
// The prefix of every such key of `dest`.
std::string PreparedKeyPrefix(const std::string& dest);

class StateCoordinator {
 public:
  // `commit` writes entries to the backend in one transaction (queued on the
  // backend's writer); `prepared` are the tokens among them, to commit in
  // their destinations once the entries are written.
  using CommitFn = std::function<void(std::vector<StateEntry> entries, std::vector<PreparedToken> prepared)>;
  StateCoordinator(const std::vector<StateEntry>& initial, int data_writers, CommitFn commit);

  // Assigns the next sequence number and version to a checkpoint.
  uint64_t Register(StateEntry& entry);
  // A data writer has durably written every row before checkpoint `seq`;
  // with prepared writes, `prepared` holds its token (entry key and value;
  // the version is assigned here).
  void Covered(uint64_t seq, std::optional<PreparedToken> prepared = std::nullopt);
  // The tokens of `committed_value` (an entry's value as written) are
  // committed: the entry that records what is left of `key` (value "" when
  // nothing is; next version), for the caller to write.
  StateEntry Cleared(const std::string& key, const std::string& committed_value);
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
    std::vector<PreparedToken> prepared;
  };
  const int data_writers_;
  CommitFn commit_;
  mutable std::mutex mu_;
  uint64_t next_seq_ = 1;                        // guarded by mu_
  std::map<std::string, uint64_t> versions_;     // guarded by mu_
  std::map<std::string, std::string> values_;    // guarded by mu_ (initial)
  std::map<uint64_t, Pending> pending_;          // guarded by mu_
  std::map<std::string, bool> key_blocked_;      // guarded by mu_: a covered-write failed
  // Prepared-writes tokens per entry key not yet known committed: a new
  // token's entry carries them too, so one that failed to commit is never
  // overwritten by the next (guarded by mu_).
  std::map<std::string, std::vector<std::string>> outstanding_;
  int64_t committed_ = 0;                        // guarded by mu_
};

}  // namespace ferry::engine
