#include "engine/state_coordinator.h"

namespace ferry::engine {

StateCoordinator::StateCoordinator(const std::vector<StateEntry>& initial, int data_writers,
                                   std::function<void(StateEntry)> commit)
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

void StateCoordinator::Covered(uint64_t seq) {
  StateEntry to_commit;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(seq);
    if (it == pending_.end()) return;
    if (++it->second.covered < data_writers_) return;
    bool blocked = it->second.abandoned || key_blocked_[it->second.entry.key];
    to_commit = std::move(it->second.entry);
    pending_.erase(it);
    if (blocked) return;
    ++committed_;
  }
  commit_(std::move(to_commit));
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
