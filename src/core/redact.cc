#include "ferry/redact.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace ferry {
namespace {

// The registry keeps an immutable, sorted snapshot behind a shared_ptr:
// Redact() copies the pointer under a shared lock and scans without holding
// the lock, so a concurrent RegisterSecret never blocks a long redaction.
class SecretRegistry {
 public:
  static SecretRegistry& Get() {
    static SecretRegistry* registry = new SecretRegistry();  // never destroyed: used by loggers at exit
    return *registry;
  }

  void Add(std::string_view secret) {
    if (secret.size() < kMinSecretLength) return;
    std::unique_lock lock(mu_);
    if (std::find(secrets_->begin(), secrets_->end(), secret) != secrets_->end()) return;
    auto next = std::make_shared<std::vector<std::string>>(*secrets_);
    next->emplace_back(secret);
    // Longest first: a secret containing another is replaced whole.
    std::stable_sort(next->begin(), next->end(),
                     [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    secrets_ = std::move(next);
  }

  std::shared_ptr<const std::vector<std::string>> Snapshot() const {
    std::shared_lock lock(mu_);
    return secrets_;
  }

 private:
  SecretRegistry() : secrets_(std::make_shared<std::vector<std::string>>()) {}

  mutable std::shared_mutex mu_;
  std::shared_ptr<const std::vector<std::string>> secrets_;  // GUARDED_BY(mu_)
};

void ReplaceAll(std::string& text, const std::string& secret) {
  std::size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    text.replace(pos, secret.size(), kRedacted);
    pos += kRedacted.size();
  }
}

}  // namespace

void RegisterSecret(std::string_view secret) { SecretRegistry::Get().Add(secret); }

std::string Redact(std::string_view text) {
  std::string out(text);
  auto secrets = SecretRegistry::Get().Snapshot();
  for (const std::string& s : *secrets) ReplaceAll(out, s);
  return out;
}

Status RedactStatus(const Status& status) {
  if (status.ok()) return status;
  return Status(status.code(), Redact(status.message()));
}

std::size_t RegisteredSecretCount() { return SecretRegistry::Get().Snapshot()->size(); }

}  // namespace ferry
