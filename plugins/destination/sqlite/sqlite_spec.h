// The `spec:` of the `sqlite` destination.
//
// Every key is bound once to its field (sqlite_spec.cc, OptionBinder): the
// defaults live there. SpecOptions() is the table (validation, defaults,
// --help, JSON schema and docs come from it); ParseSpec() fills a Spec from
// Options validated against it (hand-built Options are validated first).
//
// batch_size, batch_size_bytes, batch_timeout and the retry options are the
// engine's: the Registry declares them with this plugin's batching defaults
// (SqlitePlugin().batching).
#pragma once

#include <cstdint>
#include <string>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::sqlite {

enum class JournalMode { kWal, kDelete, kTruncate, kMemory, kOff };
enum class Synchronous { kOff, kNormal, kFull };

struct Spec {
  std::string connection_string;   // a file path, ":memory:", or a "file:" URI
  JournalMode journal_mode{};
  Synchronous synchronous{};
  int64_t busy_timeout_ms{};
};

const OptionTable& SpecOptions();

// Fails when connection_string is empty or an enum value is unknown.
Result<Spec> ParseSpec(const Options& options);

// The PRAGMA keywords for the enums ("WAL", "NORMAL", ...): fixed literals,
// never user text, so they can be spliced into a PRAGMA statement.
const char* JournalModeKeyword(JournalMode m);
const char* SynchronousKeyword(Synchronous s);

}  // namespace ferry::plugins::sqlite
