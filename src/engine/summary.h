// SyncSummary: everything a sync did, per table and in total. Every error of
// the sync (source, destination, migration, delete-stale) ends up here, and
// the CLI's exit code is derived from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/api_call_figures.h"
#include "ferry/version.h"

namespace ferry::engine {

inline constexpr const char* kFerryVersion = ferry::kVersion;   // from CMake's project(VERSION)

struct TableSummary {
  int64_t rows = 0;               // resolved by the source
  int64_t errors = 0;
  int64_t warnings = 0;
  int clients_done = 0;
  int clients_failed = 0;
  int64_t duration_ms = 0;        // from sync start to the last client's TableDone
  std::map<std::string, int64_t> rows_written;   // per destination
  ApiCallFigures api;                            // the source's API calls for this table
  std::vector<std::string> messages;             // errors and notes, in order
};

struct DestinationSummary {
  std::string name, path, version, write_mode;
  int64_t errors = 0;
  int64_t warnings = 0;
};

struct SyncSummary {
  std::string sync_id;
  std::string source_name, source_path, source_version;
  std::vector<DestinationSummary> destinations;
  std::chrono::system_clock::time_point sync_time;
  int64_t duration_ms = 0;
  std::string sync_group_id;
  int shard_num = 0, shard_total = 0;   // --shard N/T; 0: not sharded
  std::map<std::string, TableSummary> tables;
  std::vector<std::string> errors;     // every error, with its table / destination named
  std::vector<std::string> warnings;
  std::vector<std::string> notes;      // not errors: e.g. stale rows kept for a failed table
  int64_t peak_memory_bytes = 0;       // peak of the sync's byte budget in use

  int64_t TotalRows() const;
  bool ok() const { return errors.empty(); }

  // One JSON object per destination with exactly CloudQuery's
  // --summary-location fields, in its order; `ferry_fields` adds Ferry's
  // (errors, warnings, peak_memory_bytes).
  std::vector<nlohmann::ordered_json> ToJsonLines(const std::string& cli_version, bool ferry_fields = false) const;
  // Human-readable table for the terminal.
  std::string ToText() const;
};

// One line per distinct message: messages that differ only in the table they
// name are printed once with a count and the first and last table.
std::vector<std::string> AggregateMessages(const std::vector<std::string>& messages);

}  // namespace ferry::engine
