// Credentials as a chain of named links (environment, a file, a metadata
// endpoint, ...), tried in order, as the cloud SDKs do.
//
// A link answers one of: a credential; "not applicable", with the reason
// (AWS_ACCESS_KEY_ID is not set); or an error (the file exists but cannot be
// parsed: the chain stops there, because silently falling through to another
// identity is worse than failing). When no link applies the error names every
// link and why it did not. Every field of the credential found is registered
// with RegisterSecret before it is returned, and no message ever quotes one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::http {

struct Credential {
  std::map<std::string, std::string> fields;   // e.g. access_key_id, secret_access_key, session_token
  std::string source;                          // the link that produced it
  std::optional<std::chrono::system_clock::time_point> expires;
};

struct LinkAnswer {
  std::optional<Credential> credential;
  std::string not_applicable;   // why, when there is no credential
  static LinkAnswer Found(Credential c) { return {std::move(c), ""}; }
  static LinkAnswer Skip(std::string why) { return {std::nullopt, std::move(why)}; }
};

class CredentialChain {
 public:
  using Link = std::function<Result<LinkAnswer>()>;

  CredentialChain& Add(std::string name, Link link);

  // The first credential a link finds (its `source` set to the link's name).
  // `what` names the integration in messages ("aws source").
  Result<Credential> Resolve(const std::string& what) const;

 private:
  std::vector<std::pair<std::string, Link>> links_;
};

}  // namespace ferry::http
