// Record batches cut to fit one gRPC message.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ferry/batch.h"
#include "ferry/status.h"

namespace ferry::rpc {

// Encodes `batch` as Arrow IPC record streams of at most `max_bytes` each and
// hands them to `emit` in row order: the whole batch when it fits, otherwise
// consecutive zero-copy row slices, halved until each fits. Nothing is
// dropped: a single row larger than `max_bytes` is an error naming the table
// and the row, and an error from `emit` stops the encoding.
Status EncodeRecords(const Batch& batch, int64_t max_bytes, const std::function<Status(std::string)>& emit);

}  // namespace ferry::rpc
