// AWS credential providers and the default chain (contract in
// ferry/http/aws_credentials.h).
//
// Facts relied on (AWS SDKs and Tools Reference Guide, "Standardized
// credential providers" and "Shared config and credentials files"; the AWS Go
// SDK v2 config package's resolveCredentialChain / resolveCredsFromProfile;
// botocore's credentials.py):
//   - order: environment keys, web identity from the environment, the
//     profile, then container credentials, then instance metadata; a named
//     profile (explicit, or AWS_PROFILE) skips the environment's keys (Go);
//   - files: INI; the credentials file's sections are [NAME], the config
//     file's [profile NAME] and [default]; indented lines continue a nested
//     setting (ignored here); "#" and ";" start comment lines;
//   - within a profile (Go's precedence): role_arn with source_profile or
//     credential_source or web_identity_token_file is a role to assume
//     with those base credentials; else static keys (aws_access_key_id,
//     aws_secret_access_key, aws_session_token); else credential_process;
//     a source_profile naming the profile itself uses its static keys;
//   - credential_process: run by the shell; stdout is JSON {Version: 1,
//     AccessKeyId, SecretAccessKey, SessionToken, Expiration}; a non-zero
//     exit is an error;
//   - refresh: 5 minutes before expiry (the Go SDK's stscreds default
//     window and botocore's advisory refresh, 15 min mandatory 10 in newer
//     versions; 5 is what CloudQuery's plugin, on the Go SDK, does).
#include "ferry/http/aws_credentials.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aws_remote_credentials.h"
#include "ferry/http/credentials.h"
#include "ferry/redact.h"

namespace ferry::http::aws {
namespace {

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

std::chrono::system_clock::time_point Now(const Clock& clock) {
  return clock ? clock() : std::chrono::system_clock::now();
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

class StaticProvider : public AwsCredentialProvider {
 public:
  explicit StaticProvider(AwsCredentials c) : c_(std::move(c)) {
    RegisterSecret(c_.secret_access_key);
    RegisterSecret(c_.session_token);
  }
  Result<AwsCredentials> Get() override { return c_; }
  std::string Describe() const override { return c_.source.empty() ? "static credentials" : c_.source; }

 private:
  AwsCredentials c_;
};

// The INI text of a shared file; `config` strips "profile " from section names.
Result<IniFile> ParseIni(const std::string& text, const std::string& path, bool config) {
  IniFile out;
  std::string section;
  bool in_section = false;
  std::istringstream in(text);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (line[0] == ' ' || line[0] == '\t') continue;   // a nested setting's lines
    if (t[0] == '[') {
      if (t.back() != ']') return Status::Invalid(path + ":" + std::to_string(line_no) + ": a section header without ']'");
      section = Trim(t.substr(1, t.size() - 2));
      if (config && section.rfind("profile ", 0) == 0) section = Trim(section.substr(8));
      in_section = true;
      out[section];
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos)
      return Status::Invalid(path + ":" + std::to_string(line_no) + ": neither a section, a key = value, nor a comment");
    if (!in_section) return Status::Invalid(path + ":" + std::to_string(line_no) + ": a setting before any [section]");
    std::string key = Trim(t.substr(0, eq)), value = Trim(t.substr(eq + 1));
    out[section][key] = value;
  }
  return out;
}

struct SharedFiles {
  std::string credentials_path, config_path;
  IniFile credentials, config;
  bool Has(const std::string& profile) const { return credentials.count(profile) || config.count(profile); }
  // The config file's settings with the credentials file's on top.
  Section Merged(const std::string& profile) const {
    Section s;
    if (auto it = config.find(profile); it != config.end()) s = it->second;
    if (auto it = credentials.find(profile); it != credentials.end())
      for (const auto& [k, v] : it->second) s[k] = v;
    return s;
  }
  std::string Where(const std::string& profile) const {
    std::string w = "profile " + profile + " in ";
    if (credentials.count(profile)) w += credentials_path;
    if (credentials.count(profile) && config.count(profile)) w += " and ";
    if (config.count(profile)) w += config_path;
    return w;
  }
};

Result<SharedFiles> LoadSharedFiles(const EnvLookup& env) {
  SharedFiles f;
  std::string home = env("HOME").value_or("");
  f.credentials_path = env("AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
  f.config_path = env("AWS_CONFIG_FILE").value_or(home + "/.aws/config");
  for (auto [path, ini, config] : {std::tuple{&f.credentials_path, &f.credentials, false},
                                   std::tuple{&f.config_path, &f.config, true}}) {
    std::error_code ec;
    if (!std::filesystem::exists(*path, ec)) continue;
    std::ifstream in(*path, std::ios::binary);
    if (!in) return Status::IOError("cannot read " + *path);
    std::stringstream ss;
    ss << in.rdbuf();
    FERRY_ASSIGN_OR_RETURN(*ini, ParseIni(ss.str(), *path, config));
    // Keys are secrets wherever they stand.
    for (const auto& [name, section] : *ini)
      for (const auto& [k, v] : section)
        if (k == "aws_secret_access_key" || k == "aws_session_token") RegisterSecret(v);
  }
  return f;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `command` with the shell; its stdout, or an error with its exit
// status and the start of its stderr (redacted).
Result<std::string> RunProcess(const std::string& command, const std::string& where) {
  char err_path[] = "/tmp/ferry-credential-process-XXXXXX";
  int fd = mkstemp(err_path);
  if (fd < 0) return Status::IOError(where + ": cannot make a temporary file for its stderr");
  close(fd);
  std::string shell = "{\n" + command + "\n} 2>" + ShellQuote(err_path);
  FILE* p = popen(shell.c_str(), "r");
  if (!p) {
    unlink(err_path);
    return Status::IOError(where + ": cannot start it");
  }
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = pclose(p);
  std::ifstream err_in(err_path);
  std::stringstream err;
  err << err_in.rdbuf();
  unlink(err_path);
  RegisterSecret(out);
  if (status != 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return Status::IOError(where + " exited with status " + std::to_string(code) +
                           (err.str().empty() ? "" : ": " + Redact(Trim(err.str().substr(0, 300)))));
  }
  return out;
}

std::chrono::seconds ParseDuration(const std::string& text, const std::string& where, Status* error) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v <= 0) *error = Status::Invalid(where + ": duration_seconds \"" + text + "\" is not a positive number");
  return std::chrono::seconds(v);
}

}  // namespace

std::shared_ptr<AwsCredentialProvider> StaticCredentials(AwsCredentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

RefreshingCredentials::RefreshingCredentials(std::string description, Fetch fetch, Clock clock,
                                             std::chrono::seconds margin)
    : description_(std::move(description)), fetch_(std::move(fetch)), clock_(std::move(clock)), margin_(margin) {}

int64_t RefreshingCredentials::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

Result<AwsCredentials> RefreshingCredentials::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto now = Now(clock_);
    if (cached_ && (!cached_->expires || *cached_->expires - now > margin_)) return *cached_;
    bool still_valid = cached_ && cached_->expires && *cached_->expires > now;
    if (!fetching_) break;
    if (still_valid) return *cached_;   // someone is refreshing; these still work
    uint64_t gen = generation_;
    cv_.wait(lock, [&] { return generation_ != gen; });
    if (!last_error_.ok() && !(cached_ && cached_->expires && *cached_->expires > Now(clock_))) return last_error_;
  }
  fetching_ = true;
  lock.unlock();
  Result<AwsCredentials> fresh = fetch_();
  lock.lock();
  fetching_ = false;
  ++generation_;
  ++fetches_;
  if (fresh.ok()) {
    RegisterSecret(fresh->secret_access_key);
    RegisterSecret(fresh->session_token);
    cached_ = *fresh;
    last_error_ = Status::OK();
  } else {
    // Fetchers that already name their source are not named twice.
    last_error_ = fresh.status().message().rfind(description_, 0) == 0 ? fresh.status()
                                                                        : fresh.status().WithContext(description_);
  }
  cv_.notify_all();
  if (!fresh.ok()) return last_error_;
  return *cached_;
}

Result<AwsCredentials> ParseCredentialProcessOutput(const std::string& text, const std::string& where) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::IOError(where + " printed something that is not a JSON object");
  if (!j.contains("Version") || j["Version"] != 1)
    return Status::IOError(where + " printed JSON without \"Version\": 1 (the only version defined)");
  auto str = [&](const char* k) { return internal::JsonString(j, k); };
  AwsCredentials c = internal::CredentialsFromJson(j, "AccessKeyId", "SecretAccessKey", "SessionToken");
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return Status::IOError(where + " printed no AccessKeyId or SecretAccessKey");
  if (std::string e = str("Expiration"); !e.empty()) {
    FERRY_ASSIGN_OR_RETURN(c.expires, internal::ParseExpiry(e, where));
  }
  c.source = where;
  return c;
}

namespace {

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

// Options with defaults filled in (clients made when none was given).
struct Context {
  AwsCredentialOptions options;
  std::shared_ptr<HttpClient> metadata_http;   // short timeouts, one retry
  Result<std::shared_ptr<HttpClient>> Sts() {
    if (options.http) return options.http;
    ClientOptions o;
    o.user_agent = "ferry";
    FERRY_ASSIGN_OR_RETURN(auto c, HttpClient::Make(o));
    options.http = std::shared_ptr<HttpClient>(std::move(c));
    return options.http;
  }
  // Its own client even when options.http is given: off EC2/ECS nothing
  // answers at the link-local addresses, and the probe must give up within
  // seconds, not after a general client's retries.
  Result<std::shared_ptr<HttpClient>> Metadata() {
    if (metadata_http) return metadata_http;
    ClientOptions o;
    o.connect_timeout = std::chrono::milliseconds(1000);
    o.request_timeout = std::chrono::milliseconds(2000);
    o.retry.max_retries = 1;
    o.http2 = false;
    FERRY_ASSIGN_OR_RETURN(auto c, HttpClient::Make(o));
    metadata_http = std::shared_ptr<HttpClient>(std::move(c));
    return metadata_http;
  }
  std::optional<std::string> Env(const std::string& name) const {
    auto v = options.getenv(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  }
};

Result<LinkAnswer> Found(std::shared_ptr<AwsCredentialProvider> provider,
                         std::shared_ptr<AwsCredentialProvider>* slot) {
  FERRY_ASSIGN_OR_RETURN(AwsCredentials c, provider->Get());
  *slot = provider;
  Credential out;
  out.fields = {{"access_key_id", c.access_key_id}, {"secret_access_key", c.secret_access_key}};
  if (!c.session_token.empty()) out.fields["session_token"] = c.session_token;
  out.expires = c.expires;
  return LinkAnswer::Found(std::move(out));
}

Result<std::optional<std::shared_ptr<AwsCredentialProvider>>> EnvironmentKeys(const Context& ctx) {
  auto id = ctx.Env("AWS_ACCESS_KEY_ID"), secret = ctx.Env("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::optional<std::shared_ptr<AwsCredentialProvider>>();
  if (!id || !secret)
    return Status::Invalid(std::string("environment: ") + (id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                                              : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
  AwsCredentials c{.access_key_id = *id, .secret_access_key = *secret, .source = "environment"};
  if (auto token = ctx.Env("AWS_SESSION_TOKEN")) c.session_token = *token;
  return std::optional(StaticCredentials(std::move(c)));
}

std::shared_ptr<AwsCredentialProvider> ContainerProvider(Context& ctx, internal::ContainerSource source,
                                                         std::shared_ptr<HttpClient> http) {
  return std::make_shared<RefreshingCredentials>(
      "container credentials endpoint " + UrlForMessages(source.url),
      [http, source]() { return internal::FetchContainerCredentials(*http, source); }, ctx.options.clock);
}

// The container source the environment names, or why none.
Result<std::optional<internal::ContainerSource>> ContainerFromEnv(const Context& ctx, std::string* why) {
  internal::ContainerSource s;
  if (auto rel = ctx.Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    std::string base = ctx.options.ecs_endpoint.empty() ? "http://169.254.170.2" : ctx.options.ecs_endpoint;
    s.url = base + *rel;
  } else if (auto full = ctx.Env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    s.url = *full;
    // http only to hosts on the machine or the ECS/EKS agents (botocore's rule).
    if (s.url.rfind("http://", 0) == 0) {
      std::string host = HostOf(s.url);
      if (size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
        host.resize(colon);
      bool allowed = host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]" || host == "169.254.170.2" ||
                     host == "169.254.170.23" || host == "[fd00:ec2::23]";
      if (!allowed)
        return Status::Invalid("AWS_CONTAINER_CREDENTIALS_FULL_URI " + UrlForMessages(s.url) +
                               ": plain http is allowed only to a loopback address or the ECS/EKS agent hosts");
    } else if (s.url.rfind("https://", 0) != 0) {
      return Status::Invalid("AWS_CONTAINER_CREDENTIALS_FULL_URI " + UrlForMessages(s.url) + " is not an http(s) URL");
    }
  } else {
    *why = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set";
    return std::optional<internal::ContainerSource>();
  }
  if (auto f = ctx.Env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) s.auth_token_file = *f;
  else if (auto t = ctx.Env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) s.auth_token = *t;
  RegisterSecret(s.auth_token);
  return std::optional(s);
}

std::string ImdsEndpoint(const Context& ctx) {
  if (!ctx.options.imds_endpoint.empty()) return ctx.options.imds_endpoint;
  return ctx.Env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
}

bool ImdsDisabled(const Context& ctx) {
  std::string v = ctx.Env("AWS_EC2_METADATA_DISABLED").value_or("");
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

std::shared_ptr<AwsCredentialProvider> InstanceProvider(Context& ctx, std::shared_ptr<HttpClient> http) {
  std::string endpoint = ImdsEndpoint(ctx);
  return std::make_shared<RefreshingCredentials>(
      "EC2 instance metadata at " + endpoint,
      [http, endpoint]() { return internal::FetchInstanceCredentials(*http, endpoint); }, ctx.options.clock);
}

// Resolves profiles of the shared files, following source_profile.
class ProfileResolver {
 public:
  ProfileResolver(Context& ctx, const SharedFiles& files) : ctx_(ctx), files_(files) {}

  // Nullopt (with *why) when the profile holds no credential settings.
  Result<std::optional<std::shared_ptr<AwsCredentialProvider>>> Resolve(const std::string& name, std::string* why) {
    if (!files_.Has(name)) {
      *why = "profile " + name + " is in neither " + files_.credentials_path + " nor " + files_.config_path;
      return std::optional<std::shared_ptr<AwsCredentialProvider>>();
    }
    if (!visiting_.insert(name).second)
      return Status::Invalid("profile " + name + ": source_profile chain loops back to it (" + chain_ + name + ")");
    chain_ += name + " -> ";
    Section s = files_.Merged(name);
    std::string where = files_.Where(name);
    auto get = [&](const char* k) {
      auto it = s.find(k);
      return it == s.end() ? std::string() : it->second;
    };
    std::string role_arn = get("role_arn");
    if (!role_arn.empty()) return AssumeFromProfile(name, s, where, role_arn, get);
    if (auto keys = StaticKeys(s, where)) return std::optional(*keys);
    if (!get("aws_access_key_id").empty() || !get("aws_secret_access_key").empty())
      return Status::Invalid(where + ": aws_access_key_id and aws_secret_access_key must both be set");
    if (std::string cmd = get("credential_process"); !cmd.empty()) {
      std::string what = "credential_process of " + where;
      return std::optional<std::shared_ptr<AwsCredentialProvider>>(std::make_shared<RefreshingCredentials>(
          what,
          [cmd, what]() -> Result<AwsCredentials> {
            FERRY_ASSIGN_OR_RETURN(std::string out, RunProcess(cmd, what));
            return ParseCredentialProcessOutput(out, what);
          },
          ctx_.options.clock));
    }
    if (!get("sso_start_url").empty() || !get("sso_session").empty()) return SsoFromProfile(name, where, get);
    *why = where + " has no credentials (no keys, role_arn or credential_process)";
    return std::optional<std::shared_ptr<AwsCredentialProvider>>();
  }

 private:
  std::optional<std::shared_ptr<AwsCredentialProvider>> StaticKeys(const Section& s, const std::string& where) {
    auto id = s.find("aws_access_key_id"), secret = s.find("aws_secret_access_key");
    if (id == s.end() || secret == s.end() || id->second.empty() || secret->second.empty()) return std::nullopt;
    AwsCredentials c{.access_key_id = id->second, .secret_access_key = secret->second, .source = where};
    if (auto t = s.find("aws_session_token"); t != s.end()) c.session_token = t->second;
    return StaticCredentials(std::move(c));
  }

  template <typename Get>
  Result<std::optional<std::shared_ptr<AwsCredentialProvider>>> SsoFromProfile(const std::string& name,
                                                                               const std::string& where, Get get) {
    SsoParams p;
    p.profile = name;
    p.session = get("sso_session");
    p.start_url = get("sso_start_url");
    p.region = get("sso_region");
    if (!p.session.empty()) {
      // The session's section holds the start URL and region (the profile's,
      // when it repeats them, must agree, as the SDKs require).
      auto it = files_.config.find("sso-session " + p.session);
      if (it == files_.config.end())
        return Status::Invalid(where + ": sso_session " + p.session + " has no [sso-session " + p.session +
                               "] section in " + files_.config_path);
      auto val = [&](const char* k) {
        auto v = it->second.find(k);
        return v == it->second.end() ? std::string() : v->second;
      };
      for (auto [key, mine] : {std::pair{"sso_start_url", &p.start_url}, std::pair{"sso_region", &p.region}}) {
        std::string theirs = val(key);
        if (!mine->empty() && !theirs.empty() && *mine != theirs)
          return Status::Invalid(where + ": " + key + " differs from the one of [sso-session " + p.session + "]");
        if (mine->empty()) *mine = theirs;
      }
    }
    p.account_id = get("sso_account_id");
    p.role_name = get("sso_role_name");
    for (auto [key, v] : {std::pair{"sso_start_url", &p.start_url}, std::pair{"sso_region", &p.region},
                          std::pair{"sso_account_id", &p.account_id}, std::pair{"sso_role_name", &p.role_name}})
      if (v->empty())
        return Status::Invalid(where + ": an IAM Identity Center (SSO) profile needs " + key +
                               (p.session.empty() ? "" : " (in the profile or its [sso-session " + p.session + "])"));
    p.cache_dir = ctx_.Env("HOME").value_or("") + "/.aws/sso/cache";
    p.endpoint = ctx_.options.sso_endpoint;
    p.clock = ctx_.options.clock;
    FERRY_ASSIGN_OR_RETURN(p.http, ctx_.Sts());
    return std::optional(SsoRoleCredentials(std::move(p)));
  }

  template <typename Get>
  Result<std::optional<std::shared_ptr<AwsCredentialProvider>>> AssumeFromProfile(const std::string& name,
                                                                                  const Section& s,
                                                                                  const std::string& where,
                                                                                  const std::string& role_arn,
                                                                                  Get get) {
    AssumeRoleParams p;
    p.role_arn = role_arn;
    p.session_name = get("role_session_name");
    p.external_id = get("external_id");
    if (std::string d = get("duration_seconds"); !d.empty()) {
      Status error;
      p.duration = ParseDuration(d, where, &error);
      FERRY_RETURN_NOT_OK(error);
    }
    p.sts_endpoint = ctx_.options.sts_endpoint;
    p.sts_region = ctx_.options.sts_region;
    p.clock = ctx_.options.clock;
    FERRY_ASSIGN_OR_RETURN(p.http, ctx_.Sts());
    std::string source_profile = get("source_profile"), credential_source = get("credential_source");
    std::string token_file = get("web_identity_token_file");
    int sources = !source_profile.empty() + !credential_source.empty() + !token_file.empty();
    if (sources != 1)
      return Status::Invalid(where + ": role_arn needs exactly one of source_profile, credential_source and "
                             "web_identity_token_file");
    if (!token_file.empty())
      return std::optional(AssumeRoleWithWebIdentity(token_file, std::move(p)));
    std::shared_ptr<AwsCredentialProvider> base;
    if (!source_profile.empty()) {
      if (source_profile == name) {
        auto keys = StaticKeys(s, where);
        if (!keys) return Status::Invalid(where + ": source_profile is the profile itself, which has no keys");
        base = *keys;
      } else {
        std::string why;
        FERRY_ASSIGN_OR_RETURN(auto src, Resolve(source_profile, &why));
        if (!src) return Status::Invalid(where + ": source_profile " + source_profile + ": " + why);
        base = *src;
      }
    } else if (credential_source == "Environment") {
      FERRY_ASSIGN_OR_RETURN(auto env, EnvironmentKeys(ctx_));
      if (!env) return Status::Invalid(where + ": credential_source Environment, but AWS_ACCESS_KEY_ID is not set");
      base = *env;
    } else if (credential_source == "EcsContainer") {
      std::string why;
      FERRY_ASSIGN_OR_RETURN(auto src, ContainerFromEnv(ctx_, &why));
      if (!src) return Status::Invalid(where + ": credential_source EcsContainer, but " + why);
      FERRY_ASSIGN_OR_RETURN(auto http, ctx_.Metadata());
      base = ContainerProvider(ctx_, *src, http);
    } else if (credential_source == "Ec2InstanceMetadata") {
      FERRY_ASSIGN_OR_RETURN(auto http, ctx_.Metadata());
      base = InstanceProvider(ctx_, http);
    } else {
      return Status::Invalid(where + ": credential_source \"" + credential_source +
                             "\" is none of Environment, Ec2InstanceMetadata, EcsContainer");
    }
    return std::optional(AssumeRole(base, std::move(p)));
  }

  Context& ctx_;
  const SharedFiles& files_;
  std::set<std::string> visiting_;
  std::string chain_;
};

std::string ProfileName(const Context& ctx, bool* named) {
  *named = true;
  if (!ctx.options.profile.empty()) return ctx.options.profile;
  if (auto p = ctx.Env("AWS_PROFILE")) return *p;
  *named = false;
  return "default";
}

}  // namespace

Result<std::shared_ptr<AwsCredentialProvider>> ProfileCredentials(const AwsCredentialOptions& options,
                                                                  const std::string& profile) {
  auto ctx = std::make_shared<Context>();
  ctx->options = options;
  if (!ctx->options.getenv) ctx->options.getenv = ProcessEnvLookup();
  FERRY_ASSIGN_OR_RETURN(SharedFiles files, LoadSharedFiles(ctx->options.getenv));
  ProfileResolver resolver(*ctx, files);
  std::string why;
  FERRY_ASSIGN_OR_RETURN(auto provider, resolver.Resolve(profile, &why));
  if (!provider) return Status::Invalid(options.what + ": " + why);
  return *provider;
}

Result<std::shared_ptr<AwsCredentialProvider>> DefaultCredentials(const AwsCredentialOptions& options) {
  auto ctx = std::make_shared<Context>();
  ctx->options = options;
  if (!ctx->options.getenv) ctx->options.getenv = ProcessEnvLookup();
  bool named = false;
  std::string profile = ProfileName(*ctx, &named);
  std::shared_ptr<AwsCredentialProvider> found;

  CredentialChain chain;
  chain.Add("environment", [&]() -> Result<LinkAnswer> {
    if (named) return LinkAnswer::Skip("profile " + profile + " is named, which takes precedence over keys in the environment");
    FERRY_ASSIGN_OR_RETURN(auto env, EnvironmentKeys(*ctx));
    if (!env) return LinkAnswer::Skip("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    return Found(*env, &found);
  });
  chain.Add("web identity", [&]() -> Result<LinkAnswer> {
    auto file = ctx->Env("AWS_WEB_IDENTITY_TOKEN_FILE"), role = ctx->Env("AWS_ROLE_ARN");
    if (!file && !role) return LinkAnswer::Skip("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set");
    if (!file || !role)
      return Status::Invalid(std::string(file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") + " is not set, but " +
                             (file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN") + " is");
    AssumeRoleParams p{.role_arn = *role, .session_name = ctx->Env("AWS_ROLE_SESSION_NAME").value_or("")};
    p.sts_endpoint = ctx->options.sts_endpoint;
    p.sts_region = ctx->options.sts_region;
    p.clock = ctx->options.clock;
    FERRY_ASSIGN_OR_RETURN(p.http, ctx->Sts());
    return Found(AssumeRoleWithWebIdentity(*file, std::move(p)), &found);
  });
  chain.Add("shared config profile " + profile, [&]() -> Result<LinkAnswer> {
    FERRY_ASSIGN_OR_RETURN(SharedFiles files, LoadSharedFiles(ctx->options.getenv));
    ProfileResolver resolver(*ctx, files);
    std::string why;
    FERRY_ASSIGN_OR_RETURN(auto provider, resolver.Resolve(profile, &why));
    if (!provider) {
      // A profile asked for by name must exist (the Go SDK's
      // SharedConfigProfileNotExistError); "default" may be absent.
      if (named && !files.Has(profile)) return Status::NotFound(why);
      return LinkAnswer::Skip(why);
    }
    return Found(*provider, &found);
  });
  chain.Add("container credentials", [&]() -> Result<LinkAnswer> {
    std::string why;
    FERRY_ASSIGN_OR_RETURN(auto source, ContainerFromEnv(*ctx, &why));
    if (!source) return LinkAnswer::Skip(why);
    FERRY_ASSIGN_OR_RETURN(auto http, ctx->Metadata());
    return Found(ContainerProvider(*ctx, *source, http), &found);
  });
  chain.Add("EC2 instance metadata", [&]() -> Result<LinkAnswer> {
    if (ImdsDisabled(*ctx)) return LinkAnswer::Skip("AWS_EC2_METADATA_DISABLED is true");
    FERRY_ASSIGN_OR_RETURN(auto http, ctx->Metadata());
    auto provider = InstanceProvider(*ctx, http);
    auto c = provider->Get();
    // Off EC2 nothing gives a session token there, or the instance has no
    // role (NotFound): not applicable. A wrong answer after that is an error.
    if (!c.ok() && c.status().code() == StatusCode::kNotFound) return LinkAnswer::Skip(Redact(c.status().message()));
    return Found(provider, &found);
  });
  FERRY_ASSIGN_OR_RETURN(Credential c, chain.Resolve(options.what));
  (void)c;
  return found;
}

}  // namespace ferry::http::aws
