#include "engine/memory_budget.h"

#include <algorithm>

namespace ferry::engine {

Result<int64_t> MemoryBudget::Acquire(int64_t bytes) {
  bytes = std::min(std::max<int64_t>(bytes, 0), capacity_);
  std::unique_lock<std::mutex> lock(mu_);
  if (in_use_ + bytes > capacity_) {
    waiters_.fetch_add(1);
    cv_.wait(lock, [&] { return cancelled_ || in_use_ + bytes <= capacity_; });
    waiters_.fetch_sub(1);
  }
  if (cancelled_) return Status::Cancelled("sync cancelled");
  in_use_ += bytes;
  peak_ = std::max(peak_, in_use_);
  return bytes;
}

void MemoryBudget::Release(int64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_use_ -= bytes;
  }
  cv_.notify_all();
}

void MemoryBudget::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

int64_t MemoryBudget::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}
int64_t MemoryBudget::peak() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

namespace {
class Lease {
 public:
  Lease(MemoryBudget* budget, int64_t bytes) : budget_(budget), bytes_(bytes) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { budget_->Release(bytes_); }

 private:
  MemoryBudget* budget_;
  int64_t bytes_;
};
struct Holder {
  BatchPtr batch;
  std::shared_ptr<const void> owner;
};
}  // namespace

std::shared_ptr<const void> MakeLease(MemoryBudget* budget, int64_t bytes) {
  return std::make_shared<Lease>(budget, bytes);
}

BatchPtr Attach(BatchPtr batch, std::shared_ptr<const void> owner) {
  auto h = std::make_shared<Holder>(Holder{std::move(batch), std::move(owner)});
  const Batch* raw = h->batch.get();
  return BatchPtr(std::move(h), raw);
}

}  // namespace ferry::engine
