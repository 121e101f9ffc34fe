#include "engine/state_coordinator.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace ferry::engine {

std::string PreparedKeyPrefix(const std::string& dest) { return "_ferry_prepared:" + dest + ":"; }

std::string PreparedKey(const std::string& dest, const std::string& table, const std::string& client) {
  return PreparedKeyPrefix(dest) + table + ":" + client;
}

StateCoordinator::StateCoordinator(const std::vector<StateEntry>& initial, int data_writers, CommitFn commit)
    : data_writers_(data_writers), commit_(std::move(commit)) {
  for (const auto& e : initial) {
    auto it = versions_.find(e.key);
    // Append-only backends may hold several rows of a key: the highest version wins.
    if (it == versions_.end() || e.version >= it->second) {
      versions_[e.key] = e.version;
      values_[e.key] = e.value;
    }
  }
}

uint64_t StateCoordinator::Register(StateEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entry.version = ++versions_[entry.key];
  uint64_t seq = next_seq_++;
  pending_[seq] = Pending{entry, 0, false};
  return seq;
}

void StateCoordinator::Covered(uint64_t seq, std::optional<PreparedToken> prepared) {
  std::vector<StateEntry> entries;
  std::vector<PreparedToken> tokens;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(seq);
    if (it == pending_.end()) return;
    if (prepared) it->second.prepared.push_back(std::move(*prepared));
    if (++it->second.covered < data_writers_) return;
    bool blocked = it->second.abandoned || key_blocked_[it->second.entry.key];
    entries.push_back(std::move(it->second.entry));
    tokens = std::move(it->second.prepared);
    pending_.erase(it);
    // A blocked cursor stays where it was; its tokens' rows stay invisible
    // and are dropped (the next sync fetches them again).
    if (blocked) return;
    ++committed_;
    for (PreparedToken& t : tokens) {
      std::vector<std::string>& all = outstanding_[t.entry.key];
      auto mine = nlohmann::json::parse(t.entry.value, nullptr, /*allow_exceptions=*/false);
      if (mine.is_array())
        for (const auto& x : mine)
          if (x.is_string()) all.push_back(x.get<std::string>());
      t.entry.value = nlohmann::json(all).dump();
      t.entry.version = ++versions_[t.entry.key];
      entries.push_back(t.entry);
    }
  }
  commit_(std::move(entries), std::move(tokens));
}

StateEntry StateCoordinator::Cleared(const std::string& key, const std::string& committed_value) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string>& all = outstanding_[key];
  auto done = nlohmann::json::parse(committed_value, nullptr, /*allow_exceptions=*/false);
  if (done.is_array())
    for (const auto& x : done)
      if (x.is_string()) all.erase(std::remove(all.begin(), all.end(), x.get<std::string>()), all.end());
  StateEntry e;
  e.key = key;
  e.value = all.empty() ? "" : nlohmann::json(all).dump();
  e.version = ++versions_[key];
  return e;
}

void StateCoordinator::Abandon(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;
  it->second.abandoned = true;
  // No later cursor of this key may be committed in this sync either.
  key_blocked_[it->second.entry.key] = true;
  if (++it->second.covered >= data_writers_) pending_.erase(it);
}

StateSnapshot StateCoordinator::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return values_;
}

int64_t StateCoordinator::committed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return committed_;
}

}  // namespace ferry::engine
