// The `spec:` of the `sqlite` destination.
//
// SpecOptions() is the declared option table (validation, defaults, --help,
// JSON schema and docs come from it). ParseSpec() turns Options validated
// against it into a Spec; keys absent from `options` take the table defaults,
// so hand-built Options work too. A Spec is a plain value.
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
  JournalMode journal_mode = JournalMode::kWal;
  Synchronous synchronous = Synchronous::kNormal;
  int64_t busy_timeout_ms = 5000;
};

const OptionTable& SpecOptions();

// Fails when connection_string is empty or an enum value is unknown.
Result<Spec> ParseSpec(const Options& options);

// The PRAGMA keywords for the enums ("WAL", "NORMAL", ...): fixed literals,
// never user text, so they can be spliced into a PRAGMA statement.
const char* JournalModeKeyword(JournalMode m);
const char* SynchronousKeyword(Synchronous s);

}  // namespace ferry::plugins::sqlite
