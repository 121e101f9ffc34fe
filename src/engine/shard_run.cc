#include "engine/shard_run.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ferry::engine {

namespace {
const char kPrefix[] = "_ferry_shard_run:";
}

std::string ShardRecordKey(const std::string& run, const std::string& source, const Shard& shard) {
  return kPrefix + run + ":" + source + ":" + std::to_string(shard.num);
}

StateEntry ShardRecordEntry(const std::string& run, const ShardRecord& r) {
  nlohmann::ordered_json j;
  j["source"] = r.source;
  j["shard"] = r.shard.num;
  j["total"] = r.shard.total;
  j["sync_time_us"] = r.sync_time_us;
  j["invocation_id"] = r.invocation_id;
  j["destinations"] = nlohmann::ordered_json::object();
  for (const auto& [dest, tables] : r.tables) {
    auto& d = j["destinations"][dest];
    d = nlohmann::ordered_json::object();
    for (const auto& [table, why] : tables) d[table] = why;
  }
  // The version orders re-runs of a shard (a later attempt wins).
  return StateEntry{ShardRecordKey(run, r.source, r.shard), j.dump(), static_cast<uint64_t>(std::max<int64_t>(0, r.sync_time_us))};
}

Result<std::map<int, ShardRecord>> ShardRecordsOf(const std::string& run, const std::string& source, int total,
                                                  const std::vector<StateEntry>& state) {
  const std::string prefix = kPrefix + run + ":" + source + ":";
  std::map<int, ShardRecord> out;
  for (const auto& e : state) {
    if (e.key.rfind(prefix, 0) != 0 || e.value.empty()) continue;   // empty: reset by `ferry state reset`
    const std::string what = "state backend entry " + e.key;
    auto j = nlohmann::json::parse(e.value, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::Invalid(what + ": not a shard record (JSON object)");
    ShardRecord r;
    try {
      r.source = j.at("source").get<std::string>();
      r.shard.num = j.at("shard").get<int>();
      r.shard.total = j.at("total").get<int>();
      r.sync_time_us = j.at("sync_time_us").get<int64_t>();
      r.invocation_id = j.value("invocation_id", "");
      for (const auto& [dest, tables] : j.at("destinations").items())
        for (const auto& [table, why] : tables.items()) r.tables[dest][table] = why.get<std::string>();
    } catch (const nlohmann::json::exception& ex) {
      return Status::Invalid(what + ": malformed shard record: " + ex.what());
    }
    if (r.source != source) continue;   // a run id with ':' in it, seen through another source's prefix
    if (r.shard.total != total)
      return Status::Invalid("shard run \"" + run + "\": shard " + r.shard.ToString() + " was recorded with " +
                             std::to_string(r.shard.total) + " shards, this one has " + std::to_string(total) +
                             "; every shard of a run needs the same T (use a new --shard-run id for a new split)");
    out[r.shard.num] = std::move(r);
  }
  return out;
}

ShardRunVerdict DecideShardRun(const std::string& run, int total, const std::map<int, ShardRecord>& records,
                               const std::string& destination, const std::string& table) {
  std::vector<std::string> waiting;
  for (int n = 1; n <= total; ++n)
    if (!records.count(n)) waiting.push_back(std::to_string(n) + "/" + std::to_string(total));
  if (!waiting.empty()) {
    std::string list;
    for (const auto& w : waiting) list += (list.empty() ? "" : ", ") + w;
    return {false, 0,
            "shard" + std::string(waiting.size() > 1 ? "s " : " ") + list + " of run \"" + run +
                "\" " + (waiting.size() > 1 ? "have" : "has") + " not finished; the last shard of the run deletes them when every shard synced the table "
                "completely"};
  }
  int64_t before = INT64_MAX;
  for (const auto& [n, r] : records) {
    before = std::min(before, r.sync_time_us);
    auto d = r.tables.find(destination);
    const std::string* why = nullptr;
    if (d != r.tables.end())
      if (auto t = d->second.find(table); t != d->second.end()) why = &t->second;
    if (!why) return {false, 0, "shard " + r.shard.ToString() + " of run \"" + run + "\" did not sync the table"};
    if (!why->empty()) return {false, 0, "shard " + r.shard.ToString() + ": " + *why};
  }
  return {true, before, ""};
}

}  // namespace ferry::engine
