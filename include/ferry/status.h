// Status and Result<T>: errors as values at every boundary.
//
// A Status is OK or carries a code and a message. Result<T> holds either a T
// or a non-OK Status. Both are [[nodiscard]]: an error is returned, recorded in
// the sync summary, or explicitly ignored with `.IgnoreError()` and a comment.
// Third-party exceptions stop at the module that calls the library.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ferry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a user: spec, option, value
  kNotFound,
  kAlreadyExists,
  kUnsupported,      // a feature/mode the integration does not have
  kIOError,          // disk, network, database; may be retryable
  kTransient,        // retryable by definition (lost connection, deadlock)
  kCancelled,
  kInternal,         // a bug in Ferry
  kOutOfMemory,
  kSchemaChange,     // a migration that needs migrate_mode: forced
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string msg) : code_(code), msg_(std::move(msg)) {}

  static Status OK() { return Status(); }
  static Status Invalid(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Transient(std::string msg) { return {StatusCode::kTransient, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status SchemaChange(std::string msg) { return {StatusCode::kSchemaChange, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return msg_; }
  bool IsRetryable() const { return code_ == StatusCode::kTransient; }

  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // Returns a copy with `prefix: ` prepended to the message (same code).
  Status WithContext(const std::string& prefix) const {
    if (ok()) return *this;
    return Status(code_, prefix + ": " + msg_);
  }

  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string msg_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& operator*() & { return std::get<T>(v_); }
  const T& operator*() const& { return std::get<T>(v_); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T MoveValue() { return std::get<T>(std::move(v_)); }

 private:
  std::variant<T, Status> v_;
};

#define FERRY_CONCAT_INNER(a, b) a##b
#define FERRY_CONCAT(a, b) FERRY_CONCAT_INNER(a, b)

#define FERRY_RETURN_NOT_OK(expr)            \
  do {                                       \
    ::ferry::Status _st = (expr);            \
    if (!_st.ok()) return _st;               \
  } while (0)

#define FERRY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value();

#define FERRY_ASSIGN_OR_RETURN(lhs, rexpr) \
  FERRY_ASSIGN_OR_RETURN_IMPL(FERRY_CONCAT(_res_, __LINE__), lhs, rexpr)

}  // namespace ferry
