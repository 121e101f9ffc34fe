#include "plugins/destination/clickhouse/server_features.h"

#include <cctype>

namespace ferry::plugins::clickhouse {

Result<ServerVersion> ParseVersion(const std::string& raw) {
  ServerVersion v;
  std::string text = raw;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  v.text = text;
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int k = 0; k < 3 && i < text.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) break;
    int n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1000000) break;
      ++i;
    }
    parts[k] = n;
    if (i < text.size() && text[i] == '.')
      ++i;
    else
      break;
  }
  if (parts[0] == 0 && parts[1] == 0) return Status::Invalid("cannot read the server version \"" + text + "\"");
  v.major = parts[0];
  v.minor = parts[1];
  v.patch = parts[2];
  return v;
}

Result<ServerFeatures> FeaturesOf(const ServerVersion& v) {
  if (!v.AtLeast(kMinMajor, kMinMinor))
    return Status::Unsupported("ClickHouse " + v.text + " is older than " + std::to_string(kMinMajor) + "." +
                               std::to_string(kMinMinor) + ", the oldest version Ferry supports");
  ServerFeatures f;
  f.version = v;
  f.datetime64 = v.AtLeast(20, 1);
  f.date32 = v.AtLeast(21, 9);
  f.bool_type = v.AtLeast(22, 1);
  f.named_tuples = v.AtLeast(22, 1);
  f.flattens_array_tuple = !v.AtLeast(21, 1);
  f.ttl = v.AtLeast(19, 6);
  f.dedup_token = v.AtLeast(22, 2);
  f.nullable_key = v.AtLeast(21, 8);
  f.mutation_fail_reason = v.AtLeast(20, 1);
  return f;
}

}  // namespace ferry::plugins::clickhouse
