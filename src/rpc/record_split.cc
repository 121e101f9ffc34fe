#include "rpc/record_split.h"

#include <algorithm>

#include "protocol/arrow_ipc.h"

namespace ferry::rpc {

namespace {

Status EncodeRange(const Batch& batch, int64_t start, int64_t rows, int64_t max_bytes,
                   const std::function<Status(std::string)>& emit) {
  BatchPtr part = (start == 0 && rows == batch.num_rows()) ? nullptr : batch.Slice(start, rows);
  const Batch& b = part ? *part : batch;
  FERRY_ASSIGN_OR_RETURN(std::string bytes, protocol::EncodeRecordStream(b));
  if (static_cast<int64_t>(bytes.size()) <= max_bytes) return emit(std::move(bytes));
  if (rows == 1)
    return Status::Invalid("table " + batch.schema()->name + ": row " + std::to_string(start) + " of a batch is " +
                           std::to_string(bytes.size()) + " bytes encoded, more than the " +
                           std::to_string(max_bytes) + "-byte message limit of the plugin protocol");
  const int64_t half = rows / 2;
  FERRY_RETURN_NOT_OK(EncodeRange(batch, start, half, max_bytes, emit));
  return EncodeRange(batch, start + half, rows - half, max_bytes, emit);
}

}  // namespace

Status EncodeRecords(const Batch& batch, int64_t max_bytes, const std::function<Status(std::string)>& emit) {
  const int64_t rows = batch.num_rows();
  if (rows == 0) return Status::OK();
  // Cut by the in-memory size first (encoded size is close to it), aiming at
  // 3/4 of the limit so that most pieces fit at the first try.
  const int64_t target = std::max<int64_t>(1, max_bytes * 3 / 4);
  const int64_t pieces = std::clamp<int64_t>((batch.ByteSize() + target - 1) / target, 1, rows);
  const int64_t per = (rows + pieces - 1) / pieces;
  for (int64_t start = 0; start < rows; start += per)
    FERRY_RETURN_NOT_OK(EncodeRange(batch, start, std::min(per, rows - start), max_bytes, emit));
  return Status::OK();
}

}  // namespace ferry::rpc
