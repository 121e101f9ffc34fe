#include "ferry/shard.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <numeric>
#include <tuple>

namespace ferry {

namespace {

bool ParseInt(const std::string& s, int* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

}  // namespace

Result<Shard> ParseShard(const std::string& text, const std::string& what) {
  const size_t slash = text.find('/');
  Shard s;
  if (slash == std::string::npos || !ParseInt(text.substr(0, slash), &s.num) ||
      !ParseInt(text.substr(slash + 1), &s.total))
    return Status::Invalid(what + " \"" + text + "\": write N/T, e.g. 2/4 for the second of four shards");
  if (s.total < 1 || s.num < 1 || s.num > s.total)
    return Status::Invalid(what + " \"" + text + "\": N must be between 1 and T (T >= 1); shards are numbered from 1");
  return s;
}

Result<Shard> ShardFromEnvironment() {
  if (const char* v = Env("FERRY_SHARD")) return ParseShard(v, "FERRY_SHARD");
  const char* index = Env("JOB_COMPLETION_INDEX");
  const char* total = Env("FERRY_SHARD_TOTAL");
  if (!index && !total) return Shard{};
  if (!index || !total)
    return Status::Invalid(std::string(index ? "JOB_COMPLETION_INDEX is set but FERRY_SHARD_TOTAL is not"
                                             : "FERRY_SHARD_TOTAL is set but JOB_COMPLETION_INDEX is not") +
                           ": a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX; set FERRY_SHARD_TOTAL to the "
                           "Job's completions (or use --shard N/T)");
  int i = 0, t = 0;
  if (!ParseInt(index, &i) || !ParseInt(total, &t) || t < 1 || i < 0 || i >= t)
    return Status::Invalid(std::string("JOB_COMPLETION_INDEX=") + index + " and FERRY_SHARD_TOTAL=" + total +
                           ": the index must be 0 .. total-1 (the Job's completions)");
  return Shard{i + 1, t};
}

std::vector<int> AssignShards(const std::vector<WorkPair>& pairs, int total) {
  std::vector<int> out(pairs.size(), 0);
  if (total <= 1) return out;
  // Heaviest first; equal weights in (table, client) order, so the order of
  // the input (which may vary with threads or API answers) does not matter.
  std::vector<size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const WorkPair& x = pairs[a];
    const WorkPair& y = pairs[b];
    return std::tie(y.weight, x.table, x.client) < std::tie(x.weight, y.table, y.client);
  });
  std::vector<double> load(static_cast<size_t>(total), 0);
  for (size_t i : order) {
    // The least loaded shard; ties go to the lowest index.
    const size_t s = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[i] = static_cast<int>(s);
    load[s] += pairs[i].weight;
  }
  return out;
}

}  // namespace ferry
