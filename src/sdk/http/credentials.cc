#include "ferry/http/credentials.h"

#include "ferry/redact.h"

namespace ferry::http {

CredentialChain& CredentialChain::Add(std::string name, Link link) {
  links_.emplace_back(std::move(name), std::move(link));
  return *this;
}

Result<Credential> CredentialChain::Resolve(const std::string& what) const {
  std::string tried;
  for (const auto& [name, link] : links_) {
    Result<LinkAnswer> answer = link();
    if (!answer.ok())
      return Status(answer.status().code(),
                    what + ": credentials from " + name + " failed: " + Redact(answer.status().message()));
    if (answer->credential) {
      Credential c = std::move(*answer->credential);
      for (const auto& [k, v] : c.fields) RegisterSecret(v);
      c.source = name;
      return c;
    }
    tried += "\n  " + name + ": " + Redact(answer->not_applicable);
  }
  return Status::Invalid(what + ": no credentials found; tried, in order:" +
                         (tried.empty() ? std::string(" nothing (the chain is empty)") : tried));
}

}  // namespace ferry::http
