#include "engine/stale_decision.h"

namespace ferry::engine {

namespace {

// Why `table` did not sync completely according to the source, or nullopt.
std::optional<std::string> Incomplete(const std::string& table, const SourceOutcome& source) {
  auto it = source.tables.find(table);
  if (it == source.tables.end()) return "the source never reported the table";
  const TableProgress& p = it->second;
  for (const auto& [client, st] : p.done)
    if (!st.ok()) return (client.empty() ? std::string("it failed") : "client " + client + " failed") + ": " +
                         st.message();
  if (p.planned) {
    for (const auto& client : p.planned_clients)
      if (!p.done.count(client))
        return (client.empty() ? std::string("it") : "client " + client) + " never finished";
  } else if (p.done.empty()) {
    return "the source never reported the table";
  }
  return std::nullopt;
}

}  // namespace

StaleVerdict DecideDeleteStale(const std::string& table, const SourceOutcome& source,
                               const DestinationTableResult& destination) {
  using K = StaleVerdict::Kind;
  if (destination.incremental_with_backend) return {K::kKeepIncremental, "incremental table"};
  if (!source.cancelled_by.empty()) return {K::kKeep, "the sync was cancelled (" + source.cancelled_by + ")"};
  if (!destination.cancelled_by.empty())
    return {K::kKeep, "the sync was cancelled (" + destination.cancelled_by + ") before stale rows were deleted"};
  if (!source.sync_status.ok()) return {K::kKeep, "the source failed: " + source.sync_status.message()};
  if (auto why = Incomplete(table, source)) return {K::kKeep, "the table did not sync completely: " + *why};
  // Walk up the relation chain; a cycle (a bug) cannot loop forever.
  std::set<std::string> seen{table};
  for (auto it = source.parent_of.find(table); it != source.parent_of.end() && !it->second.empty();
       it = source.parent_of.find(it->second)) {
    const std::string& parent = it->second;
    if (!seen.insert(parent).second) break;
    if (auto why = Incomplete(parent, source))
      return {K::kKeep, "its parent table " + parent + " did not sync completely: " + *why};
  }
  if (!destination.destination_down.empty())
    return {K::kKeep, "the destination stopped taking writes: " + destination.destination_down};
  if (destination.write_failed) return {K::kKeep, "writing the table's rows to this destination failed"};
  return {K::kDelete, ""};
}

void SyncProgressTracker::Planned(const std::string& table, const std::vector<std::string>& clients) {
  std::lock_guard<std::mutex> lock(mu_);
  TableProgress& p = tables_[table];
  p.planned = true;
  p.planned_clients.insert(clients.begin(), clients.end());
}

void SyncProgressTracker::Done(const std::string& table, const std::string& client, const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = tables_[table].done[client];
  if (slot.ok()) slot = status;   // a client reported twice keeps its first failure
}

std::map<std::string, TableProgress> SyncProgressTracker::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tables_;
}

}  // namespace ferry::engine
