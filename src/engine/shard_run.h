// Delete-stale across the shards of one run (`ferry sync --shard N/T
// --shard-run ID`), coordinated through the source's state backend.
//
// A table's stale rows may go only when every (table, client) pair of the
// table synced completely in this run (stale_decision.h), and the pairs are
// spread over T processes. So each shard, after its writers finished,
// records in the state backend what it decided for every (destination,
// table): "" (complete here) or why not. The record is one state entry,
// key `_ferry_shard_run:<run>:<source>:<N>`, value JSON:
//   {"source": "<source>", "shard": N, "total": T, "sync_time_us": ...,
//    "invocation_id": "...", "destinations": {"<dest>": {"<table>": "" | "<why not>"}}}
// (one state table may serve several sources of a spec).
// It then reads every record of the run. The shard that finds all T
// records deletes, for each (destination, table) complete in all of them,
// the source's rows older than the earliest sync time of the run's shards
// (rows this run wrote are newer than that; rows of earlier runs older).
// Two shards finishing at once may both see all T and both delete: the
// delete is idempotent. Records are written before they are read, so the
// last of them to write always sees the others (the backend commits each
// write before the next read). A shard that dies never records: its
// tables keep their stale rows until it is re-run with the same run id.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/shard.h"
#include "ferry/state.h"
#include "ferry/status.h"

namespace ferry::engine {

struct ShardRecord {
  std::string source;   // the source's name
  Shard shard;
  int64_t sync_time_us = 0;
  std::string invocation_id;
  // destination -> table -> "" (complete in this shard) or why not.
  std::map<std::string, std::map<std::string, std::string>> tables;
};

std::string ShardRecordKey(const std::string& run, const std::string& source, const Shard& shard);
StateEntry ShardRecordEntry(const std::string& run, const ShardRecord& record);

// The run's records among `state` (the latest entry per key), keyed by N.
// Records of another total are an error (the run id was reused with a
// different --shard T).
Result<std::map<int, ShardRecord>> ShardRecordsOf(const std::string& run, const std::string& source, int total,
                                                  const std::vector<StateEntry>& state);

// What the shard that read `records` does with (destination, table).
struct ShardRunVerdict {
  bool remove = false;
  int64_t before_us = 0;   // remove: delete rows with _cq_sync_time < this
  std::string reason;      // !remove: why the stale rows stay
};
ShardRunVerdict DecideShardRun(const std::string& run, int total, const std::map<int, ShardRecord>& records,
                               const std::string& destination, const std::string& table);

}  // namespace ferry::engine
