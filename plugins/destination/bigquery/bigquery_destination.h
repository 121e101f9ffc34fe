// `bigquery` destination: CloudQuery's BigQuery destination, read from the
// same spec (bigquery_spec.h). Tables are created with tables.insert
// (CloudQuery's type map, type_map.h; time partitioning on _cq_sync_time),
// migrated by adding columns (ALTER TABLE ADD COLUMN through jobs.query; a
// changed type is refused in safe mode, recreated in forced mode). Rows go
// through the Storage Write API (storage_write.h, proto_rows.h): one
// COMMITTED stream per table and sync, appends at explicit offsets, so a
// retried write never duplicates rows; or, with write_api: insert_all, with
// tabledata.insertAll (row_json.h), CloudQuery's path. Append only, as
// CloudQuery: BigQuery has no upsert on a key without DML, and the overwrite
// modes are refused before any data moves.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "plugins/common/schema_diff.h"
#include "plugins/destination/bigquery/bigquery_api.h"
#include "plugins/destination/bigquery/bigquery_spec.h"
#include "plugins/destination/bigquery/storage_write.h"

namespace ferry::plugins::bigquery {

// tabledata.insertAll limits (BigQuery's quotas page: 10 MB per HTTP request,
// 50,000 rows per request, 500 recommended): a Write's rows go in requests
// of at most these.
inline constexpr int64_t kInsertAllMaxBytes = 9 << 20;
inline constexpr int64_t kInsertAllMaxRows = 10000;
// AppendRows: 10 MB per request (the API's limit), less the request's own
// fields and the schema.
inline constexpr int64_t kAppendMaxBytes = 9 << 20;
// At most this many bytes of encoded rows kept for the next write of their
// table, over all tables (Stream::carry); beyond it a part-full request goes
// out at once. Outside the memory budget, like a source's builders.
inline constexpr int64_t kCarryMaxBytes = 4 * kAppendMaxBytes;

class BigQueryDestination final : public ferry::Destination {
 public:
  Status Init(const Options& options, const DestinationInit& init) override;
  Status Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) override;
  Status Write(const WriteRequest& request) override;
  Status DeleteStale(const DeleteStaleRequest& request) override;
  Status DeleteRecord(const ferry::DeleteRecord& request) override;
  Status Close() override;
  // Appends every part-full request kept for a table's next write (carry).
  Status Flush() override;

  // Every row of `table`, for tests (table_reader.h).
  Result<std::string> Prepare(const std::string& table, const std::string& client) override;
  Status CommitPrepared(const std::string& token) override;

  Result<std::vector<Row>> ReadTable(const TableSchema& table);
  BigQueryApi* api() { return api_.get(); }

 private:
  Status CheckOpen() const;
  Result<TableSchemaPtr> Migrated(const std::string& table) const;
  Status Apply(const TablePlan& plan);
  Status WriteInsertAll(const WriteRequest& request, const TableSchema& table);
  Status WriteStorage(const WriteRequest& request, const TableSchemaPtr& table);
  // Whether rows of `table` are held back in PENDING streams: this sync
  // keeps cursors, and the table or an ancestor is incremental.
  bool HeldBack(const std::string& table) const;
  // Whether `table` or an ancestor is incremental (its rows are covered by
  // cursors: never carried to a later write).
  bool Incremental(const std::string& table) const;

  Spec spec_;
  std::string name_;
  std::string what_;
  bool closed_ = false;
  std::unique_ptr<BigQueryApi> api_;
  std::map<std::string, TableSchemaPtr> tables_;
  // Storage Write API: one COMMITTED stream per table, made at its first
  // write after its migration.
  // Where an encoded row came from: (batch, row) of its write, the write
  // being this one or an earlier write of the table (a carried row).
  struct RowOrigin {
    size_t batch = 0;
    int64_t row = 0;
    bool earlier = false;
    std::string Label() const {
      return "batch " + std::to_string(batch) + " row " + std::to_string(row) +
             (earlier ? " of an earlier write of the table" : "");
    }
  };
  struct Stream {
    std::string name;
    google::protobuf::DescriptorProto schema;
    int64_t next_offset = 0;      // rows appended so far
    uint64_t request_id = 0;      // the WriteRequest being written
    int64_t request_start = 0;    // next_offset when it started
    // Requests packed across writes (README): the part-full last request of
    // a write that more rows of the table follow (WriteRequest::more_follow)
    // is kept, encoded, and sent at the front of the table's next write, or
    // by Flush and Close. Its rows go at carry_offset (== next_offset unless
    // a write that carried them failed part way).
    std::vector<std::string> carry;
    std::vector<RowOrigin> carry_origin;
    int64_t carry_bytes = 0;
    int64_t carry_offset = 0;
  };
  std::unique_ptr<StorageWriteClient> storage_;
  bool prepare_incremental_ = false;
  // Keyed by (table, client); client "" for COMMITTED streams (tables that
  // are not held back).
  std::map<std::pair<std::string, std::string>, Stream> streams_;
  std::vector<std::pair<std::string, std::string>> finished_streams_;  // (table, stream) to finalize
  int64_t carry_bytes_ = 0;   // over every stream
  // Appends `st`'s carry at its offset (an earlier attempt may have; then
  // ALREADY_EXISTS says so) and empties it.
  Status SendCarry(const std::string& table, Stream& st);
  void ClearCarry(Stream& st);
  void DropCarryIfIn(Stream& st);
  // The insertAll requests of the current WriteRequest already acknowledged:
  // a retried request (same request_id) sends only the rest.
  uint64_t request_id_ = 0;
  size_t acked_parts_ = 0;
};

DestinationPlugin BigQueryPlugin();

// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::bigquery
