#include "engine/log.h"

#include <ctime>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "ferry/redact.h"

namespace ferry::log {
namespace {

// The console logger, and a second logger for the log file (each with its
// own format: the JSON line is built by Write, the text prefix by spdlog).
struct State {
  std::shared_ptr<spdlog::logger> logger;
  bool json = false;
  std::shared_ptr<spdlog::logger> file;
  bool file_json = false;
};

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v";

Status ParseFormat(const std::string& format, const char* flag, bool* json) {
  if (format == "json") *json = true;
  else if (format == "text") *json = false;
  else return Status::Invalid(std::string(flag) + ": unknown format \"" + format + "\" (use text or json)");
  return Status::OK();
}

State& Get() {
  static State s = [] {
    State st;
    st.logger = std::make_shared<spdlog::logger>("ferry", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    st.logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    st.logger->set_level(spdlog::level::info);
    return st;
  }();
  return s;
}

spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// One JSON log line with the fields CloudQuery's CLI writes (zerolog:
// level, module, time as RFC 3339 UTC, message), Ferry's time_ms, and
// `fields` before the message.
std::string JsonLine(spdlog::level::level_enum level, const nlohmann::ordered_json& fields, const std::string& message) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  nlohmann::ordered_json j;
  // zerolog's level names (spdlog says "warning").
  j["level"] = level == spdlog::level::warn ? "warn" : spdlog::level::to_string_view(level).data();
  j["module"] = "cli";
  j["time"] = when;
  j["time_ms"] = ms;
  for (const auto& [k, v] : fields.items()) j[k] = v;
  j["message"] = message;
  return j.dump();
}

}  // namespace

Status Setup(const LogOptions& o) {
  State& s = Get();
  if (o.to_stdout) {
    auto logger = std::make_shared<spdlog::logger>("ferry", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    s.logger = logger;
  }
  static const std::pair<const char*, Level> kLevels[] = {
      {"trace", Level::kTrace}, {"debug", Level::kDebug}, {"info", Level::kInfo},
      {"warn", Level::kWarn}, {"error", Level::kError}};
  const Level* level = nullptr;
  for (auto& [name, l] : kLevels)
    if (o.level == name) level = &l;
  if (!level) return Status::Invalid("--log-level: unknown level \"" + o.level + "\" (use trace, debug, info, warn or error)");
  FERRY_RETURN_NOT_OK(ParseFormat(o.format, "--log-format", &s.json));
  s.logger->set_level(ToSpd(*level));
  if (s.json) s.logger->set_pattern("%v");
  else s.logger->set_pattern(kTextPattern, spdlog::pattern_time_type::utc);
  s.file.reset();
  if (!o.file.empty()) {
    FERRY_RETURN_NOT_OK(ParseFormat(o.file_format.empty() ? o.format : o.file_format, "--log-file-format",
                                    &s.file_json));
    try {
      auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(o.file, /*truncate=*/o.file_overwrite);
      s.file = std::make_shared<spdlog::logger>("ferry-file", sink);
    } catch (const spdlog::spdlog_ex& e) {
      return Status::IOError("--log-file-name: cannot write the log file " + o.file + ": " + e.what() +
                             " (choose another with --log-file-name, or --no-log-file)");
    }
    s.file->set_level(ToSpd(*level));
    s.file->flush_on(spdlog::level::trace);   // a crash must not lose the last lines
    if (s.file_json) s.file->set_pattern("%v");
    else s.file->set_pattern(kTextPattern, spdlog::pattern_time_type::utc);
  }
  return Status::OK();
}

bool ConsoleIsJson() { return Get().json; }

bool Enabled(Level level) { return Get().logger->should_log(ToSpd(level)); }

void Write(Level level, const std::string& message) {
  WriteFields(level, message, nlohmann::ordered_json::object());
}

void WriteFields(Level level, const std::string& message, const nlohmann::ordered_json& fields) {
  State& s = Get();
  auto spd = ToSpd(level);
  if (!s.logger->should_log(spd)) return;
  std::string text = message;
  for (const auto& [k, v] : fields.items()) text += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  text = Redact(text);
  // The JSON line only where a sink takes JSON.
  const std::string json_line = s.json || (s.file && s.file_json) ? Redact(JsonLine(spd, fields, message)) : "";
  s.logger->log(spd, "{}", s.json ? json_line : text);
  if (s.file) s.file->log(spd, "{}", s.file_json ? json_line : text);
}

}  // namespace ferry::log
