// MemoryBudget: one sync-wide byte budget with back-pressure.
//
// A batch acquires its byte size before it enters the pipeline and releases
// it when the last destination has dropped it (see BudgetedBatch). Acquire
// blocks while the budget is spent; while anyone waits, UnderPressure() is
// true so writers flush what they buffer instead of waiting for a full batch.
// A single request larger than the whole budget is granted once nothing else
// is held, so it cannot deadlock. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "ferry/batch.h"
#include "ferry/status.h"

namespace ferry::engine {

class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // Blocks until `bytes` fit (or Cancel()). Returns the amount acquired,
  // which the caller must Release.
  Result<int64_t> Acquire(int64_t bytes);
  void Release(int64_t bytes);
  void Cancel();

  bool UnderPressure() const { return waiters_.load(std::memory_order_relaxed) > 0; }
  int64_t capacity() const { return capacity_; }
  int64_t in_use() const;
  int64_t peak() const;

 private:
  const int64_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t in_use_ = 0;      // guarded by mu_
  int64_t peak_ = 0;        // guarded by mu_
  bool cancelled_ = false;  // guarded by mu_
  std::atomic<int> waiters_{0};
};

// A lease returns `bytes` to `budget` when its last owner drops it.
std::shared_ptr<const void> MakeLease(MemoryBudget* budget, int64_t bytes);
// Returns `batch` keeping `owner` (a lease, or the batch a slice came from)
// alive for as long as the returned pointer lives.
BatchPtr Attach(BatchPtr batch, std::shared_ptr<const void> owner);

}  // namespace ferry::engine
