// Connection and Statement: RAII over the sqlite3 C API, with SQLite result
// codes mapped to Status.
//
// A Connection owns one sqlite3 handle and closes it at destruction; a
// Statement owns one prepared statement and finalizes it. Statements must be
// destroyed before their Connection. Neither is thread-safe: the engine drives
// a destination from one writer thread. Nothing here throws.
//
// Error mapping (SqliteStatus): SQLITE_BUSY / SQLITE_LOCKED -> Transient
// (retryable); SQLITE_NOMEM -> OutOfMemory; SQLITE_CONSTRAINT / MISMATCH /
// TOOBIG / RANGE -> InvalidArgument (the data cannot be stored, retrying will
// not help); everything else -> IOError. The message is
// "<context>: <sqlite message> (<sqlite error name>)".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "ferry/status.h"

namespace ferry::plugins::sqlite {

// Status for result code `rc` (not SQLITE_OK/ROW/DONE); `db` may be null.
Status SqliteStatus(int rc, sqlite3* db, const std::string& context);

// "a""b" for a"b: an SQL identifier, always quoted, embedded quotes doubled.
std::string QuoteIdent(std::string_view name);

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(stmt_);
      stmt_ = o.stmt_;
      o.stmt_ = nullptr;
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  // Opens (creating if needed) `path`; a path starting with "file:" is an
  // SQLite URI. Sets the busy timeout. Does not run any PRAGMA.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int64_t busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // Runs one or more statements that return no rows we need.
  Status Exec(const std::string& sql, const std::string& context);
  Result<Statement> Prepare(const std::string& sql, const std::string& context);
  // Steps `stmt` until SQLITE_DONE and resets it (also on error).
  Status StepDone(sqlite3_stmt* stmt, const std::string& context);
  // The first column of the first row of `sql`, as text ("" when no row).
  Result<std::string> QueryText(const std::string& sql, const std::string& context);

  Status Error(int rc, const std::string& context) const { return SqliteStatus(rc, db_, context); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so a busy database fails at
// BEGIN, before any work) ... COMMIT; rolls back at destruction unless
// committed.
class Transaction {
 public:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin();
  Status Commit();
  void Rollback();

 private:
  Connection* conn_;
  bool open_ = false;
};

}  // namespace ferry::plugins::sqlite
