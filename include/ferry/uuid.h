// UUID helpers: random v4, name-based v5 (SHA-1, RFC 4122) and text forms.
// UUIDs are 16 raw bytes in a std::string (the uuid column's storage).
#pragma once

#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry::uuid {

std::string NewV4();                                        // thread-safe
void NewV4(char out[16]);                                   // the same, without a string
std::string V5(std::string_view ns16, std::string_view name);
std::string ToString(std::string_view bytes16);             // 8-4-4-4-12 lowercase
Result<std::string> Parse(std::string_view text);           // -> 16 bytes

}  // namespace ferry::uuid
