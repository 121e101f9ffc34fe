#include "ferry/status.h"

namespace ferry {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kUnsupported: return "Unsupported";
    case StatusCode::kIOError: return "IOError";
    case StatusCode::kTransient: return "Transient";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kOutOfMemory: return "OutOfMemory";
    case StatusCode::kSchemaChange: return "SchemaChange";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + msg_;
}

}  // namespace ferry
