// Process-wide secret redaction.
//
// Values that come from `${ENV}` and `${file:...}` in specs, and options a
// plugin declares `secret`, are registered here once; the logger, the sync
// summary and error printers pass their text through Redact() so that those
// values never reach a terminal, a log file or a summary record.
//
// Thread-safety: all functions may be called concurrently from any thread.
// Registration is rare (config load), redaction is frequent (every log line),
// so readers share a lock and the no-secret case takes no copy of the list.
//
// Limits: values shorter than kMinSecretLength are ignored (redacting "1" or
// "on" would mangle every line); a secret is only found when it appears
// verbatim (not URL-escaped, quoted or split across messages).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

inline constexpr std::size_t kMinSecretLength = 4;
inline constexpr std::string_view kRedacted = "***";

// Remembers `secret` for the rest of the process. Values shorter than
// kMinSecretLength are ignored; registering a value twice is harmless.
void RegisterSecret(std::string_view secret);

// Returns `text` with every occurrence of every registered secret replaced by
// "***". Longer secrets are replaced first, so a secret that contains another
// one is hidden whole.
std::string Redact(std::string_view text);

// The same status with its message redacted (code unchanged).
Status RedactStatus(const Status& status);

// Number of distinct secrets registered so far (for tests and diagnostics).
std::size_t RegisteredSecretCount();

}  // namespace ferry
