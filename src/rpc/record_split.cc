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

namespace {

void AppendArrayKey(const ArrayData& a, std::string* key) {
  auto put = [key](int64_t v) { key->append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(a.offset);
  put(a.length);
  put(a.null_count);
  for (const auto& b : a.buffers) {
    put(b ? reinterpret_cast<int64_t>(b->data()) : 0);
    put(b ? b->size() : 0);
  }
  put(static_cast<int64_t>(a.children.size()));
  for (const auto& c : a.children) AppendArrayKey(*c, key);
}

}  // namespace

EncodingCache& EncodingCache::Global() {
  static EncodingCache cache;
  return cache;
}

void EncodingCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  bytes_ = 0;
}

int64_t EncodingCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

Result<EncodingCache::Pieces> EncodingCache::Encode(const BatchPtr& batch, int64_t max_bytes, bool* hit) {
  if (hit) *hit = false;
  // The schema's encoding carries every name, type and flag; the buffers'
  // addresses and ranges identify the values.
  FERRY_ASSIGN_OR_RETURN(std::string key, protocol::EncodeSchemaStream(*batch->schema()));
  const int64_t limit = max_bytes;
  key.append(reinterpret_cast<const char*>(&limit), sizeof limit);
  for (const auto& c : batch->columns()) AppendArrayKey(*c, &key);
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      for (const auto& e : entries_)
        if (e.key == key) {
          ++hits_;
          if (hit) *hit = true;
          return e.pieces;
        }
      if (!in_flight_.count(key)) break;
      done_.wait(lock);  // another destination is encoding this very batch
    }
    in_flight_.insert(key);
  }
  auto pieces = std::make_shared<std::vector<std::string>>();
  int64_t bytes = 0;
  Status st = EncodeRecords(*batch, max_bytes, [&](std::string record) {
    bytes += static_cast<int64_t>(record.size());
    pieces->push_back(std::move(record));
    return Status::OK();
  });
  Pieces out = pieces;
  bytes += batch->ByteSize();
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(key);
    if (st.ok() && bytes <= kMaxBytes / 2) {
      entries_.push_back(Entry{key, batch->columns(), out, bytes});
      bytes_ += bytes;
      while (entries_.size() > kMaxEntries || bytes_ > kMaxBytes) {
        bytes_ -= entries_.front().bytes;
        entries_.pop_front();
      }
    }
  }
  done_.notify_all();
  FERRY_RETURN_NOT_OK(st);
  return out;
}

}  // namespace ferry::rpc
