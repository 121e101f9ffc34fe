// Sharded syncs: `ferry sync --shard N/T` runs the N-th of T parts of a sync.
//
// The unit of work is a (table, client) pair of a top-level table; relations
// go with their parent's pair. Every shard lists the same pairs (the source's
// tables and the clients its multiplexers return, which must not depend on the
// shard) and AssignShards splits them the same way in every process:
// deterministic, balanced by weight (greedy: heaviest pair first to the least
// loaded shard; equal weights degenerate to round-robin over the sorted
// pairs), and stable (the same pairs give the same split on every run).
// CloudQuery cuts the pair list into T contiguous chunks instead; the pairs
// each shard gets therefore differ from CloudQuery's, the coverage does not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry {

struct Shard {
  int num = 0;     // 1-based, as CloudQuery's --shard N/T; 0 = not sharded
  int total = 0;
  bool sharded() const { return total > 0; }
  std::string ToString() const { return std::to_string(num) + "/" + std::to_string(total); }
};

// "N/T" with 1 <= N <= T. `what` names the flag or variable in errors.
Result<Shard> ParseShard(const std::string& text, const std::string& what);

// The shard of a process from its environment, when no --shard was given:
// FERRY_SHARD="N/T"; or JOB_COMPLETION_INDEX (0-based, set by Kubernetes in
// an Indexed Job's pods) with FERRY_SHARD_TOTAL=T. Not sharded when none is
// set; an error when they are set but wrong or incomplete.
Result<Shard> ShardFromEnvironment();

struct WorkPair {
  std::string table;
  std::string client;
  double weight = 1;   // relative cost, where the source knows a pair is heavy
};

// The 0-based shard index (0 .. total-1) of each pair, in the input's order.
std::vector<int> AssignShards(const std::vector<WorkPair>& pairs, int total);

}  // namespace ferry
