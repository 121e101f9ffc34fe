#include "engine/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "ferry/redact.h"

namespace ferry::log {
namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger;
  bool json = false;
};

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

}  // namespace

Status Setup(const std::string& level, const std::string& format, bool to_stdout) {
  State& s = Get();
  if (to_stdout) {
    auto logger = std::make_shared<spdlog::logger>("ferry", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    s.logger = logger;
  }
  static const std::pair<const char*, Level> kLevels[] = {
      {"trace", Level::kTrace}, {"debug", Level::kDebug}, {"info", Level::kInfo},
      {"warn", Level::kWarn}, {"error", Level::kError}};
  bool found = false;
  for (auto& [name, l] : kLevels)
    if (level == name) {
      s.logger->set_level(ToSpd(l));
      found = true;
    }
  if (!found) return Status::Invalid("--log-level: unknown level \"" + level + "\" (use trace, debug, info, warn or error)");
  if (format == "json") {
    s.json = true;
    s.logger->set_pattern("%v");
  } else if (format == "text") {
    s.json = false;
    s.logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  } else {
    return Status::Invalid("--log-format: unknown format \"" + format + "\" (use text or json)");
  }
  return Status::OK();
}

bool Enabled(Level level) { return Get().logger->should_log(ToSpd(level)); }

void Write(Level level, const std::string& message) {
  State& s = Get();
  auto spd = ToSpd(level);
  if (!s.logger->should_log(spd)) return;
  std::string text = Redact(message);
  if (s.json) {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    nlohmann::json j{{"level", spdlog::level::to_string_view(spd).data()}, {"time_ms", ms}, {"message", text}};
    s.logger->log(spd, "{}", j.dump());
  } else {
    s.logger->log(spd, "{}", text);
  }
}

}  // namespace ferry::log
