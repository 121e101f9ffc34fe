#include "plugins/destination/sqlite/sqlite_spec.h"

#include "ferry/option_binder.h"

namespace ferry::plugins::sqlite {

namespace {

// Every key of the spec, bound to its field (ferry/option_binder.h).
void Declare(OptionBinder<Spec>& b) {
  b.String(&Spec::connection_string,
           {.name = "connection_string",
            .description = "Path of the database file (created if missing), or an SQLite "
                           "`file:` URI such as `file:data.db?mode=rwc`",
            .required = true});
  b.Enum(&Spec::journal_mode,
         {.name = "journal_mode",
          .default_value = "wal",
          .description = "SQLite journal mode (PRAGMA journal_mode); `wal` lets readers "
                         "query the file during a sync"},
         {{"wal", JournalMode::kWal},
          {"delete", JournalMode::kDelete},
          {"truncate", JournalMode::kTruncate},
          {"memory", JournalMode::kMemory},
          {"off", JournalMode::kOff}});
  b.Enum(&Spec::synchronous,
         {.name = "synchronous",
          .default_value = "normal",
          .description = "SQLite fsync policy (PRAGMA synchronous); `normal` with WAL is "
                         "durable against process crashes, `full` also against power loss"},
         {{"off", Synchronous::kOff}, {"normal", Synchronous::kNormal}, {"full", Synchronous::kFull}});
  b.Duration(&Spec::busy_timeout_ms,
             {.name = "busy_timeout",
              .default_value = "5s",
              .description = "How long a write waits for another connection's lock before it "
                             "fails with a retryable error",
              .min = 0});
  b.Check([](Spec* s) {
    if (s->connection_string.empty())
      return Status::Invalid("connection_string is required: set it to the path of the database file");
    return Status::OK();
  });
}

}  // namespace

const OptionTable& SpecOptions() { return BinderOf<Spec>(Declare).table(); }

Result<Spec> ParseSpec(const Options& options) { return BinderOf<Spec>(Declare).Parse(options); }

const char* JournalModeKeyword(JournalMode m) {
  switch (m) {
    case JournalMode::kWal: return "WAL";
    case JournalMode::kDelete: return "DELETE";
    case JournalMode::kTruncate: return "TRUNCATE";
    case JournalMode::kMemory: return "MEMORY";
    case JournalMode::kOff: return "OFF";
  }
  return "WAL";
}

const char* SynchronousKeyword(Synchronous s) {
  switch (s) {
    case Synchronous::kOff: return "OFF";
    case Synchronous::kNormal: return "NORMAL";
    case Synchronous::kFull: return "FULL";
  }
  return "NORMAL";
}

}  // namespace ferry::plugins::sqlite
