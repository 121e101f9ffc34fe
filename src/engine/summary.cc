#include "engine/summary.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "ferry/redact.h"

namespace ferry::engine {

int64_t SyncSummary::TotalRows() const {
  int64_t n = 0;
  for (const auto& [name, t] : tables) n += t.rows;
  return n;
}

static std::string Rfc3339(std::chrono::system_clock::time_point tp) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(us / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof(out), "%s.%06lldZ", buf, static_cast<long long>(us % 1000000));
  return out;
}

std::vector<nlohmann::ordered_json> SyncSummary::ToJsonLines(const std::string& cli_version,
                                                             bool ferry_fields) const {
  std::vector<nlohmann::ordered_json> lines;
  nlohmann::ordered_json per_rows = nlohmann::ordered_json::object(), per_errors = nlohmann::ordered_json::object(),
                         per_dur = nlohmann::ordered_json::object();
  std::vector<std::string> table_names;
  int64_t source_errors = 0, source_warnings = 0;
  for (const auto& [name, t] : tables) {
    per_rows[name] = t.rows;
    per_errors[name] = t.errors;
    per_dur[name] = t.duration_ms;
    table_names.push_back(name);
    source_errors += t.errors;
    source_warnings += t.warnings;
  }
  for (const auto& d : destinations) {
    // CloudQuery's fields in CloudQuery's order (its CLI's syncSummary), so
    // a consumer of its lines reads Ferry's unchanged; empty maps and unset
    // optional fields are left out as CloudQuery leaves them out.
    nlohmann::ordered_json j;
    j["cli_version"] = cli_version;
    j["destination_errors"] = d.errors;
    j["destination_name"] = d.name;
    j["destination_path"] = d.path;
    j["destination_version"] = d.version;
    j["destination_warnings"] = d.warnings;
    j["resources"] = TotalRows();
    j["source_errors"] = source_errors;
    j["source_name"] = source_name;
    j["source_path"] = source_path;
    j["source_version"] = source_version;
    j["source_warnings"] = source_warnings;
    j["source_tables"] = table_names;
    j["sync_id"] = sync_id;
    j["sync_time"] = Rfc3339(sync_time);
    j["sync_duration_ms"] = duration_ms;
    if (!sync_group_id.empty()) j["sync_group_id"] = sync_group_id;
    if (shard_total > 0) {
      j["shard_num"] = shard_num;
      j["shard_total"] = shard_total;
    }
    if (!per_rows.empty()) {
      j["resources_per_table"] = per_rows;
      j["errors_per_table"] = per_errors;
      j["durations_per_table_ms"] = per_dur;
    }
    if (ferry_fields) {   // sync --summary-ferry-fields
      j["errors"] = errors;
      j["warnings"] = warnings;
      j["peak_memory_bytes"] = peak_memory_bytes;
    }
    lines.push_back(std::move(j));
  }
  return lines;
}

namespace {

// The table a message names ("..., table NAME: ..." or "table NAME (client
// C): ..."), and the message with that name taken out, so that messages that
// differ only in their table group together.
std::pair<std::string, std::string> SplitTable(const std::string& msg) {
  const std::string marker = "table ";
  for (size_t p = msg.find(marker); p != std::string::npos; p = msg.find(marker, p + 1)) {
    if (p > 0 && msg[p - 1] != ' ' && msg[p - 1] != ',') continue;
    const size_t start = p + marker.size();
    size_t end = start;
    while (end < msg.size() && msg[end] != ':' && msg[end] != ' ' && msg[end] != ',') ++end;
    if (end == start || end >= msg.size()) continue;
    return {msg.substr(start, end - start), msg.substr(0, start) + "\x01" + msg.substr(end)};
  }
  return {"", msg};
}

}  // namespace

std::vector<std::string> AggregateMessages(const std::vector<std::string>& messages) {
  struct Group {
    std::string first;                 // the first message, whole
    std::vector<std::string> tables;   // distinct tables, in order
    int64_t count = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, Group> groups;
  for (const auto& m : messages) {
    auto [table, key] = SplitTable(m);
    auto [it, fresh] = groups.try_emplace(key);
    Group& g = it->second;
    if (fresh) {
      order.push_back(key);
      g.first = m;
    }
    if (!table.empty() && std::find(g.tables.begin(), g.tables.end(), table) == g.tables.end())
      g.tables.push_back(table);
    ++g.count;
  }
  std::vector<std::string> out;
  for (const auto& key : order) {
    const Group& g = groups[key];
    if (g.tables.size() <= 1) {   // one table (or none), perhaps repeated
      out.push_back(g.first + (g.count > 1 ? " (" + std::to_string(g.count) + " times)" : ""));
      continue;
    }
    // "table \x01" becomes "tables a, b, c" (or "tables a ... z (N tables)").
    std::string list;
    if (g.tables.size() <= 5) {
      for (const auto& t : g.tables) list += (list.empty() ? "" : ", ") + t;
    } else {
      list = g.tables.front() + " ... " + g.tables.back() + " (" + std::to_string(g.tables.size()) + " tables)";
    }
    std::string line = key;
    const size_t p = line.find("table \x01");
    line.replace(p, 7, "tables " + list);
    if (g.count > static_cast<int64_t>(g.tables.size())) line += " (" + std::to_string(g.count) + " times)";
    out.push_back(line);
  }
  return out;
}

std::string SyncSummary::ToText() const {
  std::string out;
  size_t w = 5;
  for (const auto& [name, t] : tables) w = std::max(w, name.size());
  char line[512];
  std::snprintf(line, sizeof(line), "%-*s %12s %8s %10s\n", static_cast<int>(w), "TABLE", "ROWS", "ERRORS",
                "DURATION");
  out += line;
  for (const auto& [name, t] : tables) {
    std::snprintf(line, sizeof(line), "%-*s %12lld %8lld %9.2fs\n", static_cast<int>(w), name.c_str(),
                  static_cast<long long>(t.rows), static_cast<long long>(t.errors), t.duration_ms / 1000.0);
    out += line;
  }
  std::snprintf(line, sizeof(line), "%-*s %12lld %8zu %9.2fs\n", static_cast<int>(w), "TOTAL",
                static_cast<long long>(TotalRows()), errors.size(), duration_ms / 1000.0);
  out += line;
  // The source's API calls, for tables that made any (retries and throttling
  // explain a slow table).
  bool any_api = false;
  for (const auto& [name, t] : tables) any_api = any_api || !t.api.empty();
  if (any_api) {
    w = std::max<size_t>(w, 9);
    std::snprintf(line, sizeof(line), "%-*s %9s %8s %9s %7s %10s %9s\n", static_cast<int>(w), "API CALLS", "REQUESTS",
                  "RETRIES", "THROTTLED", "FAILED", "RECEIVED", "WAITED");
    out += line;
    for (const auto& [name, t] : tables) {
      if (t.api.empty()) continue;
      std::snprintf(line, sizeof(line), "%-*s %9lld %8lld %9lld %7lld %9.1fM %8.2fs\n", static_cast<int>(w),
                    name.c_str(), static_cast<long long>(t.api.requests), static_cast<long long>(t.api.retries),
                    static_cast<long long>(t.api.throttled), static_cast<long long>(t.api.failures),
                    t.api.bytes_received / 1e6, (t.api.retry_wait_ms + t.api.rate_wait_ms) / 1000.0);
      out += line;
    }
  }
  // One line per distinct message (the log has each one at debug level).
  for (const auto& e : AggregateMessages(errors)) out += "error: " + e + "\n";
  for (const auto& w : AggregateMessages(warnings)) out += "warning: " + w + "\n";
  for (const auto& n : AggregateMessages(notes)) out += "note: " + n + "\n";
  return Redact(out);
}

}  // namespace ferry::engine
