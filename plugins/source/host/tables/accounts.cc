// host_users (/etc/passwd) and host_groups (/etc/group). Password hashes
// (/etc/shadow) are never read.
#include "plugins/source/host/parse/system.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

// Reads a database file; a missing or unreadable one is one warning, no rows.
bool ReadDb(const sdk::ResolveContext& ctx, const char* table, const char* path, std::string* text) {
  int err = ReadFile(path, text, int64_t{64} << 20);
  if (err == 0) return true;
  ctx.Warning(table, "no rows: " + ErrnoMessage(path, err));
  return false;
}

void ReportBad(const sdk::ResolveContext& ctx, const char* table, const char* path, int64_t bad) {
  if (bad > 0) ctx.Warning(table, std::to_string(bad) + " malformed lines of " + path + " skipped");
}

Status ResolveUsers(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  std::string text;
  if (!ReadDb(ctx, kUsers, "/etc/passwd", &text)) return Status::OK();
  Accounts accounts = Accounts::Load();
  int64_t bad = 0;
  for (auto& u : ParsePasswd(text, &bad)) {
    const bool login = u.shell.find("nologin") == std::string::npos && u.shell != "/bin/false" &&
                       u.shell != "/usr/bin/false" && !u.shell.empty();
    FERRY_RETURN_NOT_OK(w.Write({Value::String(ToValidUtf8(u.name)), Value::Int(u.uid), Value::Int(u.gid),
                                 OptString(accounts.Group(u.gid)), OptString(ToValidUtf8(u.gecos)),
                                 OptString(ToValidUtf8(u.home)), OptString(u.shell), Value::Bool(login)}));
  }
  ReportBad(ctx, kUsers, "/etc/passwd", bad);
  return Status::OK();
}

Status ResolveGroups(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  std::string text;
  if (!ReadDb(ctx, kGroups, "/etc/group", &text)) return Status::OK();
  int64_t bad = 0;
  for (auto& g : ParseGroup(text, &bad)) {
    std::vector<Value> members;
    for (auto& m : g.members) members.push_back(Value::String(ToValidUtf8(m)));
    FERRY_RETURN_NOT_OK(w.Write({Value::String(ToValidUtf8(g.name)), Value::Int(g.gid), Value::List(std::move(members))}));
  }
  ReportBad(ctx, kGroups, "/etc/group", bad);
  return Status::OK();
}

}  // namespace

sdk::TableDef UsersTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kUsers;
  t.schema.title = "Host users";
  t.schema.description = "Local user accounts (/etc/passwd). Password hashes are never read.";
  t.schema.columns = {
      Col("name", types::Utf8(), "Login name", true),
      Col("uid", types::Int64(), "User ID"),
      Col("gid", types::Int64(), "Primary group ID"),
      Col("group_name", types::Utf8(), "Primary group name, from /etc/group"),
      Col("description", types::Utf8(), "GECOS field: full name and contact details"),
      Col("home", types::Utf8(), "Home directory"),
      Col("shell", types::Utf8(), "Login shell"),
      Col("can_login", types::Bool(), "The shell is neither nologin nor false"),
  };
  t.resolve = ResolveUsers;
  return t;
}

sdk::TableDef GroupsTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kGroups;
  t.schema.title = "Host groups";
  t.schema.description = "Local groups (/etc/group) and their supplementary members.";
  t.schema.columns = {
      Col("name", types::Utf8(), "Group name", true),
      Col("gid", types::Int64(), "Group ID"),
      Col("members", types::List(types::Utf8()), "Users listed as supplementary members"),
  };
  t.resolve = ResolveGroups;
  return t;
}

}  // namespace ferry::plugins::host
