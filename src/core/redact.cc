#include "ferry/redact.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace ferry {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// An immutable set of secrets: sorted longest first, plus an index of every
// kFragmentLength-byte window of the long ones (for fragments).
struct Secrets {
  std::vector<std::string> all;
  std::unordered_map<std::string_view, std::vector<std::pair<size_t, size_t>>> windows;  // -> (secret, offset)

  void Index() {
    windows.clear();
    for (size_t i = 0; i < all.size(); ++i) {
      const std::string& s = all[i];
      if (s.size() < kFragmentLength || s.size() > kMaxFragmentIndexedLength) continue;
      for (size_t off = 0; off + kFragmentLength <= s.size(); ++off)
        windows[std::string_view(s).substr(off, kFragmentLength)].emplace_back(i, off);
    }
  }
};

// The registry keeps an immutable snapshot behind a shared_ptr: Redact()
// copies the pointer under a shared lock and scans without holding the lock,
// so a concurrent RegisterSecret never blocks a long redaction.
class SecretRegistry {
 public:
  static SecretRegistry& Get() {
    static SecretRegistry* registry = new SecretRegistry();  // never destroyed: used by loggers at exit
    return *registry;
  }

  void Add(std::string_view secret) {
    if (secret.size() < kMinSecretLength) return;
    std::unique_lock lock(mu_);
    if (std::find(secrets_->all.begin(), secrets_->all.end(), secret) != secrets_->all.end()) return;
    auto next = std::make_shared<Secrets>();
    next->all = secrets_->all;
    next->all.emplace_back(secret);
    // Longest first: a secret containing another is replaced whole.
    std::stable_sort(next->all.begin(), next->all.end(),
                     [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    next->Index();
    secrets_ = std::move(next);
  }

  void Clear() {
    std::unique_lock lock(mu_);
    secrets_ = std::make_shared<Secrets>();
  }

  std::shared_ptr<const Secrets> Snapshot() const {
    std::shared_lock lock(mu_);
    return secrets_;
  }

 private:
  SecretRegistry() : secrets_(std::make_shared<Secrets>()) {}

  mutable std::shared_mutex mu_;
  std::shared_ptr<const Secrets> secrets_;  // GUARDED_BY(mu_)
};

// Replaces `secret` where it stands as a token: the characters around it do
// not continue a word that the secret starts or ends inside.
void ReplaceTokens(std::string& text, const std::string& secret) {
  const bool word_start = IsWordChar(secret.front()), word_end = IsWordChar(secret.back());
  std::size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    const std::size_t end = pos + secret.size();
    const bool glued = (word_start && pos > 0 && IsWordChar(text[pos - 1])) ||
                       (word_end && end < text.size() && IsWordChar(text[end]));
    if (glued) {
      ++pos;
      continue;
    }
    text.replace(pos, secret.size(), kRedacted);
    pos += kRedacted.size();
  }
}

// Masks every run of kFragmentLength or more characters of a long secret.
void ReplaceFragments(std::string& text, const Secrets& secrets) {
  if (secrets.windows.empty() || text.size() < kFragmentLength) return;
  std::string out;
  std::size_t copied = 0, i = 0;
  while (i + kFragmentLength <= text.size()) {
    auto it = secrets.windows.find(std::string_view(text).substr(i, kFragmentLength));
    if (it == secrets.windows.end()) {
      ++i;
      continue;
    }
    // Extend the match as far as the secret and the text agree, both ways.
    std::size_t best_end = i + kFragmentLength, best_start = i;
    for (const auto& [idx, off] : it->second) {
      const std::string& s = secrets.all[idx];
      std::size_t a = i, b = off;
      while (a > copied && b > 0 && text[a - 1] == s[b - 1]) --a, --b;
      std::size_t e = i + kFragmentLength, f = off + kFragmentLength;
      while (e < text.size() && f < s.size() && text[e] == s[f]) ++e, ++f;
      best_start = std::min(best_start, a);
      best_end = std::max(best_end, e);
    }
    out.append(text, copied, best_start - copied);
    out += kRedacted;
    copied = best_end;
    i = best_end;
  }
  if (copied == 0) return;
  out.append(text, copied, std::string::npos);
  text = std::move(out);
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void RegisterSecret(std::string_view secret) { SecretRegistry::Get().Add(secret); }

void ForgetSecretsForTesting() { SecretRegistry::Get().Clear(); }

std::string Redact(std::string_view text) {
  std::string out(text);
  auto secrets = SecretRegistry::Get().Snapshot();
  for (const std::string& s : secrets->all) ReplaceTokens(out, s);
  ReplaceFragments(out, *secrets);
  return out;
}

Status RedactStatus(const Status& status) {
  if (status.ok()) return status;
  return Status(status.code(), Redact(status.message()));
}

std::size_t RegisteredSecretCount() { return SecretRegistry::Get().Snapshot()->all.size(); }

bool LooksSecretName(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* word : {"PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH", "DSN", "CONNECTION", "PRIVATE",
                           "SESSION"})
    if (upper.find(word) != std::string::npos) return true;
  return false;
}

std::string ConnectionStringPassword(std::string_view conn) {
  const std::size_t scheme = conn.find("://");
  if (scheme != std::string_view::npos && conn.find_first_of(" =", 0) > scheme) {
    // URL: the authority ends at the first '/', '?' or '#' after the scheme;
    // its last '@' ends the userinfo, whose first ':' starts the password.
    const std::size_t start = scheme + 3;
    std::size_t end = conn.find_first_of("/?#", start);
    if (end == std::string_view::npos) end = conn.size();
    const std::size_t at = conn.substr(start, end - start).rfind('@');
    if (at == std::string_view::npos) return "";
    const std::string_view userinfo = conn.substr(start, at);
    const std::size_t colon = userinfo.find(':');
    return colon == std::string_view::npos ? "" : std::string(userinfo.substr(colon + 1));
  }
  // key=value pairs: password = 'quoted \' value' | bare
  for (std::size_t p = conn.find("password"); p != std::string_view::npos; p = conn.find("password", p + 1)) {
    if (p > 0 && IsWordChar(conn[p - 1])) continue;
    std::size_t i = p + 8;
    while (i < conn.size() && conn[i] == ' ') ++i;
    if (i >= conn.size() || conn[i] != '=') continue;
    ++i;
    while (i < conn.size() && conn[i] == ' ') ++i;
    std::string value;
    if (i < conn.size() && conn[i] == '\'') {
      for (++i; i < conn.size() && conn[i] != '\''; ++i) {
        if (conn[i] == '\\' && i + 1 < conn.size()) ++i;
        value += conn[i];
      }
    } else {
      while (i < conn.size() && conn[i] != ' ') value += conn[i++];
    }
    return value;
  }
  return "";
}

void RegisterConnectionString(std::string_view conn) {
  const std::string raw = ConnectionStringPassword(conn);
  if (raw.empty()) {
    // A password we could not cut out: the whole string is the secret.
    const bool url_with_userinfo = conn.find("://") != std::string_view::npos && conn.find('@') != std::string_view::npos;
    if (url_with_userinfo || conn.find("password") != std::string_view::npos) RegisterSecret(conn);
    return;
  }
  RegisterSecret(raw);
  // The decoded form too (what a library may print); a bad escape stays as is.
  std::string decoded;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && Hex(raw[i + 1]) >= 0 && Hex(raw[i + 2]) >= 0) {
      decoded += static_cast<char>(Hex(raw[i + 1]) * 16 + Hex(raw[i + 2]));
      i += 2;
      continue;
    }
    decoded += raw[i];
  }
  RegisterSecret(decoded);
}

}  // namespace ferry
