// The destination conformance suite: one set of gtest cases every
// destination runs, so that all of them migrate, write, upsert, delete and
// round-trip types the same way.
//
// A destination instantiates it in its own _test.cc with a target: how to
// open a fresh destination and how to read a table back.
//
//   ferry::testing::ConformanceTarget SqliteTarget() { ... }
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DestinationConformance,
//                            ::testing::Values(SqliteTarget()),
//                            ferry::testing::ConformanceTargetName);
//
// Each case works in its own namespace (a new database file, schema or
// directory; the target decides) so cases never see each other's tables.
// Cases that need a capability the destination does not declare (a write
// mode, forced migration, delete_record, state_backend) are skipped with
// GTEST_SKIP and say why. Comparisons are exact: the rows read back must
// equal, as Values, the rows written (builder.h's Value forms).
//
// Cases: migrate creates tables / is idempotent (also from a second
// instance) / adds nullable columns safely / refuses unsafe changes in safe
// mode listing them, applies them in forced mode; append keeps duplicates;
// overwrite upserts on the primary key (also composite, also a key repeated
// in one batch); delete-stale removes only this source's older rows;
// delete-record with AND / OR groups and typed values (uuid, timestamp);
// every type round-trips (nulls, empties, unicode, limits, NaN/inf,
// microseconds, nested lists and structs); a 100k-row batch; sliced batches
// with offsets; a failing write leaves nothing behind; state entries commit
// with the rows; writes after Close fail cleanly.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ferry/destination.h"
#include "ferry/registry.h"
#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/value.h"

namespace ferry::testing {

struct ConformanceTarget {
  // Names the instantiation in test names: letters, digits and '_' only.
  std::string name;

  // A new, initialised destination whose data lives in namespace `ns`.
  // Distinct namespaces never share tables; opening the same `ns` again
  // (while an earlier instance is open or after it closed) reaches the same
  // data, as a second sync would.
  std::function<Result<std::unique_ptr<Destination>>(const std::string& ns)> open;

  // The integration's registry entry: what it declares it can do (write
  // modes, forced migration, delete-record, state backend) is read from here
  // only, the one place capabilities are declared.
  DestinationPlugin plugin;

  // Every row of `table` in namespace `ns`, columns in schema order, values
  // in builder.h's forms (what GetValue returns for the column type). The
  // order of rows does not matter.
  std::function<Result<std::vector<Row>>(const std::string& ns, const TableSchema& table)> read;

  // How the destination stores a float NaN: kRoundTrip (reads back NaN) or
  // kNull (reads back null; only at top level, NaN inside lists must survive).
  enum class NanPolicy { kRoundTrip, kNull } nan = NanPolicy::kRoundTrip;
  // False when a top-level float -0.0 reads back as 0.0 (SQLite's REAL
  // storage drops the sign); inside lists and structs the sign must survive.
  bool keeps_negative_zero = true;
  // How the destination stores U+0000 in utf8 and json values (at any
  // depth): kRoundTrip, or kStripped (removed: PostgreSQL's text and jsonb
  // cannot hold it, and CloudQuery's destination removes it too).
  enum class NulPolicy { kRoundTrip, kStripped } nul = NulPolicy::kRoundTrip;
  // True when json values come back re-formatted (jsonb: whitespace, key
  // order, duplicate keys); json cells then compare as parsed JSON documents.
  bool json_normalized = false;
  // True when a json cell holding the document `null` reads back as a null
  // cell (a JSON message value writes both as null; CloudQuery's encoding
  // cannot tell them apart). Needs json_normalized.
  bool json_null_document_is_null = false;

  // True when tables keep no schema of their own (Kafka topics: each message
  // carries its columns), so Migrate accepts every change and there is
  // nothing unsafe to refuse; the unsafe-change case is skipped.
  bool schemaless = false;

  // Set for a destination whose lists are arrays that hold no NULL (BigQuery's
  // REPEATED columns): for each list type it returns true for, a NULL list
  // reads back as [] and NULL elements are left out, at any depth; a list it
  // returns false for (stored as a JSON document) round-trips exactly.
  std::function<bool(const DataType& list)> list_is_array;

  // False when the destination declares no NOT NULL and no primary key
  // (BigQuery: every column NULLABLE, no keys): changes to them are no
  // schema changes there, only type changes are unsafe.
  bool stores_constraints = true;
  // The timestamps the destination can hold, microseconds [min, max]: a row
  // with one outside (at any depth) must be refused with an error naming the
  // column; the type cases write such rows apart and check that.
  int64_t timestamp_min_us = INT64_MIN;
  int64_t timestamp_max_us = INT64_MAX;
  // Types the server under test cannot store through this target (an
  // emulator's gap, documented with the target): columns of such a type at
  // any depth are left out of the type cases, which say so.
  std::function<bool(const DataType&)> server_cannot_store;

  // The finest time-of-day the destination keeps, in units per second
  // (0: every unit exactly). time32/time64 values of a finer unit read back
  // truncated to it, at any depth (PostgreSQL's time: 1000000, microseconds).
  int64_t time_units_kept_per_second = 0;

  // Rows of the large-batch case.
  int64_t large_batch_rows = 100000;

  // The discard form (a destination that keeps nothing yet, such as the
  // skeleton of plugins/templates/destination): `read` is not set and only
  // the cases that need no reading back run; the others are skipped and say
  // so. A destination that stores rows leaves this false.
  bool discards = false;
};

// gtest parameter name: the target's name.
std::string ConformanceTargetName(const ::testing::TestParamInfo<ConformanceTarget>& info);
// Keeps gtest from dumping the std::function bytes.
void PrintTo(const ConformanceTarget& target, std::ostream* os);

class DestinationConformance : public ::testing::TestWithParam<ConformanceTarget> {
 protected:
  void SetUp() override;
  void TearDown() override;

  const ConformanceTarget& target() const { return GetParam(); }
  // This case's namespace; Namespace(k) gives further distinct ones.
  const std::string& ns() const { return ns_; }

  // Opens a destination in ns(); the fixture closes it in TearDown. Fails
  // the test (returns null) on error.
  Destination* Open();
  // The capabilities the target's registry entry declares.
  const DestinationCapabilities& Caps() const { return GetParam().plugin.capabilities; }

  Status Migrate(Destination* d, const std::vector<TableSchemaPtr>& tables,
                 MigrateMode mode = MigrateMode::kSafe);
  Status Write(Destination* d, const TableSchemaPtr& table, const std::vector<std::vector<Row>>& batches);
  Status WriteBatches(Destination* d, const TableSchemaPtr& table, std::vector<BatchPtr> batches);
  Result<std::vector<Row>> Read(const TableSchema& table);
  // `rows` of `schema` as the target stores them: its declared deviations
  // (NaN, -0, NUL in text, re-formatted JSON, NULL-free arrays) applied.
  // Applied to expected and read rows alike.
  std::vector<Row> AsStored(const TableSchema& schema, std::vector<Row> rows) const;
  // AllTypesTable(name) without the columns server_cannot_store refuses;
  // `kept` gets the indexes of the columns kept (to project rows).
  TableSchemaPtr TypesTable(const std::string& name, std::vector<size_t>* kept = nullptr) const;

 private:
  std::string ns_;
  std::vector<std::unique_ptr<Destination>> open_;
};

}  // namespace ferry::testing
