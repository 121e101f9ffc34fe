#include "plugins/destination/postgresql/connection.h"

#include <cstdio>
#include <cstring>

#include "ferry/redact.h"

namespace ferry::plugins::postgresql {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool Contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

// Connection-time failures carry no SQLSTATE: tell "not reachable (yet)" from
// "will never work" by libpq's message.
bool PermanentConnectError(const std::string& msg) {
  for (const char* p : {"password authentication failed", "no password supplied", "does not exist",
                        "pg_hba.conf", "permission denied", "certificate", "SSL", "invalid", "unsupported",
                        "requires a valid client", "authentication"})
    if (Contains(msg, p)) return true;
  return false;
}

}  // namespace

bool IsTransientSqlState(std::string_view s) {
  if (s.size() != 5) return false;
  return s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "40001" || s == "40P01" ||
         s == "55P03" || s == "53300";
}

Status PgStatus(PGconn* conn, const PGresult* r, const std::string& context) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg;
  if (r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) {
    msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) msg += std::string(" (") + detail + ")";
  } else if (r && *PQresultErrorMessage(r)) {
    msg = Trim(PQresultErrorMessage(r));
  } else {
    msg = Trim(conn ? PQerrorMessage(conn) : "no connection");
  }
  if (msg.empty()) msg = "unknown error";
  const std::string sqlstate = state ? state : "";
  std::string text = context + ": " + msg + (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")");
  text = Redact(text);
  const bool lost = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  if (lost || IsTransientSqlState(sqlstate)) {
    if (lost && sqlstate.empty()) text += " (connection lost)";
    return Status::Transient(text);
  }
  if (sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("23", 0) == 0) return Status::Invalid(text);
  if (sqlstate == "53200") return Status(StatusCode::kOutOfMemory, text);
  return Status::IOError(text);
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo, int64_t connect_timeout_s) {
  // Later keywords override earlier ones, and the expanded dbname (the whole
  // connection string) overrides connect_timeout when it sets one.
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
  const char* values[] = {timeout.c_str(), conninfo.c_str(), "ferry", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return Status(StatusCode::kOutOfMemory, "postgresql: cannot allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Redact("connect to postgresql: " + Trim(PQerrorMessage(conn)));
    PQfinish(conn);
    if (PermanentConnectError(msg)) return Status::IOError(msg);
    return Status::Transient(msg);
  }
  auto c = std::unique_ptr<Connection>(new Connection(conn));
  // UTC for any timestamp text the server produces (COPY and our parameters are binary).
  FERRY_RETURN_NOT_OK(c->Exec("SET TimeZone = 'UTC'; SET client_min_messages = warning", "configure session"));
  return c;
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Exec(const std::string& sql, const std::string& context) {
  PgResult r(PQexec(conn_, sql.c_str()));
  const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return Status::OK();
  return PgStatus(conn_, r.get(), context);
}

Result<PgResult> Connection::Query(const std::string& sql, const std::string& context) {
  PgResult r(PQexec(conn_, sql.c_str()));
  if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK) return r;
  if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return r;
  return PgStatus(conn_, r.get(), context);
}

Result<PgResult> Connection::QueryParams(const std::string& sql, const std::vector<Param>& params,
                                         bool binary_result, const std::string& context) {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    types.push_back(p.oid);
    values.push_back(p.is_null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(1);
  }
  PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                          lengths.data(), formats.data(), binary_result ? 1 : 0));
  const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
  return PgStatus(conn_, r.get(), context);
}

Status Connection::CopyBegin(const std::string& copy_sql, const std::string& context) {
  PgResult r(PQexec(conn_, copy_sql.c_str()));
  if (r && PQresultStatus(r.get()) == PGRES_COPY_IN) return Status::OK();
  return PgStatus(conn_, r.get(), context);
}

Status Connection::CopyPut(const char* data, size_t size, const std::string& context) {
  if (PQputCopyData(conn_, data, static_cast<int>(size)) == 1) return Status::OK();
  return PgStatus(conn_, nullptr, context);
}

Status Connection::CopyEnd(const std::string& context) {
  if (PQputCopyEnd(conn_, nullptr) != 1) return PgStatus(conn_, nullptr, context);
  Status out;
  // Drain every result so the connection is usable for the next command.
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && out.ok()) out = PgStatus(conn_, raw, context);
  }
  return out;
}

void Connection::CopyAbort(const std::string& reason) {
  if (PQputCopyEnd(conn_, reason.c_str()) != 1) return;
  while (PGresult* raw = PQgetResult(conn_)) PQclear(raw);
}

Status Connection::Send(const std::string& sql, const std::string& context) {
  if (PQsendQuery(conn_, sql.c_str()) != 1) return PgStatus(conn_, nullptr, context);
  return Status::OK();
}

Status Connection::Collect(const std::string& context) {
  Status out;
  bool any = false;
  while (PGresult* raw = PQgetResult(conn_)) {
    any = true;
    PgResult r(raw);
    const auto st = PQresultStatus(raw);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && out.ok()) out = PgStatus(conn_, raw, context);
  }
  if (!any && out.ok()) return PgStatus(conn_, nullptr, context);
  return out;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string PgName(std::string_view name) {
  constexpr size_t kMax = 63;
  if (name.size() <= kMax) return std::string(name);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;  // not inside a character
  return std::string(name.substr(0, n));
}

std::string DerivedName(std::string_view base, std::string_view suffix) {
  constexpr size_t kMax = 63;
  if (base.size() + suffix.size() <= kMax) return std::string(base) + std::string(suffix);
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the full base name
  for (char c : base) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char tag[18];
  std::snprintf(tag, sizeof(tag), "_%08x", static_cast<unsigned>(h ^ (h >> 32)));
  const std::string prefix = PgName(base.substr(0, kMax - suffix.size() - std::strlen(tag)));
  return prefix + tag + std::string(suffix);
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace ferry::plugins::postgresql
