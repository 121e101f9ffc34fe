// Text helpers for the parsers of the `host` source: splitting, trimming,
// strict integer parsing, UTF-8 repair, FNV-1a fingerprints and CIDR text.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::plugins::host {

std::string_view Trim(std::string_view s);
// Splits on `sep`; keeps empty fields.
std::vector<std::string_view> Split(std::string_view s, char sep);
// Splits on runs of spaces and tabs; no empty fields.
std::vector<std::string_view> Fields(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);

// Whole-string decimal (or base 16) integers; nullopt on any junk or overflow.
std::optional<int64_t> ParseInt(std::string_view s);
std::optional<uint64_t> ParseUInt(std::string_view s, int base = 10);

// `s` with every invalid UTF-8 sequence replaced by U+FFFD, so utf8 columns
// always hold valid text (log lines, command lines and paths are bytes).
std::string ToValidUtf8(std::string_view s);

// FNV-1a 64-bit hash, as 16 lowercase hex digits.
std::string Fnv1aHex(std::string_view s);

// Number of leading one bits of a netmask (bytes in network order); -1 when
// the mask is not contiguous.
int PrefixLength(const unsigned char* mask, size_t len);

}  // namespace ferry::plugins::host
