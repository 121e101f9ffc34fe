#include "config/expand.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "config/time_expr.h"
#include "ferry/redact.h"

namespace ferry::config {
namespace {

std::string UsedIn(const std::string& key) { return key.empty() ? "" : " (used in key \"" + key + "\")"; }

std::string Prefix(const std::string& where) { return where.empty() ? "" : where + ": "; }

Result<std::string> ReadWholeFile(const std::string& path, const std::string& where, const std::string& key,
                                  const ExpandOptions& options) {
  auto fail = [&](const std::string& why) {
    return Status::Invalid(Prefix(where) + "cannot read file \"" + path + "\" for ${file:" + path + "}" +
                           UsedIn(key) + ": " + why +
                           (std::filesystem::path(path).is_relative()
                                ? " (relative paths resolve against the current directory)"
                                : ""));
  };
  if (options.read_file) {
    auto r = options.read_file(path);
    if (!r.ok()) return fail(r.status().message());
    if (r->size() > kMaxFileValueBytes)
      return fail("it is larger than " + std::to_string(kMaxFileValueBytes >> 20) +
                  " MiB, the most a ${file:} value may hold");
    return r;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("it is a directory");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(std::strerror(errno));
  std::string content;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    content.append(buf, n);
    if (content.size() > kMaxFileValueBytes) {  // /dev/zero, a log file: not a value
      std::fclose(f);
      return fail("it is larger than " + std::to_string(kMaxFileValueBytes >> 20) +
                  " MiB, the most a ${file:} value may hold");
    }
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return fail("read error");
  return content;
}

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// Short integers and booleans (ports, counts, flags) are not registered:
// redacting every "true" or "1000" would corrupt logs and JSON summaries, and
// such values are not what ${ENV} is used to hide.
bool LooksLikeSetting(const std::string& v) {
  if (v == "true" || v == "false" || v == "TRUE" || v == "FALSE" || v == "True" || v == "False") return true;
  return !v.empty() && v.size() <= 6 && v.find_first_not_of("0123456789") == std::string::npos;
}

// `${file:}` contents are always secrets; a `${ENV}` value only when its
// variable or the key it is used in looks secret (ferry/redact.h), so that
// counts, names and paths from the environment are never masked.
void RegisterValue(const std::string& value) {
  if (LooksLikeSetting(value)) return;
  RegisterSecret(value);
  // Files usually end with a newline that plugins strip before using the value.
  size_t end = value.find_last_not_of("\r\n \t");
  if (end != std::string::npos && end + 1 < value.size()) RegisterSecret(value.substr(0, end + 1));
}

}  // namespace

bool HasVariables(const std::string& text) {
  size_t start = text.find("${");
  while (start != std::string::npos) {
    size_t end = text.find('}', start + 2);
    if (end == std::string::npos) return false;
    if (end > start + 2) return true;
    start = text.find("${", end + 1);
  }
  return false;
}

Result<std::string> ExpandVariables(const std::string& text, const std::string& where, const std::string& key,
                                    const ExpandOptions& options) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    if (start == std::string::npos) break;
    size_t end = text.find('}', start + 2);
    if (end == std::string::npos) break;
    out.append(text, pos, start - pos);
    pos = end + 1;
    const std::string content = text.substr(start + 2, end - start - 2);
    if (content.empty()) {
      out += "${}";
      continue;
    }
    if (content.rfind("file:", 0) == 0) {
      FERRY_ASSIGN_OR_RETURN(std::string value, ReadWholeFile(content.substr(5), where, key, options));
      RegisterValue(value);
      out += value;
    } else if (content.rfind("time:", 0) == 0) {
      auto now = options.now.value_or(std::chrono::system_clock::now());
      auto value = EvaluateTimeExpression(content.substr(5), now);
      if (!value.ok()) {
        return Status::Invalid(Prefix(where) + "cannot expand ${" + content + "}" + UsedIn(key) + ": " +
                               value.status().message());
      }
      out += *value;
    } else {
      auto value = options.lookup_env ? options.lookup_env(content) : ProcessEnv(content);
      if (!value) {
        return Status::Invalid(Prefix(where) + "environment variable " + content + " is not set" + UsedIn(key));
      }
      if (LooksSecretName(content) || LooksSecretName(key)) RegisterValue(*value);
      out += *value;
    }
  }
  out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace ferry::config
