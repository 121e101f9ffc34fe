// Logging: spdlog underneath, text or JSON lines on stderr, every message
// passed through Redact() so secrets from specs never reach a log.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ferry/status.h"

namespace ferry::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

struct LogOptions {
  std::string level = "info";      // trace, debug, info, warn, error
  std::string format = "text";     // text | json, on the console
  // `ferry plugin serve`: the console is stdout, whose host reads log lines
  // as CloudQuery's plugins write them.
  bool to_stdout = false;
  // Also to this file (CloudQuery's cloudquery.log); "" for none. Appended
  // to unless `file_overwrite`.
  std::string file;
  std::string file_format;         // "" = format
  bool file_overwrite = false;
};
// Fails on an unknown level or format, or a log file that cannot be opened
// (the message names the file and the flag).
Status Setup(const LogOptions& options);
void Write(Level level, const std::string& message);
// A message with named fields: with --log-format json they are fields of the
// line's object (as CloudQuery's "Sync summary" lines carry their figures),
// in text `message key=value ...`. `fields` is a JSON object.
void WriteFields(Level level, const std::string& message, const nlohmann::ordered_json& fields);
inline void Debug(const std::string& m) { Write(Level::kDebug, m); }
inline void Info(const std::string& m) { Write(Level::kInfo, m); }
inline void Warn(const std::string& m) { Write(Level::kWarn, m); }
inline void Error(const std::string& m) { Write(Level::kError, m); }
bool Enabled(Level level);
// --log-format json: the console takes JSON lines.
bool ConsoleIsJson();

}  // namespace ferry::log
