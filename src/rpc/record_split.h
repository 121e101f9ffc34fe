// Record batches cut to fit one gRPC message.
#pragma once

#include <cstdint>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/status.h"

namespace ferry::rpc {

// Encodes `batch` as Arrow IPC record streams of at most `max_bytes` each and
// hands them to `emit` in row order: the whole batch when it fits, otherwise
// consecutive zero-copy row slices, halved until each fits. Nothing is
// dropped: a single row larger than `max_bytes` is an error naming the table
// and the row, and an error from `emit` stops the encoding.
Status EncodeRecords(const Batch& batch, int64_t max_bytes, const std::function<Status(std::string)>& emit);

// The encoded messages of a batch, shared between the plugin destinations of
// a sync: the engine hands each destination its own Batch object, but when two
// of them carry the same buffers under the same schema (same write mode), the
// second gets the first one's messages instead of encoding again (waiting for
// them when the first is still encoding). Entries pin
// their columns' buffers (so no address can be reused while it is a key, and
// not the batch itself, whose memory-budget lease must go when the engine is
// done with it); the cache holds at most kMaxEntries entries and kMaxBytes
// (encoded plus pinned bytes), oldest out first: a bounded addition to the
// sync's memory budget. Destinations Clear it when they close. Thread-safe.
class EncodingCache {
 public:
  static constexpr size_t kMaxEntries = 16;
  static constexpr int64_t kMaxBytes = 64ll << 20;
  using Pieces = std::shared_ptr<const std::vector<std::string>>;

  static EncodingCache& Global();
  // The messages of `batch` (EncodeRecords), computed once per distinct
  // (schema, buffers, slice) while cached.
  // `*hit` (optional) tells whether the messages came from the cache.
  Result<Pieces> Encode(const BatchPtr& batch, int64_t max_bytes, bool* hit = nullptr);
  int64_t hits() const;
  void Clear();

 private:
  struct Entry {
    std::string key;
    std::vector<ArrayPtr> pin;
    Pieces pieces;
    int64_t bytes = 0;
  };
  mutable std::mutex mu_;
  std::deque<Entry> entries_;  // guarded by mu_
  std::set<std::string> in_flight_;  // guarded by mu_: keys being encoded now
  std::condition_variable done_;     // an in-flight encoding finished
  int64_t bytes_ = 0;          // guarded by mu_
  int64_t hits_ = 0;           // guarded by mu_
};

}  // namespace ferry::rpc
