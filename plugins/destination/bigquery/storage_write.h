// A client of BigQuery's Storage Write API (gRPC service
// google.cloud.bigquery.storage.v1.BigQueryWrite) for the calls the
// destination makes: CreateWriteStream (COMMITTED streams), AppendRows with
// explicit offsets, FinalizeWriteStream. Thread-compatible: one per
// destination, used from its writer thread.
//
// Offsets make an append idempotent: rows appended at offset o are visible
// at once; a repeat of the same append at o answers ALREADY_EXISTS (the rows
// are there) instead of adding them again, and an append past the end
// answers OUT_OF_RANGE. So an attempt whose answer was lost is retried
// safely (Status::Transient), as include/ferry/destination.h requires.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.pb.h>

#include "ferry/http/google_auth.h"
#include "ferry/status.h"

namespace ferry::plugins::bigquery {

class StorageWriteClient {
 public:
  // `target` is host:port; `tls` uses the system's roots (the real API),
  // else plaintext (an emulator). `auth` (not owned; may be anonymous)
  // supplies the bearer token. `what` names the destination in errors.
  static Result<std::unique_ptr<StorageWriteClient>> Make(const std::string& target, bool tls,
                                                          http::GoogleAuthorizer* auth, std::string what);
  ~StorageWriteClient();

  // A new stream on `table_path` (projects/P/datasets/D/tables/T): its name.
  // COMMITTED: appended rows are visible at once. PENDING: they stay
  // invisible until the stream is finalized and committed (BatchCommit).
  enum class Type { kCommitted, kPending };
  Result<std::string> CreateStream(const std::string& table_path, const std::string& table, Type type);

  enum class Appended { kNow, kAlready };
  // Appends `rows` (serialized against `schema`) at `offset` of `stream`.
  // kAlready: an earlier attempt appended them (ALREADY_EXISTS). Row errors
  // are a permanent error naming the rows (their index within `rows` plus
  // `first_row_label`'s numbering, given by `label`).
  Result<Appended> Append(const std::string& stream, int64_t offset, const google::protobuf::DescriptorProto& schema,
                          const std::vector<std::string>& rows, const std::string& table,
                          const std::function<std::string(int64_t index)>& label);

  // Finalizes `stream` (no more appends): the rows it holds.
  Result<int64_t> Finalize(const std::string& stream, const std::string& table);

  // Commits the finalized PENDING `stream` of `table_path`: its rows become
  // visible. A stream committed before is OK (thread-safe: may run beside
  // the other calls).
  Status Commit(const std::string& table_path, const std::string& stream);

  struct Impl;

 private:
  explicit StorageWriteClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::plugins::bigquery
