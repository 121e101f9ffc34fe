// The incremental tables that follow log files: host_log_lines (every line
// of the configured logs) and host_package_history (the actions in dpkg's
// log). Both multiplex over files, one client per file whose id is the path,
// so each file has its own cursor "<table>:<path>" (see log_follower.h).
#include <glob.h>

#include <set>

#include "plugins/source/host/follow/log_follower.h"
#include "plugins/source/host/parse/dpkg.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

// What a log client carries: the pattern a glob client came from when it
// matched nothing (then the resolver only warns).
struct LogClient {
  bool unmatched_glob = false;
};

bool IsGlob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// One client per file: plain paths as given (they may not exist yet), globs
// expanded to the regular files they match now.
sdk::Multiplexer FileClients(std::vector<std::string> patterns) {
  return [patterns]() {
    std::vector<sdk::Client> clients;
    std::set<std::string> seen;
    auto add = [&](const std::string& id, bool unmatched) {
      if (seen.insert(id).second)
        clients.push_back(sdk::Client{id, std::make_shared<const LogClient>(LogClient{unmatched})});
    };
    for (const auto& p : patterns) {
      if (!IsGlob(p)) {
        add(p, false);
        continue;
      }
      glob_t g{};
      size_t before = clients.size();
      if (::glob(p.c_str(), GLOB_MARK, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) {
          std::string m = g.gl_pathv[i];
          if (!m.empty() && m.back() != '/') add(m, false);  // GLOB_MARK: directories end in '/'
        }
      }
      ::globfree(&g);
      if (clients.size() == before) add(p, true);
    }
    return clients;
  };
}

FollowOptions OptionsOf(const Spec& s) {
  return FollowOptions{s.max_line_size, s.log_read_limit, s.log_checkpoint_every};
}

// Follows the client's file from its cursor; `row` turns a line into a row
// (or nullopt to skip it, still advancing the cursor).
Status Follow(const Spec& spec, const char* table, const sdk::ResolveContext& ctx, sdk::RowWriter& w,
              const std::function<std::optional<Row>(const std::string& path, const LogLine&)>& row) {
  const std::string& path = ctx.client.id;
  const auto* client = static_cast<const LogClient*>(ctx.client.data.get());
  if (client && client->unmatched_glob) {
    ctx.Warning(table, "no file matches " + path);
    return Status::OK();
  }
  std::optional<LogCursor> cursor;
  const std::string text = ctx.Cursor(table);
  if (!text.empty()) {
    FERRY_ASSIGN_OR_RETURN(LogCursor c, LogCursor::Decode(text));
    cursor = std::move(c);
  }
  FollowEvents ev;
  ev.line = [&](const LogLine& l) -> Status {
    std::optional<Row> r = row(path, l);
    return r ? w.Write(std::move(*r)) : Status::OK();
  };
  ev.checkpoint = [&](const LogCursor& c) { return w.Checkpoint(c.Encode()); };
  ev.warning = [&](const std::string& msg) { ctx.Warning(table, msg); };
  return FollowLog(path, cursor, OptionsOf(spec), ev);
}

Column Key(Column c) {
  c.incremental_key = true;
  return c;
}

}  // namespace

sdk::TableDef LogLinesTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kLogLines;
  t.schema.title = "Host log lines";
  t.schema.description =
      "Lines of the log files named by the `logs` option, one client per file. Incremental: with a state "
      "backend each sync reads only lines added since the last one, following the file across rotation "
      "(rename and a new file, also copytruncate) and truncation. Lines longer than max_line_size are cut.";
  t.schema.is_incremental = true;
  t.schema.columns = {
      Col("path", types::Utf8(), "The followed log file, as configured", true),
      Key(Col("file_key", types::Utf8(),
              "Identity of the file generation the line was read from (inode and a hash of its first bytes); "
              "changes when the file is rotated or truncated",
              true)),
      Key(Col("byte_offset", types::Int64(), "Byte offset of the line in that generation", true)),
      Col("line_number", types::Int64(), "Line number in that generation, from 1"),
      Col("file", types::Utf8(), "The file actually read: the path, or its rotated name (path.1) when catching up"),
      Col("inode", types::Int64(), "Inode of the file read"),
      Col("line", types::Utf8(), "The line without its newline (invalid UTF-8 replaced by U+FFFD)"),
      Col("truncated", types::Bool(), "The line was longer than max_line_size and was cut"),
  };
  t.multiplex = FileClients(spec->logs);
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
    return Follow(*spec, kLogLines, ctx, w, [](const std::string& path, const LogLine& l) -> std::optional<Row> {
      return Row{Value::String(path),
                 Value::String(std::string(l.file_key)),
                 Value::Int(l.offset),
                 Value::Int(l.line_number),
                 Value::String(ToValidUtf8(l.file)),
                 Value::Int(static_cast<int64_t>(l.inode)),
                 Value::String(ToValidUtf8(l.text)),
                 Value::Bool(l.truncated)};
    });
  };
  return t;
}

sdk::TableDef PackageHistoryTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kPackageHistory;
  t.schema.title = "Host package history";
  t.schema.description =
      "Package actions (install, upgrade, remove, purge, configure, trigproc) from dpkg's log (the dpkg_log "
      "option). Incremental like host_log_lines: a sync reads only new lines, across rotation. Status lines are "
      "skipped; older history lives in rotated, compressed logs that are not read.";
  t.schema.is_incremental = true;
  t.schema.columns = {
      Col("path", types::Utf8(), "dpkg's log file", true),
      Key(Col("file_key", types::Utf8(), "Identity of the log file generation (see host_log_lines)", true)),
      Key(Col("byte_offset", types::Int64(), "Byte offset of the line in that generation", true)),
      Col("time", types::Timestamp(), "When dpkg acted (the log's local time, converted to UTC)"),
      Col("action", types::Utf8(), "install, upgrade, remove, purge, configure or trigproc"),
      Col("package", types::Utf8(), "Package name"),
      Col("architecture", types::Utf8(), "Package architecture"),
      Col("old_version", types::Utf8(), "Version before the action (null when none was installed)"),
      Col("new_version", types::Utf8(), "Version after the action (null when removed)"),
  };
  t.multiplex = FileClients({spec->dpkg_log});
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
    return Follow(*spec, kPackageHistory, ctx, w,
                  [](const std::string& path, const LogLine& l) -> std::optional<Row> {
                    auto a = ParseDpkgLogAction(l.text);
                    if (!a) return std::nullopt;
                    return Row{Value::String(path),
                               Value::String(std::string(l.file_key)),
                               Value::Int(l.offset),
                               OptInt(LocalTimeToMicros(a->time_text)),
                               Value::String(a->action),
                               Value::String(ToValidUtf8(a->package)),
                               OptString(a->architecture),
                               OptString(ToValidUtf8(a->old_version)),
                               OptString(ToValidUtf8(a->new_version))};
                  });
  };
  return t;
}

}  // namespace ferry::plugins::host
