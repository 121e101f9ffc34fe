// `ferry plugin serve`: one built-in integration served over CloudQuery
// protocol v3 (and discovery v1, answering [3]), so CloudQuery's CLI or any
// v3 client can use it.
//
// Source: Init validates the spec against the integration's option table
// (errors name the key, as in Ferry's own specs); GetTables applies
// CloudQuery's selection rules; Sync sends migrate_table for every selected
// table (parents first), then insert messages (batches split under
// kMaxSendBytes), delete_record, and an error message for every table that
// failed (withErrorMessages). Meta columns _cq_sync_time/_cq_source_name are
// the client's to add, as CloudQuery's CLI does.
// Destination: each Write stream's inserts are gathered per table and
// written in batches of up to 10,000 rows / 8 MiB (clients may send one row
// per message); migrate_table, delete (stale) and delete_record first write
// what is pending of that table. A stream ends OK only once everything it
// carried is written. Read serves state tables (key, value, version) from
// destinations that can be a state backend.
//
// SIGINT and SIGTERM stop the server gracefully (5 s), as CloudQuery expects.
#pragma once

#include <string>

#include "ferry/registry.h"

namespace ferry::rpc {

struct ServeOptions {
  std::string kind;                    // "source" or "destination"
  std::string name;                    // a built-in integration
  std::string network = "tcp";         // tcp | unix
  std::string address = "localhost:7777";
};

// Serves until SIGINT/SIGTERM. Returns the process exit code (0 after a
// signal, 2 for bad arguments, 1 when the address cannot be served).
int Serve(const Registry& registry, const ServeOptions& options);

}  // namespace ferry::rpc
