#include "plugins/destination/sqlite/connection.h"

namespace ferry::plugins::sqlite {

Status SqliteStatus(int rc, sqlite3* db, const std::string& context) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = context + ": " + msg + " (" + sqlite3_errstr(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Transient(text);
    case SQLITE_NOMEM:
      return {StatusCode::kOutOfMemory, text};
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Status::Invalid(text);
    default:
      return Status::IOError(text);
  }
}

std::string QuoteIdent(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int64_t busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (path.rfind("file:", 0) == 0) flags |= SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, db, "open database \"" + path + "\"");
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  const int timeout = busy_timeout_ms > INT32_MAX ? INT32_MAX : static_cast<int>(busy_timeout_ms);
  sqlite3_busy_timeout(db, timeout);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() { sqlite3_close_v2(db_); }

Status Connection::Exec(const std::string& sql, const std::string& context) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  return Status::OK();
}

Result<Statement> Connection::Prepare(const std::string& sql, const std::string& context) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, context);
  }
  return Statement(stmt);
}

Status Connection::StepDone(sqlite3_stmt* stmt, const std::string& context) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  Status st = rc == SQLITE_DONE ? Status::OK() : Error(rc, context);
  sqlite3_reset(stmt);
  return st;
}

Result<std::string> Connection::QueryText(const std::string& sql, const std::string& context) {
  FERRY_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql, context));
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return Error(rc, context);
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            static_cast<size_t>(sqlite3_column_bytes(stmt.get(), 0)))
              : std::string();
}

Transaction::~Transaction() { Rollback(); }

Status Transaction::Begin() {
  FERRY_RETURN_NOT_OK(conn_->Exec("BEGIN IMMEDIATE", "begin transaction"));
  open_ = true;
  return Status::OK();
}

Status Transaction::Commit() {
  Status st = conn_->Exec("COMMIT", "commit");
  // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open; the
  // destructor or Rollback() ends it.
  if (st.ok()) open_ = false;
  return st;
}

void Transaction::Rollback() {
  if (!open_) return;
  open_ = false;
  // Fails only when SQLite already rolled back on its own (e.g. after
  // SQLITE_FULL); there is nothing left to undo then.
  conn_->Exec("ROLLBACK", "rollback").IgnoreError();
}

}  // namespace ferry::plugins::sqlite
