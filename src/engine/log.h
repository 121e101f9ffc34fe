// Logging: spdlog underneath, text or JSON lines on stderr, every message
// passed through Redact() so secrets from specs never reach a log.
#pragma once

#include <string>

#include "ferry/status.h"

namespace ferry::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

// "info", "text"|"json"; `to_stdout` for `ferry plugin serve`, whose host
// reads log lines from stdout as CloudQuery's plugins write them.
Status Setup(const std::string& level, const std::string& format, bool to_stdout = false);
void Write(Level level, const std::string& message);
inline void Debug(const std::string& m) { Write(Level::kDebug, m); }
inline void Info(const std::string& m) { Write(Level::kInfo, m); }
inline void Warn(const std::string& m) { Write(Level::kWarn, m); }
inline void Error(const std::string& m) { Write(Level::kError, m); }
bool Enabled(Level level);

}  // namespace ferry::log
