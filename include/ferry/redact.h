// Process-wide secret redaction.
//
// What is a secret (the rule, also in docs/semantics.md, "What is redacted"):
//   - the content of every `${file:...}`;
//   - a `${ENV}` value whose variable name or spec key looks secret (contains
//     PASS, SECRET, TOKEN, KEY, CREDENTIAL, AUTH, DSN, CONNECTION, PRIVATE or
//     SESSION, any case);
//   - what a plugin registers from its options: passwords parsed out of
//     connection strings (the whole string only when it cannot be parsed),
//     keys, tokens.
// Counts, names, paths and other `${ENV}` values are not secrets and are
// never changed.
//
// How: Redact() replaces each registered secret where it stands as a whole
// token (not inside a longer word: a password "postgres" does not touch
// "postgresql"), longest first, by "***". Long secrets (kFragmentLength
// characters or more) are also found in part: any run of at least
// kFragmentLength of their characters is masked, so an error that quotes the
// first 77 characters of a key file shows none of them.
//
// Thread-safety: all functions may be called concurrently from any thread.
// Registration is rare (config load, plugin init), redaction is frequent
// (every log line): readers share a lock and scan an immutable snapshot.
//
// Limits: values shorter than kMinSecretLength are ignored; fragments are
// found for secrets up to kMaxFragmentIndexedLength (keys, tokens,
// credential files; the index costs about 100 bytes per character), longer
// ones (a certificate bundle) only whole; a secret is
// found verbatim only (not URL-escaped or split across messages), so errors
// about a value from `${...}` name where it came from instead of quoting it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

inline constexpr std::size_t kMinSecretLength = 4;
inline constexpr std::size_t kFragmentLength = 16;
inline constexpr std::size_t kMaxFragmentIndexedLength = 64 * 1024;
inline constexpr std::string_view kRedacted = "***";

// Remembers `secret` for the rest of the process. Values shorter than
// kMinSecretLength are ignored; registering a value twice is harmless.
void RegisterSecret(std::string_view secret);

// Returns `text` with every registered secret (as a whole token) and every
// fragment of a long secret replaced by "***" (see above).
std::string Redact(std::string_view text);

// The same status with its message redacted (code unchanged).
Status RedactStatus(const Status& status);

// Forgets every secret: for a fuzz harness, whose process loads a spec per
// input (a real process registers the secrets of one load).
void ForgetSecretsForTesting();

// Number of distinct secrets registered so far (for tests and diagnostics).
std::size_t RegisteredSecretCount();

// Whether a variable or key name looks like it holds a secret (the rule above).
bool LooksSecretName(std::string_view name);

// The password in a connection string: the userinfo password of a URL
// (scheme://user:password@host/..., as written, before percent-decoding) or
// the `password=` value of a key=value string (quotes and escapes removed).
// Empty when there is none.
std::string ConnectionStringPassword(std::string_view conn);

// Registers the secrets of a connection string: its password (raw and
// percent-decoded); the whole string when it has a password that cannot be
// cut out cleanly.
void RegisterConnectionString(std::string_view conn);

}  // namespace ferry
