#include "plugins/destination/sqlite/sqlite_spec.h"

namespace ferry::plugins::sqlite {

const OptionTable& SpecOptions() {
  static const OptionTable kTable = [] {
    OptionTable t;
    OptionSpec conn{.name = "connection_string",
                    .type = OptionType::kString,
                    .default_value = nullptr,
                    .description = "Path of the database file (created if missing), or an SQLite "
                                   "`file:` URI such as `file:data.db?mode=rwc`",
                    .required = true};
    t.push_back(conn);
    t.push_back({.name = "journal_mode",
                 .type = OptionType::kEnum,
                 .default_value = "wal",
                 .description = "SQLite journal mode (PRAGMA journal_mode); `wal` lets readers "
                                "query the file during a sync",
                 .choices = {"wal", "delete", "truncate", "memory", "off"}});
    t.push_back({.name = "synchronous",
                 .type = OptionType::kEnum,
                 .default_value = "normal",
                 .description = "SQLite fsync policy (PRAGMA synchronous); `normal` with WAL is "
                                "durable against process crashes, `full` also against power loss",
                 .choices = {"off", "normal", "full"}});
    t.push_back({.name = "busy_timeout",
                 .type = OptionType::kDuration,
                 .default_value = "5s",
                 .description = "How long a write waits for another connection's lock before it "
                                "fails with a retryable error",
                 .min = 0});
    return t;
  }();
  return kTable;
}

Result<Spec> ParseSpec(const Options& options) {
  Spec s;
  s.connection_string = options.GetString("connection_string");
  if (s.connection_string.empty())
    return Status::Invalid("connection_string is required: set it to the path of the database file");
  if (options.Has("busy_timeout")) s.busy_timeout_ms = options.GetDurationMs("busy_timeout");
  if (options.Has("journal_mode")) {
    const std::string m = options.GetString("journal_mode");
    if (m == "wal") s.journal_mode = JournalMode::kWal;
    else if (m == "delete") s.journal_mode = JournalMode::kDelete;
    else if (m == "truncate") s.journal_mode = JournalMode::kTruncate;
    else if (m == "memory") s.journal_mode = JournalMode::kMemory;
    else if (m == "off") s.journal_mode = JournalMode::kOff;
    else return Status::Invalid("journal_mode \"" + m + "\" is not one of wal, delete, truncate, memory, off");
  }
  if (options.Has("synchronous")) {
    const std::string m = options.GetString("synchronous");
    if (m == "off") s.synchronous = Synchronous::kOff;
    else if (m == "normal") s.synchronous = Synchronous::kNormal;
    else if (m == "full") s.synchronous = Synchronous::kFull;
    else return Status::Invalid("synchronous \"" + m + "\" is not one of off, normal, full");
  }
  if (s.busy_timeout_ms < 0) return Status::Invalid("busy_timeout must not be negative");
  return s;
}

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
